// tinybert/nn/heads/sequence_classification.hpp: BertForSequenceClassification's head:
// logits = Linear(Dropout(pooled)), loss = cross-entropy over (B,C) (single_label_classification).
#pragma once

#include <string>

#include "tinybert/io/hf_config.hpp"
#include "tinybert/nn/batch.hpp"
#include "tinybert/nn/module.hpp"
#include "tinybert/ops/cross_entropy.hpp"
#include "tinybert/ops/dropout.hpp"
#include "tinybert/ops/linear.hpp"

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
        Var<T, D> weight, bias;  // (C,H) (C)
        T dropout_p;

        explicit Layer(const BertConfig& c)
            : weight(parameter<T, D>({static_cast<std::int64_t>(c.num_labels()), c.hidden_size})),
              bias(parameter<T, D>({static_cast<std::int64_t>(c.num_labels())})),
              dropout_p(static_cast<T>(c.classifier_dropout_or_default())) {
            TINYBERT_CHECK(!c.problem_type || *c.problem_type == "single_label_classification",
                           "SequenceClassification: problem_type \"", *c.problem_type,
                           "\" is not implemented (only single_label_classification)");
        }

        template <class F>
        void visit(const std::string&, F&& f) {
            f("classifier.weight", weight);
            f("classifier.bias", bias);
        }

        // hidden (B,S,H) unused, pooled (B,H) -> logits (B,C)
        Output<T, D> forward(const Var<T, D>&, const Var<T, D>& pooled, const Batch<D>& batch,
                             const ForwardContext& ctx) const {
            Output<T, D> out{linear(dropout(pooled, dropout_p, ctx.gen, ctx.training), weight, bias), {}};
            if (batch.labels.defined()) out.loss = cross_entropy(out.logits, batch.labels);
            return out;
        }
    };
};

}  // namespace tinybert
