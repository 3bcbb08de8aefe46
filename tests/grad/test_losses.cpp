// Forward values and gradients of the regression and multi-label losses (ops/mse_loss.hpp, ops/bce_with_logits.hpp)
// and of class-weighted cross-entropy (ops/cross_entropy.hpp with weight=): hand-worked numbers as torch computes them,
// central differences, a float instantiation, and the stability of BCE at large logits.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "grad/op_checks.hpp"
#include "tinybert/ops/bce_with_logits.hpp"
#include "tinybert/ops/cross_entropy.hpp"
#include "tinybert/ops/mse_loss.hpp"

using namespace tinybert;
using Catch::Matchers::Contains;
using test::check_gradients;
using test::leaf;
using test::random_tensor;
using test::VarD;
using test::weighted_sum;
using Ids = Tensor<std::int64_t>;

TEST_CASE("mse loss hand example and errors", "[mse_loss]") {
    // ((1 − 0)² + (−2 − 1)² + (0.5 − 0.5)²) / 3 = 10/3 — torch.nn.MSELoss()(tensor([1, -2, .5]), tensor([0, 1, .5]))
    const VarD x(Tensor<double>::from_vector({3, 1}, {1, -2, 0.5}), true);
    const auto loss = mse_loss(x, Tensor<double>::from_vector({3}, {0, 1, 0.5}));
    CHECK(loss.value().to_vector()[0] == Approx(10.0 / 3).epsilon(1e-15));
    backward(loss);  // d/dx = 2 (x − y) / 3
    const auto g = x.grad().to_vector();
    CHECK(g[0] == Approx(2.0 / 3));
    CHECK(g[1] == Approx(-2.0));
    CHECK(g[2] == 0.0);
    CHECK_THROWS_WITH(mse_loss(x, Tensor<double>::from_vector({2}, {0, 1})), Contains("different sizes"));
    CHECK(std::isnan(mse_loss(VarD(Tensor<double>({0})), Tensor<double>({0})).value().to_vector()[0]));
}

TEST_CASE("mse loss gradients", "[grad][mse_loss]") {
    std::uint32_t seed = 300;
    for (const Shape& shape : {Shape{1}, Shape{5}, Shape{4, 1}, Shape{3, 4}}) {
        const VarD x = leaf(shape, seed++, -3, 3);
        const auto y = random_tensor(shape, seed++, -2, 2);
        const auto r = random_tensor({1}, seed++);
        check_gradients([&] { return weighted_sum(mse_loss(x, y), r); }, {x});
    }
}

TEST_CASE("bce with logits hand example, stability and errors", "[bce_with_logits]") {
    // torch.nn.BCEWithLogitsLoss()(tensor([[0., 2.], [-1., 3.]]), tensor([[1., 0.], [0., 1.]]))
    //   = mean(log 2, 2 + log1p(e^-2), log1p(e^-1), log1p(e^-3))
    const VarD z(Tensor<double>::from_vector({2, 2}, {0, 2, -1, 3}), true);
    const auto y = Tensor<double>::from_vector({2, 2}, {1, 0, 0, 1});
    const double expect =
        (std::log(2.0) + 2 + std::log1p(std::exp(-2.0)) + std::log1p(std::exp(-1.0)) + std::log1p(std::exp(-3.0))) / 4;
    const auto loss = bce_with_logits(z, y);
    CHECK(loss.value().to_vector()[0] == Approx(expect).epsilon(1e-15));
    backward(loss);  // (σ(z) − y) / 4
    const auto g = z.grad().to_vector();
    CHECK(g[0] == Approx(-0.125));
    CHECK(g[1] == Approx(1 / (1 + std::exp(-2.0)) / 4));
    // large logits: no overflow, the exact limits (|z| when wrong, 0 when right)
    const Var<float> big(Tensor<float>::from_vector({1, 4}, {1000.f, -1000.f, 1000.f, -1000.f}));
    const float l = bce_with_logits(big, Tensor<float>::from_vector({1, 4}, {1.f, 0.f, 0.f, 1.f})).value().to_vector()[0];
    CHECK(l == Approx(500.0f));
    CHECK_THROWS_WITH(bce_with_logits(z, Tensor<double>::from_vector({4}, {1, 0, 0, 1})), Contains("same shape"));
}

