// tinybert/backend/cpu/reduce.hpp: whole-tensor reductions and in-place scaling on the CPU, for global-norm
// gradient clipping (torch clip_grad_norm_: norm = sqrt(Σ‖g‖²), g ← g·min(1, max_norm/(norm+1e-6))). No autograd.
#pragma once

#include <cstdint>

#include "tinybert/backend/cpu/eigen_map.hpp"

namespace tinybert::cpu {

// Σ t_i² over all elements (N), accumulated in double
template <class T>
double sum_squares(const Tensor<T, Device>& t) {
    const T* x = t.data();
    const std::int64_t n = static_cast<std::int64_t>(t.numel());
    double total = 0;
#pragma omp parallel for schedule(static) reduction(+ : total)
    for (std::int64_t i = 0; i < n; ++i) total += static_cast<double>(x[i]) * static_cast<double>(x[i]);
    return total;
}

// t (N) ← alpha · t
template <class T>
void scale_inplace(Tensor<T, Device>& t, T alpha) {
    as_row(t) *= alpha;
}

}  // namespace tinybert::cpu
