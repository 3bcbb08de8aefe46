// Gradient and forward checks for ops/elementwise.hpp, ops/softmax.hpp, ops/layernorm.hpp, ops/matmul.hpp and
// ops/select.hpp, plus a deliberately wrong backward that the harness must reject.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <tuple>

#include "grad/op_checks.hpp"
#include "tinybert/ops/elementwise.hpp"
#include "tinybert/ops/layernorm.hpp"
#include "tinybert/ops/matmul.hpp"
#include "tinybert/ops/select.hpp"
#include "tinybert/ops/softmax.hpp"

using namespace tinybert;
using test::check_gradients;
using test::leaf;
using test::random_tensor;
using test::VarD;
using test::weighted_sum;

namespace {

const Shape kShapes[] = {Shape{1}, Shape{1, 1, 5}, Shape{3, 7}, Shape{2, 3, 5}};

// y = x² with a wrong backward (3x instead of 2x): the gradient check must catch it.
VarD wrong_square(const VarD& x) {
    Tensor<double> y(x.shape());
    for (std::size_t i = 0; i < y.numel(); ++i) y.data()[i] = x.value().data()[i] * x.value().data()[i];
    VarD out = make_output(y, x);
    record_backward(out, [x](const Tensor<double>& dout) mutable {
        for (std::size_t i = 0; i < dout.numel(); ++i) x.grad().data()[i] += 3 * x.value().data()[i] * dout.data()[i];
    });
    return out;
}

}  // namespace

TEST_CASE("grad_check rejects a wrong backward", "[grad][harness]") {
    const VarD x = leaf({4, 3}, 1);
    const auto r = random_tensor({4, 3}, 2);
    std::vector<VarD> inputs{x};
    const auto res = test::grad_check([&] { return weighted_sum(wrong_square(x), r); }, inputs);
    CHECK(res.max_rel_error > 0.1);
}

TEST_CASE("add and scale gradients", "[grad][elementwise]") {
    std::uint32_t seed = 10;
    for (const Shape& s : kShapes) {
        const VarD a = leaf(s, seed++), b = leaf(s, seed++);
        const auto r = random_tensor(s, seed++);
        check_gradients([&] { return weighted_sum(add(a, b), r); }, {a, b});
        check_gradients([&] { return weighted_sum(scale(a, -0.37), r); }, {a});
        check_gradients([&] { return weighted_sum(add(a, a), r); }, {a});  // both inputs the same variable
    }
}

TEST_CASE("add and scale forward", "[elementwise]") {
    const VarD a(Tensor<double>::from_vector({3}, {1, 2, 3})), b(Tensor<double>::from_vector({3}, {0.5, -2, 4}));
    CHECK(add(a, b).value().to_vector() == std::vector<double>{1.5, 0, 7});
    CHECK(scale(a, 0.5).value().to_vector() == std::vector<double>{0.5, 1, 1.5});
    CHECK_THROWS_AS(add(a, VarD(Tensor<double>({4}))), Error);
}

TEST_CASE("gelu is the exact erf form at known points", "[elementwise][gelu]") {
    const VarD x(Tensor<double>::from_vector({5}, {1, 0, -1, 2, -3}));
    const auto y = gelu(x).value().to_vector();
    CHECK(y[0] == Approx(0.8413447460685429).epsilon(1e-15));
    CHECK(y[1] == 0.0);
    CHECK(y[2] == Approx(-0.15865525393145707).epsilon(1e-15));
    CHECK(y[3] == Approx(1.9544997361036416).epsilon(1e-15));
    CHECK(y[4] == Approx(-0.0040496940948903).epsilon(1e-12));  // the tanh approximation gives ≈ −0.00363
}

TEST_CASE("gelu and tanh gradients over their nonlinear range", "[grad][elementwise]") {
    std::uint32_t seed = 20;
    for (const Shape& s : kShapes) {
        const VarD x = leaf(s, seed++, -4, 4);
        const auto r = random_tensor(s, seed++);
        check_gradients([&] { return weighted_sum(gelu(x), r); }, {x});
        check_gradients([&] { return weighted_sum(tanh(x), r); }, {x});
    }
}

