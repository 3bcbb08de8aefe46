// tinybert/tasks/embed.hpp: sentence embeddings as sentence-transformers computes them (all-MiniLM-L6-v2 and
// friends): the encoder's last hidden state (B,S,H) pooled over each text's real tokens (mean, the [CLS] row, or the
// element-wise max), then optionally L2-normalised (sentence-transformers' Normalize module; TEI's `normalize: true`).
// EmbedOptions::from_pretrained reads a sentence-transformers folder's defaults (modules.json, 1_Pooling,
// sentence_bert_config.json) the way SentenceTransformer(dir) does. Usage: docs/embeddings.md.
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/data/features.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/nn/batch.hpp"
#include "tinybert/tasks/predict.hpp"

namespace tinybert {

// sentence-transformers' Pooling modes that tinybert computes (pooling_mode "mean", "cls", "max").
enum class Pooling { mean, cls, max };

inline const char* pooling_name(Pooling p) {
    return p == Pooling::mean ? "mean" : p == Pooling::cls ? "cls" : "max";
}

inline Pooling parse_pooling(std::string_view name) {
    if (name == "mean") return Pooling::mean;
    if (name == "cls") return Pooling::cls;
    TINYBERT_CHECK(name == "max", "unknown pooling \"", name, "\" (expected mean, cls or max)");
    return Pooling::max;
}

namespace detail {

inline json::Value read_json_if_exists(const std::filesystem::path& p) {
    return std::filesystem::exists(p) ? json::parse_file(p.string()) : json::Value();
}

// sentence-transformers' Pooling config: the current {"pooling_mode": "mean"} or the legacy booleans
// {"pooling_mode_mean_tokens": true, ...} (all-MiniLM-L6-v2), where no mode set means mean, as
// sentence-transformers' _convert_legacy_pooling_kwargs reads them. Modes tinybert does not compute
// (mean_sqrt_len_tokens, weightedmean, lasttoken) and several modes at once (concatenated) are refused.
inline Pooling pooling_from_config(const json::Value& cfg, const std::string& where) {
    TINYBERT_CHECK(cfg.is_object(), where, ": expected a JSON object");
    if (const json::Value* mode = cfg.find("pooling_mode")) {
        const json::Value* m = mode;
        if (mode->is_array()) {
            TINYBERT_CHECK(mode->as_array().size() == 1, where,
                           ": several pooling modes at once (concatenated) are not supported");
            m = &mode->as_array().front();
        }
        TINYBERT_CHECK(m->is_string(), where, ": \"pooling_mode\" must be a string");
        const std::string& s = m->as_string();
        TINYBERT_CHECK(s == "mean" || s == "cls" || s == "max", where, ": pooling_mode \"", s,
                       "\" is not supported (only mean, cls or max)");
        return parse_pooling(s);
    }
    const auto on = [&](const char* key) {
        const json::Value* v = cfg.find(key);
        return v && v->is_bool() && v->as_bool();
    };
    for (const char* key :
         {"pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"})
        TINYBERT_CHECK(!on(key), where, ": ", key, " is not supported (only mean_tokens, cls_token or max_tokens)");
    const bool cls = on("pooling_mode_cls_token"), max = on("pooling_mode_max_tokens"),
               mean = on("pooling_mode_mean_tokens");
    TINYBERT_CHECK(int(cls) + int(max) + int(mean) <= 1, where,
                   ": exactly one of pooling_mode_cls_token, pooling_mode_max_tokens and pooling_mode_mean_tokens may "
                   "be true (concatenated modes are not supported)");
    return cls ? Pooling::cls : max ? Pooling::max : Pooling::mean;
}

// The "type" of a modules.json entry ends with ".Transformer", ".Pooling", ".Normalize" (the module path changed
// across sentence-transformers versions: sentence_transformers.models.Pooling, ...sentence_transformer.modules...).
inline bool module_is(const std::string& type, std::string_view name) {
    return type.size() > name.size() && type.ends_with(name) && type[type.size() - name.size() - 1] == '.';
}

}  // namespace detail

struct EmbedOptions {
    Pooling pooling = Pooling::mean;
    bool normalize = true;         // x / max(||x||, 1e-12)
    std::size_t max_length = 256;  // tokens per text, [CLS] and [SEP] included; longer texts are truncated
    std::size_t batch_size = 32;   // texts per forward (sorted by length first, as sentence-transformers does)

