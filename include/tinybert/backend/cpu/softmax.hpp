// tinybert/backend/cpu/softmax.hpp: softmax over the last dimension on the CPU, max-subtracted so that rows of
// huge negative values (additively masked scores) stay finite. Shapes: N rows, C columns.
// Saved for backward: the output probabilities. Backward accumulates (+=) into a non-null gradient.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

#include "tinybert/backend/cpu/eigen_map.hpp"

namespace tinybert::cpu {

namespace detail {

// In place: row ← exp(row − max(row)) / Σ exp(row − max(row)). Works on any Eigen row expression (maps, strided).
// Eigen's vectorised exp clamps its input at log(min normal) instead of underflowing; the select restores exact
// zeros there, so masked keys get probability 0 as in torch.
template <class Row>
void softmax_row(Row&& row) {
    using T = typename std::decay_t<Row>::Scalar;
    const T lowest_log = std::log(std::numeric_limits<T>::min());
    const T m = row.maxCoeff();
    row = ((row.array() - m) < lowest_log).select(T(0), (row.array() - m).exp()).matrix();
    row /= row.sum();
}

}  // namespace detail

// out (N,C) = softmax(inp (N,C)) row-wise
template <class T>
void softmax_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp) {
    auto y = as_matrix(out);
    y = as_matrix(inp);
    const std::int64_t n = y.rows();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) detail::softmax_row(y.row(i));
}

// dinp (N,C) += out ⊙ (dout − Σ_c dout⊙out)
//               term 1: direct path;  term 2: through the normaliser
template <class T>
void softmax_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, const Tensor<T, Device>& out) {
    if (!dinp) return;
    const auto dy = as_matrix(dout);
    const auto y = as_matrix(out);
    auto dx = as_matrix(*dinp);
    const std::int64_t n = y.rows();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
        const T dot = dy.row(i).dot(y.row(i));
        dx.row(i).array() += y.row(i).array() * (dy.row(i).array() - dot);
    }
}

}  // namespace tinybert::cpu
