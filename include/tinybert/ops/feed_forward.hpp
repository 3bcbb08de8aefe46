// tinybert/ops/feed_forward.hpp: BERT's feed-forward block as one op, linear(gelu(linear(x, w1, b1)), w2, b2)
// (BertIntermediate's dense and GELU, then BertOutput's dense), x (..., H) -> (..., H), w1 (I,H), w2 (H,I).
// In fp32 and f64 it is those three ops. In a bf16/fp16 matmul precision (float only) it is one tape node with their
// numbers, bit for bit, keeping what they keep (x, w1, GELU's input h, GELU's output and w2, each in 16 bits), but
// GELU's float output and the gradient of h are never stored: the forward's one pass over h writes both 16-bit
// tensors, and backward's one pass over dy = dout·w2 forms dh = dy·GELU'(h), its 16-bit copy for the first layer's
// GEMMs and b1's gradient (backend/<device>/feed_forward). On a GPU that moves 8 bytes per element of (N,I) where the
// three ops moved 20 forward and 24 backward (besides the GEMMs), with 4 launches less.
#pragma once

#include <type_traits>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/feed_forward.hpp"
#include "tinybert/backend/cpu/linear.hpp"
#include "tinybert/core/precision.hpp"
#include "tinybert/ops/elementwise.hpp"
#include "tinybert/ops/linear.hpp"
#include "tinybert/tensor/tensor16.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/feed_forward.cuh"
#include "tinybert/backend/cuda/linear.cuh"
#endif

namespace tinybert {

namespace detail {

// The bf16/fp16 block (half: IEEE half, else bf16); the shapes were checked by the caller.
template <class D>
Var<float, D> feed_forward_16bit(const Var<float, D>& x, const Var<float, D>& w1, const Var<float, D>& b1,
                                 const Var<float, D>& w2, const Var<float, D>& b2, bool half) {
    const Tensor16<D> x16 = to_16bit(x.value(), half), w1_16 = to_16bit(w1.value(), half);
    auto h = Tensor<float, D>::empty(x.shape().with_last(w1.shape().dim(0)));
    linear_forward(h, x16, w1_16, b1.value());
    // GELU's input is kept only when a gradient flows back through it (as the gelu op records nothing otherwise)
    const bool first_layer_grad =
        Tape::current().enabled() && (x.requires_grad() || w1.requires_grad() || b1.requires_grad());
    Gelu16<D> g = gelu_to_16bit(h, half, first_layer_grad);
    h = Tensor<float, D>();  // (N,I) float: not kept
    const Tensor16<D> w2_16 = to_16bit(w2.value(), half);
    auto y = Tensor<float, D>::empty(x.shape().with_last(w2.shape().dim(0)));
    linear_forward(y, g.output, w2_16, b2.value());
    Var<float, D> out = make_output(y, x, w1, b1, w2, b2);
    record_backward(
        out, [gx = x.grad_ref(), gw1 = w1.grad_ref(), gb1 = b1.grad_ref(), gw2 = w2.grad_ref(), gb2 = b2.grad_ref(),
              x16, w1_16, g = std::move(g), w2_16, first_layer_grad](const Tensor<float, D>& dout) {
            if (!first_layer_grad) return linear_backward(nullptr, gw2.ptr(), gb2.ptr(), dout, g.output, w2_16);
            Tensor<float, D> dy(g.output.shape());  // zeros: the gradient slot of GELU's output in the separate ops
            linear_backward(&dy, gw2.ptr(), gb2.ptr(), dout, g.output, w2_16);
            const Tensor16<D> dh16 = gelu_backward_to_16bit(dy, g.input, gb1.ptr());
            dy = Tensor<float, D>();
            linear_backward_gemms(gx.ptr(), gw1.ptr(), dh16, x16, w1_16);
        });
    return out;
}

}  // namespace detail

// x (..., H), w1 (I,H), b1 (I), w2 (OUT,I), b2 (OUT) -> linear(gelu(linear(x, w1, b1)), w2, b2) (..., OUT);
// bf16/fp16 needs both biases (BERT has them)
template <class T, class D>
Var<T, D> feed_forward(const Var<T, D>& x, const Var<T, D>& w1, const Var<T, D>& b1, const Var<T, D>& w2,
                       const Var<T, D>& b2) {
    if constexpr (std::is_same_v<T, float>) {
        if (const Precision p = matmul_precision(); is_16bit(p)) {
            detail::check_linear(x, w1, b1);
            TINYBERT_CHECK(w2.shape().rank() == 2 && w2.shape().dim(1) == w1.shape().dim(0), "feed_forward: w2 ",
                           w2.shape().str(), " does not follow w1 ", w1.shape().str());
            TINYBERT_CHECK(b1.defined() && b2.defined(), "feed_forward: a bf16/fp16 block needs both biases");
            TINYBERT_CHECK(b2.shape().rank() == 1 && b2.shape()[0] == w2.shape().dim(0), "feed_forward: bias ",
                           b2.shape().str(), " does not match w2 ", w2.shape().str());
            return detail::feed_forward_16bit(x, w1, b1, w2, b2, p == Precision::fp16);
        }
    }
    return linear(gelu(linear(x, w1, b1)), w2, b2);
}

}  // namespace tinybert
