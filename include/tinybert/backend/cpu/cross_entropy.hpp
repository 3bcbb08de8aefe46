// tinybert/backend/cpu/cross_entropy.hpp: softmax cross-entropy on the CPU (torch CrossEntropyLoss, mean reduction,
// ignore_index) for the classification, token-classification and QA heads. Shapes: N rows, C classes.
// ℓ_i = logsumexp(z_i) − z_i[y_i]; loss = mean over rows with y_i ≠ ignore_index (none ⇒ NaN, as torch).
// With class weights w (C) (CrossEntropyLoss(weight=w)): loss = Σ w[y_i] ℓ_i / Σ w[y_i] over the same rows.
// Saved for backward: the softmax probabilities and the targets.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "tinybert/backend/cpu/softmax.hpp"
#include "tinybert/backend/input_checks.hpp"

namespace tinybert::cpu {

// loss (1) = Σ_i w[y_i] · (−log softmax(logits (N,C))[i, y_i]) / Σ_i w[y_i] over non-ignored i (w = 1 when `weight`
// is undefined: the plain mean);  probs (N,C) = softmax(logits)
// throws tinybert::Error naming a target outside [0, C) that is not ignore_index
template <class T>
void cross_entropy_forward(Tensor<T, Device>& loss, Tensor<T, Device>& probs, const Tensor<T, Device>& logits,
                           const Tensor<std::int64_t, Device>& targets, std::int64_t ignore_index,
                           const Tensor<T, Device>& weight = {}) {
    const auto z = as_matrix(logits);
    const std::int64_t n = z.rows(), c = z.cols();
    const std::int64_t* y = targets.data();
    tinybert::detail::check_targets({y, static_cast<std::size_t>(n)}, c, ignore_index);
    const T* w = weight.defined() ? weight.data() : nullptr;
    softmax_forward(probs, logits);
    double total = 0, count = 0;
#pragma omp parallel for schedule(static) reduction(+ : total, count)
    for (std::int64_t i = 0; i < n; ++i) {
        if (y[i] == ignore_index) continue;
        const T m = z.row(i).maxCoeff();
        const T lse = m + std::log((z.row(i).array() - m).exp().sum());
        const double wi = w ? static_cast<double>(w[y[i]]) : 1.0;
        total += wi * static_cast<double>(lse - z(i, y[i]));
        count += wi;
    }
    loss.data()[0] = count == 0 ? std::numeric_limits<T>::quiet_NaN() : static_cast<T>(total / count);
}

// dlogits (N,C) += dloss · w[y_i] / Σ w · (probs − onehot(targets)) on non-ignored rows; ignored rows get nothing
template <class T>
void cross_entropy_backward(Tensor<T, Device>* dlogits, const Tensor<T, Device>& dloss, const Tensor<T, Device>& probs,
                            const Tensor<std::int64_t, Device>& targets, std::int64_t ignore_index,
                            const Tensor<T, Device>& weight = {}) {
    if (!dlogits) return;
    const auto p = as_matrix(probs);
    auto dz = as_matrix(*dlogits);
    const std::int64_t n = p.rows();
    const std::int64_t* y = targets.data();
    const T* w = weight.defined() ? weight.data() : nullptr;
    double count = 0;
    for (std::int64_t i = 0; i < n; ++i)
        if (y[i] != ignore_index) count += w ? static_cast<double>(w[y[i]]) : 1.0;
    if (count == 0) return;
    const T g = dloss.data()[0] / static_cast<T>(count);
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
        if (y[i] == ignore_index) continue;
        const T gi = w ? g * w[y[i]] : g;
        dz.row(i) += gi * p.row(i);  // term 1: through logsumexp
        dz(i, y[i]) -= gi;           // term 2: through −z[y]
    }
}

}  // namespace tinybert::cpu
