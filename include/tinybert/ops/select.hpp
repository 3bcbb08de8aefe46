// tinybert/ops/select.hpp: differentiable slices: the [CLS] row of the last hidden state (BertPooler input) and one
// column of the QA logits (start = column 0, end = column 1). Saved for backward: only the index.
#pragma once

#include <cstdint>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/select.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/select.cuh"
#endif

namespace tinybert {

// x (B,S,H) -> x[:, index, :] (B,H)
template <class T, class D>
Var<T, D> select_row(const Var<T, D>& x, std::int64_t index) {
    const Shape& s = x.shape();
    TINYBERT_CHECK(s.rank() == 3 && index >= 0 && index < s[1], "select_row: no row ", index, " in ", s.str());
    Tensor<T, D> y(Shape{s[0], s[2]});
    select_row_forward(y, x.value(), index);
    Var<T, D> out = make_output(y, x);
    record_backward(out, [gx = x.grad_ref(), index](const Tensor<T, D>& dout) {
        select_row_backward(gx.ptr(), dout, index);
    });
    return out;
}

// x (..., C) -> x[..., j] (...)
template <class T, class D>
Var<T, D> column(const Var<T, D>& x, std::int64_t j) {
    const Shape& s = x.shape();
    TINYBERT_CHECK(s.rank() >= 2 && j >= 0 && j < s.back(), "column: no column ", j, " in ", s.str());
    Tensor<T, D> y(s.drop_last());
    column_forward(y, x.value(), j);
    Var<T, D> out = make_output(y, x);
    record_backward(out, [gx = x.grad_ref(), j](const Tensor<T, D>& dout) { column_backward(gx.ptr(), dout, j); });
    return out;
}

}  // namespace tinybert
