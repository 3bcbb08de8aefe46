// tinybert/backend/cpu/mse_loss.hpp: mean squared error on the CPU (torch MSELoss, reduction "mean"), the loss of
// the regression problem type. Shapes: input and target of N elements each (any shapes of equal numel).
// loss = Σ (x_i − y_i)² / N (N = 0 ⇒ NaN, as torch). Saved for backward: nothing beyond the input and target.
#pragma once

#include <cstdint>
#include <limits>

#include "tinybert/tensor/tensor.hpp"

namespace tinybert::cpu {

// loss (1) = mean over i of (input[i] − target[i])², accumulated in double
template <class T>
void mse_loss_forward(Tensor<T, Device>& loss, const Tensor<T, Device>& input, const Tensor<T, Device>& target) {
    const auto n = static_cast<std::int64_t>(input.numel());
    const T* x = input.data();
    const T* y = target.data();
    double total = 0;
#pragma omp parallel for schedule(static) reduction(+ : total)
    for (std::int64_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(x[i]) - static_cast<double>(y[i]);
        total += d * d;
    }
    loss.data()[0] = n == 0 ? std::numeric_limits<T>::quiet_NaN() : static_cast<T>(total / static_cast<double>(n));
}

// dinput (N) += dloss · 2 (input − target) / N
template <class T>
void mse_loss_backward(Tensor<T, Device>* dinput, const Tensor<T, Device>& dloss, const Tensor<T, Device>& input,
                       const Tensor<T, Device>& target) {
    if (!dinput) return;
    const auto n = static_cast<std::int64_t>(input.numel());
    if (n == 0) return;
    const T g = T(2) * dloss.data()[0] / static_cast<T>(n);
    const T* x = input.data();
    const T* y = target.data();
    T* dx = dinput->data();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) dx[i] += g * (x[i] - y[i]);
}

}  // namespace tinybert::cpu
