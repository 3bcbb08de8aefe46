// tinybert/backend/cpu/linear.hpp: fully connected layer (nn.Linear) and batched matmul on the CPU.
// Shapes: N = rows of the input (B*S for activations), IN/OUT features; W is stored [OUT, IN] as Hugging Face does.
// Backward accumulates (+=) into whichever gradients are non-null.
#pragma once

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/backend/cpu/gemm.hpp"
#include "tinybert/backend/cpu/gemm16.hpp"
#include "tinybert/backend/cpu/reduce.hpp"

namespace tinybert::cpu {

namespace detail {

// out (N,OUT) row i = bias (OUT), when bias is defined; the GEMM then adds its product (beta = 1)
template <class T>
void broadcast_bias(Tensor<T, Device>& out, const Tensor<T, Device>& bias) {
    if (!bias.defined()) return;
    auto y = as_matrix(out);
    const auto b = as_row(bias);
    const std::int64_t n = out.shape().rows();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) y.row(i) = b;
}

}  // namespace detail

// out (N,OUT) = inp (N,IN) · weight (OUT,IN)ᵀ + bias (OUT) [bias may be an undefined tensor]
// The bias is written into every row first and the GEMM adds the product to it (beta = 1): no second pass over out.
template <class T>
void linear_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, const Tensor<T, Device>& weight,
                    const Tensor<T, Device>& bias) {
    const std::int64_t n = inp.shape().rows(), in = inp.shape().back(), o = weight.shape().rows();
    detail::broadcast_bias(out, bias);
    gemm(Op::none, Op::transpose, n, o, in, T(1), inp.data(), in, weight.data(), in, T(bias.defined() ? 1 : 0),
         out.data(), o);
}

// dinp (N,IN) += dout·W;  dweight (OUT,IN) += doutᵀ·inp;  dbias (OUT) += Σ_rows dout
template <class T>
void linear_backward(Tensor<T, Device>* dinp, Tensor<T, Device>* dweight, Tensor<T, Device>* dbias,
                     const Tensor<T, Device>& dout, const Tensor<T, Device>& inp, const Tensor<T, Device>& weight) {
    const std::int64_t n = inp.shape().rows(), in = inp.shape().back(), o = weight.shape().rows();
    if (dinp) gemm(Op::none, Op::none, n, in, o, T(1), dout.data(), o, weight.data(), in, T(1), dinp->data(), in);
    if (dweight)
        gemm(Op::transpose, Op::none, o, in, n, T(1), dout.data(), o, inp.data(), in, T(1), dweight->data(), in);
    if (dbias) add_column_sums(*dbias, dout);
}

// The bf16/fp16 layer: the same products with the 16-bit operands made once by to_16bit (the forward's input and
// weight, kept for backward, and the output gradient), so no GEMM converts its inputs again.
// out (N,OUT) = inp (N,IN) · weight (OUT,IN)ᵀ + bias (OUT) [bias may be an undefined tensor]
inline void linear_forward(Tensor<float, Device>& out, const Tensor16<Device>& inp, const Tensor16<Device>& weight,
                           const Tensor<float, Device>& bias) {
    const std::int64_t n = inp.shape().rows(), in = inp.shape().back(), o = weight.shape().rows();
    detail::broadcast_bias(out, bias);
    gemm16(Op::none, Op::transpose, n, o, in, 1.f, inp.bits.data(), in, weight.bits.data(), in, inp.half,
           bias.defined() ? 1.f : 0.f, out.data(), o);
}

// dinp (N,IN) += dout16·W;  dweight (OUT,IN) += dout16ᵀ·inp: the bf16/fp16 backward's GEMMs, from an output gradient
// already rounded to 16 bits
inline void linear_backward_gemms(Tensor<float, Device>* dinp, Tensor<float, Device>* dweight,
                                  const Tensor16<Device>& dout16, const Tensor16<Device>& inp,
                                  const Tensor16<Device>& weight) {
    const std::int64_t n = inp.shape().rows(), in = inp.shape().back(), o = weight.shape().rows();
    const std::uint16_t* d = dout16.bits.data();
    if (dinp) gemm16(Op::none, Op::none, n, in, o, 1.f, d, o, weight.bits.data(), in, inp.half, 1.f, dinp->data(), in);
    if (dweight)
        gemm16(Op::transpose, Op::none, o, in, n, 1.f, d, o, inp.bits.data(), in, inp.half, 1.f, dweight->data(), in);
}

// dinp (N,IN) += dout16·W;  dweight (OUT,IN) += dout16ᵀ·inp;  dbias (OUT) += Σ_rows dout (the float gradient), with
// dout16 = dout rounded to 16 bits once for both GEMMs (only when one of them is wanted)
inline void linear_backward(Tensor<float, Device>* dinp, Tensor<float, Device>* dweight, Tensor<float, Device>* dbias,
                            const Tensor<float, Device>& dout, const Tensor16<Device>& inp,
                            const Tensor16<Device>& weight) {
    if (dinp || dweight) linear_backward_gemms(dinp, dweight, to_16bit(dout, inp.half), inp, weight);
    if (dbias) add_column_sums(*dbias, dout);
}

}  // namespace tinybert::cpu
