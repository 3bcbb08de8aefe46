// seqeval: goldens from the seqeval docs and spec edge cases, plus a fixture scored by the real Python seqeval
// (reported as HF evaluate's "seqeval" metric does) in default and strict IOB2 modes.
#include <catch2/catch.hpp>
#include <cmath>

#include "tinybert/io/json.hpp"
#include "tinybert/metrics/seqeval.hpp"

namespace tb = tinybert;
namespace tbm = tinybert::metrics;
using tbm::Entity;
using tbm::SeqevalMode;
using tbm::TagSequences;

namespace {

TagSequences sequences(const tb::json::Value& v) {
    TagSequences out;
    for (const auto& s : v.as_array()) {
        out.emplace_back();
        for (const auto& t : s.as_array()) out.back().push_back(t.as_string());
    }
    return out;
}

bool close(double a, double b) {
    return std::abs(a - b) <= 1e-12;
}

void check_against(const tbm::SeqevalResult& got, const tb::json::Value& want) {
    CHECK(close(got.overall_precision, want.at("overall_precision").as_double()));
    CHECK(close(got.overall_recall, want.at("overall_recall").as_double()));
    CHECK(close(got.overall_f1, want.at("overall_f1").as_double()));
    CHECK(close(got.overall_accuracy, want.at("overall_accuracy").as_double()));
    const auto& types = want.at("per_type").as_object();
    REQUIRE(got.per_type.size() == types.size());
    for (const auto& [name, s] : types) {
        const auto it = got.per_type.find(name);
        REQUIRE(it != got.per_type.end());
        CHECK(close(it->second.precision, s.at("precision").as_double()));
        CHECK(close(it->second.recall, s.at("recall").as_double()));
        CHECK(close(it->second.f1, s.at("f1").as_double()));
        CHECK(it->second.number == static_cast<std::size_t>(s.at("number").as_int()));
    }
}

}  // namespace

TEST_CASE("seqeval docs example: overall 0.5, accuracy 0.8, MISC 0, PER 1") {
    const TagSequences y_true{{"O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"}, {"B-PER", "I-PER", "O"}};
    const TagSequences y_pred{{"O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"}, {"B-PER", "I-PER", "O"}};
    for (const auto mode : {SeqevalMode::conlleval, SeqevalMode::strict_iob2}) {
        const auto r = tbm::seqeval(y_true, y_pred, mode);
        CHECK(r.overall_precision == 0.5);
        CHECK(r.overall_recall == 0.5);
        CHECK(r.overall_f1 == 0.5);
        CHECK(r.overall_accuracy == 0.8);
        REQUIRE(r.per_type.size() == 2);
        CHECK(r.per_type.at("MISC").f1 == 0.0);
        CHECK(r.per_type.at("PER").f1 == 1.0);
        CHECK(r.per_type.at("PER").number == 1);
    }
}

TEST_CASE("default-mode chunking: I- starts entities, type changes split them") {
    CHECK(tbm::get_entities({{"O", "I-PER", "I-PER"}}) == std::vector<Entity>{{"PER", 1, 2}});
    CHECK(tbm::get_entities({{"B-PER", "I-LOC"}}) == std::vector<Entity>{{"PER", 0, 0}, {"LOC", 1, 1}});
    CHECK(tbm::get_entities({{"B-PER", "B-PER"}}) == std::vector<Entity>{{"PER", 0, 0}, {"PER", 1, 1}});
    CHECK(tbm::get_entities({{"B-PER", "I-PER", "O", "B-LOC"}}) == std::vector<Entity>{{"PER", 0, 1}, {"LOC", 3, 3}});
    // Sentences are joined with an O, so an entity never runs across them; positions count the separator.
    CHECK(tbm::get_entities({{"I-PER"}, {"I-PER"}}) == std::vector<Entity>{{"PER", 0, 0}, {"PER", 2, 2}});
    // IOBES prefixes: E closes, S is a single.
    CHECK(tbm::get_entities({{"B-ORG", "E-ORG", "S-ORG", "I-ORG"}}) ==
          std::vector<Entity>{{"ORG", 0, 1}, {"ORG", 2, 2}, {"ORG", 3, 3}});
    CHECK_THROWS_AS(tbm::get_entities({{"O", ""}}), tb::Error);
}

TEST_CASE("strict IOB2: stray I- is dropped, B-PER I-LOC is PER only, bad prefixes throw") {
    CHECK(tbm::get_entities_strict_iob2({{"I-PER"}}).empty());
    CHECK(tbm::get_entities_strict_iob2({{"B-PER", "I-LOC"}}) == std::vector<Entity>{{"PER", 0, 0}});
    CHECK(tbm::get_entities_strict_iob2({{"O", "B-LOC", "I-LOC", "I-LOC", "B-LOC"}}) ==
          std::vector<Entity>{{"LOC", 1, 3}, {"LOC", 4, 4}});
    CHECK_THROWS_AS(tbm::get_entities_strict_iob2({{"S-PER"}}), tb::Error);
    CHECK_THROWS_AS(tbm::get_entities_strict_iob2({{"X-PER"}}), tb::Error);
}

TEST_CASE("a predicted type absent from gold counts against overall precision") {
    // seqeval 1.2.2 (and so HF evaluate) lists LOC with number 0 in its per-type report.
    const auto r = tbm::seqeval({{"B-PER", "O", "O"}}, {{"B-PER", "O", "B-LOC"}});
    CHECK(r.overall_precision == 0.5);
    CHECK(r.overall_recall == 1.0);
    CHECK(r.overall_f1 == Approx(2.0 / 3.0).margin(1e-15));
    CHECK(r.per_type.at("PER").f1 == 1.0);
    CHECK(r.per_type.at("LOC").number == 0);
    CHECK(r.per_type.at("LOC").precision == 0.0);
}

TEST_CASE("seqeval rejects mismatched or empty input") {
    CHECK_THROWS_AS(tbm::seqeval({{"O"}}, {{"O"}, {"O"}}), tb::Error);
    CHECK_THROWS_AS(tbm::seqeval({{"O", "O"}}, {{"O"}}), tb::Error);
    CHECK_THROWS_AS(tbm::seqeval({{}}, {{}}), tb::Error);
}

TEST_CASE("seqeval matches the Python seqeval package on generated cases") {
    const auto cases = tb::json::parse_file(TINYBERT_TEST_DATA_DIR "/metrics/seqeval_cases.json");
    REQUIRE(cases.as_array().size() >= 50);
    std::size_t strict_cases = 0;
    for (const auto& c : cases.as_array()) {
        const TagSequences y_true = sequences(c.at("y_true")), y_pred = sequences(c.at("y_pred"));
        check_against(tbm::seqeval(y_true, y_pred), c.at("default"));
        if (const auto* strict = c.find("strict")) {
            check_against(tbm::seqeval(y_true, y_pred, SeqevalMode::strict_iob2), *strict);
            ++strict_cases;
        }
    }
    CHECK(strict_cases >= 40);
}
