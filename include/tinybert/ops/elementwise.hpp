// tinybert/ops/elementwise.hpp: differentiable pointwise ops: residual add (BertSelfOutput/BertOutput), scale,
// GELU with exact erf (BertIntermediate), tanh (BertPooler), ReLU (DistilBERT's pre-classifier).
// Saved for backward: GELU its input (16-bit under bf16/fp16), tanh and ReLU their output; add and scale nothing.
#pragma once

#include <type_traits>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/elementwise.hpp"
#include "tinybert/backend/cpu/gemm16.hpp"
#include "tinybert/core/precision.hpp"
#include "tinybert/tensor/tensor16.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/cublas.cuh"  // to_16bit
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

// x (...) -> 0.5·x·(1 + erf(x/√2)) (...). In a bf16/fp16 matmul precision (float only) backward keeps x rounded to
// 16 bits, as autocast keeps GELU's bf16 input: GELU'(x) is evaluated at that rounding (relative error in x ≤ 2^-9
// for bf16); the forward reads the float x.
template <class T, class D>
Var<T, D> gelu(const Var<T, D>& x) {
    auto y = Tensor<T, D>::empty(x.shape());
    gelu_forward(y, x.value());
    Var<T, D> out = make_output(y, x);
    if constexpr (std::is_same_v<T, float>) {
        if (const Precision p = matmul_precision(); is_16bit(p) && out.requires_grad()) {
            record_backward(out, [gx = x.grad_ref(), x16 = to_16bit(x.value(), p == Precision::fp16)](
                                     const Tensor<T, D>& dout) { gelu_backward(gx.ptr(), dout, x16); });
            return out;
        }
    }
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
