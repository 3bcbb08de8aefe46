// tinybert/backend/cpu/matmul.hpp: batched matrix product on the CPU (the Q·Kᵀ / P·V style GEMMs outside attention).
// Shapes: BT batch (1 for 2-D tensors), M rows, K inner, N columns. Backward accumulates (+=) into non-null gradients.
// A single product lets the GEMM use every thread; a batch runs one single-threaded GEMM per OpenMP iteration.
#pragma once

#include "tinybert/backend/cpu/gemm.hpp"

namespace tinybert::cpu {

namespace detail {

// The batch count and the (rows, cols) of one matrix of a 2-D or 3-D tensor.
struct MatmulDims {
    std::int64_t batch, rows, cols;
};
template <class T>
MatmulDims matmul_dims(const Tensor<T, Device>& t) {
    TINYBERT_CHECK(t.rank() == 2 || t.rank() == 3, "matmul: expected a 2-D or 3-D tensor, got ", t.shape().str());
    return {t.rank() == 3 ? t.dim(0) : 1, t.dim(-2), t.dim(-1)};
}


// Run body(i) for i in [0, n): over OpenMP threads when n > 1, else directly so that Eigen may thread the GEMM.
template <class F>
void for_each_batch(std::int64_t n, F&& body) {
    if (n == 1) {
        body(std::int64_t{0});
        return;
    }
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) body(i);
}

}  // namespace detail

// out (BT,M,N) = a (BT,M,K) · b (BT,K,N), or a · bᵀ with b (BT,N,K) when transpose_b
template <class T>
void matmul_forward(Tensor<T, Device>& out, const Tensor<T, Device>& a, const Tensor<T, Device>& b, bool transpose_b) {
    const detail::MatmulDims ad = detail::matmul_dims(a), bd = detail::matmul_dims(b);
    const std::int64_t m = ad.rows, k = ad.cols, br = bd.rows, bc = bd.cols, n = transpose_b ? br : bc;
    detail::for_each_batch(ad.batch, [&](std::int64_t i) {
        gemm(Op::none, transpose_b ? Op::transpose : Op::none, m, n, k, T(1), a.data() + i * m * k, k,
             b.data() + i * br * bc, bc, T(0), out.data() + i * m * n, n);
    });
}

// da (BT,M,K) += dout·bᵀ  (dout·b when transpose_b)
// db (BT,K,N) += aᵀ·dout  (db (BT,N,K) += doutᵀ·a when transpose_b)
template <class T>
void matmul_backward(Tensor<T, Device>* da, Tensor<T, Device>* db, const Tensor<T, Device>& dout,
                     const Tensor<T, Device>& a, const Tensor<T, Device>& b, bool transpose_b) {
    const detail::MatmulDims ad = detail::matmul_dims(a), bd = detail::matmul_dims(b);
    const std::int64_t m = ad.rows, k = ad.cols, br = bd.rows, bc = bd.cols, n = transpose_b ? br : bc;
    detail::for_each_batch(ad.batch, [&](std::int64_t i) {
        const T* dy = dout.data() + i * m * n;
        const T* ai = a.data() + i * m * k;
        const T* bi = b.data() + i * br * bc;
        // da (M,K) += dy (M,N) · op(b)ᵀ, where op(b) (K,N) is b or bᵀ
        if (da) gemm(Op::none, transpose_b ? Op::none : Op::transpose, m, k, n, T(1), dy, n, bi, bc, T(1),
                     da->data() + i * m * k, k);
        // db += aᵀ·dy (K,N), or dyᵀ·a (N,K) when transpose_b
        if (db && transpose_b) gemm(Op::transpose, Op::none, n, k, m, T(1), dy, n, ai, k, T(1), db->data() + i * br * bc, bc);
        if (db && !transpose_b) gemm(Op::transpose, Op::none, k, n, m, T(1), ai, k, dy, n, T(1), db->data() + i * br * bc, bc);
    });
}

}  // namespace tinybert::cpu
