// tinybert/backend/cuda/dropout.cuh: inverted dropout on the GPU with masks recomputed from (seed, offset + i):
// element i is kept iff random_uniform(seed, offset + i) >= p and then scaled by 1/(1−p); masks equal the CPU ones.
// Nothing is saved for backward. Backward accumulates (+=).
#pragma once

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/core/rng.hpp"

namespace tinybert::cuda {

namespace detail {

// The multiplier of element `counter`: scale (= 1/(1−p)) when kept, 0 when dropped.
template <class T>
__device__ inline T dropout_factor(std::uint64_t seed, std::uint64_t counter, T p, T scale) {
    return random_uniform(seed, counter) >= static_cast<double>(p) ? scale : T(0);
}

// 1/(1−p), or 0 when p ≥ 1 (everything dropped).
template <class T>
T dropout_scale(T p) {
    return p < T(1) ? T(1) / (T(1) - p) : T(0);
}

// out[i] = inp[i] · factor(i)
template <class T>
__global__ void dropout_forward_kernel(T* __restrict__ out, const T* __restrict__ inp, std::size_t n, T p, T scale,
                                       std::uint64_t seed, std::uint64_t offset) {
    const std::size_t i = global_index();
    if (i >= n) return;
    out[i] = inp[i] * dropout_factor(seed, offset + i, p, scale);
}

// dinp[i] += dout[i] · factor(i)
template <class T>
__global__ void dropout_backward_kernel(T* __restrict__ dinp, const T* __restrict__ dout, std::size_t n, T p, T scale,
                                        std::uint64_t seed, std::uint64_t offset) {
    const std::size_t i = global_index();
    if (i >= n) return;
    dinp[i] += dout[i] * dropout_factor(seed, offset + i, p, scale);
}

// out (n) = dropout(inp (n)) with counters offset..offset+n−1 (raw-pointer form shared with attention)
template <class T>
void dropout_forward_raw(T* out, const T* inp, std::size_t n, T p, std::uint64_t seed, std::uint64_t offset) {
    if (n == 0) return;
    dropout_forward_kernel<<<grid_for(n), block_size>>>(out, inp, n, p, dropout_scale(p), seed, offset);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// out = inp ⊙ keep / (1−p), keep_i = random_uniform(seed, offset + i) >= p; identity copy when p == 0
template <class T>
void dropout_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, T p, std::uint64_t seed,
                     std::uint64_t offset) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(out, inp, "cuda::dropout_forward");
    TINYBERT_CHECK(p >= T(0) && p <= T(1), "cuda::dropout_forward: p = ", p, " is not in [0, 1]");
    if (p == T(0)) {
        if (out.data() != inp.data()) Device::copy(out.data(), inp.data(), out.numel());
        return;
    }
    detail::dropout_forward_raw(out.data(), inp.data(), out.numel(), p, seed, offset);
}

// dinp += dout ⊙ keep / (1−p), the same mask as the forward with the same (seed, offset)
template <class T>
void dropout_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, T p, std::uint64_t seed,
                      std::uint64_t offset) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (!dinp || dout.numel() == 0) return;
    check_same_shape(*dinp, dout, "cuda::dropout_backward");
    TINYBERT_CHECK(p >= T(0) && p <= T(1), "cuda::dropout_backward: p = ", p, " is not in [0, 1]");
    detail::dropout_backward_kernel<<<grid_for(dout.numel()), block_size>>>(dinp->data(), dout.data(), dout.numel(), p,
                                                                            detail::dropout_scale(p), seed, offset);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace tinybert::cuda
