// tinybert/backend/cuda/adamw.cuh: one torch.optim.AdamW step for one parameter tensor on the GPU (decoupled weight
// decay; bias-correction scalars computed in double on the host, as torch does, tensors updated in T).
// Shapes: param, grad, m, v all have the parameter's N elements; m and v are zero before step 1. No autograd.
#pragma once

#include <cmath>

#include "tinybert/backend/cuda/device.cuh"

namespace tinybert::cuda {

namespace detail {

// p ← p·decay;  m ← m + (1−β1)(g − m);  v ← β2·v + (1−β2)·g²;  p ← p − step_size · m / (sqrt(v)/bc2_sqrt + eps)
template <class T>
__global__ void adamw_kernel(T* __restrict__ p, const T* __restrict__ g, T* __restrict__ m, T* __restrict__ v,
                             std::size_t n, T decay, T one_minus_b1, T beta2, T one_minus_b2, T step_size, T bc2_sqrt,
                             T eps) {
    const std::size_t i = global_index();
    if (i >= n) return;
    const T gi = g[i];
    const T pi = p[i] * decay;
    const T mi = m[i] + one_minus_b1 * (gi - m[i]);
    const T vi = beta2 * v[i] + one_minus_b2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - step_size * (mi / (sqrt_(vi) / bc2_sqrt + eps));
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// step t = 1, 2, …:
//   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  p ← p − (lr/(1−β1ᵗ)) · m / (sqrt(v)/sqrt(1−β2ᵗ) +
//   eps)
template <class T>
void adamw_update(Tensor<T, Device>& param, const Tensor<T, Device>& grad, Tensor<T, Device>& m, Tensor<T, Device>& v,
                  T lr, T beta1, T beta2, T eps, T weight_decay, std::int64_t step) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(param, grad, "cuda::adamw_update (grad)");
    check_same_shape(param, m, "cuda::adamw_update (m)");
    check_same_shape(param, v, "cuda::adamw_update (v)");
    TINYBERT_CHECK(step >= 1, "cuda::adamw_update: step must be >= 1, got ", step);
    if (param.numel() == 0) return;
    const double t = static_cast<double>(step);
    const T decay = static_cast<T>(1.0 - static_cast<double>(lr) * static_cast<double>(weight_decay));
    const T step_size = static_cast<T>(static_cast<double>(lr) / (1.0 - std::pow(static_cast<double>(beta1), t)));
    const T bc2_sqrt = static_cast<T>(std::sqrt(1.0 - std::pow(static_cast<double>(beta2), t)));
    const T one_minus_b1 = static_cast<T>(1.0 - static_cast<double>(beta1));
    const T one_minus_b2 = static_cast<T>(1.0 - static_cast<double>(beta2));
    detail::adamw_kernel<<<grid_for(param.numel()), block_size>>>(param.data(), grad.data(), m.data(), v.data(),
                                                                  param.numel(), decay, one_minus_b1, beta2,
                                                                  one_minus_b2, step_size, bc2_sqrt, eps);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace tinybert::cuda
