// tinybert/ops/elementwise.hpp: differentiable pointwise ops: residual add (BertSelfOutput/BertOutput), scale,
// GELU with exact erf (BertIntermediate), tanh (BertPooler), ReLU (DistilBERT's pre-classifier).
// Saved for backward: GELU its input, tanh and ReLU their output.
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
    record_backward(out, [a, b](const Tensor<T, D>& dout) mutable { add_backward(a.grad_ptr(), b.grad_ptr(), dout); });
    return out;
}

// x (...) -> alpha·x (...)
template <class T, class D>
Var<T, D> scale(const Var<T, D>& x, std::type_identity_t<T> alpha) {
    auto y = Tensor<T, D>::empty(x.shape());
    scale_forward(y, x.value(), alpha);
    Var<T, D> out = make_output(y, x);
    record_backward(out, [x, alpha](const Tensor<T, D>& dout) mutable { scale_backward(x.grad_ptr(), dout, alpha); });
    return out;
}

// x (...) -> 0.5·x·(1 + erf(x/√2)) (...)
template <class T, class D>
Var<T, D> gelu(const Var<T, D>& x) {
    auto y = Tensor<T, D>::empty(x.shape());
    gelu_forward(y, x.value());
    Var<T, D> out = make_output(y, x);
    record_backward(out, [x](const Tensor<T, D>& dout) mutable { gelu_backward(x.grad_ptr(), dout, x.value()); });
    return out;
}

// x (...) -> tanh(x) (...)
template <class T, class D>
Var<T, D> tanh(const Var<T, D>& x) {
    auto y = Tensor<T, D>::empty(x.shape());
    tanh_forward(y, x.value());
    Var<T, D> out = make_output(y, x);
    record_backward(out, [x, y](const Tensor<T, D>& dout) mutable { tanh_backward(x.grad_ptr(), dout, y); });
    return out;
}

// x (...) -> max(x, 0) (...)
template <class T, class D>
Var<T, D> relu(const Var<T, D>& x) {
    auto y = Tensor<T, D>::empty(x.shape());
    relu_forward(y, x.value());
    Var<T, D> out = make_output(y, x);
    record_backward(out, [x, y](const Tensor<T, D>& dout) mutable { relu_backward(x.grad_ptr(), dout, y); });
    return out;
}

}  // namespace tinybert
