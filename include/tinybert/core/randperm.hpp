// tinybert/core/randperm.hpp: torch.randperm(n) on the CPU after torch.manual_seed(seed), the permutation Hugging Face
// Trainer's sampler draws (accelerate seeds it with seed + epoch), so the same seed gives the same batches in both.
#pragma once

#include <cstdint>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

#include "tinybert/core/error.hpp"

namespace tinybert {

// A forward Fisher–Yates over [0, n) whose i-th swap partner is i + mt19937() % (n − i), the Mersenne Twister seeded
// with the low 32 bits of `seed`, as torch's CPU generator is. torch switches to 64-bit draws from n ≥ 2³²/20, so
// larger n are refused rather than silently different. Host only.
inline std::vector<std::size_t> torch_randperm(std::size_t n, std::uint64_t seed) {
    TINYBERT_CHECK(n < 0xFFFFFFFFull / 20, "torch_randperm: n = ", n, " is beyond the 32-bit draws reproduced here");
    std::mt19937 engine(static_cast<std::uint32_t>(seed));
    std::vector<std::size_t> r(n);
    std::iota(r.begin(), r.end(), std::size_t{0});
    for (std::size_t i = 0; i + 1 < n; ++i) std::swap(r[i], r[i + engine() % static_cast<std::uint32_t>(n - i)]);
    return r;
}

}  // namespace tinybert
