// tinybert/backend/cuda/cublas.cuh: the one GEMM wrapper of the CUDA backend. It owns the layout: every matrix is
// row-major (Hugging Face Linear weights are [out, in]), cuBLAS is column-major, and the translation happens here only.
// Double GEMMs compute in fp64. Float GEMMs follow the matmul precision (core/precision.hpp): fp32 compute; TF32
// tensor cores (torch.backends.cuda.matmul.allow_tf32: inputs rounded to 10 mantissa bits, fp32 accumulation); or
// bf16/fp16 tensor cores, for which A and B are first converted into 16-bit scratch copies (PyTorch autocast's cast
// before each matmul) while C, alpha, beta and the accumulation stay fp32 (cuBLAS's 16BF/16F x 16BF/16F -> 32F mode).
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/core/precision.hpp"

namespace tinybert::cuda {

namespace detail {

// out[i] = the bits of x[i] in IEEE half (Half) or bf16, rounded to nearest even, i < n
template <bool Half>
__global__ void to_16bit_kernel(std::uint16_t* __restrict__ out, const float* __restrict__ x, std::size_t n) {
    const std::size_t i = global_index();
    if (i < n) out[i] = Half ? tinybert::detail::float_to_f16_bits(x[i]) : tinybert::detail::float_to_bf16_bits(x[i]);
}

struct ScratchFree {
    void operator()(std::uint16_t* p) const { Device::deallocate(p); }
};
using Scratch16 = std::unique_ptr<std::uint16_t, ScratchFree>;

// A device copy of the n floats at x in bf16 or half (stream-ordered: freed blocks are reused by later work only)
inline Scratch16 to_16bit(const float* x, std::size_t n, bool half) {
    Scratch16 out(Device::allocate<std::uint16_t>(n));
    if (half)
        to_16bit_kernel<true><<<grid_for(n), block_size, 0, current_stream()>>>(out.get(), x, n);
    else
        to_16bit_kernel<false><<<grid_for(n), block_size, 0, current_stream()>>>(out.get(), x, n);
    TINYBERT_CUDA_CHECK_LAUNCH();
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

// Row-major batched GEMM over contiguous matrices:
//   C[i] (M,N) = alpha · op(A[i]) · op(B[i]) + beta · C[i],  i < batch
// A[i] is (M,K), or (K,M) stored when trans_a; B[i] is (K,N), or (N,K) stored when trans_b; consecutive batch
// entries follow each other (strides M·K, K·N, M·N). beta = 1 accumulates into C (gradients), beta = 0 overwrites.
template <class T>
void gemm(T* c, const T* a, const T* b, std::int64_t batch, std::int64_t m, std::int64_t n, std::int64_t k,
          bool trans_a, bool trans_b, typename gemm_traits<T>::scalar alpha, typename gemm_traits<T>::scalar beta) {
    using traits = gemm_traits<T>;
    TINYBERT_CHECK(batch >= 0 && m >= 0 && n >= 0 && k >= 0, "cuda::gemm: negative size");
    TINYBERT_CHECK(m <= INT32_MAX && n <= INT32_MAX && k <= INT32_MAX && batch <= INT32_MAX,
                   "cuda::gemm: a dimension exceeds the 32-bit range of cuBLAS");
    if (batch == 0 || m == 0 || n == 0) return;
    // Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: swap the operands, keep the transpose flags.
    // Leading dimensions are the row lengths of the stored row-major matrices.
    const int ldb = static_cast<int>(trans_b ? k : n);
    const int lda = static_cast<int>(trans_a ? m : k);
    const int ldc = static_cast<int>(n);
    const auto run = [&](const void* b_data, const void* a_data, cudaDataType_t input, cublasComputeType_t compute) {
        TINYBERT_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
            cublas_handle(), trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
            static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha, b_data, input, ldb, k * n, a_data,
            input, lda, m * k, &beta, c, traits::data, ldc, m * n, static_cast<int>(batch), compute,
            CUBLAS_GEMM_DEFAULT));
    };
    if constexpr (std::is_same_v<T, float>) {
        const Precision p = matmul_precision();
        if ((p == Precision::bf16 || p == Precision::fp16) && k > 0) {
            const bool half = p == Precision::fp16;
            const auto a16 = detail::to_16bit(a, static_cast<std::size_t>(batch * m * k), half);
            const auto b16 = detail::to_16bit(b, static_cast<std::size_t>(batch * k * n), half);
            return run(b16.get(), a16.get(), half ? CUDA_R_16F : CUDA_R_16BF, CUBLAS_COMPUTE_32F);
        }
    }
    run(b, a, traits::data, traits::compute());
}

}  // namespace tinybert::cuda