TEST_CASE("tanh forward", "[elementwise]") {
    const VarD x(Tensor<double>::from_vector({3}, {0, 0.5, -20}));
    const auto y = tanh(x).value().to_vector();
    CHECK(y == std::vector<double>{0, std::tanh(0.5), -1});
}

TEST_CASE("softmax forward: hand example, rows sum to 1, masked rows stay finite", "[softmax]") {
    const double lo = std::numeric_limits<double>::lowest();
    const VarD x(Tensor<double>::from_vector({3, 3}, {0, std::log(2.0), std::log(3.0), lo, lo, lo, 1000, 0, lo}));
    const auto y = softmax(x).value().to_vector();
    CHECK(y[0] == Approx(1.0 / 6).epsilon(1e-15));
    CHECK(y[1] == Approx(2.0 / 6).epsilon(1e-15));
    CHECK(y[2] == Approx(3.0 / 6).epsilon(1e-15));
    CHECK(y[3] == 1.0 / 3);  // fully masked row: uniform
    CHECK(y[4] == 1.0 / 3);
    CHECK(y[5] == 1.0 / 3);
    CHECK(y[6] == 1.0);
    CHECK(y[7] == 0.0);
    CHECK(y[8] == 0.0);
    const auto z = softmax(VarD(random_tensor({5, 11}, 3, -5, 5))).value();
    for (std::int64_t i = 0; i < 5; ++i) {
        double sum = 0;
        for (std::int64_t j = 0; j < 11; ++j) sum += z.data()[i * 11 + j];
        CHECK(sum == Approx(1.0).epsilon(1e-14));
    }
}

template <class T>
void check_softmax_underflow() {
    // torch: exp underflows to exactly 0 below log(min normal) and not above; the vectorised kernel must agree
    const T l = std::log(std::numeric_limits<T>::min()), d = T(0.01);
    Eigen::Matrix<T, 1, Eigen::Dynamic> row(6);
    row << T(0), l + d, l - d, T(-1e30), std::numeric_limits<T>::lowest(), T(-3);
    cpu::detail::softmax_row(row);
    const T sum = 1 + std::exp(l + d) + std::exp(T(-3));
    CHECK(row[0] == Approx(1 / sum));
    CHECK(row[1] > 0);  // kept: a normal number
    CHECK(row[1] == Approx(std::exp(l + d) / sum).epsilon(1e-5));
    CHECK(row[2] == 0);
    CHECK(row[3] == 0);
    CHECK(row[4] == 0);
    CHECK(row[5] == Approx(std::exp(T(-3)) / sum).epsilon(1e-6));
}

TEST_CASE("softmax is exactly 0 below log(min normal) and positive above, float and double", "[softmax]") {
    check_softmax_underflow<float>();
    check_softmax_underflow<double>();
}

TEST_CASE("softmax gradients", "[grad][softmax]") {
    std::uint32_t seed = 30;
    for (const Shape& s : kShapes) {
        const VarD x = leaf(s, seed++, -3, 3);
        const auto r = random_tensor(s, seed++);
        if (s.back() == 1) {  // one column: softmax ≡ 1, nothing to differentiate
            CHECK(softmax(x).value().to_vector() == std::vector<double>(s.numel(), 1.0));
            continue;
        }
        check_gradients([&] { return weighted_sum(softmax(x), r); }, {x});
    }
}

TEST_CASE("layer norm of a small vector", "[layernorm]") {
    // x = [1,2,3,4]: μ = 2.5, σ² = 1.25 (biased), x̂ = (x − μ)/√1.25
    const VarD x(Tensor<double>::from_vector({1, 4}, {1, 2, 3, 4}));
    const VarD w(Tensor<double>::from_vector({4}, {1, 2, 1, -1})), b(Tensor<double>::from_vector({4}, {0, 0, 1, 0.5}));
    const auto y = layer_norm(x, w, b, 1e-12).value().to_vector();
    const double a = 1.5 / std::sqrt(1.25), c = 0.5 / std::sqrt(1.25);
    const std::vector<double> expected{-a, -2 * c, c + 1, -a + 0.5};
    for (std::size_t i = 0; i < 4; ++i) CHECK(y[i] == Approx(expected[i]).epsilon(1e-12));
    // eps comes from the caller: a constant row normalises to 0, and eps = 1 visibly shrinks x̂
    const auto y1 = layer_norm(x, w, b, 1.0).value().to_vector();
    CHECK(y1[0] == Approx(-1.5 / std::sqrt(2.25)).epsilon(1e-12));
}

