// tinybert/backend/cuda/softmax.cuh: softmax over the last dimension on the GPU, one warp per row.
// Shapes: inp/out (N,C) with N = every leading dimension folded. Saved for backward: the output.
// The row helper also serves the attention kernels (with the additive key mask).
#pragma once

#include <limits>

#include "tinybert/backend/cuda/device.cuh"

namespace tinybert::cuda {

namespace detail {

inline constexpr int softmax_rows_per_block = block_size / warp_size;

// y (n) = softmax(x + add) by one warp (lane = its lane); add may be null. y may alias x: every element is read and
// then written by the same lane.
template <class T>
__device__ inline void warp_softmax_row(T* y, const T* x, const T* add, std::size_t n, unsigned int lane) {
    T mx = -std::numeric_limits<T>::infinity();
    for (std::size_t c = lane; c < n; c += warp_size) mx = fmax(mx, add ? x[c] + add[c] : x[c]);
    mx = warp_max(mx);
    T sum{};
    for (std::size_t c = lane; c < n; c += warp_size) {
        const T e = exp_((add ? x[c] + add[c] : x[c]) - mx);
        y[c] = e;
        sum += e;
    }
    const T inv = T(1) / warp_sum(sum);
    for (std::size_t c = lane; c < n; c += warp_size) y[c] *= inv;
}

// out = softmax(inp) per row, one warp per row
template <class T>
__global__ void softmax_forward_kernel(T* __restrict__ out, const T* __restrict__ inp, std::size_t rows,
                                       std::size_t c) {
    const std::size_t row = blockIdx.x * static_cast<std::size_t>(softmax_rows_per_block) + threadIdx.x / warp_size;
    if (row >= rows) return;
    warp_softmax_row(out + row * c, inp + row * c, static_cast<const T*>(nullptr), c, threadIdx.x % warp_size);
}

// dinp += out ⊙ (dout − Σ_j out_j·dout_j) per row, one warp per row
template <class T>
__global__ void softmax_backward_kernel(T* __restrict__ dinp, const T* __restrict__ dout, const T* __restrict__ out,
                                        std::size_t rows, std::size_t c) {
    const std::size_t row = blockIdx.x * static_cast<std::size_t>(softmax_rows_per_block) + threadIdx.x / warp_size;
    const unsigned int lane = threadIdx.x % warp_size;
    if (row >= rows) return;
    const T* y = out + row * c;
    const T* dy = dout + row * c;
    T dot{};
    for (std::size_t j = lane; j < c; j += warp_size) dot += y[j] * dy[j];
    dot = warp_sum(dot);
    T* dx = dinp + row * c;
    for (std::size_t j = lane; j < c; j += warp_size) dx[j] += y[j] * (dy[j] - dot);
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// out (N,C) = softmax(inp (N,C)) over the last dimension
template <class T>
void softmax_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(out, inp, "cuda::softmax_forward");
    const auto rows = static_cast<std::size_t>(inp.shape().rows()), c = static_cast<std::size_t>(inp.shape().back());
    if (rows == 0 || c == 0) return;
    detail::softmax_forward_kernel<<<grid_for(rows, detail::softmax_rows_per_block), block_size, 0, current_stream()>>>(
        out.data(), inp.data(), rows, c);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// dinp (N,C) += out ⊙ (dout − Σ out·dout)
template <class T>
void softmax_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, const Tensor<T, Device>& out) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (!dinp) return;
    check_same_shape(*dinp, out, "cuda::softmax_backward");
    check_same_shape(dout, out, "cuda::softmax_backward");
    const auto rows = static_cast<std::size_t>(out.shape().rows()), c = static_cast<std::size_t>(out.shape().back());
    if (rows == 0 || c == 0) return;
    detail::
        softmax_backward_kernel<<<grid_for(rows, detail::softmax_rows_per_block), block_size, 0, current_stream()>>>(
            dinp->data(), dout.data(), out.data(), rows, c);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace tinybert::cuda
