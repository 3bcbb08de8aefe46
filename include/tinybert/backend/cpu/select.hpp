// tinybert/backend/cpu/select.hpp: slicing kernels on the CPU: the [CLS] row fed to BertPooler, and one column of
// the QA logits (start = column 0, end = column 1 of (B,S,2)). Nothing is saved for backward but the index.
// Backward accumulates (+=) into a non-null gradient.
#pragma once

#include <cstdint>

#include "tinybert/backend/cpu/eigen_map.hpp"

namespace tinybert::cpu {

// out (B,H) = inp (B,S,H)[:, index, :]
template <class T>
void select_row_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, std::int64_t index) {
    const std::int64_t b = inp.dim(0), s = inp.dim(1), h = inp.dim(2);
    auto y = as_matrix(out);
    const ConstMatrixMap<T> x(inp.data(), b * s, h);
    for (std::int64_t i = 0; i < b; ++i) y.row(i) = x.row(i * s + index);
}

// dinp (B,S,H)[:, index, :] += dout (B,H)
template <class T>
void select_row_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, std::int64_t index) {
    if (!dinp) return;
    const std::int64_t b = dinp->dim(0), s = dinp->dim(1), h = dinp->dim(2);
    const auto dy = as_matrix(dout);
    MatrixMap<T> dx(dinp->data(), b * s, h);
    for (std::int64_t i = 0; i < b; ++i) dx.row(i * s + index) += dy.row(i);
}

// out (N) = inp (N,C)[:, j]
template <class T>
void column_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, std::int64_t j) {
    as_row(out) = as_matrix(inp).col(j).transpose();
}

// dinp (N,C)[:, j] += dout (N)
template <class T>
void column_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, std::int64_t j) {
    if (dinp) as_matrix(*dinp).col(j) += as_row(dout).transpose();
}

}  // namespace tinybert::cpu
