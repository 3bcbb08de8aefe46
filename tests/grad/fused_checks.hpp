// tests/grad/fused_checks.hpp: what the fused-op tests share: random float or double leaves, the record of one
// forward and backward (values and the generator's next decisions), and the bitwise comparison of two such runs.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "support/grad_check.hpp"
#include "tinybert/core/rng.hpp"

namespace tinybert::test {

// A T variable that needs a gradient, uniform in [lo, hi) (the values of random_tensor, rounded to T).
template <class T>
Var<T> random_var(const Shape& shape, std::uint32_t seed, double lo, double hi) {
    const std::vector<double> v = random_tensor(shape, seed, lo, hi).to_vector();
    return Var<T>(Tensor<T>::from_vector(shape, std::vector<T>(v.begin(), v.end())), true);
}

// One run of an op: its output and the gradients it produced, widened to double, and the next 64 decisions of its
// generator (equal when both runs drew the same masks).
struct OpRun {
    std::vector<std::vector<double>> values;
    std::vector<std::uint8_t> next_mask;

    // v's value (as_value) or gradient (empty when it has none)
    template <class T>
    void record(const Var<T>& v, bool as_value = false) {
        std::vector<T> x;
        if (as_value)
            x = v.value().to_vector();
        else if (v.has_grad())
            x = v.grad().to_vector();
        values.emplace_back(x.begin(), x.end());
    }
    void record_next_decisions(Generator& gen) {
        const DropoutMask next = gen.mask(64, 0.5);
        for (std::uint64_t i = 0; i < 64; ++i)
            next_mask.push_back(next.kept ? (*next.kept)[i]
                                          : static_cast<std::uint8_t>(
                                                uniform_at_least(next.seed, next.offset + i, uniform_threshold(0.5))));
    }
};

// a and b bit for bit; `names` lists the recorded values in order, for the message
inline void check_same_runs(const OpRun& a, const OpRun& b, const char* names) {
    REQUIRE(a.values.size() == b.values.size());
    for (std::size_t i = 0; i < a.values.size(); ++i) {
        INFO("value " << i << " (" << names << ")");
        CHECK(a.values[i] == b.values[i]);
    }
    CHECK(a.next_mask == b.next_mask);
}

}  // namespace tinybert::test
