// tinybert/nn/heads/sequence_classification.hpp: BertForSequenceClassification's head: logits = Linear(Dropout(pooled)),
// and the loss of transformers' *ForSequenceClassification.forward by problem type (SequenceLoss below). The other
// families' sentence heads (nn/heads/sentence_heads.hpp) share its Output and SequenceLoss.
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "tinybert/core/problem_type.hpp"
#include "tinybert/io/hf_config.hpp"
#include "tinybert/nn/batch.hpp"
#include "tinybert/nn/heads/classifier.hpp"
#include "tinybert/ops/bce_with_logits.hpp"
#include "tinybert/ops/batch_inputs.hpp"
#include "tinybert/ops/cross_entropy.hpp"
#include "tinybert/ops/mse_loss.hpp"

namespace tinybert {

// The loss of a sequence-classification head, as transformers' forward computes it:
//   regression                  MSELoss(logits.squeeze(), labels.squeeze()): float labels (B) or (B,C), mean
//   single_label_classification CrossEntropyLoss(logits (B,C), labels (B) int64), ignore_index -100; with
//                               class_weights w (C) torch's weighted mean Σ w[y] ℓ / Σ w[y] (CrossEntropyLoss(weight=w),
//                               what a Trainer user passes in a custom compute_loss; transformers has none built in)
//   multi_label_classification  BCEWithLogitsLoss(logits (B,C), labels (B,C) float), mean over all B·C elements
// problem_type is config.json's; when null it is fixed at the first forward with labels as transformers fixes
// config.problem_type: 1 label ⇒ regression, else int64 labels (Batch::labels) ⇒ single-label, float labels
// (Batch::float_labels) ⇒ multi-label. EncoderModel::forward then writes it into its config, so save_pretrained
// saves it, as transformers does.
template <class T, class D>
struct SequenceLoss {
    std::size_t num_labels;
    mutable std::optional<ProblemType> problem_type;  // set once, by the first forward with labels when null
    Tensor<T, D> class_weights;                       // (C) or undefined; single-label only

    explicit SequenceLoss(const BertConfig& c)
        : num_labels(c.num_labels()), problem_type(parse_optional_problem_type(c.problem_type, "config.json problem_type")) {}

    // w (C) positive finite numbers; throws naming what is wrong
    void set_class_weights(const std::vector<double>& w) {
        TINYBERT_CHECK(w.size() == num_labels, "class weights: ", w.size(), " weights for ", num_labels, " labels");
        for (std::size_t i = 0; i < w.size(); ++i)
            TINYBERT_CHECK(std::isfinite(w[i]) && w[i] >= 0, "class weights: weight ", i, " is ", w[i],
                           " (weights are finite and non-negative)");
        class_weights = Tensor<T, Cpu>::from_vector({static_cast<std::int64_t>(w.size())},
                                                    std::vector<T>(w.begin(), w.end()))
                            .template to<D>();
    }

    // logits (B,C) -> the loss (1), undefined when the batch has no labels
    Var<T, D> operator()(const Var<T, D>& logits, const Batch<D>& batch) const {
        const bool ints = batch.labels.defined(), floats = batch.float_labels.defined();
        if (!ints && !floats) return {};
        if (!problem_type) problem_type = infer_problem_type(num_labels, ints);
        switch (*problem_type) {
            case ProblemType::single_label_classification:
                TINYBERT_CHECK(ints, "SequenceClassification: single_label_classification needs integer labels "
                                     "(Batch::labels), the batch has float labels");
                return cross_entropy(logits, batch.labels, -100, class_weights);
            case ProblemType::multi_label_classification:
                TINYBERT_CHECK(floats && batch.float_labels.shape() == logits.shape(),
                               "SequenceClassification: multi_label_classification needs float labels (B,C) = ",
                               logits.shape().str(), " (Batch::float_labels), the batch has ",
                               floats ? batch.float_labels.shape().str() : std::string("integer labels"));
                TINYBERT_CHECK(!class_weights.defined(), "SequenceClassification: class weights are for "
                                                         "single_label_classification only");
                return bce_with_logits(logits, converted<T>(batch.float_labels));
            default:
                TINYBERT_CHECK(floats, "SequenceClassification: regression needs float labels (Batch::float_labels), "
                                       "the batch has integer labels");
                TINYBERT_CHECK(!class_weights.defined(), "SequenceClassification: class weights are for "
                                                         "single_label_classification only");
                return mse_loss(logits, converted<T>(batch.float_labels));
        }
    }
};

struct SequenceClassification {
    static constexpr bool has_pooler = true;
    static constexpr const char* architecture = "BertForSequenceClassification";
    static constexpr const char* suffix = "ForSequenceClassification";

    template <class T, class D>
    struct Output {
        Var<T, D> logits;  // (B,C)
        Var<T, D> loss;    // (1), defined when the batch has labels
    };

    template <class T, class D>
    struct Layer {
        Classifier<T, D> classifier;
        SequenceLoss<T, D> loss;

        explicit Layer(const BertConfig& c) : classifier(c), loss(c) {}

        template <class F>
        void visit(const std::string&, F&& f) {
            classifier.visit(f);
        }

        // hidden (B,S,H) unused, pooled (B,H) -> logits (B,C)
        Output<T, D> forward(const Var<T, D>&, const Var<T, D>& pooled, const Batch<D>& batch,
                             const ForwardContext& ctx) const {
            Var<T, D> logits = classifier.forward(pooled, ctx);
            Var<T, D> l = loss(logits, batch);
            return {std::move(logits), std::move(l)};
        }
    };
};

}  // namespace tinybert
