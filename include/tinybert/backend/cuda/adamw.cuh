// tinybert/backend/cuda/adamw.cuh: one torch.optim.AdamW step for one parameter tensor on the GPU (decoupled weight
// decay; bias-correction scalars computed in double on the host, as torch does, tensors updated in T). The whole-model
// step, all parameters in one launch, is in multi_tensor.cuh and shares adamw_element.
// Shapes: param, grad, m, v all have the parameter's N elements; m and v are zero before step 1. No autograd.
#pragma once

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/backend/multi_tensor.hpp"

namespace tinybert::cuda {

namespace detail {

// One element of the step (AdamWScalars in backend/multi_tensor.hpp); `decay` is the parameter's (1 without decay).
template <class T>
__device__ inline void adamw_element(T& p, T g, T& m, T& v, T decay, const AdamWScalars<T>& k) {
    const T pi = p * decay;
    const T mi = m + k.one_minus_b1 * (g - m);
    const T vi = k.beta2 * v + k.one_minus_b2 * g * g;
    m = mi;
    v = vi;
    p = pi - k.step_size * (mi / (sqrt_(vi) / k.bc2_sqrt + k.eps));
}

template <class T>
__global__ void adamw_kernel(T* __restrict__ p, const T* __restrict__ g, T* __restrict__ m, T* __restrict__ v,
                             std::size_t n, AdamWScalars<T> k) {
    const std::size_t i = global_index();
    if (i < n) adamw_element(p[i], g[i], m[i], v[i], k.decay, k);
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
    detail::adamw_kernel<<<grid_for(param.numel()), block_size, 0, current_stream()>>>(
        param.data(), grad.data(), m.data(), v.data(), param.numel(),
        AdamWScalars<T>::make(lr, beta1, beta2, eps, weight_decay, step));
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace tinybert::cuda
