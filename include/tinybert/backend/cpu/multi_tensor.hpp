// tinybert/backend/cpu/multi_tensor.hpp: the whole-model kernels on the CPU (types in backend/multi_tensor.hpp):
// the sum of squares of a tensor list, its in-place scaling and one AdamW step over every parameter. Each runs the
// one-tensor kernel per tensor, in order (on the CPU a launch costs nothing); the CUDA twin runs each list in one
// launch. No autograd.
#pragma once

#include <cstdint>
#include <vector>

#include "tinybert/backend/cpu/adamw.hpp"
#include "tinybert/backend/cpu/reduce.hpp"
#include "tinybert/backend/multi_tensor.hpp"

namespace tinybert::cpu {

// Σ over the tensors of Σ t_i², in double
template <class T>
double sum_squares(const TensorList<T, Device>& tensors) {
    double sum = 0;
    for (const Tensor<T, Device>* t : tensors) sum += sum_squares(*t);
    return sum;
}

// every t ← alpha · t
template <class T>
void scale_inplace(const TensorList<T, Device>& tensors, T alpha) {
    for (Tensor<T, Device>* t : tensors) scale_inplace(*t, alpha);
}

// One AdamW step (backend/cpu/adamw.hpp) of every listed parameter; weight_decay applies where `decay` is set.
template <class T>
void adamw_update(const std::vector<AdamWTensors<T, Device>>& params, T lr, T beta1, T beta2, T eps, T weight_decay,
                  std::int64_t step) {
    for (const AdamWTensors<T, Device>& p : params)
        adamw_update(*p.param, *p.grad, *p.m, *p.v, lr, beta1, beta2, eps, p.decay ? weight_decay : T{0}, step);
}

}  // namespace tinybert::cpu
