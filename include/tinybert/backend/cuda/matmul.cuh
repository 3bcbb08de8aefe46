// tinybert/backend/cuda/matmul.cuh: batched matrix product (torch.matmul on 3-D tensors) through cuBLAS.
// Shapes: BT batch entries (every leading dimension folded together), out (BT,M,N) = a (BT,M,K) · b (BT,K,N),
// or a · bᵀ with b stored (BT,N,K) when transpose_b. Backward accumulates (+=) into the non-null gradients.
#pragma once

#include "tinybert/backend/cuda/cublas.cuh"

namespace tinybert::cuda {

namespace detail {

struct MatmulDims {
    std::int64_t batch, m, n, k;
};

template <class T>
MatmulDims matmul_dims(const Tensor<T, Device>& out, const Tensor<T, Device>& a, const Tensor<T, Device>& b,
                       bool transpose_b) {
    TINYBERT_CHECK(a.rank() >= 2 && b.rank() >= 2 && out.rank() >= 2, "cuda::matmul: tensors need rank >= 2");
    const std::int64_t m = a.dim(-2), k = a.dim(-1);
    const std::int64_t n = transpose_b ? b.dim(-2) : b.dim(-1);
    const std::int64_t kb = transpose_b ? b.dim(-1) : b.dim(-2);
    const std::int64_t batch = m * k > 0 ? static_cast<std::int64_t>(a.numel()) / (m * k) : 0;
    TINYBERT_CHECK(kb == k && out.dim(-2) == m && out.dim(-1) == n &&
                       static_cast<std::int64_t>(b.numel()) == batch * k * n &&
                       static_cast<std::int64_t>(out.numel()) == batch * m * n,
                   "cuda::matmul: out ", out.shape().str(), ", a ", a.shape().str(), ", b ", b.shape().str(),
                   transpose_b ? " (b transposed)" : "");
    return {batch, m, n, k};
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// out (BT,M,N) = a (BT,M,K) · b (BT,K,N)   |   a · bᵀ with b (BT,N,K) when transpose_b
template <class T>
void matmul_forward(Tensor<T, Device>& out, const Tensor<T, Device>& a, const Tensor<T, Device>& b, bool transpose_b) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    const auto d = detail::matmul_dims(out, a, b, transpose_b);
    gemm(out.data(), a.data(), b.data(), d.batch, d.m, d.n, d.k, false, transpose_b, T{1}, T{0});
}

// da += dout·op(b)ᵀ;  db += aᵀ·dout (b (K,N)) or doutᵀ·a (b (N,K) when transpose_b)
template <class T>
void matmul_backward(Tensor<T, Device>* da, Tensor<T, Device>* db, const Tensor<T, Device>& dout,
                     const Tensor<T, Device>& a, const Tensor<T, Device>& b, bool transpose_b) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    const auto d = detail::matmul_dims(dout, a, b, transpose_b);
    // da (M,K) += dout (M,N) · b (K,N)ᵀ   |   dout (M,N) · b (N,K)
    if (da) gemm(da->data(), dout.data(), b.data(), d.batch, d.m, d.k, d.n, false, !transpose_b, T{1}, T{1});
    if (db) {
        if (transpose_b)  // db (N,K) += dout (M,N)ᵀ · a (M,K)
            gemm(db->data(), dout.data(), a.data(), d.batch, d.n, d.k, d.m, true, false, T{1}, T{1});
        else  // db (K,N) += a (M,K)ᵀ · dout (M,N)
            gemm(db->data(), a.data(), dout.data(), d.batch, d.k, d.n, d.m, true, false, T{1}, T{1});
    }
}

}  // namespace tinybert::cuda
