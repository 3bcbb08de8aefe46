// tinybert/core/rng.hpp: the random numbers of dropout and of fresh weights.
// Counter-based draws, identical on the CPU and in CUDA kernels: a draw is a pure function of (seed, counter), so
// dropout masks can be recomputed in backward instead of stored, and a CPU and a CUDA run with the same seed see the
// same masks. Generator hands out disjoint counter ranges, or (DropoutStream::torch, CPU) draws each mask from torch's
// CPU generator as nn.Dropout does, so that a run sees the masks of the same PyTorch CPU run.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "tinybert/config.hpp"
#include "tinybert/core/torch_random.hpp"

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

// The keep/drop decisions of one dropout call over n elements; element e is dropped with probability p.
//   counter stream (kept == nullptr): kept iff random_uniform(seed, offset + e) >= p  (recomputable, CPU or CUDA)
//   drawn stream: kept iff (*kept)[e] != 0  (drawn on the host when the call was made; CPU only)
// Survivors are scaled by dropout_keep_scale<T>(p).
struct DropoutMask {
    double p = 0;
    std::uint64_t seed = 0, offset = 0;
    std::shared_ptr<const std::vector<std::uint8_t>> kept;
};

// 1/(1−p) rounded to T, as torch's nn.Dropout scales (noise.div_(1 − p) on a tensor of T).
template <class T>
TINYBERT_HOST_DEVICE inline T dropout_keep_scale(double p) {
    return T(1) / static_cast<T>(1.0 - p);
}

// Where dropout masks come from.
enum class DropoutStream {
    counter,  // random_bits(seed, counter): recomputed in backward, identical on the CPU and on CUDA
    torch,    // torch's CPU generator, one uniform double per element, kept iff u < 1 − p (Tensor.bernoulli_(1 − p)
              // on a CPU without MKL's Bernoulli, i.e. not an Intel CPU): the masks of the PyTorch CPU run with the
              // same generator state. Masks are stored (one byte per element) until backward. CPU only.
};

// A seed plus the state of its stream: take(n) reserves n counters; mask(n, p) gives the decisions of one dropout
// call over n elements (reserving n counters, or drawing n values from the torch stream).
class Generator {
public:
    explicit Generator(std::uint64_t seed = 42, DropoutStream stream = DropoutStream::counter)
        : seed_(seed), stream_(stream), torch_(seed) {}

    std::uint64_t seed() const { return seed_; }
    std::uint64_t offset() const { return offset_; }
    DropoutStream stream() const { return stream_; }
    // The counter stream at (seed, offset).
    void set_state(std::uint64_t seed, std::uint64_t offset) {
        seed_ = seed;
        offset_ = offset;
    }
    // The torch stream's generator (torch.manual_seed(seed) when the stream was chosen), e.g. for the draws
    // Trainer's data loaders make between steps; its state() is what a checkpoint keeps.
    TorchGenerator& torch() { return torch_; }
    const TorchGenerator& torch() const { return torch_; }

    // Reserve n counters; returns the first counter of the range.
    std::uint64_t take(std::uint64_t n) {
        const std::uint64_t first = offset_;
        offset_ += n;
        return first;
    }

    DropoutMask mask(std::uint64_t n, double p) {
        if (stream_ == DropoutStream::counter) return {p, seed_, take(n), nullptr};
        auto kept = std::make_shared<std::vector<std::uint8_t>>(n);
        torch_.bernoulli(*kept, 1.0 - p);  // nn.Dropout: bernoulli_(1 − p)
        return {p, seed_, 0, std::move(kept)};
    }

private:
    std::uint64_t seed_;
    std::uint64_t offset_ = 0;
    DropoutStream stream_;
    TorchGenerator torch_;
};

}  // namespace tinybert
