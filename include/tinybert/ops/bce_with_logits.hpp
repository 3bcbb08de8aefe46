// tinybert/ops/bce_with_logits.hpp: differentiable binary cross-entropy on logits (torch BCEWithLogitsLoss, reduction
// "mean", no weight or pos_weight), the multi_label_classification loss of the sequence-classification heads.
// ℓ = max(z, 0) − z·y + log1p(exp(−|z|)) (stable for any z), averaged over all B·C elements.
// Saved for backward: the logits and the targets.
#pragma once

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/bce_with_logits.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/bce_with_logits.cuh"
#endif

namespace tinybert {

// logits (...), targets (...) of the same shape, targets in [0, 1] (multi-hot for the head) -> loss (1), the mean
// over all elements; the gradient flows to logits only
template <class T, class D>
Var<T, D> bce_with_logits(const Var<T, D>& logits, const Tensor<T, D>& targets) {
    TINYBERT_CHECK(logits.shape() == targets.shape(), "bce_with_logits: logits ", logits.shape().str(), " and targets ",
                   targets.shape().str(), " must have the same shape");
    Tensor<T, D> loss(Shape{1});
    bce_with_logits_forward(loss, logits.value(), targets);
    Var<T, D> out = make_output(loss, logits);
    record_backward(out, [gl = logits.grad_ref(), lv = logits.value(), targets](const Tensor<T, D>& dout) {
        bce_with_logits_backward(gl.ptr(), dout, lv, targets);
    });
    return out;
}

}  // namespace tinybert
