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
// Below log(min normal) torch's exp underflows to exactly 0, while Eigen's vectorised exp clamps its input and returns
// a tiny value. Such entries are first moved far below (a select, no exp), then the whole row goes through the
// vectorised exp (Eigen 3.4 evaluates an exp inside a select one scalar libm call at a time: ~12 % of an inference
// forward), and what comes out under half the smallest normal — exactly the moved entries: every other input gives
// at least the smallest normal up to rounding — is set to 0. So masked keys get probability 0 as in torch.
template <class Row>
void softmax_row(Row&& row) {
    using T = typename std::decay_t<Row>::Scalar;
    const T lowest_log = std::log(std::numeric_limits<T>::min()), far_below = T(-1e4);
    const T m = row.maxCoeff();
    auto a = row.array();
    a = (a - m < lowest_log).select(far_below, a - m);
    a = a.exp();
    a = (a < std::numeric_limits<T>::min() / 2).select(T(0), a);
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
