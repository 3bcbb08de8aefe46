// tinybert/backend/cpu/dropout.hpp: inverted dropout on the CPU (nn.Dropout after embeddings, attention output,
// FFN output and before classifier heads). Element i is kept iff random_uniform(seed, offset + i) >= double(p);
// survivors are scaled by 1/(1−p). Nothing is saved: backward recomputes the mask from (seed, offset).
#pragma once

#include <algorithm>
#include <cstdint>

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/core/rng.hpp"

namespace tinybert::cpu {

namespace detail {

// y[e] = keep ? x[e]/(1−p) : 0 for e in [0, n), keep = random_uniform(seed, first + e) >= p (serial; callers split).
template <class T>
void dropout_span(T* y, const T* x, std::int64_t n, T p, std::uint64_t seed, std::uint64_t first) {
    const T keep_scale = T(1) / (T(1) - p);
    const std::uint64_t threshold = uniform_threshold(static_cast<double>(p));
    for (std::int64_t e = 0; e < n; ++e)
        y[e] = uniform_at_least(seed, first + static_cast<std::uint64_t>(e), threshold) ? x[e] * keep_scale : T(0);
}

}  // namespace detail

// out (N) = keep_i ? inp_i/(1−p) : 0
template <class T>
void dropout_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, T p, std::uint64_t seed,
                     std::uint64_t offset) {
    const std::int64_t n = static_cast<std::int64_t>(inp.numel());
#pragma omp parallel for schedule(static)
    for (std::int64_t begin = 0; begin < n; begin += 8192)
        detail::dropout_span(out.data() + begin, inp.data() + begin, std::min<std::int64_t>(8192, n - begin), p, seed,
                             offset + static_cast<std::uint64_t>(begin));
}

// dinp (N) += keep_i ? dout_i/(1−p) : 0   (the same mask as forward)
template <class T>
void dropout_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, T p, std::uint64_t seed,
                      std::uint64_t offset) {
    if (!dinp) return;
    const T* dy = dout.data();
    T* dx = dinp->data();
    const T keep_scale = T(1) / (T(1) - p);
    const std::uint64_t threshold = uniform_threshold(static_cast<double>(p));
    const std::int64_t n = static_cast<std::int64_t>(dout.numel());
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i)
        if (uniform_at_least(seed, offset + static_cast<std::uint64_t>(i), threshold)) dx[i] += dy[i] * keep_scale;
}

}  // namespace tinybert::cpu
