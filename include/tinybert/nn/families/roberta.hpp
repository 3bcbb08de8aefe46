// tinybert/nn/families/roberta.hpp: RoBERTa and XLM-RoBERTa (modeling_roberta.py, modeling_xlm_roberta.py: the same
// modules). What differs from BERT: position ids count the non-padding tokens from pad_token_id + 1 (padding gets
// pad_token_id, a row that receives no gradient), one token type (type_vocab_size 1), no pooler under the task heads
// (only RobertaModel has one), and the sequence-classification head dense + tanh + out_proj on <s>
// (RobertaClassificationHead). Base model under `roberta.` for both model types.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <type_traits>

#include "tinybert/nn/family.hpp"
#include "tinybert/nn/heads/sentence_heads.hpp"
#include "tinybert/nn/model.hpp"

namespace tinybert {

struct RobertaFamily {
    static constexpr std::string_view name = "RoBERTa";
    static constexpr std::array<std::string_view, 2> model_types{"roberta", "xlm-roberta"};
    static constexpr CheckpointNames checkpoint{"roberta.", {"embeddings.", "encoder.", "pooler.", ""}};
    static constexpr LayerSpec layers = bert_layer_spec;
    static constexpr Positions positions = Positions::after_padding;

    template <class Head>
    static constexpr bool has_pooler = std::is_same_v<Head, NoHead>;
    template <class Head, class T, class D>
    using HeadLayer = std::conditional_t<std::is_same_v<Head, SequenceClassification>,
                                         ClassificationHead<T, D, HeadActivation::tanh>,
                                         typename Head::template Layer<T, D>>;

    static constexpr bool accepts(std::string_view model_type) { return detail::contains(model_types, model_type); }
    static std::string class_name(const BertConfig& c) {
        return c.model_type == "xlm-roberta" ? "XLMRoberta" : "Roberta";
    }
};

template <class E, class Head = NoHead, class Device = Cpu, class T = float>
using Roberta = EncoderModel<RobertaFamily, E, Head, Device, T>;
template <class E, class Head = NoHead, class Device = Cpu, class T = float>
using XlmRoberta = Roberta<E, Head, Device, T>;  // the same family; config.json's model_type names the classes

}  // namespace tinybert
