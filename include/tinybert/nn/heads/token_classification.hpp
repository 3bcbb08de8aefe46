// tinybert/nn/heads/token_classification.hpp: BertForTokenClassification's head (model built without pooler):
// logits = Linear(Dropout(hidden)) (B,S,C); loss = cross-entropy over all B·S positions, ignore_index -100.
#pragma once

#include <string>

#include "tinybert/io/hf_config.hpp"
#include "tinybert/nn/batch.hpp"
#include "tinybert/nn/module.hpp"
#include "tinybert/ops/cross_entropy.hpp"
#include "tinybert/ops/dropout.hpp"
#include "tinybert/ops/linear.hpp"

namespace tinybert {

struct TokenClassification {
    static constexpr bool has_pooler = false;
    static constexpr const char* architecture = "BertForTokenClassification";

    template <class T, class D>
    struct Output {
        Var<T, D> logits;  // (B,S,C)
        Var<T, D> loss;    // (1), defined when the batch has labels
    };

    template <class T, class D>
    struct Layer {
        Var<T, D> weight, bias;  // (C,H) (C)
        T dropout_p;

        explicit Layer(const BertConfig& c)
            : weight(parameter<T, D>({static_cast<std::int64_t>(c.num_labels()), c.hidden_size})),
              bias(parameter<T, D>({static_cast<std::int64_t>(c.num_labels())})),
              dropout_p(static_cast<T>(c.classifier_dropout_or_default())) {}

        template <class F>
        void visit(const std::string&, F&& f) {
            f("classifier.weight", weight);
            f("classifier.bias", bias);
        }

        // hidden (B,S,H) -> logits (B,S,C)
        Output<T, D> forward(const Var<T, D>& hidden, const Var<T, D>&, const Batch<D>& batch,
                             const ForwardContext& ctx) const {
            Output<T, D> out{linear(dropout(hidden, dropout_p, ctx.gen, ctx.training), weight, bias), {}};
            if (batch.labels.defined()) {
                TINYBERT_CHECK(batch.labels.shape() == batch.input_ids.shape(), "TokenClassification: labels ",
                               batch.labels.shape().str(), " must have the shape of input_ids ",
                               batch.input_ids.shape().str());
                out.loss = cross_entropy(out.logits, batch.labels);
            }
            return out;
        }
    };
};

}  // namespace tinybert
