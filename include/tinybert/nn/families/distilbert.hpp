// tinybert/nn/families/distilbert.hpp: DistilBERT (modeling_distilbert.py). The layer is BERT's under other names
// (attention.q_lin …, sa_layer_norm, ffn.lin1/lin2, output_layer_norm, stacked as transformer.layer.N), without
// dropout after the attention output projection; no token types (config type_vocab_size 0), no pooler; the
// sequence-classification head pre_classifier + ReLU + classifier (dropout seq_classif_dropout); question answering
// with dropout qa_dropout before qa_outputs; token classification with dropout `dropout`. Base model under
// `distilbert.`; config.json in DistilBERT's names (io/hf_config.hpp distilbert_keys).
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <type_traits>

#include "tinybert/nn/family.hpp"
#include "tinybert/nn/heads/sentence_heads.hpp"
#include "tinybert/nn/model.hpp"

namespace tinybert {

inline constexpr LayerSpec distilbert_layer_spec{"attention.q_lin", "attention.k_lin", "attention.v_lin",
                                                 "attention.out_lin", "sa_layer_norm",    "ffn.lin1",
                                                 "ffn.lin2",          "output_layer_norm", "transformer.layer.",
                                                 false};

// DistilBertForQuestionAnswering: Dropout(qa_dropout, default 0.1) before qa_outputs.
template <class T, class D>
struct DistilBertQuestionAnswering : QuestionAnswering::Layer<T, D> {
    explicit DistilBertQuestionAnswering(const BertConfig& c)
        : QuestionAnswering::Layer<T, D>(c, c.extra_number("qa_dropout", 0.1)) {}
};

struct DistilBertFamily {
    static constexpr std::string_view name = "DistilBERT";
    static constexpr std::array<std::string_view, 1> model_types{"distilbert"};
    static constexpr CheckpointNames checkpoint{"distilbert.", {"embeddings.", "transformer.", "", ""}};
    static constexpr LayerSpec layers = distilbert_layer_spec;
    static constexpr Positions positions = Positions::from_zero;

    template <class Head>
    static constexpr bool has_pooler = false;
    template <class Head, class T, class D>
    using HeadLayer = std::conditional_t<
        std::is_same_v<Head, SequenceClassification>, PreClassifierHead<T, D>,
        std::conditional_t<std::is_same_v<Head, QuestionAnswering>, DistilBertQuestionAnswering<T, D>,
                           typename Head::template Layer<T, D>>>;

    static constexpr bool accepts(std::string_view model_type) { return detail::contains(model_types, model_type); }
    static std::string class_name(const BertConfig&) { return "DistilBert"; }
};

template <class E, class Head = NoHead, class Device = Cpu, class T = float>
using DistilBert = EncoderModel<DistilBertFamily, E, Head, Device, T>;

}  // namespace tinybert
