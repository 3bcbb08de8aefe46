// tinybert/nn/heads/token_classification.hpp: BertForTokenClassification's head (model built without pooler):
// logits = Linear(Dropout(hidden)) (B,S,C); loss = cross-entropy over all B·S positions, ignore_index -100.
#pragma once

#include <string>

#include "tinybert/io/hf_config.hpp"
#include "tinybert/nn/batch.hpp"
#include "tinybert/nn/heads/classifier.hpp"
#include "tinybert/ops/cross_entropy.hpp"

namespace tinybert {

struct TokenClassification {
    static constexpr bool has_pooler = false;
    static constexpr const char* architecture = "BertForTokenClassification";
    static constexpr const char* suffix = "ForTokenClassification";

    template <class T, class D>
    struct Output {
        Var<T, D> logits;  // (B,S,C)
        Var<T, D> loss;    // (1), defined when the batch has labels
    };

    template <class T, class D>
    struct Layer {
        Classifier<T, D> classifier;

        explicit Layer(const BertConfig& c) : classifier(c) {}

        template <class F>
        void visit(const std::string&, F&& f) {
            classifier.visit(f);
        }

        // hidden (B,S,H) -> logits (B,S,C)
        Output<T, D> forward(const Var<T, D>& hidden, const Var<T, D>&, const Batch<D>& batch,
                             const ForwardContext& ctx) const {
            Output<T, D> out{classifier.forward(hidden, ctx), {}};
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