    // The defaults SentenceTransformer(model_dir) uses:
    //  - with modules.json: its Pooling module's config (e.g. 1_Pooling/config.json), normalize iff a Normalize
    //    module is listed; other modules (Dense, ...) are refused; the Transformer must be the folder itself;
    //  - without modules.json (a plain Hugging Face folder): mean pooling, no normalization (sentence-transformers
    //    then builds Transformer + mean Pooling and nothing else; a stray 1_Pooling/ is not read either);
    //  - max_length: sentence_bert_config.json's max_seq_length, else tokenizer_config.json's model_max_length
    //    capped by config.json's max_position_embeddings (512 for the plain all-MiniLM-L6-v2 folder).
    // batch_size keeps its default.
    static EmbedOptions from_pretrained(const std::string& model_dir) {
        namespace fs = std::filesystem;
        const fs::path dir(model_dir);
        EmbedOptions o;
        o.normalize = false;
        const json::Value modules = detail::read_json_if_exists(dir / "modules.json");
        if (!modules.is_null()) {
            const std::string where = (dir / "modules.json").string();
            TINYBERT_CHECK(modules.is_array(), where, ": expected an array of modules");
            bool transformer = false, pooling = false;
            for (const json::Value& m : modules.as_array()) {
                TINYBERT_CHECK(m.is_object() && m.find("type") && m.at("type").is_string(), where,
                               ": each module needs a string \"type\"");
                const std::string& type = m.at("type").as_string();
                const json::Value* path = m.find("path");
                const std::string sub = path && path->is_string() ? path->as_string() : std::string();
                if (detail::module_is(type, "Transformer")) {
                    TINYBERT_CHECK(sub.empty(), where,
                                   ": the Transformer module must be the folder itself (path \"\"), not \"", sub, "\"");
                    transformer = true;
                } else if (detail::module_is(type, "Pooling")) {
                    TINYBERT_CHECK(transformer && !pooling, where,
                                   ": expected one Pooling module after the Transformer");
                    const fs::path cfg = dir / sub / "config.json";
                    TINYBERT_CHECK(fs::exists(cfg), cfg.string(), ": not found (the Pooling module's config)");
                    o.pooling = detail::pooling_from_config(json::parse_file(cfg.string()), cfg.string());
                    pooling = true;
                } else if (detail::module_is(type, "Normalize")) {
                    o.normalize = true;
                } else {
                    TINYBERT_CHECK(false, where, ": module ", type,
                                   " is not supported (only Transformer, Pooling and Normalize)");
                }
            }
            TINYBERT_CHECK(transformer && pooling, where, ": expected a Transformer and a Pooling module");
        }
        const json::Value st = detail::read_json_if_exists(dir / "sentence_bert_config.json");
        const json::Value* seq = st.is_object() ? st.find("max_seq_length") : nullptr;
        if (seq && seq->is_int()) {
            o.max_length = static_cast<std::size_t>(seq->as_int());
        } else {
            // transformers' "no limit" is int(1e30), which does not fit an int64 (read as a double)
            std::size_t limit = std::numeric_limits<std::size_t>::max();
            const json::Value tc = detail::read_json_if_exists(dir / "tokenizer_config.json");
            const json::Value* mml = tc.is_object() ? tc.find("model_max_length") : nullptr;
            if (mml && mml->is_int() && mml->as_int() > 0) limit = static_cast<std::size_t>(mml->as_int());
            const json::Value cfg = detail::read_json_if_exists(dir / "config.json");
            const json::Value* mpe = cfg.is_object() ? cfg.find("max_position_embeddings") : nullptr;
            if (mpe && mpe->is_int() && mpe->as_int() > 0)
                limit = std::min(limit, static_cast<std::size_t>(mpe->as_int()));
            if (limit != std::numeric_limits<std::size_t>::max()) o.max_length = limit;
        }
        TINYBERT_CHECK(o.max_length >= 2, model_dir, ": max_seq_length ", o.max_length, " leaves no room for a token");
        return o;
    }
};

// The pooling of a model folder as SentenceTransformer(dir) picks it (EmbedOptions::from_pretrained).
inline Pooling pooling_of(const std::string& model_dir) {
    return EmbedOptions::from_pretrained(model_dir).pooling;
}

// x / max(||x||, 1e-12), torch.nn.functional.normalize's guard against the zero vector.
inline void l2_normalize(std::span<float> x) {
    double ss = 0;
    for (const float v : x) ss += static_cast<double>(v) * v;
    const double n = std::max(std::sqrt(ss), 1e-12);
    for (float& v : x) v = static_cast<float>(v / n);
}
inline void l2_normalize(std::vector<float>& x) {
    l2_normalize(std::span<float>(x));
}

// A batch of embeddings: row-major (rows, cols) = (N,H), row i for texts[i].
struct EmbeddingMatrix {
    std::size_t rows = 0, cols = 0;
    std::vector<float> data;

