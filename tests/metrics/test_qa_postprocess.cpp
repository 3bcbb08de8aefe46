// QA post-processing: hand-worked examples of the utils_qa.py rules, and a fixture produced by a numpy
// re-implementation of postprocess_qa_predictions on random float32 logits (tools/metrics/make_metric_cases.py).
#include <catch2/catch.hpp>
#include <cmath>

#include "tinybert/data/qa_postprocess.hpp"
#include "tinybert/io/json.hpp"

namespace tb = tinybert;
using Offsets = std::vector<std::optional<tb::CharSpan>>;

namespace {

// [CLS] q [SEP] c0 c1 c2 [SEP] over context "ab cd éf": c0 = [0,2), c1 = [3,5), c2 = [6,8).
const std::string context = "ab cd éf";
const Offsets offsets{std::nullopt,       std::nullopt,       std::nullopt, tb::CharSpan{0, 2},
                      tb::CharSpan{3, 5}, tb::CharSpan{6, 8}, std::nullopt};

}  // namespace

TEST_CASE("best span skips non-context tokens, end < start and over-long spans") {
    // The best raw logits sit on [CLS] and the question; the best valid pair is start c1, end c2.
    const std::vector<float> start{9, 8, 0, 1, 3, 2, 7}, end{9, 8, 0, 1, 0, 4, 7};
    const tb::QaFeatureView f{start, end, offsets};
    const auto p = tb::postprocess_qa_example(context, std::span(&f, 1));
    CHECK(p.text == "cd éf");
    REQUIRE(p.span);
    CHECK(*p.span == tb::CharSpan{3, 8});
    CHECK(p.n_best.front().score == 7.0f);
    CHECK(p.n_best.size() == 6);  // all 6 pairs (s <= e) of the 3 context tokens
    double total = 0;
    for (const auto& c : p.n_best) total += c.probability;
    CHECK(total == Approx(1.0));

    tb::QaPostprocessOptions opt;
    opt.max_answer_length = 1;  // only single-token spans survive
    const auto q = tb::postprocess_qa_example(context, std::span(&f, 1), opt);
    CHECK(q.text == "éf");
    CHECK(q.n_best.size() == 3);
}

TEST_CASE("equal scores keep insertion order: feature, then start rank, then end rank") {
    // Equal start logits on c0 and c2: the top-k order is descending index, so start c2 is tried first.
    const std::vector<float> start{0, 0, 0, 5, 0, 5, 0}, end{0, 0, 0, 0, 0, 1, 0};
    const tb::QaFeatureView f{start, end, offsets};
    tb::QaPostprocessOptions opt;
    const auto p = tb::postprocess_qa_example(context, std::span(&f, 1), opt);
    // Pairs scoring 6: (c2,c2) inserted before (c0,c2).
    REQUIRE(p.n_best.size() >= 2);
    CHECK(p.n_best[0].text == "éf");
    CHECK(p.n_best[1].text == "ab cd éf");
}

TEST_CASE("no valid span gives the literal empty answer, v2 predicts no answer when the null score wins") {
    const std::vector<float> start{1, 0, 0, 0, 0, 0, 0}, end{1, 0, 0, 0, 0, 0, 0};
    const Offsets none(7);
    const tb::QaFeatureView f{start, end, none};
    CHECK(tb::postprocess_qa_example(context, std::span(&f, 1)).text == "empty");

    const std::vector<float> s2{4, 0, 0, 1, 0, 0, 0}, e2{4, 0, 0, 1, 0, 0, 0};
    const tb::QaFeatureView g{s2, e2, offsets};
    tb::QaPostprocessOptions v2;
    v2.version_2_with_negative = true;
    const auto p = tb::postprocess_qa_example(context, std::span(&g, 1), v2);
    CHECK(p.text.empty());
    CHECK(!p.span);
    REQUIRE(p.score_diff);
    CHECK(*p.score_diff == 6.0f);  // null 8 - (1 + 1)
    v2.null_score_diff_threshold = 6.5;
    CHECK(tb::postprocess_qa_example(context, std::span(&g, 1), v2).text == "ab");
}

TEST_CASE("bad post-processing input is an error") {
    const std::vector<float> start{0, 1}, end{0, 1};
    const Offsets far{std::nullopt, tb::CharSpan{0, 99}};
    const tb::QaFeatureView f{start, end, far};
    CHECK_THROWS_AS(tb::postprocess_qa_example(context, std::span(&f, 1)), tb::Error);
    const std::vector<float> nan{0, std::nanf("")};
    const tb::QaFeatureView g{nan, end, offsets};
    CHECK_THROWS_AS(tb::postprocess_qa_example(context, std::span(&g, 1)), tb::Error);
    CHECK_THROWS_AS(tb::postprocess_qa_example(context, std::span<const tb::QaFeatureView>()), tb::Error);
}

TEST_CASE("post-processing matches the utils_qa.py reference on generated logits") {
    const auto cases = tb::json::parse_file(TINYBERT_TEST_DATA_DIR "/metrics/qa_postprocess_cases.json");
    REQUIRE(cases.as_array().size() >= 20);
    for (const auto& c : cases.as_array()) {
        std::vector<std::vector<float>> starts, ends;
        std::vector<Offsets> offs;
        for (const auto& f : c.at("features").as_array()) {
            starts.emplace_back();
            ends.emplace_back();
            offs.emplace_back();
            for (const auto& x : f.at("start_logits").as_array())
                starts.back().push_back(static_cast<float>(x.as_double()));
            for (const auto& x : f.at("end_logits").as_array())
                ends.back().push_back(static_cast<float>(x.as_double()));
            for (const auto& o : f.at("offsets").as_array()) {
                if (o.is_null())
                    offs.back().emplace_back();
                else
                    offs.back().push_back(tb::CharSpan{static_cast<std::size_t>(o.as_array()[0].as_int()),
                                                       static_cast<std::size_t>(o.as_array()[1].as_int())});
            }
        }
        std::vector<tb::QaFeatureView> views;
        for (std::size_t i = 0; i < starts.size(); ++i) views.push_back({starts[i], ends[i], offs[i]});
        tb::QaPostprocessOptions opt;
        opt.version_2_with_negative = c.at("version_2_with_negative").as_bool();
        const auto got = tb::postprocess_qa_example(c.at("context").as_string(), views, opt);
        const auto& want = c.at("expected");
        CHECK(got.text == want.at("answer").as_string());
        const auto& nb = want.at("n_best").as_array();
        REQUIRE(got.n_best.size() == nb.size());
        for (std::size_t i = 0; i < nb.size(); ++i) {
            CHECK(got.n_best[i].text == nb[i].at("text").as_string());
            CHECK(got.n_best[i].score == static_cast<float>(nb[i].at("score").as_double()));
            CHECK(got.n_best[i].start_logit == static_cast<float>(nb[i].at("start_logit").as_double()));
            CHECK(std::abs(got.n_best[i].probability - nb[i].at("probability").as_double()) <= 1e-9);
            const auto& o = nb[i].at("offsets");
            CHECK(got.n_best[i].span.has_value() == !o.is_null());
            if (got.n_best[i].span && !o.is_null())
                CHECK(got.n_best[i].span->start == static_cast<std::size_t>(o.as_array()[0].as_int()));
        }
        if (opt.version_2_with_negative) {
            REQUIRE(got.score_diff);
            CHECK(*got.score_diff == static_cast<float>(want.at("score_diff").as_double()));
        }
    }
}
