// tinybert/nn/heads/sequence_classification.hpp: BertForSequenceClassification's head:
// logits = Linear(Dropout(pooled)), loss = cross-entropy over (B,C) (single_label_classification).
#pragma once

#include <string>

#include "tinybert/io/hf_config.hpp"
#include "tinybert/nn/batch.hpp"
#include "tinybert/nn/heads/classifier.hpp"
#include "tinybert/ops/cross_entropy.hpp"

namespace tinybert {

struct SequenceClassification {
    static constexpr bool has_pooler = true;
    static constexpr const char* architecture = "BertForSequenceClassification";

    template <class T, class D>
    struct Output {
        Var<T, D> logits;  // (B,C)
        Var<T, D> loss;    // (1), defined when the batch has labels
    };

    template <class T, class D>
    struct Layer {
        Classifier<T, D> classifier;

        explicit Layer(const BertConfig& c) : classifier(c) {
            TINYBERT_CHECK(!c.problem_type || *c.problem_type == "single_label_classification",
                           "SequenceClassification: problem_type \"", *c.problem_type,
                           "\" is not implemented (only single_label_classification)");
            TINYBERT_CHECK(c.problem_type || c.num_labels() > 1,
                           "SequenceClassification: 1 label and no problem_type means regression (MSE loss) in "
                           "transformers, which is not implemented; give at least 2 labels");
        }

        template <class F>
        void visit(const std::string&, F&& f) {
            classifier.visit(f);
        }

        // hidden (B,S,H) unused, pooled (B,H) -> logits (B,C)
        Output<T, D> forward(const Var<T, D>&, const Var<T, D>& pooled, const Batch<D>& batch,
                             const ForwardContext& ctx) const {
            Output<T, D> out{classifier.forward(pooled, ctx), {}};
            if (batch.labels.defined()) out.loss = cross_entropy(out.logits, batch.labels);
            return out;
        }
    };
};

}  // namespace tinybert
