// tinybert/backend/cuda/reduce.cuh: whole-tensor reductions and in-place scaling on the GPU, for global-norm gradient
// clipping (torch clip_grad_norm_). sum_squares accumulates in double with a fixed grid, so it is deterministic.
// No autograd.
#pragma once

#include <algorithm>

#include "tinybert/backend/cuda/device.cuh"

namespace tinybert::cuda {

namespace detail {

inline constexpr unsigned int sum_squares_max_blocks = 1024;

// partial[block] = Σ x_i² over a grid-stride slice, in double
template <class T>
__global__ void sum_squares_partial_kernel(double* __restrict__ partial, const T* __restrict__ x, std::size_t n) {
    double sum = 0;
    const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
    for (std::size_t i = global_index(); i < n; i += stride) {
        const auto v = static_cast<double>(x[i]);
        sum += v * v;
    }
    sum = block_sum(sum);
    if (threadIdx.x == 0) partial[blockIdx.x] = sum;
}

// out[0] = Σ partial (one block)
template <class T>
__global__ void sum_kernel(T* __restrict__ out, const T* __restrict__ partial, std::size_t n) {
    T sum = 0;
    for (std::size_t i = threadIdx.x; i < n; i += blockDim.x) sum += partial[i];
    sum = block_sum(sum);
    if (threadIdx.x == 0) out[0] = sum;
}

// x ← alpha · x
template <class T>
__global__ void scale_inplace_kernel(T* __restrict__ x, T alpha, std::size_t n) {
    const std::size_t i = global_index();
    if (i < n) x[i] *= alpha;
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// Σ t_i² over all elements, accumulated in double (blocks until the result is on the host)
template <class T>
double sum_squares(const Tensor<T, Device>& t) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    const std::size_t n = t.numel();
    if (n == 0) return 0.0;
    const unsigned int blocks = std::min(grid_for(n), detail::sum_squares_max_blocks);
    Tensor<double, Device> partial(Shape{static_cast<std::int64_t>(blocks) + 1});
    detail::sum_squares_partial_kernel<<<blocks, block_size>>>(partial.data(), t.data(), n);
    TINYBERT_CUDA_CHECK_LAUNCH();
    detail::sum_kernel<<<1, detail::sum_squares_max_blocks>>>(partial.data() + blocks, partial.data(), blocks);
    TINYBERT_CUDA_CHECK_LAUNCH();
    double result = 0;
    Device::to_host(&result, partial.data() + blocks, 1);
    return result;
}

// t ← alpha · t
template <class T>
void scale_inplace(Tensor<T, Device>& t, T alpha) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (t.numel() == 0) return;
    detail::scale_inplace_kernel<<<grid_for(t.numel()), block_size>>>(t.data(), alpha, t.numel());
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace tinybert::cuda
