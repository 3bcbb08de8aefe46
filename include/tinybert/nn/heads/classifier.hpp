// tinybert/nn/heads/classifier.hpp: the `classifier` Linear of BertForSequenceClassification and
// BertForTokenClassification, with the dropout in front of it (classifier_dropout, or hidden_dropout_prob when null).
#pragma once

#include "tinybert/io/hf_config.hpp"
#include "tinybert/nn/linear.hpp"
#include "tinybert/nn/module.hpp"
#include "tinybert/ops/dropout.hpp"

namespace tinybert {

template <class T, class D>
struct Classifier {
    Linear<T, D> linear;  // (C,H)
    double dropout_p;

    explicit Classifier(const BertConfig& c)
        : linear(c.hidden_size, static_cast<std::int64_t>(c.num_labels())),
          dropout_p(c.classifier_dropout_or_default()) {}

    template <class F>
    void visit(F&& f) {
        linear.visit("classifier.", f);
    }

    // x (..., H) -> logits (..., C)
    Var<T, D> forward(const Var<T, D>& x, const ForwardContext& ctx) const {
        return linear.forward(dropout(x, dropout_p, ctx.gen, ctx.training));
    }
};

}  // namespace tinybert
