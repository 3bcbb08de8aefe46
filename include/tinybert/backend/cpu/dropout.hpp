// tinybert/backend/cpu/dropout.hpp: inverted dropout on the CPU (nn.Dropout after embeddings, attention output,
// FFN output and before classifier heads). Element i keeps or drops as the DropoutMask says (core/rng.hpp);
// survivors are scaled by 1/(1−p). Nothing is saved here: backward asks the same mask again.
#pragma once

#include <algorithm>
#include <cstdint>

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/core/rng.hpp"

namespace tinybert::cpu {

namespace detail {

// y[e] (+)= keep(first + e) ? x[e]·scale : 0 for e in [0, n) (serial; callers split). Accumulate: backward's +=.
template <bool Accumulate, class T>
void dropout_span(T* y, const T* x, std::int64_t n, const DropoutMask& mask, std::uint64_t first) {
    const T scale = dropout_keep_scale<T>(mask.p);
    const auto put = [&](std::int64_t e, bool keep) {
        const T v = keep ? x[e] * scale : T(0);
        if constexpr (Accumulate) y[e] += v;
        else y[e] = v;
    };
    if (mask.kept) {
        const std::uint8_t* kept = mask.kept->data() + first;
        for (std::int64_t e = 0; e < n; ++e) put(e, kept[e] != 0);
    } else {
        const std::uint64_t threshold = uniform_threshold(mask.p);
        for (std::int64_t e = 0; e < n; ++e)
            put(e, uniform_at_least(mask.seed, mask.offset + first + static_cast<std::uint64_t>(e), threshold));
    }
}

// out (N) (+)= dropout(inp (N)), OpenMP over blocks of 8192
template <bool Accumulate, class T>
void dropout_apply(T* out, const T* inp, std::int64_t n, const DropoutMask& mask) {
#pragma omp parallel for schedule(static)
    for (std::int64_t begin = 0; begin < n; begin += 8192)
        dropout_span<Accumulate>(out + begin, inp + begin, std::min<std::int64_t>(8192, n - begin), mask,
                                 static_cast<std::uint64_t>(begin));
}

}  // namespace detail

// out (N) = keep_i ? inp_i/(1−p) : 0
template <class T>
void dropout_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, const DropoutMask& mask) {
    detail::dropout_apply<false>(out.data(), inp.data(), static_cast<std::int64_t>(inp.numel()), mask);
}

// dinp (N) += keep_i ? dout_i/(1−p) : 0   (the same mask as forward)
template <class T>
void dropout_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, const DropoutMask& mask) {
    if (dinp) detail::dropout_apply<true>(dinp->data(), dout.data(), static_cast<std::int64_t>(dout.numel()), mask);
}

}  // namespace tinybert::cpu
