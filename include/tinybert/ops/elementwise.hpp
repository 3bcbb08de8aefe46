// tinybert/ops/elementwise.hpp: differentiable pointwise ops: residual add (BertSelfOutput/BertOutput), scale,
// GELU with exact erf (BertIntermediate), tanh (BertPooler), ReLU (DistilBERT's pre-classifier).
// Saved for backward: GELU its input, tanh and ReLU their output; add and scale nothing.
#pragma once

#include <type_traits>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/elementwise.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/elementwise.cuh"
#endif

namespace tinybert {

// a (...), b (...) of equal shapes -> a + b (...)
template <class T, class D>
Var<T, D> add(const Var<T, D>& a, const Var<T, D>& b) {
    check_same_shape(a.value(), b.value(), "add");
    auto y = Tensor<T, D>::empty(a.shape());
    add_forward(y, a.value(), b.value());
    Var<T, D> out = make_output(y, a, b);
    record_backward(out, [ga = a.grad_ref(), gb = b.grad_ref()](const Tensor<T, D>& dout) {
        add_backward(ga.ptr(), gb.ptr(), dout);
    });
    return out;
}

// x (...) -> alpha·x (...)
template <class T, class D>
Var<T, D> scale(const Var<T, D>& x, std::type_identity_t<T> alpha) {
    auto y = Tensor<T, D>::empty(x.shape());
    scale_forward(y, x.value(), alpha);
    Var<T, D> out = make_output(y, x);
    record_backward(out,
                    [gx = x.grad_ref(), alpha](const Tensor<T, D>& dout) { scale_backward(gx.ptr(), dout, alpha); });
    return out;
}

// x (...) -> 0.5·x·(1 + erf(x/√2)) (...)
template <class T, class D>
Var<T, D> gelu(const Var<T, D>& x) {
    auto y = Tensor<T, D>::empty(x.shape());
    gelu_forward(y, x.value());
    Var<T, D> out = make_output(y, x);
    record_backward(
        out, [gx = x.grad_ref(), xv = x.value()](const Tensor<T, D>& dout) { gelu_backward(gx.ptr(), dout, xv); });
    return out;
}

// x (...) -> tanh(x) (...)
template <class T, class D>
Var<T, D> tanh(const Var<T, D>& x) {
    auto y = Tensor<T, D>::empty(x.shape());
    tanh_forward(y, x.value());
    Var<T, D> out = make_output(y, x);
    record_backward(out, [gx = x.grad_ref(), y](const Tensor<T, D>& dout) { tanh_backward(gx.ptr(), dout, y); });
    return out;
}

// x (...) -> max(x, 0) (...)
template <class T, class D>
Var<T, D> relu(const Var<T, D>& x) {
    auto y = Tensor<T, D>::empty(x.shape());
    relu_forward(y, x.value());
    Var<T, D> out = make_output(y, x);
    record_backward(out, [gx = x.grad_ref(), y](const Tensor<T, D>& dout) { relu_backward(gx.ptr(), dout, y); });
    return out;
}

}  // namespace tinybert
