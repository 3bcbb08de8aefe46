// tinybert/io/hf_names.hpp: Hugging Face state-dict key rules (spec §8.2; transformers modeling_utils.py and
// conversion_mapping.py "legacy" renames). Checkpoint keys are mapped to the target model's names: LayerNorm
// gamma/beta renamed, the family's base-model prefix (`bert.`, `roberta.`, …) added or stripped, and keys
// transformers drops silently classified.
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tinybert/core/error.hpp"

namespace tinybert {

// Head models (BertFor*) keep the encoder under this prefix; a bare BertModel has none.
inline constexpr std::string_view bert_prefix = "bert.";

// A family's checkpoint names: the base model's prefix in head models (its base_model_prefix + ".") and the
// base model's top-level modules (empty entries unused).
struct CheckpointNames {
    std::string_view prefix;
    std::array<std::string_view, 4> roots;
};
inline constexpr CheckpointNames bert_checkpoint_names{bert_prefix, {"embeddings.", "encoder.", "pooler.", ""}};

namespace detail {

inline void replace_all(std::string& s, std::string_view from, std::string_view to) {
    for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
        s.replace(pos, from.size(), to);
}

}  // namespace detail

// True for the parameters of LayerNorm modules in every family's naming: BERT's `LayerNorm.`, DistilBERT's
// `sa_layer_norm.` and `output_layer_norm.` (init sets their weights to 1; AdamW does not decay them).
inline bool is_layer_norm_parameter(std::string_view name) {
    return name.find("LayerNorm.") != std::string_view::npos || name.find("layer_norm.") != std::string_view::npos;
}

// True for keys of the base model's own modules (BertModel: embeddings., encoder., pooler.), with or without the
// prefix.
inline bool is_base_model_key(std::string_view key, const CheckpointNames& n = bert_checkpoint_names) {
    if (key.starts_with(n.prefix)) key.remove_prefix(n.prefix.size());
    for (const std::string_view root : n.roots)
        if (!root.empty() && key.starts_with(root)) return true;
    return false;
}

// The name a checkpoint key has in the target model: `LayerNorm.gamma` -> `LayerNorm.weight`, `LayerNorm.beta` ->
// `LayerNorm.bias`; for a head model (target_has_prefix) base-model keys gain the prefix (`bert.`), for a bare
// base model it is stripped. Other keys (classifier., cls., qa_outputs.) keep their name.
inline std::string canonical_name(std::string key, bool target_has_prefix,
                                  const CheckpointNames& n = bert_checkpoint_names) {
    detail::replace_all(key, "LayerNorm.gamma", "LayerNorm.weight");
    detail::replace_all(key, "LayerNorm.beta", "LayerNorm.bias");
    const bool prefixed = std::string_view(key).starts_with(n.prefix);
    if (target_has_prefix && !prefixed && is_base_model_key(key, n)) return std::string(n.prefix) + key;
    if (!target_has_prefix && prefixed) return key.substr(n.prefix.size());
    return key;
}

// Keys a checkpoint may carry that the target does not use and that are dropped without a report: pre-training
// heads (BERT's cls.predictions.* and cls.seq_relationship.*, RoBERTa's lm_head.*, DistilBERT's vocab_transform.*,
// vocab_layer_norm.* and vocab_projector.*, ELECTRA's discriminator_predictions.* and generator_*), non-persistent
// buffers (*.position_ids, *.token_type_ids of the embeddings) and, for targets without a pooler (token
// classification, QA, the families that have none), the pooler's weights.
inline bool is_ignorable(const std::string& canonical, bool has_pooler,
                         const CheckpointNames& n = bert_checkpoint_names) {
    std::string_view k = canonical;
    if (k.starts_with(n.prefix)) k.remove_prefix(n.prefix.size());
    for (const std::string_view head : {"cls.predictions.", "cls.seq_relationship.", "lm_head.", "vocab_transform.",
                                        "vocab_layer_norm.", "vocab_projector.", "discriminator_predictions.",
                                        "generator_predictions.", "generator_lm_head."})
        if (k.starts_with(head)) return true;
    if (k == "position_ids" || k.ends_with(".position_ids")) return true;
    if (k == "embeddings.token_type_ids") return true;
    return !has_pooler && k.starts_with("pooler.");
}

// The checkpoint's keys sorted into what the target loads and what it drops.
struct KeyMapping {
    std::vector<std::pair<std::string, std::string>> load;  // (target name, checkpoint key), in checkpoint order
    std::vector<std::string> ignored;                       // checkpoint keys dropped by is_ignorable
};

// Applies canonical_name / is_ignorable to every key. Two keys mapping to one name (e.g. both `LayerNorm.gamma`
// and `LayerNorm.weight`) is an error naming `source` and both keys. Keys the target lacks stay in `load`; the
// model loader reports those as unexpected.
inline KeyMapping map_checkpoint_keys(const std::vector<std::string>& keys, bool target_has_prefix, bool has_pooler,
                                      const std::string& source = "checkpoint",
                                      const CheckpointNames& names = bert_checkpoint_names) {
    KeyMapping m;
    std::map<std::string, std::string, std::less<>> seen;
    for (const std::string& key : keys) {
        std::string name = canonical_name(key, target_has_prefix, names);
        if (is_ignorable(name, has_pooler, names)) {
            m.ignored.push_back(key);
            continue;
        }
        const auto [it, fresh] = seen.emplace(name, key);
        TINYBERT_CHECK(fresh, source, ": keys '", it->second, "' and '", key, "' both map to '", name, "'");
        m.load.emplace_back(std::move(name), key);
    }
    return m;
}

}  // namespace tinybert
