// tinybert/backend/cuda/bce_with_logits.cuh: binary cross-entropy on logits (torch BCEWithLogitsLoss, reduction
// "mean", no weight, no pos_weight) on the GPU, the loss of the multi_label_classification problem type.
// Shapes: logits and targets of N elements each ((B,C) for the head), loss (1).
// ℓ_i = max(z_i, 0) − z_i·y_i + log1p(exp(−|z_i|)); loss = Σ ℓ_i / N (N = 0 ⇒ NaN); dℓ_i/dz_i = σ(z_i) − y_i.
// The reduction is deterministic (one block, fixed order, in double).
#pragma once

#include "tinybert/backend/cuda/device.cuh"

namespace tinybert::cuda {

namespace detail {

inline constexpr int bce_reduce_block_size = 1024;

__device__ inline float log1p_(float x) {
    return log1pf(x);
}
__device__ inline double log1p_(double x) {
    return log1p(x);
}

// σ(z) without overflow for either sign of z
template <class T>
__device__ inline T stable_sigmoid(T z) {
    if (z >= T(0)) return T(1) / (T(1) + exp_(-z));
    const T e = exp_(z);
    return e / (T(1) + e);
}

// loss[0] = Σ (max(z, 0) − z·y + log1p(exp(−|z|))) / n, one block
template <class T>
__global__ void bce_with_logits_forward_kernel(T* __restrict__ loss, const T* __restrict__ z, const T* __restrict__ y,
                                               std::size_t n) {
    double sum = 0;
    for (std::size_t i = threadIdx.x; i < n; i += blockDim.x) {
        const T zi = z[i];
        sum += static_cast<double>(fmax(zi, T(0)) - zi * y[i] + log1p_(exp_(-fabs(zi))));
    }
    sum = block_sum(sum);
    if (threadIdx.x == 0) loss[0] = static_cast<T>(sum / static_cast<double>(n));
}

// dz[i] += dloss / n · (σ(z[i]) − y[i])
template <class T>
__global__ void bce_with_logits_backward_kernel(T* __restrict__ dz, const T* __restrict__ dloss,
                                                const T* __restrict__ z, const T* __restrict__ y, std::size_t n) {
    const std::size_t i = global_index();
    if (i >= n) return;
    dz[i] += dloss[0] / static_cast<T>(n) * (stable_sigmoid(z[i]) - y[i]);
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// loss (1) = mean of max(z, 0) − z·y + log1p(exp(−|z|)) over the N elements
template <class T>
void bce_with_logits_forward(Tensor<T, Device>& loss, const Tensor<T, Device>& logits,
                             const Tensor<T, Device>& targets) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    TINYBERT_CHECK(loss.numel() == 1 && logits.numel() == targets.numel(), "cuda::bce_with_logits_forward: loss ",
                   loss.shape().str(), ", logits ", logits.shape().str(), ", targets ", targets.shape().str());
    detail::bce_with_logits_forward_kernel<<<1, detail::bce_reduce_block_size, 0, current_stream()>>>(
        loss.data(), logits.data(), targets.data(), logits.numel());
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// dlogits (N) += dloss / N · (σ(logits) − targets)
template <class T>
void bce_with_logits_backward(Tensor<T, Device>* dlogits, const Tensor<T, Device>& dloss,
                              const Tensor<T, Device>& logits, const Tensor<T, Device>& targets) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (!dlogits) return;
    check_same_shape(*dlogits, logits, "cuda::bce_with_logits_backward");
    const std::size_t n = logits.numel();
    if (n == 0) return;
    detail::bce_with_logits_backward_kernel<<<grid_for(n), block_size, 0, current_stream()>>>(
        dlogits->data(), dloss.data(), logits.data(), targets.data(), n);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace tinybert::cuda
