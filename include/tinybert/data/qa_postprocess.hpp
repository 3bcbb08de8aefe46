// tinybert/data/qa_postprocess.hpp: SQuAD answer extraction from per-feature start/end logits, as HF
// examples/pytorch/question-answering/utils_qa.py postprocess_qa_predictions (n_best 20, max_answer_length 30,
// SQuAD v1.1 and v2 null handling). Pure host code over plain vectors: no tokenizer or tensor types.
// Offsets are code-point [start, end) spans into the context (Python str indices); nullopt marks non-context tokens.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/data/example.hpp"

namespace tinybert {

struct CharSpan {
    std::size_t start = 0;  // code points, inclusive
    std::size_t end = 0;    // code points, exclusive
    friend bool operator==(const CharSpan&, const CharSpan&) = default;
};

// One feature (window) of an example. Logits are float32, as the model produces them, so scores add in float
// exactly as numpy does. requires: start_logits.size() == end_logits.size(); offsets may be shorter (positions
// past its end count as non-context).
struct QaFeatureView {
    std::span<const float> start_logits;               // (S)
    std::span<const float> end_logits;                 // (S)
    std::span<const std::optional<CharSpan>> offsets;  // (S) context span of each token, nullopt otherwise
};

struct QaPostprocessOptions {
    std::size_t n_best_size = 20;
    std::size_t max_answer_length = 30;  // tokens
    bool version_2_with_negative = false;
    double null_score_diff_threshold = 0.0;
};

struct QaCandidate {
    std::string text;              // context substring ("" for the null answer, "empty" for the placeholder)
    std::optional<CharSpan> span;  // nullopt only for the "empty" placeholder; (0,0) for the null answer
    float score = 0.0f;            // start_logit + end_logit, in float
    float start_logit = 0.0f;
    float end_logit = 0.0f;
    double probability = 0.0;  // softmax over the kept candidates' scores (reporting only)
};

struct QaPrediction {
    std::string text;                 // the answer ("" = no answer, v2 only; "empty" when nothing survived)
    std::optional<CharSpan> span;     // its code-point span in the context; nullopt for "" and "empty"
    std::vector<QaCandidate> n_best;  // best first
    std::optional<float> score_diff;  // v2: null_score - (best non-null start_logit + end_logit)
};

namespace detail {

// Indices of the n largest values, largest first; ties in descending index order (reversed stable argsort).
inline std::vector<std::size_t> qa_top_indices(std::span<const float> v, std::size_t n) {
    std::vector<std::size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    const std::size_t k = std::min(n, idx.size());
    std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(),
                      [&](std::size_t a, std::size_t b) { return v[a] != v[b] ? v[a] > v[b] : a > b; });
    idx.resize(k);
    return idx;
}

}  // namespace detail

// Post-process one example: `features` are its windows in production order.
inline QaPrediction postprocess_qa_example(std::string_view context, std::span<const QaFeatureView> features,
                                           const QaPostprocessOptions& opt = {}) {
    TINYBERT_CHECK(opt.n_best_size > 0, "postprocess_qa_example: n_best_size must be > 0");
    TINYBERT_CHECK(!features.empty(), "postprocess_qa_example: the example has no features");
    const std::vector<std::size_t> cp_bytes = detail::code_point_byte_offsets(context);  // code point -> byte
    const std::size_t context_len = cp_bytes.size() - 1;

    std::vector<QaCandidate> prelim;
    std::optional<QaCandidate> min_null;
    for (std::size_t f = 0; f < features.size(); ++f) {
        const QaFeatureView& feat = features[f];
        TINYBERT_CHECK(feat.start_logits.size() == feat.end_logits.size() && !feat.start_logits.empty(),
                       "postprocess_qa_example: feature ", f, " has ", feat.start_logits.size(), " start and ",
                       feat.end_logits.size(), " end logits");
        for (std::size_t i = 0; i < feat.start_logits.size(); ++i)
            TINYBERT_CHECK(!std::isnan(feat.start_logits[i]) && !std::isnan(feat.end_logits[i]),
                           "postprocess_qa_example: feature ", f, " has a NaN logit at position ", i);
        const float null_score = feat.start_logits[0] + feat.end_logits[0];
        if (!min_null || min_null->score > null_score)
            min_null = QaCandidate{"", CharSpan{0, 0}, null_score, feat.start_logits[0], feat.end_logits[0], 0.0};

        const auto starts = detail::qa_top_indices(feat.start_logits, opt.n_best_size);
        const auto ends = detail::qa_top_indices(feat.end_logits, opt.n_best_size);
        const std::size_t n_off = feat.offsets.size();
        for (const std::size_t s : starts) {
            for (const std::size_t e : ends) {
                if (s >= n_off || e >= n_off || !feat.offsets[s] || !feat.offsets[e]) continue;
                if (e < s || e - s + 1 > opt.max_answer_length) continue;
                const CharSpan span{feat.offsets[s]->start, feat.offsets[e]->end};
                TINYBERT_CHECK(span.start <= span.end && span.end <= context_len, "postprocess_qa_example: feature ", f,
                               " offsets [", span.start, ", ", span.end, ") fall outside the context (", context_len,
                               " code points)");
                prelim.push_back({"", span, feat.start_logits[s] + feat.end_logits[e], feat.start_logits[s],
                                  feat.end_logits[e], 0.0});
            }
        }
    }
    if (opt.version_2_with_negative && min_null) prelim.push_back(*min_null);

    std::stable_sort(prelim.begin(), prelim.end(),
                     [](const QaCandidate& a, const QaCandidate& b) { return a.score > b.score; });
    if (prelim.size() > opt.n_best_size) prelim.resize(opt.n_best_size);
    const bool has_null = std::any_of(prelim.begin(), prelim.end(), [](const QaCandidate& c) {
        return c.span == CharSpan{0, 0};
    });
    if (opt.version_2_with_negative && min_null && !has_null) prelim.push_back(*min_null);

    for (QaCandidate& c : prelim)
        c.text = std::string(context.substr(cp_bytes[c.span->start], cp_bytes[c.span->end] - cp_bytes[c.span->start]));
    if (prelim.empty() || (prelim.size() == 1 && prelim[0].text.empty()))
        prelim.insert(prelim.begin(), QaCandidate{"empty", std::nullopt, 0.0f, 0.0f, 0.0f, 0.0});

    double max_score = -HUGE_VAL, total = 0.0;
    for (const QaCandidate& c : prelim) max_score = std::max(max_score, static_cast<double>(c.score));
    for (QaCandidate& c : prelim) total += c.probability = std::exp(static_cast<double>(c.score) - max_score);
    for (QaCandidate& c : prelim) c.probability /= total;

    QaPrediction out;
    auto best = prelim.begin();
    if (opt.version_2_with_negative) {
        best = std::find_if(prelim.begin(), prelim.end(), [](const QaCandidate& c) { return !c.text.empty(); });
        // With real offsets some kept candidate is non-empty; if none is, the null answer wins.
        const bool none = best == prelim.end();
        out.score_diff = min_null->score - (none ? 0.0f : best->start_logit) - (none ? 0.0f : best->end_logit);
        if (none || static_cast<double>(*out.score_diff) > opt.null_score_diff_threshold) {
            out.n_best = std::move(prelim);
            return out;
        }
    }
    out.text = best->text;
    out.span = best->span;
    out.n_best = std::move(prelim);
    return out;
}

}  // namespace tinybert
