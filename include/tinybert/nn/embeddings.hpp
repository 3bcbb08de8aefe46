// tinybert/nn/embeddings.hpp: the embeddings of every family: LN(word[id] (+ token_type[tt]) + position[pos]), then
// dropout, in one fused op (ops/embedding_layernorm.hpp); each table (·,E) with E = embedding_width() (hidden_size,
// or ELECTRA's embedding_size).
// Positions (spec §2.1): BERT, DistilBERT and ELECTRA number every row 0..S-1 whatever the padding; RoBERTa and
// XLM-R number the tokens that are not pad_token_id from pad_token_id + 1 on and give padding pad_token_id
// (create_position_ids_from_input_ids), whose row of the position table then receives no gradient.
// DistilBERT has no token type table (type_vocab_size 0): token_type_ids are ignored.
#pragma once

#include <string>
#include <vector>

#include "tinybert/io/hf_config.hpp"
#include "tinybert/nn/layer_norm.hpp"
#include "tinybert/nn/module.hpp"
#include "tinybert/ops/batch_inputs.hpp"
#include "tinybert/ops/embedding_layernorm.hpp"

namespace tinybert {

enum class Positions { from_zero, after_padding };

template <class T, class D>
struct Embeddings {
    Var<T, D> word, position, token_type;  // (V,E) (P,E) (TV,E), undefined if TV = 0
    LayerNorm<T, D> norm;                  // (E)
    Positions positions;
    double dropout_p;
    std::int64_t pad_token_id;  // its word-embedding row never receives a gradient (nn.Embedding padding_idx)

    explicit Embeddings(const BertConfig& c, Positions p = Positions::from_zero)
        : word(parameter<T, D>({c.vocab_size, c.embedding_width()})),
          position(parameter<T, D>({c.max_position_embeddings, c.embedding_width()})),
          token_type(c.has_token_types() ? parameter<T, D>({c.type_vocab_size, c.embedding_width()}) : Var<T, D>()),
          norm(c.embedding_width(), c.layer_norm_eps),
          positions(p),
          dropout_p(c.hidden_dropout_prob),
          pad_token_id(c.pad_token_id) {}

    template <class F>
    void visit(const std::string& prefix, F&& f) {
        f(prefix + "word_embeddings.weight", word);
        f(prefix + "position_embeddings.weight", position);
        if (token_type.defined()) f(prefix + "token_type_embeddings.weight", token_type);
        norm.visit(prefix + "LayerNorm.", f);
    }

    // input_ids, token_type_ids (B,S) -> (B,S,E)
    Var<T, D> forward(const Tensor<std::int64_t, D>& input_ids, const Tensor<std::int64_t, D>& token_type_ids,
                      const ForwardContext& ctx) const {
        const std::int64_t S = input_ids.shape().dim(1);
        const std::int64_t last = positions == Positions::from_zero ? S - 1 : S + pad_token_id;
        TINYBERT_CHECK(last < position.shape().dim(0), "Embeddings: sequence length ", S, " needs position ", last,
                       ", beyond max_position_embeddings ", position.shape().dim(0),
                       " (truncate the input with the tokenizer's max_length)");
        const std::int64_t position_padding = positions == Positions::after_padding ? pad_token_id : -1;
        std::vector<EmbeddingLookup<T, D>> lookups{{input_ids, word, pad_token_id}};
        if (token_type.defined()) lookups.push_back({token_type_ids, token_type, -1});
        lookups.push_back({position_ids(input_ids), position, position_padding});
        return embedding_layer_norm<T, D>(lookups, norm.weight, norm.bias, norm.eps, dropout_p, ctx.gen, ctx.training);
    }

    // input_ids (B,S) -> position ids (B,S), as described at the top (built on the batch's device)
    Tensor<std::int64_t, D> position_ids(const Tensor<std::int64_t, D>& input_ids) const {
        return tinybert::position_ids(input_ids, positions == Positions::after_padding ? pad_token_id : -1);
    }
};

}  // namespace tinybert
