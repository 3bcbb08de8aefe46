// tinybert/io/hf_names.hpp: Hugging Face BERT state-dict key rules (spec §8.2; transformers modeling_utils.py and
// conversion_mapping.py "legacy" renames). Checkpoint keys are mapped to the target model's names: LayerNorm
// gamma/beta renamed, the `bert.` prefix added or stripped, and keys transformers drops silently classified.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tinybert/core/error.hpp"

namespace tinybert {

// Head models (BertFor*) keep the encoder under this prefix; a bare BertModel has none.
inline constexpr std::string_view bert_prefix = "bert.";

namespace detail {

inline void replace_all(std::string& s, std::string_view from, std::string_view to) {
    for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
        s.replace(pos, from.size(), to);
}

}  // namespace detail

// True for keys of BertModel's own modules (embeddings., encoder., pooler.), with or without the bert. prefix.
inline bool is_base_model_key(std::string_view key) {
    if (key.starts_with(bert_prefix)) key.remove_prefix(bert_prefix.size());
    return key.starts_with("embeddings.") || key.starts_with("encoder.") || key.starts_with("pooler.");
}

// The name a checkpoint key has in the target model: `LayerNorm.gamma` -> `LayerNorm.weight`, `LayerNorm.beta` ->
// `LayerNorm.bias`; for a head model (target_has_bert_prefix) base-model keys gain `bert.`, for a bare BertModel
// `bert.` is stripped. Other keys (classifier., cls., qa_outputs.) keep their name.
inline std::string canonical_name(std::string key, bool target_has_bert_prefix) {
    detail::replace_all(key, "LayerNorm.gamma", "LayerNorm.weight");
    detail::replace_all(key, "LayerNorm.beta", "LayerNorm.bias");
    const bool prefixed = std::string_view(key).starts_with(bert_prefix);
    if (target_has_bert_prefix && !prefixed && is_base_model_key(key)) return std::string(bert_prefix) + key;
    if (!target_has_bert_prefix && prefixed) return key.substr(bert_prefix.size());
    return key;
}

// Keys a checkpoint may carry that the target does not use and that are dropped without a report: pre-training
// heads (cls.predictions.*, cls.seq_relationship.*), non-persistent buffers (*.position_ids, *.token_type_ids of the
// embeddings) and, for targets without a pooler (token classification, QA), the pooler's weights.
inline bool is_ignorable(const std::string& canonical, bool has_pooler) {
    std::string_view k = canonical;
    if (k.starts_with(bert_prefix)) k.remove_prefix(bert_prefix.size());
    if (k.starts_with("cls.predictions.") || k.starts_with("cls.seq_relationship.")) return true;
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
inline KeyMapping map_checkpoint_keys(const std::vector<std::string>& keys, bool target_has_bert_prefix,
                                      bool has_pooler, const std::string& source = "checkpoint") {
    KeyMapping m;
    std::map<std::string, std::string, std::less<>> seen;
    for (const std::string& key : keys) {
        std::string name = canonical_name(key, target_has_bert_prefix);
        if (is_ignorable(name, has_pooler)) {
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
