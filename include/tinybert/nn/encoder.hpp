// tinybert/nn/encoder.hpp: the post-LN encoder layer (self-attention + feed-forward) and Encoder<N>, the stack of N
// layers. N is fixed at compile time (std::array) or read from config.json when N == tinybert::dynamic (std::vector).
// BERT, RoBERTa, XLM-R, ELECTRA and DistilBERT compute the same layer; a LayerSpec gives a family's parameter names
// and its one difference (DistilBERT has no dropout after the attention output projection).
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tinybert/config.hpp"
#include "tinybert/io/hf_config.hpp"
#include "tinybert/nn/layer_norm.hpp"
#include "tinybert/nn/linear.hpp"
#include "tinybert/nn/module.hpp"
#include "tinybert/ops/attention.hpp"
#include "tinybert/ops/feed_forward.hpp"
#include "tinybert/quant/layer.hpp"

namespace tinybert {

// A family's names for the layer's modules (each followed by ".weight"/".bias") and for the stack of layers.
struct LayerSpec {
    std::string_view query, key, value, attention_output, attention_norm, intermediate, output, output_norm;
    std::string_view stack;               // the layers' prefix inside the base model: "encoder.layer."
    bool dropout_after_attention = true;  // hidden dropout on the attention output projection (not DistilBERT)
};

inline constexpr LayerSpec bert_layer_spec{"attention.self.query",       "attention.self.key",
                                           "attention.self.value",       "attention.output.dense",
                                           "attention.output.LayerNorm", "intermediate.dense",
                                           "output.dense",               "output.LayerNorm",
                                           "encoder.layer.",             true};

template <class T, class D>
struct EncoderLayer {
    Linear<T, D> query, key, value, attention_output;  // (H,H)
    LayerNorm<T, D> attention_norm;                     // (H)
    Linear<T, D> intermediate, output;                  // (I,H), (H,I)
    LayerNorm<T, D> output_norm;                        // (H)
    int num_heads;
    double hidden_dropout, attention_dropout, attention_output_dropout;
    const LayerSpec* spec;
    // The int8 weights once quantize_dynamic() ran or an int8 folder was loaded (CPU inference only, quant/layer.hpp);
    // null for the float model. The float modules above stay as they are.
    std::shared_ptr<const quant::Int8Layer> int8;

    explicit EncoderLayer(const BertConfig& c, const LayerSpec& names = bert_layer_spec)
        : query(c.hidden_size, c.hidden_size), key(c.hidden_size, c.hidden_size), value(c.hidden_size, c.hidden_size),
          attention_output(c.hidden_size, c.hidden_size), attention_norm(c.hidden_size, c.layer_norm_eps),
          intermediate(c.hidden_size, c.intermediate_size), output(c.intermediate_size, c.hidden_size),
          output_norm(c.hidden_size, c.layer_norm_eps),
          num_heads(static_cast<int>(c.num_attention_heads)),
          hidden_dropout(c.hidden_dropout_prob),
          attention_dropout(c.attention_probs_dropout_prob),
          attention_output_dropout(names.dropout_after_attention ? c.hidden_dropout_prob : 0.0),
          spec(&names) {}

    template <class F>
    void visit(const std::string& p, F&& f) {
        const auto at = [&](std::string_view module) { return p + std::string(module) + "."; };
        query.visit(at(spec->query), f), key.visit(at(spec->key), f), value.visit(at(spec->value), f);
        attention_output.visit(at(spec->attention_output), f), attention_norm.visit(at(spec->attention_norm), f);
        intermediate.visit(at(spec->intermediate), f), output.visit(at(spec->output), f);
        output_norm.visit(at(spec->output_norm), f);
    }

    // x (B,S,H), mask_add (B,S) additive key mask -> (B,S,H)
    Var<T, D> forward(const Var<T, D>& x, const Tensor<T, D>& mask_add, const ForwardContext& ctx) const {
        if constexpr (std::is_same_v<D, Cpu>)
            if (int8) return quant::layer_forward(*this, *int8, x, mask_add, ctx);
        const auto [q, k, v] = linear_shared_input(x, std::array{query.weight, key.weight, value.weight},
                                                   std::array{query.bias, key.bias, value.bias});
        const Var<T, D> ctx_layer =
            attention(q, k, v, mask_add, num_heads, ctx.training ? attention_dropout : 0.0, ctx.gen);
        const Var<T, D> x1 =
            attention_norm.forward(attention_output.forward(ctx_layer), x, attention_output_dropout, ctx);
        const Var<T, D> ffn = feed_forward(x1, intermediate.weight, intermediate.bias, output.weight, output.bias);
        return output_norm.forward(ffn, x1, hidden_dropout, ctx);
    }
};

// The number of encoder layers: Encoder<6> for MiniLM-L6, Encoder<12> for bert-base, Encoder<dynamic> from config.
template <std::size_t N>
struct Encoder {
    static_assert(N > 0, "Encoder<N>: a BERT encoder needs at least one layer (use Encoder<dynamic> to read N from config.json)");
    static constexpr std::size_t layers = N;

    template <class T, class D>
    struct Stack {
        using Layers = std::conditional_t<N == dynamic, std::vector<EncoderLayer<T, D>>, std::array<EncoderLayer<T, D>, (N == dynamic ? 1 : N)>>;
        Layers layers;

        explicit Stack(const BertConfig& c, const LayerSpec& spec = bert_layer_spec) : layers(make(c, spec)) {}

        // prefix: the base model's ("bert." or ""); the layers add spec.stack ("encoder.layer.") and their index
        template <class F>
        void visit(const std::string& prefix, F&& f) {
            for (std::size_t i = 0; i < layers.size(); ++i)
                layers[i].visit(prefix + std::string(layers[i].spec->stack) + std::to_string(i) + ".", f);
        }

        // x (B,S,H) -> (B,S,H)
        Var<T, D> forward(Var<T, D> x, const Tensor<T, D>& mask_add, const ForwardContext& ctx) const {
            for (const auto& layer : layers) x = layer.forward(x, mask_add, ctx);
            return x;
        }

    private:
        static Layers make(const BertConfig& c, const LayerSpec& spec) {
            if constexpr (N == dynamic) {
                Layers v;  // one construction per layer: copies of a Var would share parameters
                for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) v.emplace_back(c, spec);
                return v;
            } else {
                TINYBERT_CHECK(c.num_hidden_layers == static_cast<std::int64_t>(N), "Encoder<", N, ">: the checkpoint has ",
                               c.num_hidden_layers, " layers (num_hidden_layers in config.json); use Encoder<",
                               c.num_hidden_layers, "> or Encoder<dynamic>");
                return make_array(c, spec, std::make_index_sequence<N>{});
            }
        }
        template <std::size_t... I>
        static Layers make_array(const BertConfig& c, const LayerSpec& spec, std::index_sequence<I...>) {
            return Layers{(static_cast<void>(I), EncoderLayer<T, D>(c, spec))...};
        }
    };
};

template <class E>
inline constexpr bool is_encoder_v = false;
template <std::size_t N>
inline constexpr bool is_encoder_v<Encoder<N>> = true;

}  // namespace tinybert