TEST_CASE("bce with logits gradients", "[grad][bce_with_logits]") {
    std::uint32_t seed = 320;
    for (const Shape& shape : {Shape{1, 1}, Shape{2, 3}, Shape{4, 5}}) {
        const VarD z = leaf(shape, seed++, -4, 4);
        auto y = random_tensor(shape, seed++, 0, 1);  // soft targets in [0, 1) exercise the y term
        const auto r = random_tensor({1}, seed++);
        check_gradients([&] { return weighted_sum(bce_with_logits(z, y), r); }, {z});
        std::vector<double> hard = y.to_vector();
        for (double& v : hard) v = v < 0.5 ? 0.0 : 1.0;
        const auto yh = Tensor<double>::from_vector(shape, hard);
        check_gradients([&] { return weighted_sum(bce_with_logits(z, yh), r); }, {z});
    }
}

TEST_CASE("weighted cross entropy is torch's weighted mean", "[cross_entropy]") {
    // row 0: target 2, ℓ = ln 2;  row 1: ignored;  row 2: target 0, ℓ = ln 3. Weights w = (0.5, 1, 3):
    // torch: (3·ln 2 + 0.5·ln 3) / (3 + 0.5)
    const VarD z(Tensor<double>::from_vector({3, 3}, {0, std::log(2.0), std::log(3.0), 5, -5, 9, 1, 1, 1}));
    const auto w = Tensor<double>::from_vector({3}, {0.5, 1, 3});
    const auto loss = cross_entropy(z, Ids::from_vector({3}, {2, -100, 0}), -100, w).value().to_vector()[0];
    CHECK(loss == Approx((3 * std::log(2.0) + 0.5 * std::log(3.0)) / 3.5).epsilon(1e-15));
    // all weights equal: the plain mean
    const auto ones = Tensor<double>::from_vector({3}, {2, 2, 2});
    CHECK(cross_entropy(z, Ids::from_vector({3}, {2, -100, 0}), -100, ones).value().to_vector()[0] ==
          Approx((std::log(2.0) + std::log(3.0)) / 2).epsilon(1e-15));
    CHECK_THROWS_WITH(cross_entropy(z, Ids::from_vector({3}, {2, 1, 0}), -100, Tensor<double>::from_vector({2}, {1, 1})),
                      Contains("2 class weights"));
}

TEST_CASE("weighted cross entropy gradients", "[grad][cross_entropy]") {
    std::uint32_t seed = 340;
    for (const auto& [shape, targets] :
         {std::pair{Shape{1, 4}, std::vector<std::int64_t>{2}},
          std::pair{Shape{5, 3}, std::vector<std::int64_t>{0, -100, 2, 1, -100}},
          std::pair{Shape{2, 3, 7}, std::vector<std::int64_t>{6, 0, -100, 3, 3, -100}}}) {
        const VarD z = leaf(shape, seed++, -3, 3);
        const Ids y = Ids::from_vector(shape.drop_last(), targets);
        const auto w = random_tensor({shape.back()}, seed++, 0.2, 3);
        const auto r = random_tensor({1}, seed++);
        check_gradients([&] { return weighted_sum(cross_entropy(z, y, -100, w), r); }, {z});
    }
}

TEST_CASE("the losses in float agree with double", "[mse_loss][bce_with_logits][cross_entropy]") {
    const auto zd = random_tensor({4, 3}, 360, -3, 3), yd = random_tensor({4, 3}, 361, 0, 1);
    const auto to_f = [](const Tensor<double>& t) {
        const auto v = t.to_vector();
        return Tensor<float>::from_vector(t.shape(), std::vector<float>(v.begin(), v.end()));
    };
    const Var<float> zf(to_f(zd), true);
    const double bce = bce_with_logits(VarD(zd), yd).value().to_vector()[0];
    const auto lf = bce_with_logits(zf, to_f(yd));
    CHECK(lf.value().to_vector()[0] == Approx(bce).epsilon(1e-6));
    backward(lf);
    CHECK(zf.grad().to_vector()[0] != 0.0f);
    const double mse = mse_loss(VarD(zd), yd).value().to_vector()[0];
    CHECK(mse_loss(Var<float>(to_f(zd)), to_f(yd)).value().to_vector()[0] == Approx(mse).epsilon(1e-6));
    const auto wd = Tensor<double>::from_vector({3}, {1, 2, 0.5});
    const Ids y = Ids::from_vector({4}, {0, 1, 2, 1});
    const double ce = cross_entropy(VarD(zd), y, -100, wd).value().to_vector()[0];
    CHECK(cross_entropy(Var<float>(to_f(zd)), y, -100, to_f(wd)).value().to_vector()[0] == Approx(ce).epsilon(1e-6));
}
