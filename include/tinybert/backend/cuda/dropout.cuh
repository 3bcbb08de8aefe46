// tinybert/backend/cuda/dropout.cuh: inverted dropout on the GPU with masks recomputed from (seed, offset + i):
// element i is kept iff random_uniform(seed, offset + i) >= p and then scaled by 1/(1−p); masks equal the CPU ones
// of the counter stream (DropoutStream::torch draws masks on the host and is refused here). Nothing is saved for
// backward. Backward accumulates (+=).
#pragma once

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/backend/cuda/vectorized.cuh"
#include "tinybert/core/rng.hpp"

namespace tinybert::cuda {

namespace detail {

// The multiplier of element `counter`: scale (= 1/(1−p)) when kept, 0 when dropped.
template <class T>
__device__ inline T dropout_factor(std::uint64_t seed, std::uint64_t counter, double p, T scale) {
    return random_uniform(seed, counter) >= p ? scale : T(0);
}

// 1/(1−p), or 0 when p ≥ 1 (everything dropped).
template <class T>
T dropout_scale(double p) {
    return p < 1 ? dropout_keep_scale<T>(p) : T(0);
}

// The counter range of a mask; a drawn (host) mask cannot be used on the GPU.
inline void check_counter_mask(const DropoutMask& mask, const char* where) {
    TINYBERT_CHECK(!mask.kept, where,
                   ": masks drawn on the host (DropoutStream::torch) are CPU only; "
                   "use DropoutStream::counter on CUDA");
    TINYBERT_CHECK(mask.p >= 0 && mask.p <= 1, where, ": p = ", mask.p, " is not in [0, 1]");
}

// x · factor(offset + i): the dropout of element i (forward), or of its gradient (backward)
template <class T>
struct DropoutTimes {
    double p;
    T scale;
    std::uint64_t seed, offset;
    __device__ T operator()(std::size_t i, T x) const { return x * dropout_factor(seed, offset + i, p, scale); }
};

// out (n) = dropout(inp (n)) with counters offset..offset+n−1 (raw-pointer form shared with attention)
template <class T>
void dropout_forward_raw(T* out, const T* inp, std::size_t n, double p, std::uint64_t seed, std::uint64_t offset) {
    map<false>(n, DropoutTimes<T>{p, dropout_scale<T>(p), seed, offset}, out, inp);
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// out = inp ⊙ keep / (1−p), keep_i = random_uniform(mask.seed, mask.offset + i) >= p; identity copy when p == 0
template <class T>
void dropout_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, const DropoutMask& mask) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(out, inp, "cuda::dropout_forward");
    detail::check_counter_mask(mask, "cuda::dropout_forward");
    if (mask.p == 0) {
        if (out.data() != inp.data()) Device::copy(out.data(), inp.data(), out.numel());
        return;
    }
    detail::dropout_forward_raw(out.data(), inp.data(), out.numel(), mask.p, mask.seed, mask.offset);
}

// dinp += dout ⊙ keep / (1−p), the same mask as the forward
template <class T>
void dropout_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, const DropoutMask& mask) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (!dinp || dout.numel() == 0) return;
    check_same_shape(*dinp, dout, "cuda::dropout_backward");
    detail::check_counter_mask(mask, "cuda::dropout_backward");
    detail::map<true>(dout.numel(),
                      detail::DropoutTimes<T>{mask.p, detail::dropout_scale<T>(mask.p), mask.seed, mask.offset},
                      dinp->data(), dout.data());
}

}  // namespace tinybert::cuda
