// tinybert/backend/cpu/feed_forward.hpp: the two GELU passes of the bf16/fp16 feed-forward op (ops/feed_forward.hpp)
// on the CPU, as the separate kernels compute them (the GPU does each in one pass over its (N,I) input, with the same
// numbers). Shapes: h, dy and dh (N,I) with I the intermediate size; the bias gradient (I).
#pragma once

#include "tinybert/backend/cpu/elementwise.hpp"
#include "tinybert/backend/cpu/gemm16.hpp"
#include "tinybert/backend/cpu/reduce.hpp"
#include "tinybert/tensor/tensor16.hpp"

namespace tinybert::cpu {

// h (N,I) float -> h (when keep_input) and GELU(h), each rounded to bf16 (or IEEE half)
inline Gelu16<Device> gelu_to_16bit(const Tensor<float, Device>& h, bool half, bool keep_input) {
    auto y = Tensor<float, Device>::empty(h.shape());
    gelu_forward(y, h);
    return {keep_input ? to_16bit(h, half) : Tensor16<Device>{}, to_16bit(y, half)};
}

// dh = dy · GELU'(h), h the 16-bit input, returned rounded to 16 bits; dbias (I) += Σ_rows dh (the float dh) when
// non-null
inline Tensor16<Device> gelu_backward_to_16bit(const Tensor<float, Device>& dy, const Tensor16<Device>& h,
                                               Tensor<float, Device>* dbias) {
    Tensor<float, Device> dh(dy.shape());  // zeros: the gradient slot the separate ops accumulate into
    gelu_backward(&dh, dy, h);
    if (dbias) add_column_sums(*dbias, dh);
    return to_16bit(dh, h.half);
}

}  // namespace tinybert::cpu
