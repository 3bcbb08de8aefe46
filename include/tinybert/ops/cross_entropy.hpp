// tinybert/ops/cross_entropy.hpp: differentiable softmax cross-entropy (torch CrossEntropyLoss, mean reduction) with
// ignore_index and optional class weights; QA passes ignore_index = L. Saved for backward: the softmax probabilities,
// the targets and the weights.
#pragma once

#include <cstdint>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/cross_entropy.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/cross_entropy.cuh"
#endif

namespace tinybert {

// logits (..., C), targets (...) of int64 in [0, C) or ignore_index -> loss (1), the mean over non-ignored rows
// (NaN when every row is ignored); a target outside [0, C) that is not ignore_index throws tinybert::Error.
// weight (C), when defined, gives torch's weighted mean Σ w[y_i] ℓ_i / Σ w[y_i] (CrossEntropyLoss(weight=w)).
template <class T, class D>
Var<T, D> cross_entropy(const Var<T, D>& logits, const Tensor<std::int64_t, D>& targets,
                        std::int64_t ignore_index = -100, const Tensor<T, D>& weight = {}) {
    TINYBERT_CHECK(static_cast<std::int64_t>(targets.numel()) == logits.shape().rows(), "cross_entropy: ",
                   targets.numel(), " targets for logits ", logits.shape().str());
    TINYBERT_CHECK(!weight.defined() || static_cast<std::int64_t>(weight.numel()) == logits.shape().back(),
                   "cross_entropy: ", weight.numel(), " class weights for logits ", logits.shape().str());
    Tensor<T, D> loss(Shape{1}), probs(logits.shape());
    cross_entropy_forward(loss, probs, logits.value(), targets, ignore_index, weight);
    Var<T, D> out = make_output(loss, logits);
    record_backward(out, [gl = logits.grad_ref(), probs, targets, ignore_index, weight](const Tensor<T, D>& dout) {
        cross_entropy_backward(gl.ptr(), dout, probs, targets, ignore_index, weight);
    });
    return out;
}

}  // namespace tinybert
