// tinybert/nn/heads/question_answering.hpp: BertForQuestionAnswering's head (no pooler, no dropout before it;
// DistilBERT's has dropout qa_dropout): logits = Linear(Dropout(hidden)) (B,S,2) split into start/end (B,S);
// positions clamped to [0,S], CE with ignore_index S, loss = (CE_start + CE_end) / 2.
#pragma once

#include <cstdint>
#include <string>

#include "tinybert/io/hf_config.hpp"
#include "tinybert/nn/batch.hpp"
#include "tinybert/nn/linear.hpp"
#include "tinybert/nn/module.hpp"
#include "tinybert/ops/batch_inputs.hpp"
#include "tinybert/ops/cross_entropy.hpp"
#include "tinybert/ops/dropout.hpp"
#include "tinybert/ops/elementwise.hpp"
#include "tinybert/ops/reshape.hpp"
#include "tinybert/ops/select.hpp"

namespace tinybert {

struct QuestionAnswering {
    static constexpr bool has_pooler = false;
    static constexpr const char* architecture = "BertForQuestionAnswering";
    static constexpr const char* suffix = "ForQuestionAnswering";

    template <class T, class D>
    struct Output {
        Var<T, D> start_logits, end_logits;  // (B,S)
        Var<T, D> loss;                      // (1), defined when the batch has start/end positions
    };

    template <class T, class D>
    struct Layer {
        Linear<T, D> qa_outputs;  // (2,H)
        double dropout_p;

        explicit Layer(const BertConfig& c, double dropout = 0.0)
            : qa_outputs(c.hidden_size, static_cast<std::int64_t>(c.num_labels())), dropout_p(dropout) {
            TINYBERT_CHECK(c.num_labels() == 2, "QuestionAnswering: the head needs exactly 2 labels (start, end), config has ",
                           c.num_labels());
        }

        template <class F>
        void visit(const std::string&, F&& f) {
            qa_outputs.visit("qa_outputs.", f);
        }

        // hidden (B,S,H) -> start/end logits (B,S)
        Output<T, D> forward(const Var<T, D>& hidden, const Var<T, D>&, const Batch<D>& batch,
                             const ForwardContext& ctx) const {
            const std::int64_t B = hidden.shape().dim(0), S = hidden.shape().dim(1);
            const Var<T, D> in = dropout(hidden, dropout_p, ctx.gen, ctx.training);
            const Var<T, D> logits = reshape(qa_outputs.forward(in), {B * S, 2});
            Output<T, D> out{reshape(column(logits, 0), {B, S}), reshape(column(logits, 1), {B, S}), {}};
            if (batch.start_positions.defined() && batch.end_positions.defined()) {
                out.loss = scale(add(cross_entropy(out.start_logits, clamped(batch.start_positions, 0, S), S),
                                     cross_entropy(out.end_logits, clamped(batch.end_positions, 0, S), S)),
                                 T{0.5});
            }
            return out;
        }
    };
};

}  // namespace tinybert
