// tinybert/tasks/classification.hpp: sequence classification end to end: evaluation (accuracy, F1 — binary for two
// labels as run_glue's MRPC/IMDb setups report it, macro otherwise) and inference (label + softmax score).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "tinybert/data/features.hpp"
#include "tinybert/metrics/classification.hpp"
#include "tinybert/tasks/predict.hpp"
#include "tinybert/train/progress.hpp"

namespace tinybert {

struct ClassPrediction {
    std::int64_t label = 0;
    std::string label_name;
    double score = 0;  // softmax probability of the label
};

// Logits (num_labels floats) of every feature, in order.
template <class Model>
std::vector<std::vector<float>> classification_logits(Model& model, const std::vector<Feature>& features,
                                                      std::int64_t pad_id, std::size_t batch_size = 32) {
    std::vector<std::vector<float>> out(features.size());
    predict_batches(model, features, pad_id, batch_size, [&](const auto& o, const std::vector<std::size_t>& rows) {
        const auto v = o.logits.value().to_vector();
        const auto c = static_cast<std::size_t>(o.logits.shape().dim(1));
        for (std::size_t r = 0; r < rows.size(); ++r) out[rows[r]] = row_of(v, r, c);
    });
    return out;
}

// accuracy and f1 of argmax predictions against the features' labels.
template <class Model>
Metrics evaluate_classification(Model& model, const std::vector<Feature>& features, std::int64_t pad_id,
                                std::size_t batch_size = 32) {
    const auto logits = classification_logits(model, features, pad_id, batch_size);
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

// Label and score of each text (batched).
template <class Model>
std::vector<ClassPrediction> classify(Model& model, const Tokenizer& tok, const std::vector<std::string>& texts,
                                      std::size_t max_length = 512, std::size_t batch_size = 32) {
    VectorDataset<TextExample> data;
    for (const auto& t : texts) data.push_back({t, std::nullopt, 0});
    const auto logits = classification_logits(model, classification_features(data, tok, max_length), tok.pad_id(),
                                              batch_size);
    std::vector<ClassPrediction> out;
    for (const auto& l : logits) {
        const std::size_t best = metrics::argmax(std::span<const float>(l));
        double z = 0;
        for (const float x : l) z += std::exp(static_cast<double>(x - l[best]));
        out.push_back({static_cast<std::int64_t>(best), model.config().id2label[best], 1.0 / z});
    }
    return out;
}

}  // namespace tinybert
