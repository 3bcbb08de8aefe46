// tinybert/ops/reduce.hpp: the device-picked reduction kernels for gradient clipping (no autograd):
// sum_squares(t) -> double and scale_inplace(t, alpha), of one tensor or of a TensorList (one kernel for the list),
// found by argument-dependent lookup on the tensor's device.
#pragma once

#include "tinybert/backend/cpu/multi_tensor.hpp"
#include "tinybert/backend/cpu/reduce.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/multi_tensor.cuh"
#include "tinybert/backend/cuda/reduce.cuh"
#endif
