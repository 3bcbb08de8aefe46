// tinybert/ops/batch_inputs.hpp: the device-picked builders of a forward's derived inputs, on the batch's device
// (no host round-trip on a GPU): attention_mask (B,S) -> additive mask, input_ids -> position ids, QA positions
// clamped to [0, S], float labels in the compute type. No autograd.
#pragma once

#include <cstdint>

#include "tinybert/backend/cpu/batch_inputs.hpp"
#include "tinybert/tensor/tensor.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/batch_inputs.cuh"
#endif

namespace tinybert {

// attention_mask m (B,S) -> (1 - m) · lowest(T), the additive key mask of spec §2.2
template <class T, class D>
Tensor<T, D> additive_mask(const Tensor<std::int64_t, D>& mask) {
    auto out = Tensor<T, D>::empty(mask.shape());
    additive_mask(out, mask);
    return out;
}

// input_ids (B,S) -> position ids (B,S): s, or with pad >= 0 RoBERTa's pad + running count of non-padding tokens
template <class D>
Tensor<std::int64_t, D> position_ids(const Tensor<std::int64_t, D>& input_ids, std::int64_t pad) {
    TINYBERT_CHECK(input_ids.rank() == 2, "position_ids: input_ids must be (B,S), got ", input_ids.shape().str());
    auto out = Tensor<std::int64_t, D>::empty(input_ids.shape());
    position_ids(out, input_ids, pad);
    return out;
}

// min(max(x, lo), hi), elementwise
template <class D>
Tensor<std::int64_t, D> clamped(const Tensor<std::int64_t, D>& x, std::int64_t lo, std::int64_t hi) {
    auto out = Tensor<std::int64_t, D>::empty(x.shape());
    clamp(out, x, lo, hi);
    return out;
}

// float labels -> T (the tensor itself when T is float)
template <class T, class D>
Tensor<T, D> converted(const Tensor<float, D>& x) {
    if constexpr (std::is_same_v<T, float>) {
        return x;
    } else {
        auto out = Tensor<T, D>::empty(x.shape());
        convert(out, x);
        return out;
    }
}

}  // namespace tinybert
