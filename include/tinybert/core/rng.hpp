// tinybert/core/rng.hpp: counter-based random numbers, identical on the CPU and in CUDA kernels.
// A draw is a pure function of (seed, counter): dropout masks can be recomputed in backward instead of stored, and a
// CPU and a CUDA run with the same seed see the same masks. Generator hands out disjoint counter ranges.
#pragma once

#include <cmath>
#include <cstdint>

#include "tinybert/config.hpp"

namespace tinybert {

// SplitMix64 finaliser over (seed, counter): a stateless 64-bit hash with full avalanche.
TINYBERT_HOST_DEVICE inline std::uint64_t random_bits(std::uint64_t seed, std::uint64_t counter) {
    std::uint64_t z = seed + (counter + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Uniform in [0, 1) with 53 random bits.
TINYBERT_HOST_DEVICE inline double random_uniform(std::uint64_t seed, std::uint64_t counter) {
    return static_cast<double>(random_bits(seed, counter) >> 11) * 0x1.0p-53;
}

// random_uniform(seed, counter) >= p, decided in integers (vectorisable; no int→double conversion): the uniform is
// (bits >> 11)·2⁻⁵³ exactly, so it is >= p iff (bits >> 11) >= ⌈p·2⁵³⌉. `threshold` = uniform_threshold(p).
TINYBERT_HOST_DEVICE inline std::uint64_t uniform_threshold(double p) {
    return static_cast<std::uint64_t>(std::ceil(p * 0x1.0p53));
}
TINYBERT_HOST_DEVICE inline bool uniform_at_least(std::uint64_t seed, std::uint64_t counter, std::uint64_t threshold) {
    return (random_bits(seed, counter) >> 11) >= threshold;
}

// Standard normal (Box–Muller on two uniforms drawn at counters 2c and 2c+1).
TINYBERT_HOST_DEVICE inline double random_normal(std::uint64_t seed, std::uint64_t counter) {
    const double u1 = 1.0 - random_uniform(seed, 2 * counter);  // (0, 1]
    const double u2 = random_uniform(seed, 2 * counter + 1);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// A seed plus a running counter: each call to take(n) reserves n fresh draws.
class Generator {
public:
    explicit Generator(std::uint64_t seed = 42) : seed_(seed) {}
    std::uint64_t seed() const { return seed_; }
    std::uint64_t offset() const { return offset_; }
    void set_state(std::uint64_t seed, std::uint64_t offset) {
        seed_ = seed;
        offset_ = offset;
    }
    // Reserve n draws; returns the first counter of the range.
    std::uint64_t take(std::uint64_t n) {
        const std::uint64_t first = offset_;
        offset_ += n;
        return first;
    }

private:
    std::uint64_t seed_;
    std::uint64_t offset_ = 0;
};

}  // namespace tinybert
