// tinybert/ops/linear.hpp: differentiable nn.Linear: y = x·Wᵀ + b over the last dimension.
// Saved for backward: x and W (shared references, no copies). In a bf16/fp16 matmul precision (float only), x and W
// are rounded to 16 bits once (Tensor16, autocast's cast): the forward GEMM reads those copies and backward keeps them
// instead of x, in half its bytes; the output gradient is rounded once for both backward GEMMs. The numbers are those
// of the GEMMs rounding their own inputs; the bias gradient sums the float output gradient.
#pragma once

#include <type_traits>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/linear.hpp"
#include "tinybert/tensor/tensor16.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/linear.cuh"
#endif

namespace tinybert {

// x (..., IN), weight (OUT, IN), bias (OUT) or undefined -> (..., OUT)
template <class T, class D>
Var<T, D> linear(const Var<T, D>& x, const Var<T, D>& weight, const Var<T, D>& bias) {
    const std::int64_t in = weight.shape().dim(1), out_features = weight.shape().dim(0);
    TINYBERT_CHECK(x.shape().back() == in, "linear: input ", x.shape().str(), " does not match weight ",
                   weight.shape().str());
    const bool has_bias = bias.defined();
    TINYBERT_CHECK(!has_bias || (bias.shape().rank() == 1 && bias.shape()[0] == out_features), "linear: bias ",
                   bias.shape().str(), " does not match weight ", weight.shape().str());
    auto y = Tensor<T, D>::empty(x.shape().with_last(out_features));
    if constexpr (std::is_same_v<T, float>) {
        if (const Precision p = matmul_precision(); is_16bit(p)) {
            const bool half = p == Precision::fp16;
            const Tensor16<D> x16 = to_16bit(x.value(), half), w16 = to_16bit(weight.value(), half);
            linear_forward(y, x16, w16, has_bias ? bias.value() : Tensor<T, D>());
            Var<T, D> out = has_bias ? make_output(y, x, weight, bias) : make_output(y, x, weight);
            record_backward(out, [gx = x.grad_ref(), gw = weight.grad_ref(), gb = bias.grad_ref(), x16,
                                  w16](const Tensor<T, D>& dout) {
                Tensor<T, D>* dx = gx.ptr();
                Tensor<T, D>* dw = gw.ptr();
                const Tensor16<D> dout16 = dx || dw ? to_16bit(dout, x16.half) : Tensor16<D>{};
                linear_backward(dx, dw, gb.ptr(), dout, dout16, x16, w16);
            });
            return out;
        }
    }
    linear_forward(y, x.value(), weight.value(), has_bias ? bias.value() : Tensor<T, D>());
    Var<T, D> out = has_bias ? make_output(y, x, weight, bias) : make_output(y, x, weight);
    record_backward(out, [gx = x.grad_ref(), gw = weight.grad_ref(), gb = bias.grad_ref(), xv = x.value(),
                          wv = weight.value()](const Tensor<T, D>& dout) {
        linear_backward(gx.ptr(), gw.ptr(), gb.ptr(), dout, xv, wv);
    });
    return out;
}

}  // namespace tinybert
