// The first line of every GPU test case: without a CUDA device (CI, a laptop) the case passes with a warning.
#pragma once

#include <catch2/catch.hpp>

#include "tinybert/backend/cuda/device.cuh"

#define TINYBERT_REQUIRE_CUDA_DEVICE()             \
    do {                                           \
        if (!tinybert::cuda::device_available()) { \
            WARN("no CUDA device: skipped");       \
            return;                                \
        }                                          \
    } while (0)
