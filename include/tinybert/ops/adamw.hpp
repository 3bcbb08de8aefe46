// tinybert/ops/adamw.hpp: the device-picked torch AdamW step kernel (no autograd):
// adamw_update(param, grad, m, v, lr, beta1, beta2, eps, weight_decay, step) for one parameter, or
// adamw_update(list of AdamWTensors, lr, …) for all of them in one kernel; found by argument-dependent lookup.
#pragma once

#include "tinybert/backend/cpu/adamw.hpp"
#include "tinybert/backend/cpu/multi_tensor.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/adamw.cuh"
#include "tinybert/backend/cuda/multi_tensor.cuh"
#endif
