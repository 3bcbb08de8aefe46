// tinybert/metrics/seqeval.hpp: entity-level NER scores, as chakki-works/seqeval 1.2.2 computes them and as the
// Hugging Face `evaluate` "seqeval" metric reports them (overall_* plus per-type {precision, recall, f1, number}).
// Default mode = seqeval's conlleval-compatible get_entities (mode=None, suffix=False); strict mode = mode="strict"
// with scheme=IOB2. Sentences are scored on one flattened sequence with an `O` after each sentence.
#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "tinybert/core/error.hpp"

namespace tinybert::metrics {

using TagSequences = std::vector<std::vector<std::string>>;  // one vector of tag strings per sentence

enum class SeqevalMode {
    conlleval,    // seqeval default (mode=None): lenient chunking, `O I-PER` and `I-PER I-LOC` start entities
    strict_iob2,  // seqeval mode="strict", scheme=IOB2: entities start at B-X and continue with I-X only
};

// An entity over the flattened sequence (sentence i+1 starts after sentence i's tags and one separator).
// `end` is inclusive, as in seqeval's get_entities.
struct Entity {
    std::string type;
    std::size_t start = 0;
    std::size_t end = 0;
    friend auto operator<=>(const Entity&, const Entity&) = default;
};

struct TypeScores {
    double precision = 0.0;
    double recall = 0.0;
    double f1 = 0.0;
    std::size_t number = 0;  // gold entities of this type (seqeval "support")
};

struct SeqevalResult {
    double overall_precision = 0.0;  // micro average over all entity types
    double overall_recall = 0.0;
    double overall_f1 = 0.0;
    double overall_accuracy = 0.0;               // token accuracy over all tags, O included
    std::map<std::string, TypeScores> per_type;  // sorted by type name: every type found in gold or predictions
};

namespace detail {

// Byte length of the UTF-8 sequence starting with lead byte c (1 for ASCII and for stray bytes).
inline std::size_t seqeval_lead_length(unsigned char c) {
    if (c >= 0xF0) return 4;
    if (c >= 0xE0) return 3;
    if (c >= 0xC0) return 2;
    return 1;
}

// seqeval default mode: prefix = first character, type = chunk[1:].split('-', 1)[-1] or "_".
inline std::pair<std::string_view, std::string_view> seqeval_split(std::string_view chunk) {
    TINYBERT_CHECK(!chunk.empty(), "seqeval: empty tag string");
    const std::size_t n = std::min(chunk.size(), seqeval_lead_length(static_cast<unsigned char>(chunk[0])));
    std::string_view rest = chunk.substr(n);
    if (const std::size_t dash = rest.find('-'); dash != std::string_view::npos) rest = rest.substr(dash + 1);
    return {chunk.substr(0, n), rest.empty() ? std::string_view("_") : rest};
}

inline bool seqeval_end_of_chunk(std::string_view prev_tag, std::string_view tag, std::string_view prev_type,
                                 std::string_view type) {
    if (prev_tag == "E" || prev_tag == "S") return true;
    if ((prev_tag == "B" || prev_tag == "I") && (tag == "B" || tag == "S" || tag == "O")) return true;
    return prev_tag != "O" && prev_tag != "." && prev_type != type;
}

inline bool seqeval_start_of_chunk(std::string_view prev_tag, std::string_view tag, std::string_view prev_type,
                                   std::string_view type) {
    if (tag == "B" || tag == "S") return true;
    if ((prev_tag == "E" || prev_tag == "S" || prev_tag == "O") && (tag == "E" || tag == "I")) return true;
    return tag != "O" && tag != "." && prev_type != type;
}

// The flattened sequence seqeval scores: every sentence followed by one "O".
inline std::vector<std::string_view> seqeval_flatten(const TagSequences& seqs) {
    std::vector<std::string_view> flat;
    for (const auto& s : seqs) {
        flat.insert(flat.end(), s.begin(), s.end());
        flat.emplace_back("O");
    }
    return flat;
}

// Strict IOB2 token: prefix must be B, I or O; type = tag[1:].strip('-') or "_".
inline std::pair<char, std::string_view> iob2_token(std::string_view tag) {
    TINYBERT_CHECK(!tag.empty() && (tag[0] == 'B' || tag[0] == 'I' || tag[0] == 'O'),
                   "seqeval strict IOB2: invalid tag \"", tag, "\"; allowed prefixes are B, I and O");
    std::string_view type = tag.substr(1);
    while (!type.empty() && type.front() == '-') type.remove_prefix(1);
    while (!type.empty() && type.back() == '-') type.remove_suffix(1);
    return {tag[0], type.empty() ? std::string_view("_") : type};
}

}  // namespace detail

// seqeval.metrics.sequence_labeling.get_entities (suffix=False) over sentences joined by "O" separators.
inline std::vector<Entity> get_entities(const TagSequences& seqs) {
    std::vector<std::string_view> flat = detail::seqeval_flatten(seqs);
    flat.emplace_back("O");  // get_entities appends one more trailing O
    std::vector<Entity> chunks;
    std::string_view prev_tag = "O", prev_type;
    std::size_t begin = 0;
    for (std::size_t i = 0; i < flat.size(); ++i) {
        const auto [tag, type] = detail::seqeval_split(flat[i]);
        if (detail::seqeval_end_of_chunk(prev_tag, tag, prev_type, type))
            chunks.push_back({std::string(prev_type), begin, i - 1});
        if (detail::seqeval_start_of_chunk(prev_tag, tag, prev_type, type)) begin = i;
        prev_tag = tag;
        prev_type = type;
    }
    return chunks;
}

// Entities of seqeval's strict mode with the IOB2 scheme: B-X starts an entity, following I-X of the same type
// extend it; a stray I-X is dropped. Positions use the same flattened coordinates as get_entities.
inline std::vector<Entity> get_entities_strict_iob2(const TagSequences& seqs) {
    std::vector<Entity> out;
    std::size_t offset = 0;
    for (const auto& seq : seqs) {
        std::size_t i = 0;
        while (i < seq.size()) {
            const auto [prefix, type] = detail::iob2_token(seq[i]);
            if (prefix != 'B') {
                ++i;
                continue;
            }
            std::size_t end = i + 1;
            while (end < seq.size()) {
                const auto [p, t] = detail::iob2_token(seq[end]);
                if (p != 'I' || t != type) break;
                ++end;
            }
            out.push_back({std::string(type), offset + i, offset + end - 1});
            i = end;
        }
        offset += seq.size() + 1;
    }
    return out;
}

// HF evaluate "seqeval": compute(predictions=y_pred, references=y_true[, mode="strict", scheme="IOB2"]).
// requires: same number of sentences and the same length per sentence; at least one tag.
inline SeqevalResult seqeval(const TagSequences& y_true, const TagSequences& y_pred,
                             SeqevalMode mode = SeqevalMode::conlleval) {
    TINYBERT_CHECK(y_true.size() == y_pred.size(), "seqeval: ", y_true.size(), " gold sentences but ", y_pred.size(),
                   " predicted");
    std::size_t tokens = 0, correct = 0;
    for (std::size_t s = 0; s < y_true.size(); ++s) {
        TINYBERT_CHECK(y_true[s].size() == y_pred[s].size(), "seqeval: sentence ", s, " has ", y_true[s].size(),
                       " gold tags but ", y_pred[s].size(), " predicted");
        for (std::size_t k = 0; k < y_true[s].size(); ++k) correct += y_true[s][k] == y_pred[s][k] ? 1u : 0u;
        tokens += y_true[s].size();
    }
    TINYBERT_CHECK(tokens > 0, "seqeval: no tags to score");

    const bool strict = mode == SeqevalMode::strict_iob2;
    const std::vector<Entity> gold = strict ? get_entities_strict_iob2(y_true) : get_entities(y_true);
    const std::vector<Entity> pred = strict ? get_entities_strict_iob2(y_pred) : get_entities(y_pred);
    using Key = std::tuple<std::size_t, std::size_t>;
    std::map<std::string, std::pair<std::set<Key>, std::set<Key>>> by_type;  // type -> (gold spans, predicted spans)
    for (const Entity& e : gold) by_type[e.type].first.insert({e.start, e.end});
    for (const Entity& e : pred) by_type[e.type].second.insert({e.start, e.end});

    const auto div = [](double a, double b) { return b == 0.0 ? 0.0 : a / b; };
    const auto f1 = [&](double p, double r) { return div(2.0 * p * r, p + r); };
    SeqevalResult result;
    std::size_t tp_all = 0, pred_all = 0, true_all = 0;
    for (const auto& [type, spans] : by_type) {
        std::size_t tp = 0;
        for (const Key& k : spans.first) tp += spans.second.count(k);
        TypeScores ts;
        ts.precision = div(static_cast<double>(tp), static_cast<double>(spans.second.size()));
        ts.recall = div(static_cast<double>(tp), static_cast<double>(spans.first.size()));
        ts.f1 = f1(ts.precision, ts.recall);
        ts.number = spans.first.size();
        result.per_type.emplace(type, ts);
        tp_all += tp;
        pred_all += spans.second.size();
        true_all += spans.first.size();
    }
    result.overall_precision = div(static_cast<double>(tp_all), static_cast<double>(pred_all));
    result.overall_recall = div(static_cast<double>(tp_all), static_cast<double>(true_all));
    result.overall_f1 = f1(result.overall_precision, result.overall_recall);
    result.overall_accuracy = static_cast<double>(correct) / static_cast<double>(tokens);
    return result;
}

}  // namespace tinybert::metrics
