// tinybert/backend/cpu/linear.hpp: fully connected layer (nn.Linear) and batched matmul on the CPU.
// Shapes: N = rows of the input (B*S for activations), IN/OUT features; W is stored [OUT, IN] as Hugging Face does.
// Backward accumulates (+=) into whichever gradients are non-null.
#pragma once

#include "tinybert/backend/cpu/eigen_map.hpp"

namespace tinybert::cpu {

// out (N,OUT) = inp (N,IN) · weight (OUT,IN)ᵀ + bias (OUT) [bias may be an undefined tensor]
template <class T>
void linear_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, const Tensor<T, Device>& weight,
                    const Tensor<T, Device>& bias) {
    auto y = as_matrix(out);
    y.noalias() = as_matrix(inp) * as_matrix(weight).transpose();
    if (bias.defined()) y.rowwise() += as_row(bias);
}

// dinp (N,IN) += dout·W;  dweight (OUT,IN) += doutᵀ·inp;  dbias (OUT) += Σ_rows dout
template <class T>
void linear_backward(Tensor<T, Device>* dinp, Tensor<T, Device>* dweight, Tensor<T, Device>* dbias,
                     const Tensor<T, Device>& dout, const Tensor<T, Device>& inp, const Tensor<T, Device>& weight) {
    const auto dy = as_matrix(dout);
    if (dinp) as_matrix(*dinp).noalias() += dy * as_matrix(weight);
    if (dweight) as_matrix(*dweight).noalias() += dy.transpose() * as_matrix(inp);
    if (dbias) as_row(*dbias) += dy.colwise().sum();
}

}  // namespace tinybert::cpu
