// SQuAD v1.1 EM/F1: spec goldens plus a fixture scored by the official evaluate-v1.1.py functions in Python.
#include <catch2/catch.hpp>
#include <cmath>

#include "tinybert/io/json.hpp"
#include "tinybert/metrics/squad.hpp"

namespace tb = tinybert;
namespace tbm = tinybert::metrics;

TEST_CASE("SQuAD goldens: Denver Broncos and the Broncos") {
    CHECK(tbm::squad_exact_match("Denver Broncos", "The Denver Broncos") == 1.0);
    CHECK(tbm::squad_f1("Denver Broncos", "The Denver Broncos") == 1.0);
    const auto s = tbm::squad_v1({{"q1", {"Denver Broncos", "The Denver Broncos"}}, {"q2", {"Denver Broncos"}}},
                                 {{"q1", "Denver Broncos"}, {"q2", "the Broncos"}});
    CHECK(s.exact_match == 50.0);
    // q2: P = 1/1, R = 1/2, F1 = 2/3; mean with q1's 1.0.
    CHECK(s.f1 == Approx(100.0 * (1.0 + 2.0 / 3.0) / 2.0).margin(1e-12));
    CHECK(tbm::squad_f1("the Broncos", "Denver Broncos") == Approx(2.0 / 3.0).margin(1e-15));
}

TEST_CASE("SQuAD normalization edge cases") {
    CHECK(tbm::squad_normalize_answer("The Beatles!") == "beatles");
    CHECK(tbm::squad_exact_match("The Beatles!", "beatles") == 1.0);
    CHECK(tbm::squad_f1("The Beatles!", "beatles") == 1.0);
    CHECK(tbm::squad_normalize_answer("the-end") == "theend");  // punctuation goes before articles
    CHECK(tbm::squad_normalize_answer("don’t") == "don’t");     // U+2019 is not ASCII punctuation
    CHECK(tbm::squad_exact_match("a", "the") == 1.0);           // both normalize to ""
    CHECK(tbm::squad_f1("a", "the") == 0.0);
    CHECK(tbm::squad_normalize_answer("ΣΟΦΟΣ") == "σοφος");  // Python str.lower applies final sigma
    CHECK(tbm::squad_normalize_answer("İ") == "i\u0307");
    CHECK(tbm::squad_normalize_answer("l'an  \u3000 théâtre") == "lan théâtre");
    CHECK(tbm::squad_normalize_answer("x\u00a0the\u2003y") == "x y");  // Unicode spaces split words
    CHECK(tbm::squad_normalize_answer("Éan") == "éan");                // "an" inside a word is kept
    CHECK_THROWS_AS(tbm::squad_normalize_answer("\xff"), tb::Error);
}

TEST_CASE("missing predictions score 0 and still count") {
    const auto s = tbm::squad_v1({{"a", {"x"}}, {"b", {"y"}}}, {{"a", "x"}});
    CHECK(s.exact_match == 50.0);
    CHECK(s.f1 == 50.0);
    CHECK(s.missing == 1);
    CHECK_THROWS_AS(tbm::squad_v1({}, {}), tb::Error);
    CHECK_THROWS_AS(tbm::squad_v1({{"a", {}}}, {{"a", "x"}}), tb::Error);
}

TEST_CASE("SQuAD metric matches the official script's functions on generated strings") {
    const auto fx = tb::json::parse_file(TINYBERT_TEST_DATA_DIR "/metrics/squad_cases.json");
    for (const auto& pair : fx.at("normalize").as_array()) {
        INFO(pair.as_array()[0].as_string());
        CHECK(tbm::squad_normalize_answer(pair.as_array()[0].as_string()) == pair.as_array()[1].as_string());
    }
    for (const auto& c : fx.at("pairs").as_array()) {
        const std::string& p = c.at("prediction").as_string();
        const std::string& g = c.at("gold").as_string();
        INFO(p << " | " << g);
        CHECK(tbm::squad_exact_match(p, g) == c.at("em").as_double());
        CHECK(std::abs(tbm::squad_f1(p, g) - c.at("f1").as_double()) <= 1e-12);
    }
    const auto& ev = fx.at("evaluate");
    std::vector<tbm::SquadReference> refs;
    for (const auto& q : ev.at("dataset").as_array()) {
        refs.push_back({q.at("id").as_string(), {}});
        for (const auto& a : q.at("answers").as_array()) refs.back().answers.push_back(a.as_string());
    }
    std::unordered_map<std::string, std::string> preds;
    for (const auto& [id, text] : ev.at("predictions").as_object()) preds[id] = text.as_string();
    const auto s = tbm::squad_v1(refs, preds);
    CHECK(std::abs(s.exact_match - ev.at("scores").at("exact_match").as_double()) <= 1e-12);
    CHECK(std::abs(s.f1 - ev.at("scores").at("f1").as_double()) <= 1e-12);
    CHECK(s.missing > 0);
}
