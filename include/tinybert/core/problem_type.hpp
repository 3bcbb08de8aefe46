// tinybert/core/problem_type.hpp: the three problem types of transformers' *ForSequenceClassification
// (config.problem_type), their config.json spellings, and the inference transformers' forward makes when it is null:
// num_labels == 1 ⇒ regression; integer labels ⇒ single_label_classification; float labels ⇒
// multi_label_classification.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "tinybert/core/error.hpp"

namespace tinybert {

enum class ProblemType {
    single_label_classification,  // CrossEntropyLoss over (B,C), int64 labels (B)
    multi_label_classification,   // BCEWithLogitsLoss over (B,C), float multi-hot labels (B,C)
    regression,                   // MSELoss between logits.squeeze() and float labels (B)
};

inline const char* problem_type_name(ProblemType p) {
    switch (p) {
        case ProblemType::multi_label_classification: return "multi_label_classification";
        case ProblemType::regression: return "regression";
        default: return "single_label_classification";
    }
}

// The config.json spelling -> the enum; anything else is an Error naming `what` (a file or a flag).
inline ProblemType parse_problem_type(std::string_view s, std::string_view what = "problem_type") {
    if (s == "single_label_classification") return ProblemType::single_label_classification;
    if (s == "multi_label_classification") return ProblemType::multi_label_classification;
    if (s == "regression") return ProblemType::regression;
    TINYBERT_FAIL(what, ": \"", s, "\" is not a problem type (single_label_classification, multi_label_classification "
                  "or regression)");
}

// A config's optional problem_type: empty stays empty.
inline std::optional<ProblemType> parse_optional_problem_type(const std::optional<std::string>& s,
                                                              std::string_view what = "problem_type") {
    if (!s) return std::nullopt;
    return parse_problem_type(*s, what);
}

// transformers' choice when config.problem_type is null (modeling_bert.py BertForSequenceClassification.forward).
inline ProblemType infer_problem_type(std::size_t num_labels, bool integer_labels) {
    if (num_labels == 1) return ProblemType::regression;
    return integer_labels ? ProblemType::single_label_classification : ProblemType::multi_label_classification;
}

}  // namespace tinybert
