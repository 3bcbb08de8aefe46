// tinybert/ops/residual_layernorm.hpp: differentiable LayerNorm(dropout(x) + residual), the end of BertSelfOutput and
// BertOutput, as one op: one kernel forward and one backward instead of dropout, add and layer_norm (each of which
// reads and writes the whole (N,H) tensor). Same results, bitwise on the CPU, as the three ops in that order: the
// same dropout mask is drawn from the generator at the same point.
// Saved for backward: the sum dropout(x) + residual (N,H), the per-row mean and rstd, weight, the mask.
#pragma once

#include <type_traits>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/residual_layernorm.hpp"
#include "tinybert/core/rng.hpp"
#include "tinybert/ops/dropout.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/residual_layernorm.cuh"
#endif

namespace tinybert {

// x (..., H), residual (..., H), weight (H), bias (H) -> LayerNorm(dropout(x) + residual) (..., H)
// Dropout applies when training and p > 0 (it then takes the mask of numel(x) elements from gen, which must be set).
template <class T, class D>
Var<T, D> residual_layer_norm(const Var<T, D>& x, const Var<T, D>& residual, const Var<T, D>& weight,
                              const Var<T, D>& bias, std::type_identity_t<T> eps, double p, Generator* gen,
                              bool training) {
    const std::int64_t h = x.shape().back();
    check_same_shape(x.value(), residual.value(), "residual_layer_norm");
    TINYBERT_CHECK(weight.shape() == Shape{h} && bias.shape() == Shape{h}, "residual_layer_norm: input ",
                   x.shape().str(), " with weight ", weight.shape().str(), " and bias ", bias.shape().str());
    const DropoutMask mask = dropout_mask(x.value().numel(), p, gen, training, "residual_layer_norm");
    const Shape rows{x.shape().rows()};
    auto y = Tensor<T, D>::empty(x.shape()), sum = Tensor<T, D>::empty(x.shape());
    auto mean = Tensor<T, D>::empty(rows), rstd = Tensor<T, D>::empty(rows);
    residual_layernorm_forward(y, sum, mean, rstd, x.value(), residual.value(), mask, weight.value(), bias.value(),
                               eps);
    Var<T, D> out = make_output(y, x, residual, weight, bias);
    record_backward(out, [gx = x.grad_ref(), gr = residual.grad_ref(), gw = weight.grad_ref(), gb = bias.grad_ref(),
                          sum, mask, wv = weight.value(), mean, rstd](const Tensor<T, D>& dout) {
        residual_layernorm_backward(gx.ptr(), gr.ptr(), gw.ptr(), gb.ptr(), dout, sum, mask, wv, mean, rstd);
    });
    return out;
}

}  // namespace tinybert
