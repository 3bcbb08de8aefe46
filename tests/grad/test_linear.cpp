// Gradient and forward checks for ops/linear.hpp.
#include <catch2/catch.hpp>

#include "support/grad_check.hpp"
#include "tinybert/ops/linear.hpp"

using namespace tinybert;
using test::grad_check;
using test::random_tensor;
using test::VarD;
using test::weighted_sum;

TEST_CASE("linear forward matches a hand-worked example", "[ops][linear]") {
    // x = [[1,2],[3,4]], W = [[1,0],[1,1],[0,2]] (3 out, 2 in), b = [0.5,0,-1]
    VarD x(Tensor<double>::from_vector({2, 2}, {1, 2, 3, 4}));
    VarD w(Tensor<double>::from_vector({3, 2}, {1, 0, 1, 1, 0, 2}));
    VarD b(Tensor<double>::from_vector({3}, {0.5, 0, -1}));
    const auto y = linear(x, w, b).value().to_vector();
    CHECK(y == std::vector<double>{1.5, 3, 3, 3.5, 7, 7});
}

TEST_CASE("linear gradients match finite differences", "[ops][linear][grad]") {
    for (const auto& [rows, in, out, bias] :
         {std::tuple{1, 1, 1, true}, std::tuple{5, 7, 3, true}, std::tuple{4, 3, 6, false}}) {
        const Shape xs{static_cast<std::int64_t>(rows), static_cast<std::int64_t>(in)};
        const VarD x(random_tensor(xs, 1), true), w(random_tensor({out, in}, 2), true);
        const VarD b = bias ? VarD(random_tensor({out}, 3), true) : VarD();
        const auto r = random_tensor({rows, out}, 4);
        auto f = [&] { return weighted_sum(linear(x, w, b), r); };
        std::vector<VarD> checked = bias ? std::vector<VarD>{x, w, b} : std::vector<VarD>{x, w};
        const auto res = grad_check(f, checked);
        CHECK(res.max_rel_error < 1e-6);
        CHECK(res.max_numeric_norm > 0);
    }
}

TEST_CASE("linear under NoGradGuard records nothing", "[ops][linear][autograd]") {
    VarD x(random_tensor({2, 3}, 5), true), w(random_tensor({4, 3}, 6), true), b(random_tensor({4}, 7), true);
    NoGradGuard guard;
    const auto y = linear(x, w, b);
    CHECK_FALSE(y.requires_grad());
    CHECK(Tape::current().size() == 0);
}
