// tinybert/backend/cuda/mse_loss.cuh: mean squared error (torch MSELoss, reduction "mean") on the GPU, the loss of the
// regression problem type. Shapes: input and target of N elements each, loss (1).
// loss = Σ (x_i − y_i)² / N (N = 0 ⇒ NaN). The reduction is deterministic (one block, fixed order, in double).
#pragma once

#include "tinybert/backend/cuda/device.cuh"

namespace tinybert::cuda {

namespace detail {

inline constexpr int mse_reduce_block_size = 1024;

// loss[0] = Σ (x − y)² / n, one block
template <class T>
__global__ void mse_loss_forward_kernel(T* __restrict__ loss, const T* __restrict__ x, const T* __restrict__ y,
                                        std::size_t n) {
    double sum = 0;
    for (std::size_t i = threadIdx.x; i < n; i += blockDim.x) {
        const double d = static_cast<double>(x[i]) - static_cast<double>(y[i]);
        sum += d * d;
    }
    sum = block_sum(sum);
    if (threadIdx.x == 0) loss[0] = static_cast<T>(sum / static_cast<double>(n));
}

// dx[i] += dloss · 2 (x[i] − y[i]) / n
template <class T>
__global__ void mse_loss_backward_kernel(T* __restrict__ dx, const T* __restrict__ dloss, const T* __restrict__ x,
                                         const T* __restrict__ y, std::size_t n) {
    const std::size_t i = global_index();
    if (i >= n) return;
    dx[i] += T(2) * dloss[0] / static_cast<T>(n) * (x[i] - y[i]);
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// loss (1) = mean of (input − target)² over the N elements
template <class T>
void mse_loss_forward(Tensor<T, Device>& loss, const Tensor<T, Device>& input, const Tensor<T, Device>& target) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    TINYBERT_CHECK(loss.numel() == 1 && input.numel() == target.numel(), "cuda::mse_loss_forward: loss ",
                   loss.shape().str(), ", input ", input.shape().str(), ", target ", target.shape().str());
    detail::mse_loss_forward_kernel<<<1, detail::mse_reduce_block_size, 0, current_stream()>>>(
        loss.data(), input.data(), target.data(), input.numel());
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// dinput (N) += dloss · 2 (input − target) / N
template <class T>
void mse_loss_backward(Tensor<T, Device>* dinput, const Tensor<T, Device>& dloss, const Tensor<T, Device>& input,
                       const Tensor<T, Device>& target) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (!dinput) return;
    check_same_shape(*dinput, input, "cuda::mse_loss_backward");
    const std::size_t n = input.numel();
    if (n == 0) return;
    detail::mse_loss_backward_kernel<<<grid_for(n), block_size, 0, current_stream()>>>(dinput->data(), dloss.data(),
                                                                                       input.data(), target.data(), n);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace tinybert::cuda
