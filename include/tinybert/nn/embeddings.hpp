// tinybert/nn/embeddings.hpp: BertEmbeddings: LN(word[id] + position[pos] + token_type[tt]), then dropout.
// Positions are 0..S-1 for every row (independent of padding), as Hugging Face does (spec §2.1).
#pragma once

#include <string>
#include <vector>

#include "tinybert/io/hf_config.hpp"
#include "tinybert/nn/module.hpp"
#include "tinybert/ops/dropout.hpp"
#include "tinybert/ops/elementwise.hpp"
#include "tinybert/ops/embedding.hpp"
#include "tinybert/ops/layernorm.hpp"

namespace tinybert {

template <class T, class D>
struct Embeddings {
    Var<T, D> word, position, token_type, ln_weight, ln_bias;  // (V,H) (P,H) (TV,H) (H) (H)
    T eps;
    double dropout_p;
    std::int64_t pad_token_id;  // its word-embedding row never receives a gradient (nn.Embedding padding_idx)

    explicit Embeddings(const BertConfig& c)
        : word(parameter<T, D>({c.vocab_size, c.hidden_size})),
          position(parameter<T, D>({c.max_position_embeddings, c.hidden_size})),
          token_type(parameter<T, D>({c.type_vocab_size, c.hidden_size})),
          ln_weight(parameter<T, D>({c.hidden_size})),
          ln_bias(parameter<T, D>({c.hidden_size})),
          eps(static_cast<T>(c.layer_norm_eps)),
          dropout_p(c.hidden_dropout_prob),
          pad_token_id(c.pad_token_id) {}

    template <class F>
    void visit(const std::string& prefix, F&& f) {
        f(prefix + "word_embeddings.weight", word);
        f(prefix + "position_embeddings.weight", position);
        f(prefix + "token_type_embeddings.weight", token_type);
        f(prefix + "LayerNorm.weight", ln_weight);
        f(prefix + "LayerNorm.bias", ln_bias);
    }

    // input_ids, token_type_ids (B,S) -> (B,S,H)
    Var<T, D> forward(const Tensor<std::int64_t, D>& input_ids, const Tensor<std::int64_t, D>& token_type_ids,
                      const ForwardContext& ctx) const {
        const std::int64_t B = input_ids.shape().dim(0), S = input_ids.shape().dim(1);
        TINYBERT_CHECK(S <= position.shape().dim(0), "Embeddings: sequence length ", S,
                       " exceeds max_position_embeddings ", position.shape().dim(0),
                       " (truncate the input with the tokenizer's max_length)");
        std::vector<std::int64_t> pos(static_cast<std::size_t>(B * S));
        for (std::size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<std::int64_t>(i) % S;
        const auto positions = Tensor<std::int64_t, Cpu>::from_vector({B, S}, pos).template to<D>();
        const Var<T, D> sum =
            add(add(embedding(input_ids, word, pad_token_id), embedding(token_type_ids, token_type)), embedding(positions, position));
        return dropout(layer_norm(sum, ln_weight, ln_bias, eps), dropout_p, ctx.gen, ctx.training);
    }
};

}  // namespace tinybert
