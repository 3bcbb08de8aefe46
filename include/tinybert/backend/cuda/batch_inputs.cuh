// tinybert/backend/cuda/batch_inputs.cuh: the tensors a forward derives from a batch, built on the GPU from the
// uploaded batch (no copy back to the host): the additive attention mask, position ids, clamped QA positions and
// float labels in the compute type. The CPU twin, backend/cpu/batch_inputs.hpp, defines each value. No autograd.
#pragma once

#include <cstdint>

#include "tinybert/backend/cuda/device.cuh"

namespace tinybert::cuda {

namespace detail {

template <class T>
__device__ inline T lowest_();
template <>
__device__ inline float lowest_<float>() {
    return -3.402823466e+38F;
}
template <>
__device__ inline double lowest_<double>() {
    return -1.7976931348623157e+308;
}

// y[i] = m[i] ? 0 : lowest(T)
template <class T>
__global__ void additive_mask_kernel(T* __restrict__ y, const std::int64_t* __restrict__ m, std::size_t n) {
    const std::size_t i = global_index();
    if (i < n) y[i] = m[i] ? T{0} : lowest_<T>();
}

// One thread per row b: pos (B,S) from ids (B,S), as cpu::position_ids (I: std::int64_t; a template, so that a
// header can define the kernel)
template <class I>
__global__ void position_ids_kernel(I* __restrict__ pos, const I* __restrict__ ids, std::size_t rows, std::size_t cols,
                                    I pad) {
    const std::size_t b = global_index();
    if (b >= rows) return;
    I count = 0;
    for (std::size_t s = 0; s < cols; ++s) {
        const std::size_t i = b * cols + s;
        pos[i] = pad < 0 ? static_cast<I>(s) : ids[i] == pad ? pad : pad + (++count);
    }
}

template <class I>
__global__ void clamp_kernel(I* __restrict__ y, const I* __restrict__ x, std::size_t n, I lo, I hi) {
    const std::size_t i = global_index();
    if (i < n) y[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i];
}

template <class T>
__global__ void convert_kernel(T* __restrict__ y, const float* __restrict__ x, std::size_t n) {
    const std::size_t i = global_index();
    if (i < n) y[i] = static_cast<T>(x[i]);
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// out (B,S) = mask ? 0 : lowest(T)
template <class T>
void additive_mask(Tensor<T, Device>& out, const Tensor<std::int64_t, Device>& mask) {
    TINYBERT_NVTX_RANGE_FN();
    check_same_shape(out, mask, "cuda::additive_mask");
    if (out.numel() == 0) return;
    detail::additive_mask_kernel<<<grid_for(out.numel()), block_size, 0, current_stream()>>>(out.data(), mask.data(),
                                                                                             out.numel());
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// out (B,S) = position ids of input_ids (B,S); pad < 0: s, else RoBERTa's count past the padding id
inline void position_ids(Tensor<std::int64_t, Device>& out, const Tensor<std::int64_t, Device>& input_ids,
                         std::int64_t pad) {
    TINYBERT_NVTX_RANGE_FN();
    check_same_shape(out, input_ids, "cuda::position_ids");
    if (out.numel() == 0) return;
    const auto rows = static_cast<std::size_t>(input_ids.dim(0)), cols = static_cast<std::size_t>(input_ids.dim(1));
    detail::position_ids_kernel<<<grid_for(rows), block_size, 0, current_stream()>>>(out.data(), input_ids.data(), rows,
                                                                                     cols, pad);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// out = min(max(x, lo), hi)
inline void clamp(Tensor<std::int64_t, Device>& out, const Tensor<std::int64_t, Device>& x, std::int64_t lo,
                  std::int64_t hi) {
    TINYBERT_NVTX_RANGE_FN();
    check_same_shape(out, x, "cuda::clamp");
    if (out.numel() == 0) return;
    detail::clamp_kernel<<<grid_for(out.numel()), block_size, 0, current_stream()>>>(out.data(), x.data(), out.numel(),
                                                                                     lo, hi);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// out = T(x)
template <class T>
void convert(Tensor<T, Device>& out, const Tensor<float, Device>& x) {
    TINYBERT_NVTX_RANGE_FN();
    check_same_shape(out, x, "cuda::convert");
    if (out.numel() == 0) return;
    detail::convert_kernel<<<grid_for(out.numel()), block_size, 0, current_stream()>>>(out.data(), x.data(),
                                                                                       out.numel());
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace tinybert::cuda
