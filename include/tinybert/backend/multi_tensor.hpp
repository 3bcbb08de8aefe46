// tinybert/backend/multi_tensor.hpp: the device-neutral types of the whole-model kernels (backend/<device>/
// multi_tensor): a list of tensors (every gradient, for the global norm and its scaling) and AdamW's per-parameter
// tensors, plus the step's AdamW scalars, computed once on the host in double as torch does. A GPU runs each list
// in one kernel launch instead of one launch (and, for a norm, one read-back) per parameter.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "tinybert/tensor/tensor.hpp"

namespace tinybert {

template <class T, class D>
using TensorList = std::vector<Tensor<T, D>*>;

// One parameter's AdamW tensors (all with the parameter's N elements) and whether weight decay applies to it.
template <class T, class D>
struct AdamWTensors {
    Tensor<T, D>* param;
    const Tensor<T, D>* grad;
    Tensor<T, D>* m;
    Tensor<T, D>* v;
    bool decay;
};

// The scalars of torch AdamW's step t = 1, 2, … (decay for a decayed parameter; others use 1):
//   p ← p·decay;  m ← m + (1−β1)(g − m);  v ← β2·v + (1−β2)·g²;  p ← p − step_size · m / (sqrt(v)/bc2_sqrt + eps)
// with decay = 1 − lr·wd, step_size = lr/(1−β1ᵗ), bc2_sqrt = sqrt(1−β2ᵗ).
template <class T>
struct AdamWScalars {
    T decay, step_size, bc2_sqrt, one_minus_b1, beta2, one_minus_b2, eps;

    static AdamWScalars make(T lr, T beta1, T beta2, T eps, T weight_decay, std::int64_t step) {
        const double t = static_cast<double>(step);
        return {static_cast<T>(1.0 - static_cast<double>(lr) * static_cast<double>(weight_decay)),
                static_cast<T>(static_cast<double>(lr) / (1.0 - std::pow(static_cast<double>(beta1), t))),
                static_cast<T>(std::sqrt(1.0 - std::pow(static_cast<double>(beta2), t))),
                static_cast<T>(1.0 - static_cast<double>(beta1)),
                beta2,
                static_cast<T>(1.0 - static_cast<double>(beta2)),
                eps};
    }
};

}  // namespace tinybert
