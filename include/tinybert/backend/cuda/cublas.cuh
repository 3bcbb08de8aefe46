// tinybert/backend/cuda/cublas.cuh: the one GEMM wrapper of the CUDA backend. It owns the layout: every matrix is
// row-major (Hugging Face Linear weights are [out, in]), cuBLAS is column-major, and the translation happens here only.
// Double GEMMs compute in fp64. Float GEMMs follow the matmul precision (core/precision.hpp): fp32 compute; TF32
// tensor cores (torch.backends.cuda.matmul.allow_tf32: inputs rounded to 10 mantissa bits, fp32 accumulation); or
// bf16/fp16 tensor cores, for which A and B are first converted into 16-bit scratch copies (PyTorch autocast's cast
// before each matmul) while C, alpha, beta and the accumulation stay fp32 (cuBLAS's 16BF/16F x 16BF/16F -> 32F mode).
// gemm16 takes operands already in 16 bits (Tensor16, made by to_16bit), which a linear layer converts once.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/backend/cuda/vectorized.cuh"
#include "tinybert/core/precision.hpp"
#include "tinybert/tensor/tensor.hpp"
#include "tinybert/tensor/tensor16.hpp"

namespace tinybert::cuda {

namespace detail {

// The bits of x in IEEE half (half) or bf16, rounded to nearest even
struct To16bit {
    bool half;
    __device__ std::uint16_t operator()(std::size_t, float x) const { return to_16bit_value(x, half); }
};

struct ScratchFree {
    void operator()(std::uint16_t* p) const { Device::deallocate(p); }
};
using Scratch16 = std::unique_ptr<std::uint16_t, ScratchFree>;

// out[i] = x[i] in bf16 or half bits, i < n
inline void convert_16bit(std::uint16_t* out, const float* x, std::size_t n, bool half) {
    map<false>(n, To16bit{half}, out, x);
}

// A device copy of the n floats at x in bf16 or half (stream-ordered: freed blocks are reused by later work only)
inline Scratch16 to_16bit(const float* x, std::size_t n, bool half) {
    Scratch16 out(Device::allocate<std::uint16_t>(n));
    convert_16bit(out.get(), x, n, half);
    return out;
}

}  // namespace detail

// Storage type -> cuBLAS data type, compute type and the type of alpha/beta.
template <class T>
struct gemm_traits;
template <>
struct gemm_traits<float> {
    using scalar = float;
    static constexpr cudaDataType_t data = CUDA_R_32F;
    static cublasComputeType_t compute() {
        return matmul_precision() == Precision::tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    }
};
template <>
struct gemm_traits<double> {
    using scalar = double;
    static constexpr cudaDataType_t data = CUDA_R_64F;
    static cublasComputeType_t compute() { return CUBLAS_COMPUTE_64F; }
};

namespace detail {

// Checks the sizes and computes the row-major -> column-major translation of one batched GEMM, then calls
// run(transb, transa, n, m, k, ldb, lda, ldc): row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, so the
// operands are swapped and the transpose flags kept; leading dimensions are the row lengths of the stored matrices.
template <class Run>
void row_major_gemm(std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k, bool trans_a, bool trans_b,
                    Run&& run) {
    TINYBERT_CHECK(batch >= 0 && m >= 0 && n >= 0 && k >= 0, "cuda::gemm: negative size");
    TINYBERT_CHECK(m <= INT32_MAX && n <= INT32_MAX && k <= INT32_MAX && batch <= INT32_MAX,
                   "cuda::gemm: a dimension exceeds the 32-bit range of cuBLAS");
    if (batch == 0 || m == 0 || n == 0) return;
    run(trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(n),
        static_cast<int>(m), static_cast<int>(k), static_cast<int>(trans_b ? k : n), static_cast<int>(trans_a ? m : k),
        static_cast<int>(n));
}

}  // namespace detail

// C (M,N) float = alpha · op(A) · op(B) + beta · C over batch contiguous matrices (strides M·K, K·N, M·N), with A and
// B 16-bit (both bf16 or both half, Tensor16 bits): the tensor-core GEMM, fp32 accumulation, no conversion here.
inline void gemm16(float* c, const std::uint16_t* a, const std::uint16_t* b, std::int64_t batch, std::int64_t m,
                   std::int64_t n, std::int64_t k, bool trans_a, bool trans_b, bool half, float alpha, float beta) {
    detail::row_major_gemm(
        batch, m, n, k, trans_a, trans_b,
        [&](cublasOperation_t tb, cublasOperation_t ta, int cn, int cm, int ck, int ldb, int lda, int ldc) {
            const cudaDataType_t input = half ? CUDA_R_16F : CUDA_R_16BF;
            TINYBERT_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
                cublas_handle(), tb, ta, cn, cm, ck, &alpha, b, input, ldb, k * n, a, input, lda, m * k, &beta, c,
                CUDA_R_32F, ldc, m * n, static_cast<int>(batch), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
        });
}

// x (...) float -> the same shape in bf16 (half = false) or IEEE half bits, rounded to nearest even
inline Tensor16<Device> to_16bit(const Tensor<float, Device>& x, bool half) {
    Tensor16<Device> out{Tensor<std::uint16_t, Device>::empty(x.shape()), half};
    detail::convert_16bit(out.bits.data(), x.data(), x.numel(), half);
    return out;
}

// Row-major batched GEMM over contiguous matrices:
//   C[i] (M,N) = alpha · op(A[i]) · op(B[i]) + beta · C[i],  i < batch
// A[i] is (M,K), or (K,M) stored when trans_a; B[i] is (K,N), or (N,K) stored when trans_b; consecutive batch
// entries follow each other (strides M·K, K·N, M·N). beta = 1 accumulates into C (gradients), beta = 0 overwrites.
template <class T>
void gemm(T* c, const T* a, const T* b, std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k,
          bool trans_a, bool trans_b, typename gemm_traits<T>::scalar alpha, typename gemm_traits<T>::scalar beta) {
    using traits = gemm_traits<T>;
    if constexpr (std::is_same_v<T, float>) {
        const Precision p = matmul_precision();
        if (is_16bit(p) && k > 0 && batch > 0 && m > 0 && n > 0) {
            const bool half = p == Precision::fp16;
            const auto a16 = detail::to_16bit(a, static_cast<std::size_t>(batch * m * k), half);
            const auto b16 = detail::to_16bit(b, static_cast<std::size_t>(batch * k * n), half);
            return gemm16(c, a16.get(), b16.get(), batch, m, n, k, trans_a, trans_b, half, alpha, beta);
        }
    }
    detail::row_major_gemm(
        batch, m, n, k, trans_a, trans_b,
        [&](cublasOperation_t tb, cublasOperation_t ta, int cn, int cm, int ck, int ldb, int lda, int ldc) {
            TINYBERT_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
                cublas_handle(), tb, ta, cn, cm, ck, &alpha, b, traits::data, ldb, k * n, a, traits::data, lda, m * k,
                &beta, c, traits::data, ldc, m * n, static_cast<int>(batch), traits::compute(), CUBLAS_GEMM_DEFAULT));
        });
}

}  // namespace tinybert::cuda
