// tinybert/ops/mse_loss.hpp: differentiable mean squared error (torch MSELoss, reduction "mean"), the regression loss
// of the sequence-classification heads. Saved for backward: the input and the targets.
#pragma once

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/mse_loss.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/mse_loss.cuh"
#endif

namespace tinybert {

// input (...), target (...) of equal numel (transformers squeezes both: logits (B,1) against labels (B)) ->
// loss (1) = mean of (input − target)²; the gradient flows to input only (targets are data)
template <class T, class D>
Var<T, D> mse_loss(const Var<T, D>& input, const Tensor<T, D>& target) {
    TINYBERT_CHECK(input.value().numel() == target.numel(), "mse_loss: input ", input.shape().str(), " and target ",
                   target.shape().str(), " have different sizes");
    Tensor<T, D> loss(Shape{1});
    mse_loss_forward(loss, input.value(), target);
    Var<T, D> out = make_output(loss, input);
    record_backward(out, [gi = input.grad_ref(), iv = input.value(), target](const Tensor<T, D>& dout) {
        mse_loss_backward(gi.ptr(), dout, iv, target);
    });
    return out;
}

}  // namespace tinybert
