// tinybert/ops/dropout.hpp: differentiable inverted dropout (nn.Dropout): zero with probability p, scale survivors by
// 1/(1−p); the identity in evaluation. Saved for backward: the DropoutMask (a counter range, or the drawn bytes).
#pragma once

#include <cstdint>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/dropout.hpp"
#include "tinybert/core/rng.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/dropout.cuh"
#endif

namespace tinybert {

// The mask of a dropout with probability p over n elements, for the op named `op` (dropout and the fused ops that
// end in or contain one): taken from gen when training and p > 0, else the empty mask (p = 0: no dropout).
// requires: 0 <= p < 1; gen != nullptr when it applies.
inline DropoutMask dropout_mask(std::uint64_t n, double p, Generator* gen, bool training, const char* op) {
    TINYBERT_CHECK(p >= 0 && p < 1, op, ": dropout probability ", p, " not in [0,1)");
    if (!training || p == 0) return {};
    TINYBERT_CHECK(gen != nullptr, op, ": training with dropout p = ", p, " needs a Generator");
    return gen->mask(n, p);
}

// x (...) -> dropout(x) (...); returns x itself (nothing recorded) when !training or p == 0.
// requires: 0 <= p < 1; gen != nullptr when it applies (it takes the mask of numel(x) elements from gen).
template <class T, class D>
Var<T, D> dropout(const Var<T, D>& x, double p, Generator* gen, bool training) {
    const DropoutMask mask = dropout_mask(x.value().numel(), p, gen, training, "dropout");
    if (mask.p == 0) return x;
    auto y = Tensor<T, D>::empty(x.shape());
    dropout_forward(y, x.value(), mask);
    Var<T, D> out = make_output(y, x);
    record_backward(out,
                    [gx = x.grad_ref(), mask](const Tensor<T, D>& dout) { dropout_backward(gx.ptr(), dout, mask); });
    return out;
}

}  // namespace tinybert
