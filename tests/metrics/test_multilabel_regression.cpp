// Multi-label and regression metrics (metrics/multilabel_regression.hpp) against numbers computed with scikit-learn
// 1.9.1 and scipy 1.17.1 on the same inputs (f1_score average="micro"/"macro", accuracy_score, mean_squared_error,
// mean_absolute_error, pearsonr, spearmanr).
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "tinybert/metrics/multilabel_regression.hpp"

using namespace tinybert::metrics;

TEST_CASE("multi-label micro and macro F1 and subset accuracy match sklearn", "[metrics][multi_label]") {
    // Y = [[1,0,1,0],[0,1,0,0],[1,1,0,0],[0,0,0,0],[1,0,0,0]]; P = [[1,0,0,0],[0,1,0,1],[1,1,0,0],[0,0,0,0],[0,0,1,0]]
    // label 3 is never true (predicted once): F1 0; a label neither true nor predicted would count 0 as well
    const std::vector<std::uint8_t> y{1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    const std::vector<std::uint8_t> p{1, 0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    const auto s = multilabel_scores(p, y, 4);
    CHECK(s.micro_f1 == Approx(0.6666666666666666).epsilon(1e-15));
    CHECK(s.macro_f1 == Approx(0.45).epsilon(1e-15));
    CHECK(s.subset_accuracy == Approx(0.4).epsilon(1e-15));
    // nothing true, nothing predicted: every F1 is 0/0 = 0 (zero_division=0), subset accuracy 1
    const std::vector<std::uint8_t> none(6, 0);
    const auto e = multilabel_scores(none, none, 3);
    CHECK(e.micro_f1 == 0.0);
    CHECK(e.macro_f1 == 0.0);
    CHECK(e.subset_accuracy == 1.0);
    CHECK_THROWS_AS(multilabel_scores(p, std::vector<std::uint8_t>(19, 0), 4), tinybert::Error);
    CHECK_THROWS_AS(multilabel_scores(p, y, 3), tinybert::Error);
}

TEST_CASE("regression MSE, MAE, Pearson and Spearman match sklearn and scipy", "[metrics][regression]") {
    const std::vector<double> p{2.5, 0.0, 2.1, 1.6, 4.0, 1.6}, y{3.0, -0.5, 2.0, 1.5, 3.7, 1.5};
    const auto s = regression_scores(p, y);
    CHECK(s.mse == Approx(0.10333333333333332).epsilon(1e-14));
    CHECK(s.mae == Approx(0.26666666666666666).epsilon(1e-14));
    CHECK(s.pearson == Approx(0.9758388455313609).epsilon(1e-13));
    CHECK(s.spearman == Approx(1.0).epsilon(1e-15));
    // ties at different places on each side: average ranks
    const std::vector<double> p2{1.0, 2.0, 2.0, 3.0, 0.5, 2.0}, y2{0.0, 3.0, 1.0, 1.0, 2.0, 5.0};
    const auto t = regression_scores(p2, y2);
    CHECK(t.pearson == Approx(0.1270001270001905).epsilon(1e-12));
    CHECK(t.spearman == Approx(0.09240616554505462).epsilon(1e-12));
    // a constant side: correlation undefined (scipy: NaN), the errors are still numbers
    const std::vector<double> flat{1.0, 1.0, 1.0};
    const auto c = regression_scores(flat, std::vector<double>{0.0, 1.0, 2.0});
    CHECK(std::isnan(c.pearson));
    CHECK(std::isnan(c.spearman));
    CHECK(c.mse == Approx(2.0 / 3));
    CHECK_THROWS_AS(regression_scores(p, flat), tinybert::Error);
}
