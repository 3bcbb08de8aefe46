// train/schedule.hpp and clip.hpp against spec §7's goldens and torch's definitions.
#include <catch2/catch.hpp>

#include <cmath>

#include "tinybert/train/clip.hpp"
#include "tinybert/train/schedule.hpp"

using namespace tinybert;

TEST_CASE("linear warmup schedule matches the spec golden", "[train][schedule]") {
    // T = 10, W = 2, lr 5e-5 => 5e-5 · [0, 0.5, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125]
    const LinearSchedule s(5e-5, 10, 2);
    const double f[] = {0, 0.5, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125};
    for (int k = 0; k < 10; ++k) CHECK(s.lr(k) == Approx(5e-5 * f[k]).epsilon(1e-12));
    // Without warmup the first update uses the full rate and the last lr/(T - W).
    const LinearSchedule n(1e-3, 4, 0);
    CHECK(n.lr(0) == Approx(1e-3));
    CHECK(n.lr(3) == Approx(1e-3 / 4));
    CHECK(LinearSchedule::warmup_from_ratio(0.1, 45) == 5);  // ceil(4.5)
}

namespace {
struct TwoParams {
    using value_type = double;
    using device_type = Cpu;
    Var<double> a{Tensor<double>::from_vector({2}, {3, 0}), true}, b{Tensor<double>::from_vector({1}, {4}), true};
    template <class F>
    void visit_parameters(F&& f) {
        f("a", a);
        f("b", b);
    }
};
}  // namespace

TEST_CASE("clip_grad_norm scales by max_norm / (norm + 1e-6) only when above", "[train][clip]") {
    TwoParams m;
    m.a.grad() = Tensor<double>::from_vector({2}, {3, 0});
    m.b.grad() = Tensor<double>::from_vector({1}, {4});
    CHECK(clip_grad_norm(m, 1.0) == Approx(5.0));  // sqrt(9 + 16)
    const double c = 1.0 / (5.0 + 1e-6);
    CHECK(m.a.grad().data()[0] == Approx(3 * c).epsilon(1e-14));
    CHECK(m.b.grad().data()[0] == Approx(4 * c).epsilon(1e-14));
    CHECK(clip_grad_norm(m, 10.0) == Approx(1.0).epsilon(1e-5));  // below the limit: unchanged
    CHECK(m.b.grad().data()[0] == Approx(4 * c).epsilon(1e-14));
}