TEST_CASE("layer norm gradients", "[grad][layernorm]") {
    std::uint32_t seed = 40;
    for (const Shape& s : {Shape{1, 1}, Shape{1, 5}, Shape{3, 7}, Shape{2, 3, 6}}) {
        const std::int64_t h = s.back();
        const VarD x = leaf(s, seed++, -2, 2), w = leaf({h}, seed++), b = leaf({h}, seed++);
        const auto r = random_tensor(s, seed++);
        if (h == 1) {  // one feature: the output is the bias, x̂ ≡ 0, only dbias is non-zero
            check_gradients([&] { return weighted_sum(layer_norm(x, w, b, 1e-12), r); }, {b});
            continue;
        }
        check_gradients([&] { return weighted_sum(layer_norm(x, w, b, 1e-5), r); }, {x, w, b});
    }
}

TEST_CASE("matmul forward and gradients", "[grad][matmul]") {
    const VarD a(Tensor<double>::from_vector({2, 2}, {1, 2, 3, 4})), b(Tensor<double>::from_vector({2, 2}, {0, 1, 1, 0}));
    CHECK(matmul(a, b).value().to_vector() == std::vector<double>{2, 1, 4, 3});
    CHECK(matmul(a, a, true).value().to_vector() == std::vector<double>{5, 11, 11, 25});
    std::uint32_t seed = 50;
    for (const auto& [bt, m, k, n] : {std::tuple{0, 1, 1, 1}, std::tuple{0, 3, 4, 5}, std::tuple{1, 2, 3, 4},
                                      std::tuple{3, 5, 2, 7}}) {
        for (const bool tb : {false, true}) {
            const std::int64_t batch = bt;  // clang 14 cannot capture a structured binding in a lambda
            const auto sh = [&](std::int64_t r, std::int64_t c) { return batch == 0 ? Shape{r, c} : Shape{batch, r, c}; };
            const VarD x = leaf(sh(m, k), seed++), y = leaf(tb ? sh(n, k) : sh(k, n), seed++);
            const auto r = random_tensor(sh(m, n), seed++);
            check_gradients([&] { return weighted_sum(matmul(x, y, tb), r); }, {x, y});
        }
    }
    CHECK_THROWS_AS(matmul(VarD(Tensor<double>({2, 3})), VarD(Tensor<double>({2, 3}))), Error);
}

TEST_CASE("select_row and column forward and gradients", "[grad][select]") {
    const VarD x(Tensor<double>::from_vector({2, 3, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
    CHECK(select_row(x, 0).value().to_vector() == std::vector<double>{1, 2, 7, 8});
    CHECK(select_row(x, 2).value().to_vector() == std::vector<double>{5, 6, 11, 12});
    CHECK(column(x, 0).value().to_vector() == std::vector<double>{1, 3, 5, 7, 9, 11});
    CHECK(column(x, 1).value().shape() == Shape{2, 3});
    CHECK_THROWS_AS(select_row(x, 3), Error);
    CHECK_THROWS_AS(column(x, 2), Error);
    std::uint32_t seed = 60;
    for (const Shape& s : {Shape{1, 1, 1}, Shape{3, 5, 4}, Shape{2, 1, 3}}) {
        const VarD v = leaf(s, seed++);
        const auto rr = random_tensor({s[0], s[2]}, seed++);
        check_gradients([&] { return weighted_sum(select_row(v, s[1] - 1), rr); }, {v});
        const auto rc = random_tensor({s[0], s[1]}, seed++);
        check_gradients([&] { return weighted_sum(column(v, s[2] - 1), rc); }, {v});
    }
}
