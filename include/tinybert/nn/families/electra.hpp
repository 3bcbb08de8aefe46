// tinybert/nn/families/electra.hpp: ELECTRA discriminators (modeling_electra.py). What differs from BERT: the
// embeddings are embedding_size wide and, when that differs from hidden_size, `electra.embeddings_project` (a Linear
// E -> H) follows them (EncoderModel adds it for any config with embedding_width() != hidden_size); no pooler; the
// sequence-classification head dense + GELU + out_proj on [CLS] (ElectraClassificationHead).
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <type_traits>

#include "tinybert/nn/family.hpp"
#include "tinybert/nn/heads/sentence_heads.hpp"
#include "tinybert/nn/model.hpp"

namespace tinybert {

struct ElectraFamily {
    static constexpr std::string_view name = "ELECTRA";
    static constexpr std::array<std::string_view, 1> model_types{"electra"};
    static constexpr CheckpointNames checkpoint{"electra.", {"embeddings.", "embeddings_project.", "encoder.", ""}};
    static constexpr LayerSpec layers = bert_layer_spec;
    static constexpr Positions positions = Positions::from_zero;

    template <class Head>
    static constexpr bool has_pooler = false;
    template <class Head, class T, class D>
    using HeadLayer = std::conditional_t<std::is_same_v<Head, SequenceClassification>,
                                         ClassificationHead<T, D, HeadActivation::gelu>,
                                         typename Head::template Layer<T, D>>;

    static constexpr bool accepts(std::string_view model_type) { return detail::contains(model_types, model_type); }
    static std::string class_name(const BertConfig&) { return "Electra"; }
};

template <class E, class Head = NoHead, class Device = Cpu, class T = float>
using Electra = EncoderModel<ElectraFamily, E, Head, Device, T>;

}  // namespace tinybert
