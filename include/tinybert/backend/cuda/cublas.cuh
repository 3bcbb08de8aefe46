// tinybert/backend/cuda/cublas.cuh: the one GEMM wrapper of the CUDA backend. It owns the layout: every matrix is
// row-major (Hugging Face Linear weights are [out, in]), cuBLAS is column-major, and the translation happens here only.
// Compute is in the precision of gemm_traits<T>::compute(): fp64 for double; fp32 for float, or TF32 tensor cores
// when set_allow_tf32(true) (torch.backends.cuda.matmul.allow_tf32: inputs rounded to 10 mantissa bits, fp32
// accumulation), so a later 16-bit storage type only needs a new gemm_traits specialisation.
#pragma once

#include <atomic>
#include <cstdint>

#include "tinybert/backend/cuda/device.cuh"

namespace tinybert::cuda {

namespace detail {
inline std::atomic<bool>& allow_tf32_flag() {
    static std::atomic<bool> flag{false};
    return flag;
}
}  // namespace detail

// Process-wide, off by default (as PyTorch's since 1.12): float GEMMs, attention products included, on TF32 tensor
// cores. Every later GEMM call sees the new value.
inline void set_allow_tf32(bool on) { detail::allow_tf32_flag().store(on, std::memory_order_relaxed); }
inline bool allow_tf32() { return detail::allow_tf32_flag().load(std::memory_order_relaxed); }

// Storage type -> cuBLAS data type, compute type and the type of alpha/beta.
template <class T>
struct gemm_traits;
template <>
struct gemm_traits<float> {
    using scalar = float;
    static constexpr cudaDataType_t data = CUDA_R_32F;
    static cublasComputeType_t compute() { return allow_tf32() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F; }
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
    TINYBERT_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
        cublas_handle(), trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(n),
        static_cast<int>(m), static_cast<int>(k), &alpha, b, traits::data, ldb, k * n, a, traits::data, lda, m * k,
        &beta, c, traits::data, ldc, m * n, static_cast<int>(batch), traits::compute(), CUBLAS_GEMM_DEFAULT));
}

}  // namespace tinybert::cuda
