// tinybert/ops/dropout.hpp: differentiable inverted dropout (nn.Dropout): zero with probability p, scale survivors by
// 1/(1−p); the identity in evaluation. Saved for backward: the DropoutMask (a counter range, or the drawn bytes).
#pragma once

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/dropout.hpp"
#include "tinybert/core/rng.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/dropout.cuh"
#endif

namespace tinybert {

// x (...) -> dropout(x) (...); returns x itself (nothing recorded) when !training or p == 0.
// requires: 0 <= p < 1; gen != nullptr when it applies (it takes the mask of numel(x) elements from gen).
template <class T, class D>
Var<T, D> dropout(const Var<T, D>& x, double p, Generator* gen, bool training) {
    TINYBERT_CHECK(p >= 0 && p < 1, "dropout: probability ", p, " not in [0,1)");
    if (!training || p == 0) return x;
    TINYBERT_CHECK(gen != nullptr, "dropout: training with p = ", p, " needs a Generator");
    const DropoutMask mask = gen->mask(x.value().numel(), p);
    auto y = Tensor<T, D>::empty(x.shape());
    dropout_forward(y, x.value(), mask);
    Var<T, D> out = make_output(y, x);
    record_backward(out,
                    [gx = x.grad_ref(), mask](const Tensor<T, D>& dout) { dropout_backward(gx.ptr(), dout, mask); });
    return out;
}

}  // namespace tinybert
