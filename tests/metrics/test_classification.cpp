// Classification metrics: worked examples from the sklearn definitions and a scikit-learn-generated fixture.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "tinybert/io/json.hpp"
#include "tinybert/metrics/classification.hpp"

namespace tb = tinybert;
namespace tbm = tinybert::metrics;

namespace {

std::vector<std::int64_t> ints(const tb::json::Value& v) {
    std::vector<std::int64_t> out;
    for (const auto& x : v.as_array()) out.push_back(x.as_int());
    return out;
}

}  // namespace

TEST_CASE("argmax takes the first index on ties") {
    const std::vector<float> v{1.0f, 3.0f, 3.0f, -2.0f};
    CHECK(tbm::argmax(std::span<const float>(v)) == 1);
    const std::vector<double> rows{0.5, 0.5, 2.0, 3.0, -1.0, 3.0};
    CHECK(tbm::argmax_rows(std::span<const double>(rows), 3) == std::vector<std::int64_t>{2, 0});
    CHECK_THROWS_AS(tbm::argmax_rows(std::span<const double>(rows), 4), tb::Error);
    CHECK_THROWS_AS(tbm::argmax(std::span<const float>()), tb::Error);
}

TEST_CASE("accuracy and binary F1 on a worked example") {
    // labels 1 1 0 0 1, preds 1 0 0 1 1: TP 2, FP 1, FN 1 -> P = R = 2/3, F1 = 4/6; accuracy 3/5.
    const std::vector<std::int64_t> labels{1, 1, 0, 0, 1}, preds{1, 0, 0, 1, 1};
    CHECK(tbm::accuracy(preds, labels) == Approx(0.6).margin(1e-15));
    const auto b = tbm::binary_precision_recall_f1(preds, labels);
    CHECK(b.precision == Approx(2.0 / 3.0).margin(1e-15));
    CHECK(b.recall == Approx(2.0 / 3.0).margin(1e-15));
    CHECK(b.f1 == Approx(2.0 / 3.0).margin(1e-15));
}

TEST_CASE("binary F1 with no positives is 0, labels outside {0,1} are an error") {
    const std::vector<std::int64_t> zeros{0, 0, 0};
    const auto b = tbm::binary_precision_recall_f1(zeros, zeros);
    CHECK(b.precision == 0.0);
    CHECK(b.recall == 0.0);
    CHECK(b.f1 == 0.0);
    const std::vector<std::int64_t> bad{0, 2, 1};
    CHECK_THROWS_AS(tbm::binary_precision_recall_f1(bad, zeros), tb::Error);
    CHECK_THROWS_AS(tbm::accuracy(bad, std::vector<std::int64_t>{0, 1}), tb::Error);
    CHECK_THROWS_AS(tbm::accuracy(std::vector<std::int64_t>{}, std::vector<std::int64_t>{}), tb::Error);
}

TEST_CASE("macro F1 includes classes that appear only in predictions") {
    // classes {0,1,2}: class 0 F1 = 1 (tp 1), class 1 F1 = 2/3 (tp 1, fn 1), class 2 (pred only) F1 = 0.
    const std::vector<std::int64_t> labels{0, 1, 1}, preds{0, 1, 2};
    const auto m = tbm::macro_precision_recall_f1(preds, labels);
    CHECK(m.f1 == Approx((1.0 + 2.0 / 3.0 + 0.0) / 3.0).margin(1e-15));
    CHECK(m.precision == Approx((1.0 + 1.0 + 0.0) / 3.0).margin(1e-15));
    CHECK(m.recall == Approx((1.0 + 0.5 + 0.0) / 3.0).margin(1e-15));
}

TEST_CASE("classification metrics match scikit-learn on generated cases") {
    const auto cases = tb::json::parse_file(TINYBERT_TEST_DATA_DIR "/metrics/classification_cases.json");
    REQUIRE(cases.as_array().size() >= 20);
    for (const auto& c : cases.as_array()) {
        const auto labels = ints(c.at("labels")), preds = ints(c.at("preds"));
        CHECK(std::abs(tbm::accuracy(preds, labels) - c.at("accuracy").as_double()) <= 1e-12);
        if (const auto* bin = c.find("binary")) {
            const auto b = tbm::binary_precision_recall_f1(preds, labels);
            CHECK(std::abs(b.precision - bin->as_array()[0].as_double()) <= 1e-12);
            CHECK(std::abs(b.recall - bin->as_array()[1].as_double()) <= 1e-12);
            CHECK(std::abs(b.f1 - bin->as_array()[2].as_double()) <= 1e-12);
        }
        const auto m = tbm::macro_precision_recall_f1(preds, labels);
        const auto& ref = c.at("macro").as_array();
        CHECK(std::abs(m.precision - ref[0].as_double()) <= 1e-12);
        CHECK(std::abs(m.recall - ref[1].as_double()) <= 1e-12);
        CHECK(std::abs(m.f1 - ref[2].as_double()) <= 1e-12);
    }
}
