// tinybert/backend/cpu/matmul.hpp: batched matrix product on the CPU (the Q·Kᵀ / P·V style GEMMs outside attention).
// Shapes: BT batch (1 for 2-D tensors), M rows, K inner, N columns. Backward accumulates (+=) into non-null gradients.
// A single product lets Eigen's GEMM use every thread; a batch runs one single-threaded GEMM per OpenMP iteration.
#pragma once

#include "tinybert/backend/cpu/eigen_map.hpp"

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

// Matrix `i` of a batched tensor of (rows, cols) matrices.
template <class T>
ConstMatrixMap<T> batch_matrix(const Tensor<T, Device>& t, std::int64_t i, std::int64_t rows, std::int64_t cols) {
    return ConstMatrixMap<T>(t.data() + i * rows * cols, rows, cols);
}
template <class T>
MatrixMap<T> batch_matrix(Tensor<T, Device>& t, std::int64_t i, std::int64_t rows, std::int64_t cols) {
    return MatrixMap<T>(t.data() + i * rows * cols, rows, cols);
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
        auto c = detail::batch_matrix(out, i, m, n);
        const auto ai = detail::batch_matrix(a, i, m, k);
        const auto bi = detail::batch_matrix(b, i, br, bc);
        if (transpose_b) {
            c.noalias() = ai * bi.transpose();
        } else {
            c.noalias() = ai * bi;
        }
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
        const auto dy = detail::batch_matrix(dout, i, m, n);
        const auto ai = detail::batch_matrix(a, i, m, k);
        const auto bi = detail::batch_matrix(b, i, br, bc);
        if (da) {
            auto dai = detail::batch_matrix(*da, i, m, k);
            if (transpose_b) {
                dai.noalias() += dy * bi;
            } else {
                dai.noalias() += dy * bi.transpose();
            }
        }
        if (db) {
            auto dbi = detail::batch_matrix(*db, i, br, bc);
            if (transpose_b) {
                dbi.noalias() += dy.transpose() * ai;
            } else {
                dbi.noalias() += ai.transpose() * dy;
            }
        }
    });
}

}  // namespace tinybert::cpu
