// tinybert/backend/cpu/linear.hpp: fully connected layer (nn.Linear) and batched matmul on the CPU.
// Shapes: N = rows of the input (B*S for activations), IN/OUT features; W is stored [OUT, IN] as Hugging Face does.
// Backward accumulates (+=) into whichever gradients are non-null.
#pragma once

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/backend/cpu/gemm.hpp"
#include "tinybert/backend/cpu/reduce.hpp"

namespace tinybert::cpu {

// out (N,OUT) = inp (N,IN) · weight (OUT,IN)ᵀ + bias (OUT) [bias may be an undefined tensor]
// The bias is written into every row first and the GEMM adds the product to it (beta = 1): no second pass over out.
template <class T>
void linear_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, const Tensor<T, Device>& weight,
                    const Tensor<T, Device>& bias) {
    const std::int64_t n = inp.shape().rows(), in = inp.shape().back(), o = weight.shape().rows();
    if (bias.defined()) {
        auto y = as_matrix(out);
        const auto b = as_row(bias);
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 0; i < n; ++i) y.row(i) = b;
    }
    gemm(Op::none, Op::transpose, n, o, in, T(1), inp.data(), in, weight.data(), in, T(bias.defined() ? 1 : 0),
         out.data(), o);
}

// dinp (N,IN) += dout·W;  dweight (OUT,IN) += doutᵀ·inp;  dbias (OUT) += Σ_rows dout
template <class T>
void linear_backward(Tensor<T, Device>* dinp, Tensor<T, Device>* dweight, Tensor<T, Device>* dbias,
                     const Tensor<T, Device>& dout, const Tensor<T, Device>& inp, const Tensor<T, Device>& weight) {
    const std::int64_t n = inp.shape().rows(), in = inp.shape().back(), o = weight.shape().rows();
    if (dinp) gemm(Op::none, Op::none, n, in, o, T(1), dout.data(), o, weight.data(), in, T(1), dinp->data(), in);
    if (dweight) gemm(Op::transpose, Op::none, o, in, n, T(1), dout.data(), o, inp.data(), in, T(1), dweight->data(), in);
    if (dbias) add_column_sums(*dbias, dout);
}

}  // namespace tinybert::cpu
