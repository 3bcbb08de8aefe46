// tinybert/ops/linear.hpp: differentiable nn.Linear: y = x·Wᵀ + b over the last dimension.
// Saved for backward: x and W (shared references, no copies). In a bf16/fp16 matmul precision (float only), x and W
// are rounded to 16 bits once (Tensor16, autocast's cast): the forward GEMM reads those copies and backward keeps them
// instead of x, in half its bytes; the output gradient is rounded once for both backward GEMMs. The numbers are those
// of the GEMMs rounding their own inputs; the bias gradient sums the float output gradient. linear_shared_input rounds
// an input that several layers read (Q, K, V) once for all of them.
#pragma once

#include <array>
#include <cstddef>
#include <type_traits>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/linear.hpp"
#include "tinybert/tensor/tensor16.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/linear.cuh"
#endif

namespace tinybert {

namespace detail {

// The shapes of linear(x, weight, bias): x (..., IN), weight (OUT, IN), bias (OUT) or undefined
template <class T, class D>
void check_linear(const Var<T, D>& x, const Var<T, D>& weight, const Var<T, D>& bias) {
    TINYBERT_CHECK(weight.shape().rank() == 2 && x.shape().back() == weight.shape().dim(1), "linear: input ",
                   x.shape().str(), " does not match weight ", weight.shape().str());
    TINYBERT_CHECK(!bias.defined() || (bias.shape().rank() == 1 && bias.shape()[0] == weight.shape().dim(0)),
                   "linear: bias ", bias.shape().str(), " does not match weight ", weight.shape().str());
}

// linear(x, weight, bias) with x already rounded to 16 bits (x16); rounds the weight, keeps both copies for backward
template <class D>
Var<float, D> linear_16bit(const Var<float, D>& x, const Tensor16<D>& x16, const Var<float, D>& weight,
                           const Var<float, D>& bias) {
    auto y = Tensor<float, D>::empty(x.shape().with_last(weight.shape().dim(0)));
    const Tensor16<D> w16 = to_16bit(weight.value(), x16.half);
    linear_forward(y, x16, w16, bias.defined() ? bias.value() : Tensor<float, D>());
    Var<float, D> out = bias.defined() ? make_output(y, x, weight, bias) : make_output(y, x, weight);
    record_backward(
        out, [gx = x.grad_ref(), gw = weight.grad_ref(), gb = bias.grad_ref(), x16, w16](const Tensor<float, D>& dout) {
            linear_backward(gx.ptr(), gw.ptr(), gb.ptr(), dout, x16, w16);
        });
    return out;
}

}  // namespace detail

// x (..., IN), weight (OUT, IN), bias (OUT) or undefined -> (..., OUT)
template <class T, class D>
Var<T, D> linear(const Var<T, D>& x, const Var<T, D>& weight, const Var<T, D>& bias) {
    detail::check_linear(x, weight, bias);
    if constexpr (std::is_same_v<T, float>) {
        if (const Precision p = matmul_precision(); is_16bit(p))
            return detail::linear_16bit(x, to_16bit(x.value(), p == Precision::fp16), weight, bias);
    }
    auto y = Tensor<T, D>::empty(x.shape().with_last(weight.shape().dim(0)));
    linear_forward(y, x.value(), weight.value(), bias.defined() ? bias.value() : Tensor<T, D>());
    Var<T, D> out = bias.defined() ? make_output(y, x, weight, bias) : make_output(y, x, weight);
    record_backward(
        out, [gx = x.grad_ref(), gw = weight.grad_ref(), gb = bias.grad_ref(), xv = x.value(), wv = weight.value()](
                 const Tensor<T, D>& dout) { linear_backward(gx.ptr(), gw.ptr(), gb.ptr(), dout, xv, wv); });
    return out;
}

// Several layers applied to one input (BertSelfAttention's query, key and value): {linear(x, weights[i], biases[i])},
// except that in bf16/fp16 x is rounded to 16 bits once, and that one copy is what every backward keeps.
template <class T, class D, std::size_t K>
std::array<Var<T, D>, K> linear_shared_input(const Var<T, D>& x, const std::array<Var<T, D>, K>& weights,
                                             const std::array<Var<T, D>, K>& biases) {
    std::array<Var<T, D>, K> out;
    if constexpr (std::is_same_v<T, float>) {
        if (const Precision p = matmul_precision(); is_16bit(p)) {
            for (std::size_t i = 0; i < K; ++i) detail::check_linear(x, weights[i], biases[i]);
            const Tensor16<D> x16 = to_16bit(x.value(), p == Precision::fp16);
            for (std::size_t i = 0; i < K; ++i) out[i] = detail::linear_16bit(x, x16, weights[i], biases[i]);
            return out;
        }
    }
    for (std::size_t i = 0; i < K; ++i) out[i] = linear(x, weights[i], biases[i]);
    return out;
}

}  // namespace tinybert
