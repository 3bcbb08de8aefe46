// tinybert/tasks/ner.hpp: token classification end to end: seqeval evaluation (run_ner.py compute_metrics: argmax per
// token, only positions whose gold label is not -100, default mode) and inference that groups the first-sub-token
// predictions of words into entities with character spans and scores.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "tinybert/data/features.hpp"
#include "tinybert/metrics/classification.hpp"
#include "tinybert/metrics/seqeval.hpp"
#include "tinybert/tasks/predict.hpp"
#include "tinybert/train/progress.hpp"

namespace tinybert {

struct NamedEntity {
    std::string type;       // e.g. "PER"
    std::string text;       // the entity's text (a substring of the input text, or its words joined by spaces)
    std::size_t start = 0;  // code-point span [start, end) in the text; word span for pre-split input
    std::size_t end = 0;
    double score = 0;       // mean softmax probability of its words' labels
};

// Per feature: the (S_i, C) logits of its tokens, row-major.
template <class Model>
std::vector<std::vector<float>> token_logits(Model& model, const std::vector<Feature>& features, std::int64_t pad_id,
                                             std::size_t batch_size = 32,
                                             const dist::Communicator& comm = dist::single_process()) {
    std::vector<std::vector<float>> out(features.size());
    predict_batches(model, features, pad_id, batch_size, [&](const auto& o, const std::vector<std::size_t>& rows) {
        const auto v = o.logits.value().to_vector();
        const auto S = static_cast<std::size_t>(o.logits.shape().dim(1)), C = static_cast<std::size_t>(o.logits.shape().dim(2));
        for (std::size_t r = 0; r < rows.size(); ++r) {
            const std::size_t n = features[rows[r]].size();
            out[rows[r]].assign(v.begin() + static_cast<std::ptrdiff_t>(r * S * C),
                                v.begin() + static_cast<std::ptrdiff_t>((r * S + n) * C));
        }
    }, comm);
    gather_rows(out, batch_size, comm);
    return out;
}

// seqeval precision, recall, f1 (default mode) and token accuracy over the labelled positions.
template <class Model>
Metrics evaluate_ner(Model& model, const std::vector<Feature>& features, const std::vector<std::string>& label_names,
                     std::int64_t pad_id, std::size_t batch_size = 32,
                     const dist::Communicator& comm = dist::single_process()) {
    const auto logits = token_logits(model, features, pad_id, batch_size, comm);
    const std::size_t C = label_names.size();
    metrics::TagSequences gold, pred;
    for (std::size_t i = 0; i < features.size(); ++i) {
        const auto ids = metrics::argmax_rows(std::span<const float>(logits[i]), C);
        gold.emplace_back();
        pred.emplace_back();
        for (std::size_t k = 0; k < features[i].size(); ++k) {
            const std::int64_t g = features[i].token_labels[k];
            if (g == -100) continue;
            gold.back().push_back(label_names[static_cast<std::size_t>(g)]);
            pred.back().push_back(label_names[static_cast<std::size_t>(ids[k])]);
        }
    }
    const auto r = metrics::seqeval(gold, pred);
    return {{"precision", r.overall_precision}, {"recall", r.overall_recall}, {"f1", r.overall_f1},
            {"accuracy", r.overall_accuracy}};
}

namespace detail {

// Groups per-word tags into entities (seqeval default rules) with spans from `word_span(first, last)`.
template <class Span>
std::vector<NamedEntity> group_entities(const std::vector<std::string>& tags, const std::vector<double>& probs,
                                        Span&& word_span) {
    std::vector<NamedEntity> out;
    for (const auto& e : metrics::get_entities({tags})) {
        NamedEntity ne = word_span(e.start, e.end);
        ne.type = e.type;
        double s = 0;
        for (std::size_t w = e.start; w <= e.end; ++w) s += probs[w];
        ne.score = s / static_cast<double>(e.end - e.start + 1);
        out.push_back(std::move(ne));
    }
    return out;
}

// Tag and probability of each word from its first sub-token's logits.
inline void word_predictions(const Encoding& e, const std::vector<float>& logits, const std::vector<std::string>& names,
                             std::size_t num_words, std::vector<std::string>& tags, std::vector<double>& probs,
                             std::vector<std::pair<std::size_t, std::size_t>>& spans) {
    const std::size_t C = names.size();
    tags.assign(num_words, "O");
    probs.assign(num_words, 1.0);
    spans.assign(num_words, {0, 0});
    std::int64_t previous = -1;
    for (std::size_t k = 0; k < e.size(); ++k) {
        const std::int64_t w = e.word_ids[k];
        if (w < 0) continue;
        const auto wi = static_cast<std::size_t>(w);
        if (w != previous) {
            const std::span<const float> row(logits.data() + k * C, C);
            const std::size_t best = metrics::argmax(row);
            double z = 0;
            for (const float x : row) z += std::exp(static_cast<double>(x - row[best]));
            tags[wi] = names[best];
            probs[wi] = 1.0 / z;
            spans[wi] = e.offsets[k];
        }
        spans[wi].second = e.offsets[k].second;
        previous = w;
    }
}

}  // namespace detail

// Entities in a raw text (words are the tokenizer's pre-tokenized words; spans are code points of `text`).
template <class Model>
std::vector<NamedEntity> find_entities(Model& model, const Tokenizer& tok, const std::string& text,
                                       std::size_t max_length = 512) {
    const Encoding e = tok.encode(text, {.max_length = max_length, .truncation = Truncation::longest_first}).front();
    std::vector<Feature> f{detail::feature_from(e, 0, tok)};
    const auto logits = token_logits(model, f, tok.pad_id(), 1).front();
    std::int64_t words = 0;
    for (const auto w : e.word_ids) words = std::max(words, w + 1);
    std::vector<std::string> tags;
    std::vector<double> probs;
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    detail::word_predictions(e, logits, model.config().id2label, static_cast<std::size_t>(words), tags, probs, spans);
    const auto cp = detail::code_point_byte_offsets(text);
    return detail::group_entities(tags, probs, [&](std::size_t a, std::size_t b) {
        NamedEntity ne;
        ne.start = spans[a].first;
        ne.end = spans[b].second;
        ne.text = text.substr(cp[ne.start], cp[ne.end] - cp[ne.start]);
        return ne;
    });
}

// Entities in pre-split words (spans are word indices [start, end); text joins the words with spaces).
template <class Model>
std::vector<NamedEntity> find_entities(Model& model, const Tokenizer& tok, const std::vector<std::string>& words,
                                       std::size_t max_length = 512) {
    const Encoding e = tok.encode_words(words, {.max_length = max_length, .truncation = Truncation::longest_first}).front();
    std::vector<Feature> f{detail::feature_from(e, 0, tok)};
    const auto logits = token_logits(model, f, tok.pad_id(), 1).front();
    std::vector<std::string> tags;
    std::vector<double> probs;
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    detail::word_predictions(e, logits, model.config().id2label, words.size(), tags, probs, spans);
    return detail::group_entities(tags, probs, [&](std::size_t a, std::size_t b) {
        NamedEntity ne;
        ne.start = a;
        ne.end = b + 1;
        for (std::size_t w = a; w <= b; ++w) ne.text += (w > a ? " " : "") + words[w];
        return ne;
    });
}

}  // namespace tinybert
