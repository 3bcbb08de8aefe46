// tinybert/nn/families/bert.hpp: BERT (transformers modeling_bert.py): positions from 0, token types, the pooler
// under the sequence-classification head, base model under `bert.`. MiniLM and other BERT checkpoints are this family.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "tinybert/nn/family.hpp"

namespace tinybert {

struct BertFamily {
    static constexpr std::string_view name = "BERT";
    static constexpr std::array<std::string_view, 1> model_types{"bert"};
    static constexpr CheckpointNames checkpoint = bert_checkpoint_names;
    static constexpr LayerSpec layers = bert_layer_spec;
    static constexpr Positions positions = Positions::from_zero;

    template <class Head>
    static constexpr bool has_pooler = Head::has_pooler;
    template <class Head, class T, class D>
    using HeadLayer = typename Head::template Layer<T, D>;

    static constexpr bool accepts(std::string_view model_type) { return detail::contains(model_types, model_type); }
    static std::string class_name(const BertConfig&) { return "Bert"; }
};

}  // namespace tinybert
