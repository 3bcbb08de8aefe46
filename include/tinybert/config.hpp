// tinybert/config.hpp: version, build switches and the `dynamic` size sentinel.
#pragma once

#include <cstddef>

#define TINYBERT_VERSION_MAJOR 0
#define TINYBERT_VERSION_MINOR 1
#define TINYBERT_VERSION_PATCH 0

namespace tinybert {

// A compile-time size that is only known at run time (Eigen's `Dynamic` idea): Encoder<dynamic> reads N from config.json.
inline constexpr std::size_t dynamic = static_cast<std::size_t>(-1);

}  // namespace tinybert

// Functions usable from both host code and CUDA kernels (dtype conversions, counter-based RNG).
#if defined(__CUDACC__)
#define TINYBERT_HOST_DEVICE __host__ __device__
#else
#define TINYBERT_HOST_DEVICE
#endif
