// tinybert/core/torch_random.hpp: the draws of torch's CPU generator after torch.manual_seed(seed), where matching
// them makes the same seed mean the same run in tinybert and Hugging Face: the permutation Trainer's sampler draws
// (torch.randperm under manual_seed(seed + epoch)), the initial weights transformers gives a new head
// (Tensor.normal_(0, initializer_range) after set_seed(seed)) and, with DropoutStream::torch (core/rng.hpp), the
// dropout masks. Host only.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <numeric>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tinybert/core/error.hpp"

namespace tinybert {

// torch's CPUGeneratorImpl: a 32-bit Mersenne Twister seeded with the low 32 bits of the seed, 64-bit draws made of
// two 32-bit ones (first = high half), and the spare Box–Muller sample of a double normal cached between calls.
class TorchGenerator {
public:
    explicit TorchGenerator(std::uint64_t seed) : engine_(static_cast<std::uint32_t>(seed)) {}

    std::uint32_t random() { return static_cast<std::uint32_t>(engine_()); }
    std::uint64_t random64() {
        const std::uint64_t hi = random();
        return (hi << 32) | random();
    }
    // at::uniform_real_distribution<float>(0, 1): 24 random bits.
    float uniform_float() { return static_cast<float>(random() & 0xFFFFFFu) * 0x1.0p-24f; }
    // at::uniform_real_distribution<double>(0, 1): 53 random bits.
    double uniform_double() { return static_cast<double>(random64() & ((1ull << 53) - 1)) * 0x1.0p-53; }

    // at::normal_distribution<double>(mean, std): Box–Muller; the sine sample is kept for the next call.
    double normal_double(double mean, double std) {
        if (spare_) {
            const double z = *std::exchange(spare_, std::nullopt);
            return z * std + mean;
        }
        const double u1 = uniform_double(), u2 = uniform_double();
        const double r = std::sqrt(-2.0 * std::log1p(-u2));
        const double theta = 2.0 * std::numbers::pi * u1;
        spare_ = r * std::sin(theta);
        return r * std::cos(theta) * std + mean;
    }

    // Tensor.normal_(mean, std) on a contiguous float32 CPU tensor of out.size() elements. From 16 elements torch
    // fills uniforms, then turns each block of 16 into normals (element j and j + 8 from one Box–Muller pair), the
    // last partial block redrawn as a whole block ending at the last element; below 16 it draws per element.
    // torch's AVX2 path evaluates log/sin/cos with vectorised approximations, so values agree to about 1 ulp
    // (tests/unit/test_torch_random.cpp).
    void normal_(std::span<float> out, float mean, float std) {
        const std::size_t n = out.size();
        if (n < 16) {
            for (float& v : out) v = static_cast<float>(normal_double(mean, std));
            return;
        }
        for (float& v : out) v = uniform_float();
        for (std::size_t i = 0; i + 16 <= n; i += 16) box_muller_16(out.data() + i, mean, std);
        if (n % 16 != 0) {
            float* last = out.data() + n - 16;
            for (std::size_t i = 0; i < 16; ++i) last[i] = uniform_float();
            box_muller_16(last, mean, std);
        }
    }

    // The whole state as text (the engine's 624 words and position, then the cached normal or "-"), for checkpoints.
    std::string state() const {
        std::ostringstream out;
        out << engine_ << ' ';
        if (spare_) out << std::hexfloat << *spare_;
        else out << '-';
        return out.str();
    }
    void set_state(const std::string& text) {
        std::istringstream in(text);
        std::mt19937 engine;
        std::string spare;
        in >> engine >> spare;
        TINYBERT_CHECK(!in.fail() && in.peek() == std::char_traits<char>::eof() && !spare.empty(),
                       "TorchGenerator::set_state: not a saved generator state");
        engine_ = engine;
        spare_ = std::nullopt;
        if (spare != "-") {
            std::size_t used = 0;
            double z = 0;
            try {
                z = std::stod(spare, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            TINYBERT_CHECK(used == spare.size(), "TorchGenerator::set_state: bad cached normal \"", spare, "\"");
            spare_ = z;
        }
    }

private:
    static void box_muller_16(float* d, float mean, float std) {
        for (std::size_t j = 0; j < 8; ++j) {
            const float u1 = 1.0f - d[j];  // [0, 1) -> (0, 1] for the log
            const float u2 = d[j + 8];
            const float radius = std::sqrt(-2.0f * std::log(u1));
            const float theta = static_cast<float>(2.0 * std::numbers::pi) * u2;
            d[j] = std::fma(radius * std::cos(theta), std, mean);
            d[j + 8] = std::fma(radius * std::sin(theta), std, mean);
        }
    }

    std::mt19937 engine_;
    std::optional<double> spare_;
};

// torch.randperm(n) after manual_seed(seed): a forward Fisher–Yates whose i-th swap partner is i + random() % (n − i).
// torch switches to 64-bit draws from n ≥ 2³²/20, so larger n are refused rather than silently different.
inline std::vector<std::size_t> torch_randperm(std::size_t n, std::uint64_t seed) {
    TINYBERT_CHECK(n < 0xFFFFFFFFull / 20, "torch_randperm: n = ", n, " is beyond the 32-bit draws reproduced here");
    TorchGenerator gen(seed);
    std::vector<std::size_t> r(n);
    std::iota(r.begin(), r.end(), std::size_t{0});
    for (std::size_t i = 0; i + 1 < n; ++i) std::swap(r[i], r[i + gen.random() % static_cast<std::uint32_t>(n - i)]);
    return r;
}

}  // namespace tinybert
