// tests/grad/op_checks.hpp: helpers shared by the op tests: random leaf variables and the standard gradient check
// (relative error ≤ 1e-6 against central differences, and a non-zero numeric gradient so it cannot pass vacuously).
#pragma once

#include <catch2/catch.hpp>

#include "support/grad_check.hpp"

namespace tinybert::test {

// A variable that needs a gradient, uniform in [lo, hi).
inline VarD leaf(const Shape& shape, std::uint32_t seed, double lo = -1.0, double hi = 1.0) {
    return VarD(random_tensor(shape, seed, lo, hi), true);
}

// f() -> scalar VarD; inputs are the leaves to differentiate.
template <class F>
void check_gradients(F&& f, std::vector<VarD> inputs) {
    const GradCheckResult res = grad_check(f, inputs);
    CHECK(res.max_rel_error < 1e-6);
    CHECK(res.max_numeric_norm > 0);
}

}  // namespace tinybert::test
