// tinybert/data/qa_features.hpp: SQuAD examples -> windowed features (run_qa.py prepare_train_features and
// prepare_validation_features, spec §4): (question, context) pairs with only_second truncation, max_length 384,
// stride 128, overflow windows, padded to max_length. Two deliberate differences, both documented in docs/tasks.md:
// a question too long for the window is cut to max_query_length tokens (and counted) instead of failing the run,
// and the start-label scan stops at the last context token (run_qa.py's scan runs into [SEP]/padding).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tinybert/core/parallel.hpp"
#include "tinybert/data/features.hpp"

namespace tinybert {

struct QaFeatureOptions {
    std::size_t max_length = 384;
    std::size_t doc_stride = 128;
    std::size_t max_query_length = 64;  // only used when the whole question does not fit
};

namespace detail {

inline std::string_view lstrip(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r' ||
                          s.front() == '\f' || s.front() == '\v'))
        s.remove_prefix(1);
    return s;
}

// The question cut after its first `n` tokens (at the byte where token n-1 ends).
inline std::string truncate_question(const Tokenizer& tok, std::string_view question, std::size_t n) {
    const Encoding q = tok.encode(question, {.add_special_tokens = false}).front();
    if (q.size() <= n) return std::string(question);
    return std::string(question.substr(0, q.byte_offsets[n - 1].second));
}

// Token labels of one window (spec §4 steps 1–4, the start scan stopped at the last context token).
inline void label_window(Feature& f, const Encoding& e, const QaExample& ex) {
    f.start_position = f.end_position = 0;
    if (ex.answer_texts.empty()) return;
    const std::size_t sc = ex.answer_starts[0];
    const std::size_t ec = sc + (code_point_byte_offsets(ex.answer_texts[0]).size() - 1);
    std::size_t ts = 0, te = e.size();
    while (ts < e.size() && e.sequence_ids[ts] != 1) ++ts;
    while (te > 0 && e.sequence_ids[te - 1] != 1) --te;
    if (ts >= e.size() || te == 0) return;
    --te;  // last context token
    if (!(e.offsets[ts].first <= sc && e.offsets[te].second >= ec)) return;
    while (ts <= te && e.offsets[ts].first <= sc) ++ts;
    f.start_position = static_cast<std::int64_t>(ts) - 1;
    while (e.offsets[te].second >= ec) --te;
    f.end_position = static_cast<std::int64_t>(te) + 1;
}

}  // namespace detail

// Features for every window of every example, in example order. Each carries its example index, its context offsets
// (for post-processing) and its start/end labels (for training). `truncated_questions`, if given, counts questions
// cut to max_query_length.
template <DatasetOf<QaExample> Data>
std::vector<Feature> qa_features(const Data& data, const Tokenizer& tok, const QaFeatureOptions& o = {},
                                 std::size_t* truncated_questions = nullptr) {
    const EncodeOptions opt{.max_length = o.max_length, .truncation = Truncation::only_second,
                            .padding = Padding::max_length, .stride = o.doc_stride, .return_overflowing = true};
    std::vector<std::vector<Feature>> per_example(data.size());
    std::vector<char> truncated(data.size(), 0);
    parallel_for(data.size(), [&](std::size_t i) {
        const QaExample& ex = data[i];
        const std::string_view question = detail::lstrip(ex.question);
        std::vector<Encoding> windows;
        try {
            windows = tok.encode_pair(question, ex.context, opt);
        } catch (const Error&) {  // question too long for max_length, or its window would not exceed the stride
            windows = tok.encode_pair(detail::truncate_question(tok, question, o.max_query_length), ex.context, opt);
            truncated[i] = 1;
        }
        for (const Encoding& e : windows) {
            Feature f = detail::feature_from(e, i, tok);
            f.context_offsets.resize(e.size());
            for (std::size_t k = 0; k < e.size(); ++k)
                if (e.sequence_ids[k] == 1) f.context_offsets[k] = CharSpan{e.offsets[k].first, e.offsets[k].second};
            detail::label_window(f, e, ex);
            per_example[i].push_back(std::move(f));
        }
    });
    std::vector<Feature> out;
    for (auto& v : per_example)
        for (auto& f : v) out.push_back(std::move(f));
    if (truncated_questions) *truncated_questions = static_cast<std::size_t>(std::count(truncated.begin(), truncated.end(), 1));
    return out;
}

}  // namespace tinybert