    std::span<const float> row(std::size_t i) const { return {data.data() + i * cols, cols}; }
    std::span<float> row(std::size_t i) { return {data.data() + i * cols, cols}; }
};

// Pools one text's hidden states h (n,H) (its real tokens only: padding never enters) into e (H).
inline void pool_tokens(std::span<float> e, const float* h, std::size_t n, std::size_t H, Pooling pooling) {
    if (pooling == Pooling::max) {  // sentence-transformers: padding set to -inf, then max over the sequence
        std::fill(e.begin(), e.end(), -std::numeric_limits<float>::infinity());
        for (std::size_t t = 0; t < n; ++t)
            for (std::size_t k = 0; k < H; ++k) e[k] = std::max(e[k], h[t * H + k]);
        return;
    }
    const std::size_t m = pooling == Pooling::cls ? 1 : n;  // cls: the first real token's row
    std::vector<double> sum(H, 0.0);
    for (std::size_t t = 0; t < m; ++t)
        for (std::size_t k = 0; k < H; ++k) sum[k] += h[t * H + k];
    for (std::size_t k = 0; k < H; ++k) e[k] = static_cast<float>(sum[k] / static_cast<double>(m));
}

// One embedding per text, as an (N,H) matrix. Texts are truncated to o.max_length tokens and run in batches of
// o.batch_size after sorting by token count (less padding; each row is put back in its text's place). Pooling only
// sees each text's own tokens, so neither the batch nor the padding changes a result beyond float rounding.
// requires: o.batch_size > 0, o.max_length >= 2 (room for [CLS] and [SEP]).
template <class Model>
EmbeddingMatrix encode(Model& model, const Tokenizer& tok, const std::vector<std::string>& texts,
                       const EmbedOptions& o = {}) {
    TINYBERT_CHECK(o.batch_size > 0, "encode: batch_size must be positive");
    TINYBERT_CHECK(o.max_length >= 2, "encode: max_length must be at least 2");
    VectorDataset<TextExample> data;
    for (const auto& t : texts) data.push_back({t, std::nullopt, 0});
    const std::vector<Feature> unsorted = classification_features(data, tok, o.max_length);
    std::vector<std::size_t> order(texts.size());  // order[j]: the text of sorted feature j (longest first)
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return unsorted[a].size() > unsorted[b].size(); });
    std::vector<Feature> features;
    features.reserve(order.size());
    for (const std::size_t i : order) features.push_back(unsorted[i]);

    EmbeddingMatrix out;
    out.rows = texts.size();
    predict_batches(model, features, tok.pad_id(), o.batch_size,
                    [&](const auto& r, const std::vector<std::size_t>& rows) {
                        const auto v = r.last_hidden_state.value().to_vector();  // (B,S,H)
                        const auto S = static_cast<std::size_t>(r.last_hidden_state.shape().dim(1));
                        const auto H = static_cast<std::size_t>(r.last_hidden_state.shape().dim(2));
                        if (out.cols == 0) {
                            out.cols = H;
                            out.data.assign(out.rows * H, 0.0f);
                        }
                        for (std::size_t b = 0; b < rows.size(); ++b) {
                            // features are unpadded and padded on the right, so a feature's real tokens are its first
                            // size() rows
                            const std::span<float> e = out.row(order[rows[b]]);
                            pool_tokens(e, v.data() + b * S * H, features[rows[b]].size(), H, o.pooling);
                            if (o.normalize) l2_normalize(e);
                        }
                    });
    return out;
}

// The same, one vector per text (the serve command's shape).
template <class Model>
std::vector<std::vector<float>> embed(Model& model, const Tokenizer& tok, const std::vector<std::string>& texts,
                                      std::size_t max_length = 256, bool normalize = true,
                                      Pooling pooling = Pooling::mean, std::size_t batch_size = 32) {
    const EmbeddingMatrix e = encode(model, tok, texts,
                                     {.pooling = pooling,
                                      .normalize = normalize,
                                      .max_length = max_length,
                                      .batch_size = std::max<std::size_t>(batch_size, 1)});
    std::vector<std::vector<float>> out(e.rows);
    for (std::size_t i = 0; i < e.rows; ++i) out[i].assign(e.row(i).begin(), e.row(i).end());
    return out;
}

}  // namespace tinybert
