// tinybert/tasks/classification.hpp: sequence classification end to end, per problem type (core/problem_type.hpp):
//   single-label: evaluation accuracy and F1 (binary for two labels as run_glue's MRPC/IMDb setups report it, macro
//                 otherwise); inference: the argmax label and its softmax score
//   multi-label:  a label is predicted when σ(logit) > threshold (0.5); evaluation f1_micro, f1_macro,
//                 subset_accuracy (metrics/multilabel_regression.hpp); inference: every label's σ score and the
//                 labels above the threshold
//   regression:   the logit is the prediction; evaluation mse, mae, pearson, spearman; inference: the value
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "tinybert/data/features.hpp"
#include "tinybert/metrics/classification.hpp"
#include "tinybert/metrics/multilabel_regression.hpp"
#include "tinybert/tasks/predict.hpp"
#include "tinybert/train/progress.hpp"

namespace tinybert {

struct ClassPrediction {
    std::int64_t label = 0;
    std::string label_name;
    double score = 0;                 // softmax probability of the label (single-label)
    std::vector<double> scores;       // multi-label: σ(logit) of every label, in id order
    std::vector<std::int64_t> labels; // multi-label: the ids whose score is above the threshold
    double value = 0;                 // regression: the predicted value (the logit)
};

// The problem type a model's outputs are read with: its config's, else what transformers would infer for these
// features (float labels: regression with one label, multi-label otherwise; no float labels: single-label).
inline ProblemType output_problem_type(const BertConfig& c, const std::vector<Feature>& features = {}) {
    if (c.problem_type) return parse_problem_type(*c.problem_type, "config.json problem_type");
    const bool floats = !features.empty() && !features.front().float_labels.empty();
    return infer_problem_type(c.num_labels(), !floats);
}

// σ(z), stable for either sign
inline double sigmoid(double z) {
    return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z));
}

// Logits (num_labels floats) of every feature, in order (on every process of `comm`, each computing its share).
template <class Model>
std::vector<std::vector<float>> classification_logits(Model& model, const std::vector<Feature>& features,
                                                      std::int64_t pad_id, std::size_t batch_size = 32,
                                                      const dist::Communicator& comm = dist::single_process()) {
    std::vector<std::vector<float>> out(features.size());
    predict_batches(model, features, pad_id, batch_size, [&](const auto& o, const std::vector<std::size_t>& rows) {
        const auto v = o.logits.value().to_vector();
        const auto c = static_cast<std::size_t>(o.logits.shape().dim(1));
        for (std::size_t r = 0; r < rows.size(); ++r) out[rows[r]] = row_of(v, r, c);
    }, comm);
    gather_rows(out, batch_size, comm);
    return out;
}

// The metrics of the model's problem type against the features' labels (see the top of this file); `threshold`
// applies to multi-label.
template <class Model>
Metrics evaluate_classification(Model& model, const std::vector<Feature>& features, std::int64_t pad_id,
                                std::size_t batch_size = 32, double threshold = 0.5,
                                const dist::Communicator& comm = dist::single_process()) {
    const auto logits = classification_logits(model, features, pad_id, batch_size, comm);
    const ProblemType problem = output_problem_type(model.config(), features);
    if (problem == ProblemType::regression) {
        std::vector<double> preds, targets;
        for (std::size_t i = 0; i < features.size(); ++i) {
            TINYBERT_CHECK(features[i].float_labels.size() == 1 && logits[i].size() == 1, "regression evaluation: "
                           "example ", features[i].example_index, " has ", features[i].float_labels.size(),
                           " targets for ", logits[i].size(), " outputs (one each expected)");
            preds.push_back(static_cast<double>(logits[i][0]));
            targets.push_back(static_cast<double>(features[i].float_labels[0]));
        }
        const auto r = metrics::regression_scores(preds, targets);
        return {{"mse", r.mse}, {"mae", r.mae}, {"pearson", r.pearson}, {"spearman", r.spearman}};
    }
    if (problem == ProblemType::multi_label_classification) {
        const std::size_t c = model.config().num_labels();
        std::vector<std::uint8_t> preds, labels;
        for (std::size_t i = 0; i < features.size(); ++i) {
            TINYBERT_CHECK(features[i].float_labels.size() == c, "multi-label evaluation: example ",
                           features[i].example_index, " has ", features[i].float_labels.size(), " targets for ", c,
                           " labels");
            for (std::size_t k = 0; k < c; ++k) {
                preds.push_back(sigmoid(static_cast<double>(logits[i][k])) > threshold ? 1 : 0);
                labels.push_back(features[i].float_labels[k] > 0.5f ? 1 : 0);
            }
        }
        const auto m = metrics::multilabel_scores(preds, labels, c);
        return {{"f1_micro", m.micro_f1}, {"f1_macro", m.macro_f1}, {"subset_accuracy", m.subset_accuracy}};
    }
    std::vector<std::int64_t> preds, labels;
    for (std::size_t i = 0; i < features.size(); ++i) {
        preds.push_back(static_cast<std::int64_t>(metrics::argmax(std::span<const float>(logits[i]))));
        labels.push_back(features[i].label);
    }
    const bool binary = model.config().num_labels() == 2;
    const auto prf = binary ? metrics::binary_precision_recall_f1(preds, labels)
                            : metrics::macro_precision_recall_f1(preds, labels);
    return {{"accuracy", metrics::accuracy(preds, labels)}, {"f1", prf.f1}};
}

// The prediction for each example (text, or text and text_pair; batched), read per the model's problem type (config.json's; when null, regression
// for one label, single-label otherwise). `threshold` applies to multi-label.
template <class Model>
std::vector<ClassPrediction> classify(Model& model, const Tokenizer& tok, const VectorDataset<TextExample>& data,
                                      std::size_t max_length = 512, std::size_t batch_size = 32,
                                      double threshold = 0.5) {
    const auto logits = classification_logits(model, classification_features(data, tok, max_length), tok.pad_id(),
                                              batch_size);
    const ProblemType problem = output_problem_type(model.config());
    std::vector<ClassPrediction> out;
    for (const auto& l : logits) {
        if (problem == ProblemType::regression) {
            ClassPrediction p;
            p.value = static_cast<double>(l[0]);
            p.label_name = model.config().id2label[0];
            out.push_back(std::move(p));
            continue;
        }
        if (problem == ProblemType::multi_label_classification) {
            ClassPrediction p;
            for (std::size_t k = 0; k < l.size(); ++k) {
                p.scores.push_back(sigmoid(static_cast<double>(l[k])));
                if (p.scores.back() > threshold) p.labels.push_back(static_cast<std::int64_t>(k));
            }
            out.push_back(std::move(p));
            continue;
        }
        const std::size_t best = metrics::argmax(std::span<const float>(l));
        double z = 0;
        for (const float x : l) z += std::exp(static_cast<double>(x - l[best]));
        ClassPrediction p;
        p.label = static_cast<std::int64_t>(best);
        p.label_name = model.config().id2label[best];
        p.score = 1.0 / z;
        out.push_back(std::move(p));
    }
    return out;
}

// The same for single texts (no pairs).
template <class Model>
std::vector<ClassPrediction> classify(Model& model, const Tokenizer& tok, const std::vector<std::string>& texts,
                                      std::size_t max_length = 512, std::size_t batch_size = 32,
                                      double threshold = 0.5) {
    VectorDataset<TextExample> data;
    for (const auto& t : texts) data.push_back({t, std::nullopt, 0});
    return classify(model, tok, data, max_length, batch_size, threshold);
}

}  // namespace tinybert
