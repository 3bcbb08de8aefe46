// tinybert/ops/layernorm.hpp: differentiable nn.LayerNorm over the last dimension (biased variance, eps from config).
// Saved for backward: x, weight, and the per-row mean and rstd computed by the forward.
#pragma once

#include <type_traits>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/layernorm.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/layernorm.cuh"
#endif

namespace tinybert {

// x (..., H), weight (H), bias (H) -> (x − μ)/sqrt(σ² + eps)·weight + bias (..., H)
template <class T, class D>
Var<T, D> layer_norm(const Var<T, D>& x, const Var<T, D>& weight, const Var<T, D>& bias, std::type_identity_t<T> eps) {
    const std::int64_t h = x.shape().back();
    TINYBERT_CHECK(weight.shape() == Shape{h} && bias.shape() == Shape{h}, "layer_norm: input ", x.shape().str(),
                   " with weight ", weight.shape().str(), " and bias ", bias.shape().str());
    auto y = Tensor<T, D>::empty(x.shape()), mean = Tensor<T, D>::empty(Shape{x.shape().rows()}),
         rstd = Tensor<T, D>::empty(Shape{x.shape().rows()});
    layernorm_forward(y, mean, rstd, x.value(), weight.value(), bias.value(), eps);
    Var<T, D> out = make_output(y, x, weight, bias);
    record_backward(out, [gx = x.grad_ref(), gw = weight.grad_ref(), gb = bias.grad_ref(), xv = x.value(),
                          wv = weight.value(), mean, rstd](const Tensor<T, D>& dout) {
        layernorm_backward(gx.ptr(), gw.ptr(), gb.ptr(), dout, xv, wv, mean, rstd);
    });
    return out;
}

}  // namespace tinybert
