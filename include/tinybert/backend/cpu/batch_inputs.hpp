// tinybert/backend/cpu/batch_inputs.hpp: the tensors a forward derives from a batch, built where the batch lives
// (the CUDA twin is backend/cuda/batch_inputs.cuh): the additive attention mask, position ids, clamped QA positions
// and float labels in the compute type. No autograd: these are inputs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "tinybert/backend/device.hpp"
#include "tinybert/tensor/tensor.hpp"

namespace tinybert::cpu {

// out (B,S) = mask ? 0 : lowest(T): the additive key mask of spec §2.2, from attention_mask (B,S)
template <class T>
void additive_mask(Tensor<T, Device>& out, const Tensor<std::int64_t, Device>& mask) {
    const std::int64_t* m = mask.data();
    T* y = out.data();
    for (std::size_t i = 0; i < mask.numel(); ++i) y[i] = m[i] ? T{0} : std::numeric_limits<T>::lowest();
}

// out (B,S) = position ids of input_ids (B,S). pad < 0: s (BERT). pad >= 0 (RoBERTa's create_position_ids_from_
// input_ids): pad at padding tokens, else pad + the count of non-padding tokens up to and including s.
inline void position_ids(Tensor<std::int64_t, Device>& out, const Tensor<std::int64_t, Device>& input_ids,
                         std::int64_t pad) {
    const std::int64_t rows = input_ids.dim(0), cols = input_ids.dim(1);
    const std::int64_t* ids = input_ids.data();
    std::int64_t* pos = out.data();
    for (std::int64_t b = 0; b < rows; ++b) {
        std::int64_t count = 0;
        for (std::int64_t s = 0; s < cols; ++s) {
            const std::int64_t i = b * cols + s;
            pos[i] = pad < 0 ? s : ids[i] == pad ? pad : pad + (++count);
        }
    }
}

// out = min(max(x, lo), hi), elementwise
inline void clamp(Tensor<std::int64_t, Device>& out, const Tensor<std::int64_t, Device>& x, std::int64_t lo,
                  std::int64_t hi) {
    std::transform(x.data(), x.data() + x.numel(), out.data(), [=](std::int64_t v) { return std::clamp(v, lo, hi); });
}

// out = T(x), elementwise (float labels in a double model)
template <class T>
void convert(Tensor<T, Device>& out, const Tensor<float, Device>& x) {
    std::transform(x.data(), x.data() + x.numel(), out.data(), [](float v) { return static_cast<T>(v); });
}

}  // namespace tinybert::cpu
