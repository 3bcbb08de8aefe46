// tinybert/ops/reduce.hpp: the device-picked reduction kernels for gradient clipping (no autograd):
// sum_squares(t) -> double and scale_inplace(t, alpha), found by argument-dependent lookup on the tensor's device.
#pragma once

#include "tinybert/backend/cpu/reduce.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/reduce.cuh"
#endif
