// tinybert/backend/cpu/adamw.hpp: one torch.optim.AdamW step for one parameter tensor on the CPU (decoupled weight
// decay, bias corrections as torch computes them: scalars in double, tensors in T). No autograd.
// Shapes: every tensor has the parameter's N elements; m and v are the optimizer state, zero before step 1.
#pragma once

#include <algorithm>
#include <cstdint>

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/backend/cpu/loops.hpp"
#include "tinybert/backend/multi_tensor.hpp"

namespace tinybert::cpu {

// step t = 1, 2, …:
//   p ← p·(1 − lr·wd)                                   (decoupled weight decay)
//   m ← m + (1−β1)·(g − m)                              (= β1·m + (1−β1)·g, torch's lerp)
//   v ← β2·v + (1−β2)·g²
//   p ← p − (lr/(1−β1ᵗ)) · m / ( sqrt(v)/sqrt(1−β2ᵗ) + eps )
template <class T>
void adamw_update(Tensor<T, Device>& param, const Tensor<T, Device>& grad, Tensor<T, Device>& m, Tensor<T, Device>& v,
                  T lr, T beta1, T beta2, T eps, T weight_decay, std::int64_t step) {
    const auto k = AdamWScalars<T>::make(lr, beta1, beta2, eps, weight_decay, step);
    // One pass over memory: each thread takes chunks that stay in L1 across the four vectorised statements, which
    // compute each element exactly as the scalar formulas above (same operations, same order).
    detail::for_chunks(static_cast<std::int64_t>(param.numel()), [&](std::int64_t begin, std::int64_t len) {
        constexpr std::int64_t block = 1024;
        for (std::int64_t b = begin; b < begin + len; b += block) {
            const std::int64_t n = std::min(block, begin + len - b);
            auto p = ArrayMap<T>(param.data() + b, n);
            const auto g = ConstArrayMap<T>(grad.data() + b, n);
            auto mb = ArrayMap<T>(m.data() + b, n);
            auto vb = ArrayMap<T>(v.data() + b, n);
            p *= k.decay;
            mb += k.one_minus_b1 * (g - mb);
            vb = k.beta2 * vb + k.one_minus_b2 * g * g;
            p -= k.step_size * (mb / (vb.sqrt() / k.bc2_sqrt + k.eps));
        }
    });
}

}  // namespace tinybert::cpu
