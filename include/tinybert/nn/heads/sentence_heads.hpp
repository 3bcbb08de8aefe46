// tinybert/nn/heads/sentence_heads.hpp: the sequence-classification heads of the families without BERT's pooler.
// Each reads the first token's hidden state (<s> or [CLS]) and gives SequenceClassification's Output, with the loss of
// SequenceLoss (regression, single- or multi-label classification).
//   ClassificationHead<T, D, tanh>: RobertaClassificationHead (RoBERTa, XLM-R); with gelu ElectraClassificationHead:
//     x = h[:,0]; x = Dropout(x); x = act(classifier.dense(x)); x = Dropout(x); logits = classifier.out_proj(x),
//     dropout = classifier_dropout or hidden_dropout_prob.
//   PreClassifierHead: DistilBertForSequenceClassification:
//     x = ReLU(pre_classifier(h[:,0])); logits = classifier(Dropout(x)), dropout = seq_classif_dropout (0.2).
#pragma once

#include <string>

#include "tinybert/io/hf_config.hpp"
#include "tinybert/nn/batch.hpp"
#include "tinybert/nn/heads/sequence_classification.hpp"
#include "tinybert/nn/linear.hpp"
#include "tinybert/ops/dropout.hpp"
#include "tinybert/ops/elementwise.hpp"
#include "tinybert/ops/select.hpp"

namespace tinybert {

enum class HeadActivation { tanh, gelu };

template <class T, class D, HeadActivation Act>
struct ClassificationHead {
    Linear<T, D> dense, out_proj;  // (H,H), (C,H)
    double dropout_p;
    SequenceLoss<T, D> loss;

    explicit ClassificationHead(const BertConfig& c)
        : dense(c.hidden_size, c.hidden_size),
          out_proj(c.hidden_size, static_cast<std::int64_t>(c.num_labels())),
          dropout_p(c.classifier_dropout_or_default()),
          loss(c) {}

    template <class F>
    void visit(const std::string&, F&& f) {
        dense.visit("classifier.dense.", f);
        out_proj.visit("classifier.out_proj.", f);
    }

    // hidden (B,S,H) -> logits (B,C)
    SequenceClassification::Output<T, D> forward(const Var<T, D>& hidden, const Var<T, D>&, const Batch<D>& batch,
                                                 const ForwardContext& ctx) const {
        const Var<T, D> x = dense.forward(dropout(select_row(hidden, 0), dropout_p, ctx.gen, ctx.training));
        const Var<T, D> a = Act == HeadActivation::tanh ? tanh(x) : gelu(x);
        Var<T, D> logits = out_proj.forward(dropout(a, dropout_p, ctx.gen, ctx.training));
        Var<T, D> l = loss(logits, batch);
        return {std::move(logits), std::move(l)};
    }
};

template <class T, class D>
struct PreClassifierHead {
    Linear<T, D> pre_classifier, classifier;  // (H,H), (C,H)
    double dropout_p;
    SequenceLoss<T, D> loss;

    explicit PreClassifierHead(const BertConfig& c)
        : pre_classifier(c.hidden_size, c.hidden_size),
          classifier(c.hidden_size, static_cast<std::int64_t>(c.num_labels())),
          dropout_p(c.extra_number("seq_classif_dropout", 0.2)),
          loss(c) {}

    template <class F>
    void visit(const std::string&, F&& f) {
        pre_classifier.visit("pre_classifier.", f);
        classifier.visit("classifier.", f);
    }

    // hidden (B,S,H) -> logits (B,C)
    SequenceClassification::Output<T, D> forward(const Var<T, D>& hidden, const Var<T, D>&, const Batch<D>& batch,
                                                 const ForwardContext& ctx) const {
        const Var<T, D> x = relu(pre_classifier.forward(select_row(hidden, 0)));
        Var<T, D> logits = classifier.forward(dropout(x, dropout_p, ctx.gen, ctx.training));
        Var<T, D> l = loss(logits, batch);
        return {std::move(logits), std::move(l)};
    }
};

}  // namespace tinybert
