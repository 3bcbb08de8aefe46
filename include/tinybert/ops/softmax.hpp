// tinybert/ops/softmax.hpp: differentiable softmax over the last dimension (max-subtracted).
// Saved for backward: the output probabilities.
#pragma once

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/softmax.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/softmax.cuh"
#endif

namespace tinybert {

// x (..., C) -> softmax over C (..., C)
template <class T, class D>
Var<T, D> softmax(const Var<T, D>& x) {
    auto y = Tensor<T, D>::empty(x.shape());
    softmax_forward(y, x.value());
    Var<T, D> out = make_output(y, x);
    record_backward(out, [gx = x.grad_ref(), y](const Tensor<T, D>& dout) { softmax_backward(gx.ptr(), dout, y); });
    return out;
}

}  // namespace tinybert
