// apps/tinybert/cmd_parity.hpp's judgement of zero-gradient parameters: the AdamW noise bound c_t (checked against
// Adam simulated step by step on random and adversarial gradient sequences) and the bounded comparison (passes inside
// the bound, fails just outside it).
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "cmd_parity.hpp"

using tinybert::cli::detail::adam_ratio_bound;
using tinybert::cli::detail::ParityReport;

namespace {

// |m̂_t| / √v̂_t of bias-corrected Adam (β1, β2) after the gradients g_1..g_t, run as the optimizer does.
double adam_ratio(const std::vector<double>& g, double beta1, double beta2) {
    double m = 0, v = 0;
    for (const double gi : g) {
        m = beta1 * m + (1 - beta1) * gi;
        v = beta2 * v + (1 - beta2) * gi * gi;
    }
    const auto t = static_cast<double>(g.size());
    return std::abs(m / (1 - std::pow(beta1, t))) / std::sqrt(v / (1 - std::pow(beta2, t)));
}

}  // namespace

TEST_CASE("parity: the AdamW noise bound holds for any gradients and is reached by the worst sequence") {
    const double beta1 = 0.9, beta2 = 0.999;
    CHECK(adam_ratio_bound(1, beta1, beta2) == 1.0);  // one step: m̂/√v̂ = g/|g|
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal;
    for (std::int64_t t = 1; t <= 5; ++t) {
        INFO("t " << t);
        const double bound = adam_ratio_bound(t, beta1, beta2);
        for (int trial = 0; trial < 1000; ++trial) {
            std::vector<double> g(static_cast<std::size_t>(t));
            for (auto& x : g) x = normal(rng) * std::exp(3 * normal(rng));  // magnitudes over many decades
            CHECK(adam_ratio(g, beta1, beta2) <= bound * (1 + 1e-12));
        }
        // Cauchy–Schwarz is tight for g_i ∝ a_i / b_i.
        std::vector<double> worst;
        for (std::int64_t i = 1; i <= t; ++i)
            worst.push_back(std::pow(beta1 / beta2, static_cast<double>(t - i)) * (1 - beta1) / (1 - beta2));
        CHECK(adam_ratio(worst, beta1, beta2) == Approx(bound).epsilon(1e-12));
    }
    CHECK(adam_ratio_bound(3, beta1, beta2) == Approx(1.0036135700803812).epsilon(1e-12));
}

TEST_CASE("parity: zero-gradient parameters pass inside the noise bound and fail outside it") {
    const std::vector<double> ref{0.5, -0.25, 0.125};
    const double bound = 2e-3, tol = 1e-4;
    const double limit = bound + tol * 0.5;  // + tol · max |ref|
    {
        ParityReport report(tol);
        report.compare_bounded("inside", std::vector<float>{0.5f, static_cast<float>(-0.25 + 0.99 * limit), 0.125f}, ref,
                               bound);
        CHECK(report.finish() == 0);
    }
    {
        ParityReport report(tol);
        report.compare_bounded("outside", std::vector<double>{0.5, -0.25 - 1.01 * limit, 0.125}, ref, bound);
        CHECK(report.finish() == 1);
    }
    {
        ParityReport report(tol);
        report.compare_bounded("nan", std::vector<double>{0.5, std::nan(""), 0.125}, ref, bound);
        CHECK(report.finish() == 1);
    }
}
