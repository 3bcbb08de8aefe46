// tinybert/ops/reshape.hpp: differentiable reshape (a view: no copy). The gradient flows back through the same view.
#pragma once

#include "tinybert/autograd/tape.hpp"
#include "tinybert/ops/elementwise.hpp"

namespace tinybert {

// x (any shape) -> the same elements with `shape`. requires: shape.numel() == x.numel().
template <class T, class D>
Var<T, D> reshape(const Var<T, D>& x, const Shape& shape) {
    Var<T, D> out = make_output(x.value().view(shape), x);
    record_backward(out, [gx = x.grad_ref()](const Tensor<T, D>& dout) {
        add_backward(gx.ptr(), static_cast<Tensor<T, D>*>(nullptr), dout.view(gx.shape()));
    });
    return out;
}

}  // namespace tinybert
