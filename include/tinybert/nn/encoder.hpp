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
#include "tinybert/nn/module.hpp"
#include "tinybert/ops/attention.hpp"
#include "tinybert/ops/dropout.hpp"
#include "tinybert/ops/elementwise.hpp"
#include "tinybert/ops/layernorm.hpp"
#include "tinybert/ops/linear.hpp"
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
    Var<T, D> q_w, q_b, k_w, k_b, v_w, v_b;  // (H,H) (H)
    Var<T, D> ao_w, ao_b, ln1_w, ln1_b;      // attention.output: dense (H,H), LayerNorm (H)
    Var<T, D> i_w, i_b;                      // intermediate.dense (I,H) (I)
    Var<T, D> o_w, o_b, ln2_w, ln2_b;        // output.dense (H,I) (H), LayerNorm (H)
    int num_heads;
    T eps;
    double hidden_dropout, attention_dropout, attention_output_dropout;
    const LayerSpec* spec;
    // The int8 weights once quantize_dynamic() ran or an int8 folder was loaded (CPU inference only, quant/layer.hpp);
    // null for the float model. The float Vars above stay as they are.
    std::shared_ptr<const quant::Int8Layer> int8;

    explicit EncoderLayer(const BertConfig& c, const LayerSpec& names = bert_layer_spec)
        : q_w(parameter<T, D>({c.hidden_size, c.hidden_size})), q_b(parameter<T, D>({c.hidden_size})),
          k_w(parameter<T, D>({c.hidden_size, c.hidden_size})), k_b(parameter<T, D>({c.hidden_size})),
          v_w(parameter<T, D>({c.hidden_size, c.hidden_size})), v_b(parameter<T, D>({c.hidden_size})),
          ao_w(parameter<T, D>({c.hidden_size, c.hidden_size})), ao_b(parameter<T, D>({c.hidden_size})),
          ln1_w(parameter<T, D>({c.hidden_size})), ln1_b(parameter<T, D>({c.hidden_size})),
          i_w(parameter<T, D>({c.intermediate_size, c.hidden_size})), i_b(parameter<T, D>({c.intermediate_size})),
          o_w(parameter<T, D>({c.hidden_size, c.intermediate_size})), o_b(parameter<T, D>({c.hidden_size})),
          ln2_w(parameter<T, D>({c.hidden_size})), ln2_b(parameter<T, D>({c.hidden_size})),
          num_heads(static_cast<int>(c.num_attention_heads)),
          eps(static_cast<T>(c.layer_norm_eps)),
          hidden_dropout(c.hidden_dropout_prob),
          attention_dropout(c.attention_probs_dropout_prob),
          attention_output_dropout(names.dropout_after_attention ? c.hidden_dropout_prob : 0.0),
          spec(&names) {}

    template <class F>
    void visit(const std::string& p, F&& f) {
        const auto both = [&](std::string_view module, Var<T, D>& w, Var<T, D>& b) {
            const std::string m = p + std::string(module);
            f(m + ".weight", w), f(m + ".bias", b);
        };
        both(spec->query, q_w, q_b), both(spec->key, k_w, k_b), both(spec->value, v_w, v_b);
        both(spec->attention_output, ao_w, ao_b), both(spec->attention_norm, ln1_w, ln1_b);
        both(spec->intermediate, i_w, i_b), both(spec->output, o_w, o_b), both(spec->output_norm, ln2_w, ln2_b);
    }

    // x (B,S,H), mask_add (B,S) additive key mask -> (B,S,H)
    Var<T, D> forward(const Var<T, D>& x, const Tensor<T, D>& mask_add, const ForwardContext& ctx) const {
        if constexpr (std::is_same_v<D, Cpu>)
            if (int8) return quant::layer_forward(*this, *int8, x, mask_add, ctx);
        const Var<T, D> ctx_layer =
            attention(linear(x, q_w, q_b), linear(x, k_w, k_b), linear(x, v_w, v_b), mask_add, num_heads,
                      ctx.training ? attention_dropout : 0.0, ctx.gen);
        const Var<T, D> attn = dropout(linear(ctx_layer, ao_w, ao_b), attention_output_dropout, ctx.gen, ctx.training);
        const Var<T, D> x1 = layer_norm(add(attn, x), ln1_w, ln1_b, eps);
        const Var<T, D> ff = dropout(linear(gelu(linear(x1, i_w, i_b)), o_w, o_b), hidden_dropout, ctx.gen, ctx.training);
        return layer_norm(add(ff, x1), ln2_w, ln2_b, eps);
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
