// tinybert/backend/cpu/bce_with_logits.hpp: binary cross-entropy on logits on the CPU (torch BCEWithLogitsLoss,
// reduction "mean", no weight, no pos_weight), the loss of the multi_label_classification problem type.
// Shapes: logits and targets of N elements each ((B,C) for the head). Numerically stable form:
// ℓ_i = max(z_i, 0) − z_i·y_i + log1p(exp(−|z_i|)); loss = Σ ℓ_i / N (N = 0 ⇒ NaN, as torch).
// Backward: dℓ_i/dz_i = σ(z_i) − y_i. Saved for backward: nothing beyond the logits and targets.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "tinybert/tensor/tensor.hpp"

namespace tinybert::cpu {

// σ(z) without overflow for either sign of z
template <class T>
T stable_sigmoid(T z) {
    if (z >= T(0)) return T(1) / (T(1) + std::exp(-z));
    const T e = std::exp(z);
    return e / (T(1) + e);
}

// loss (1) = mean over i of max(z_i, 0) − z_i·y_i + log1p(exp(−|z_i|)), accumulated in double
template <class T>
void bce_with_logits_forward(Tensor<T, Device>& loss, const Tensor<T, Device>& logits, const Tensor<T, Device>& targets) {
    const auto n = static_cast<std::int64_t>(logits.numel());
    const T* z = logits.data();
    const T* y = targets.data();
    double total = 0;
#pragma omp parallel for schedule(static) reduction(+ : total)
    for (std::int64_t i = 0; i < n; ++i) {
        const T l = std::max(z[i], T(0)) - z[i] * y[i] + std::log1p(std::exp(-std::abs(z[i])));
        total += static_cast<double>(l);
    }
    loss.data()[0] = n == 0 ? std::numeric_limits<T>::quiet_NaN() : static_cast<T>(total / static_cast<double>(n));
}

// dlogits (N) += dloss / N · (σ(z) − y)
template <class T>
void bce_with_logits_backward(Tensor<T, Device>* dlogits, const Tensor<T, Device>& dloss, const Tensor<T, Device>& logits,
                              const Tensor<T, Device>& targets) {
    if (!dlogits) return;
    const auto n = static_cast<std::int64_t>(logits.numel());
    if (n == 0) return;
    const T g = dloss.data()[0] / static_cast<T>(n);
    const T* z = logits.data();
    const T* y = targets.data();
    T* dz = dlogits->data();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) dz[i] += g * (stable_sigmoid(z[i]) - y[i]);
}

}  // namespace tinybert::cpu
