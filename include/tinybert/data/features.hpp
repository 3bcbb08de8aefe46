// tinybert/data/features.hpp: examples -> model features (run_glue.py / run_ner.py preprocessing, spec §5):
// classification truncates (longest_first) to max_length; NER labels the first sub-token of each word and gives the
// rest -100 (or, with label_all_tokens, the word's label with B-X mapped to I-X). Padding happens per batch in the
// loader, so features keep their own length.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tinybert/core/parallel.hpp"
#include "tinybert/data/dataset.hpp"
#include "tinybert/data/example.hpp"
#include "tinybert/data/qa_postprocess.hpp"
#include "tinybert/tokenizer/tokenizer.hpp"

namespace tinybert {

// One model input row (unpadded unless the task pads, as QA does) and its training targets.
struct Feature {
    std::vector<std::int64_t> input_ids, token_type_ids, attention_mask;
    std::int64_t label = -100;                  // sequence classification target
    std::vector<float> float_labels;            // regression {value} or multi-label multi-hot (C); empty: use label
    std::vector<std::int64_t> token_labels;     // token classification targets, -100 = ignored
    std::int64_t start_position = 0, end_position = 0;  // QA targets (0 = [CLS]: no answer in this window)
    std::size_t example_index = 0;              // the example this feature (window) came from
    std::vector<std::optional<CharSpan>> context_offsets;  // QA evaluation: context span per token, nullopt elsewhere
    std::vector<std::int64_t> word_ids;         // NER: the word of each token, -1 for specials and padding

    std::size_t size() const { return input_ids.size(); }
};

namespace detail {

// The model inputs of one encoding; token types all 0 when the tokenizer's model takes none (RoBERTa, XLM-R,
// DistilBERT: transformers' model_input_names lacks token_type_ids, so the model sees zeros).
inline Feature feature_from(const Encoding& e, std::size_t example_index, const Tokenizer& tok) {
    Feature f;
    f.input_ids = e.input_ids;
    f.token_type_ids = tok.returns_token_type_ids() ? e.token_type_ids
                                                    : std::vector<std::int64_t>(e.token_type_ids.size(), 0);
    f.attention_mask = e.attention_mask;
    f.example_index = example_index;
    return f;
}

}  // namespace detail

// Sequence classification: text (and text_pair) truncated longest_first to max_length. The targets follow the
// dataset's problem_type() (single-label when it has none): the class id in `label`; or float labels, as
// transformers' collator makes them (float32): multi-hot over num_labels() classes (multi-label), {value}
// (regression).
template <DatasetOf<TextExample> Data>
std::vector<Feature> classification_features(const Data& data, const Tokenizer& tok, std::size_t max_length) {
    const EncodeOptions opt{.max_length = max_length, .truncation = Truncation::longest_first};
    ProblemType problem = ProblemType::single_label_classification;
    std::size_t classes = 0;
    if constexpr (requires { data.problem_type(); data.num_labels(); }) {
        problem = data.problem_type();
        classes = data.num_labels();
    }
    std::vector<Feature> out(data.size());
    parallel_for(data.size(), [&](std::size_t i) {
        const TextExample& ex = data[i];
        const auto enc = ex.text_pair ? tok.encode_pair(ex.text, *ex.text_pair, opt) : tok.encode(ex.text, opt);
        out[i] = detail::feature_from(enc.front(), i, tok);
        if (problem == ProblemType::single_label_classification) {
            out[i].label = ex.label;
        } else if (problem == ProblemType::regression) {
            out[i].float_labels = {static_cast<float>(ex.value)};
        } else {
            out[i].float_labels.assign(classes, 0.0f);
            for (const std::int64_t id : ex.label_ids) {
                TINYBERT_CHECK(id >= 0 && static_cast<std::size_t>(id) < classes, "example ", i, ": label id ", id,
                               " is outside the ", classes, " classes");
                out[i].float_labels[static_cast<std::size_t>(id)] = 1.0f;
            }
        }
    });
    return out;
}

// The label id of `tag` in `label_names`; an unknown tag is an error naming the example.
inline std::int64_t tag_id(const std::vector<std::string>& label_names, const std::string& tag, std::size_t example) {
    const auto it = std::find(label_names.begin(), label_names.end(), tag);
    TINYBERT_CHECK(it != label_names.end(), "NER example ", example, ": tag \"", tag, "\" is not in the label list");
    return it - label_names.begin();
}

// Token classification (run_ner.py tokenize_and_align_labels): words encoded with is_split_into_words and truncated
// to max_length; the first sub-token of word w gets label(tags[w]), the rest -100 unless label_all_tokens.
template <DatasetOf<TokenExample> Data>
std::vector<Feature> ner_features(const Data& data, const Tokenizer& tok, const std::vector<std::string>& label_names,
                                  std::size_t max_length, bool label_all_tokens = false) {
    const EncodeOptions opt{.max_length = max_length, .truncation = Truncation::longest_first};
    // B-X -> I-X when I-X exists (b_to_i_label)
    std::vector<std::int64_t> b_to_i(label_names.size());
    for (std::size_t l = 0; l < label_names.size(); ++l) {
        b_to_i[l] = static_cast<std::int64_t>(l);
        if (label_names[l].starts_with("B-")) {
            const auto it = std::find(label_names.begin(), label_names.end(), "I-" + label_names[l].substr(2));
            if (it != label_names.end()) b_to_i[l] = it - label_names.begin();
        }
    }
    std::vector<Feature> out(data.size());
    parallel_for(data.size(), [&](std::size_t i) {
        const TokenExample& ex = data[i];
        const Encoding e = tok.encode_words(ex.words, opt).front();
        Feature f = detail::feature_from(e, i, tok);
        f.word_ids = e.word_ids;
        f.token_labels.assign(e.size(), -100);
        std::int64_t previous = -1;
        for (std::size_t k = 0; k < e.size(); ++k) {
            const std::int64_t w = e.word_ids[k];
            if (w < 0) continue;
            const std::int64_t id = tag_id(label_names, ex.tags[static_cast<std::size_t>(w)], i);
            if (w != previous) {
                f.token_labels[k] = id;
            } else if (label_all_tokens) {
                f.token_labels[k] = b_to_i[static_cast<std::size_t>(id)];
            }
            previous = w;
        }
        out[i] = std::move(f);
    });
    return out;
}

}  // namespace tinybert
