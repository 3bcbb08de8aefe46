// tinybert/nn/heads/sequence_classification.hpp: BertForSequenceClassification's head:
// logits = Linear(Dropout(pooled)), loss = cross-entropy over (B,C) (single_label_classification). The other
// families' sentence heads (nn/heads/sentence_heads.hpp) share its Output, checks and loss.
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
    static constexpr const char* suffix = "ForSequenceClassification";

    // What transformers supports and tinybert does not yet: refused when the head is built.
    static void check_config(const BertConfig& c) {
        TINYBERT_CHECK(!c.problem_type || *c.problem_type == "single_label_classification",
                       "SequenceClassification: problem_type \"", *c.problem_type,
                       "\" is not implemented (only single_label_classification)");
        TINYBERT_CHECK(c.problem_type || c.num_labels() > 1,
                       "SequenceClassification: 1 label and no problem_type means regression (MSE loss) in "
                       "transformers, which is not implemented; give at least 2 labels");
    }

    template <class T, class D>
    struct Output {
        Var<T, D> logits;  // (B,C)
        Var<T, D> loss;    // (1), defined when the batch has labels
    };

    // logits (B,C) -> the output, with the loss when the batch has labels
    template <class T, class D>
    static Output<T, D> output(Var<T, D> logits, const Batch<D>& batch) {
        Output<T, D> out{std::move(logits), {}};
        if (batch.labels.defined()) out.loss = cross_entropy(out.logits, batch.labels);
        return out;
    }

    template <class T, class D>
    struct Layer {
        Classifier<T, D> classifier;

        explicit Layer(const BertConfig& c) : classifier(c) { check_config(c); }

        template <class F>
        void visit(const std::string&, F&& f) {
            classifier.visit(f);
        }

        // hidden (B,S,H) unused, pooled (B,H) -> logits (B,C)
        Output<T, D> forward(const Var<T, D>&, const Var<T, D>& pooled, const Batch<D>& batch,
                             const ForwardContext& ctx) const {
            return output(classifier.forward(pooled, ctx), batch);
        }
    };
};

}  // namespace tinybert
