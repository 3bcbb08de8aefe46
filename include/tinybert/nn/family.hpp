// tinybert/nn/family.hpp: what a model family tells EncoderModel<Family, E, Head, Device, T> (nn/model.hpp): the
// config.json model_types it runs, its checkpoint names (base-model prefix and modules), its layer names, how it
// numbers positions, whether a head sits on a pooler, which layer computes each head, and its class names. A new family
// is a new file in nn/families/ that satisfies ModelFamily; the model, the loader and the CLI take it as it is.
#pragma once

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "tinybert/io/hf_config.hpp"
#include "tinybert/io/hf_names.hpp"
#include "tinybert/nn/embeddings.hpp"
#include "tinybert/nn/encoder.hpp"
#include "tinybert/nn/heads/no_head.hpp"
#include "tinybert/nn/heads/question_answering.hpp"
#include "tinybert/nn/heads/sequence_classification.hpp"
#include "tinybert/nn/heads/token_classification.hpp"
#include "tinybert/tensor/tensor.hpp"

namespace tinybert {

// A task head tag: its output, whether BERT puts it on the pooler, its class-name suffix and (BERT's) layer. NoHead,
// SequenceClassification, TokenClassification and QuestionAnswering are the built-in ones; a family maps a tag to
// its own layer (HeadLayer), defaulting to the tag's.
template <class H>
concept TaskHead = requires {
    typename H::template Output<float, Cpu>;
    typename H::template Layer<float, Cpu>;
    { H::has_pooler } -> std::convertible_to<bool>;
    { H::suffix } -> std::convertible_to<std::string_view>;
};

template <class H>
inline constexpr bool is_head_v = TaskHead<H>;

// F::HeadLayer<Head, T, D> must compute Head's Output from (hidden, pooled, batch, ctx).
template <class F, class Head>
concept HeadLayerOf = requires(typename F::template HeadLayer<Head, float, Cpu>& layer, const Var<float, Cpu>& x,
                               const Batch<Cpu>& batch, const ForwardContext& ctx, const BertConfig& c) {
    typename F::template HeadLayer<Head, float, Cpu>;
    { std::as_const(layer).forward(x, x, batch, ctx) } -> std::same_as<typename Head::template Output<float, Cpu>>;
};

template <class F>
concept ModelFamily = requires(const BertConfig& c, std::string_view model_type) {
    { F::name } -> std::convertible_to<std::string_view>;        // "BERT", for messages
    { F::accepts(model_type) } -> std::same_as<bool>;            // config.json model_types of the family
    { F::class_name(c) } -> std::convertible_to<std::string>;    // "Bert": architectures are "BertForQuestionAnswering"
    { F::checkpoint } -> std::convertible_to<CheckpointNames>;   // base-model prefix "bert." and its modules
    { F::layers } -> std::convertible_to<LayerSpec>;             // the encoder layers' names
    { F::positions } -> std::convertible_to<Positions>;          // position ids from 0, or after padding_idx
    { F::template has_pooler<NoHead> } -> std::convertible_to<bool>;  // does the head sit on a pooler?
} && HeadLayerOf<F, NoHead> && HeadLayerOf<F, SequenceClassification> && HeadLayerOf<F, TokenClassification> &&
                      HeadLayerOf<F, QuestionAnswering>;

namespace detail {

template <std::size_t N>
constexpr bool contains(const std::array<std::string_view, N>& types, std::string_view t) {
    return std::find(types.begin(), types.end(), t) != types.end();
}

}  // namespace detail

}  // namespace tinybert
