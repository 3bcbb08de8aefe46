// tinybert/core/torch_random.hpp: the draws of torch's CPU generator after torch.manual_seed(seed), where matching
// them makes the same seed mean the same run in tinybert and Hugging Face: the permutation Trainer's sampler draws
// (torch.randperm under manual_seed(seed + epoch)), the initial weights transformers gives a new head
// (Tensor.normal_(0, initializer_range) after set_seed(seed)) and, with DropoutStream::torch (core/rng.hpp), the
// dropout masks. Host only.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <istream>
#include <numbers>
#include <numeric>
#include <optional>
#include <ostream>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tinybert/core/error.hpp"

namespace tinybert {

// The 32-bit Mersenne Twister (the sequence of std::mt19937 and of torch's at::mt19937), producing a whole block of
// 624 tempered words at a time so that bulk consumers (TorchGenerator::bernoulli) read them from an array.
class Mt19937 {
public:
    static constexpr std::size_t n = 624;

    explicit Mt19937(std::uint32_t seed) {
        x_[0] = seed;
        for (std::uint32_t i = 1; i < n; ++i) x_[i] = 1812433253u * (x_[i - 1] ^ (x_[i - 1] >> 30)) + i;
    }

    std::uint32_t operator()() {
        if (next_ == n) refill();
        return out_[next_++];
    }
    // The next `count` words (count <= available()), as an array.
    const std::uint32_t* take(std::size_t count) {
        const std::uint32_t* w = out_.data() + next_;
        next_ += count;
        return w;
    }
    std::size_t available() const { return n - next_; }

    // The state as text: the 624 words of the current block, then the position in it.
    void write(std::ostream& out) const {
        for (const std::uint32_t w : x_) out << w << ' ';
        out << next_;
    }
    bool read(std::istream& in) {
        std::array<std::uint32_t, n> x{};
        std::size_t next = 0;
        for (std::uint32_t& w : x) in >> w;
        in >> next;
        if (in.fail() || next > n) return false;
        x_ = x;
        next_ = next;
        temper();
        return true;
    }

private:
    static constexpr std::size_t m = 397;
    static constexpr std::uint32_t matrix_a = 0x9908b0dfu, upper = 0x80000000u, lower = 0x7fffffffu;

    static std::uint32_t mix(std::uint32_t a, std::uint32_t b, std::uint32_t c) {
        const std::uint32_t y = (a & upper) | (b & lower);
        return c ^ (y >> 1) ^ ((y & 1u) ? matrix_a : 0u);
    }
    // The next block: x[i] from x[i], x[i+1] and x[i+m] (indices mod n; the first n−m read only old words, the rest
    // read words already replaced, as the recurrence requires), then every word tempered.
    void refill() {
        for (std::size_t i = 0; i < n - m; ++i) x_[i] = mix(x_[i], x_[i + 1], x_[i + m]);
        for (std::size_t i = n - m; i < n - 1; ++i) x_[i] = mix(x_[i], x_[i + 1], x_[i + m - n]);
        x_[n - 1] = mix(x_[n - 1], x_[0], x_[m - 1]);
        temper();
        next_ = 0;
    }
    void temper() {
        for (std::size_t i = 0; i < n; ++i) {
            std::uint32_t y = x_[i];
            y ^= y >> 11;
            y ^= (y << 7) & 0x9d2c5680u;
            y ^= (y << 15) & 0xefc60000u;
            out_[i] = y ^ (y >> 18);
        }
    }

    std::array<std::uint32_t, n> x_{}, out_{};
    std::size_t next_ = n;
};

// torch's CPUGeneratorImpl: a 32-bit Mersenne Twister seeded with the low 32 bits of the seed, 64-bit draws made of
// two 32-bit ones (first = high half), and the spare Box–Muller sample of a double normal cached between calls.
class TorchGenerator {
public:
    explicit TorchGenerator(std::uint64_t seed) : engine_(static_cast<std::uint32_t>(seed)) {}

    std::uint32_t random() { return engine_(); }
    std::uint64_t random64() {
        const std::uint64_t hi = random();
        return (hi << 32) | random();
    }
    // at::uniform_real_distribution<float>(0, 1): 24 random bits.
    float uniform_float() { return static_cast<float>(random() & 0xFFFFFFu) * 0x1.0p-24f; }
    // at::uniform_real_distribution<double>(0, 1): 53 random bits.
    double uniform_double() { return static_cast<double>(random64() & ((1ull << 53) - 1)) * 0x1.0p-53; }

    // Tensor.bernoulli_(p) on a CPU without MKL's Bernoulli (not an Intel CPU): out[e] = uniform_double() < p, in
    // order. Compared in integers: u = m·2⁻⁵³ < p iff m < ⌈p·2⁵³⌉ (p·2⁵³ is exact in double).
    void bernoulli(std::span<std::uint8_t> out, double p) {
        const auto threshold = static_cast<std::uint64_t>(std::ceil(p * 0x1.0p53));
        constexpr std::uint64_t bits53 = (1ull << 53) - 1;
        std::size_t e = 0;
        while (e < out.size()) {
            if (engine_.available() < 2) {  // a draw that spans two blocks
                out[e++] = (random64() & bits53) < threshold;
                continue;
            }
            const std::size_t k = std::min(out.size() - e, engine_.available() / 2);
            const std::uint32_t* w = engine_.take(2 * k);
            for (std::size_t j = 0; j < k; ++j) {
                const std::uint64_t v = (static_cast<std::uint64_t>(w[2 * j]) << 32) | w[2 * j + 1];
                out[e + j] = (v & bits53) < threshold;
            }
            e += k;
        }
    }

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
        engine_.write(out);
        out << ' ';
        if (spare_) out << std::hexfloat << *spare_;
        else out << '-';
        return out.str();
    }
    void set_state(const std::string& text) {
        std::istringstream in(text);
        Mt19937 engine(0);
        std::string spare;
        const bool ok = engine.read(in);
        in >> spare;
        TINYBERT_CHECK(ok && !in.fail() && in.peek() == std::char_traits<char>::eof() && !spare.empty(),
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

    Mt19937 engine_;
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
