// tinybert/backend/cpu/gemm16.hpp: 16-bit GEMM operands on the CPU: to_16bit rounds a float tensor to bf16/fp16
// bits once (Tensor16), gemm16 multiplies two such operands. There are no 16-bit GEMM units here: the bits are
// widened back to float (exactly) and the fp32 engine sums the products in float, which is what the GPU's tensor
// cores compute (16-bit products, fp32 accumulation), so CPU tests see the GPU's numerics.
#pragma once

#include <cstdint>
#include <vector>

#include "tinybert/backend/cpu/gemm.hpp"
#include "tinybert/backend/cpu/loops.hpp"
#include "tinybert/tensor/tensor16.hpp"

namespace tinybert::cpu {

namespace detail {

// The rows x cols 16-bit matrix at `x` (row stride ld) widened to float into `out` (dense, row stride cols).
inline const float* widened_copy(const std::uint16_t* x, std::int64_t rows, std::int64_t cols, std::int64_t ld,
                                 bool half, std::vector<float>& out) {
    out.resize(static_cast<std::size_t>(rows * cols));
    float* o = out.data();
#pragma omp parallel for schedule(static) if (rows * cols >= (1 << 16))
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t j = 0; j < cols; ++j) o[r * cols + j] = from_16bit_value(x[r * ld + j], half);
    return o;
}

}  // namespace detail

// x (...) float -> the same shape in bf16 (half = false) or IEEE half bits, rounded to nearest even
inline Tensor16<Device> to_16bit(const Tensor<float, Device>& x, bool half) {
    Tensor16<Device> out{Tensor<std::uint16_t, Device>::empty(x.shape()), half};
    const float* in = x.data();
    std::uint16_t* o = out.bits.data();
    detail::for_chunks(static_cast<std::int64_t>(x.numel()), [&](std::int64_t begin, std::int64_t len) {
        for (std::int64_t i = begin; i < begin + len; ++i) o[i] = to_16bit_value(in[i], half);
    });
    return out;
}

// C (M,N) = alpha·op(A)·op(B) + beta·C with A and B 16-bit (both bf16 or both half, row strides lda/ldb), C float
inline void gemm16(Op op_a, Op op_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                   const std::uint16_t* a, std::int64_t lda, const std::uint16_t* b, std::int64_t ldb, bool half,
                   float beta, float* c, std::int64_t ldc) {
    if (m == 0 || n == 0) return;
    thread_local std::vector<float> a_wide, b_wide;
    // A stored (M,K) or (K,M), B stored (K,N) or (N,K)
    const std::int64_t a_cols = op_a == Op::none ? k : m, b_cols = op_b == Op::none ? n : k;
    const float* aw = detail::widened_copy(a, op_a == Op::none ? m : k, a_cols, lda, half, a_wide);
    const float* bw = detail::widened_copy(b, op_b == Op::none ? k : n, b_cols, ldb, half, b_wide);
    detail::engine_gemm(op_a, op_b, m, n, k, alpha, aw, a_cols, bw, b_cols, beta, c, ldc);
}

}  // namespace tinybert::cpu
