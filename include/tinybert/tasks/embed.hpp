// tinybert/tasks/embed.hpp: sentence embeddings as sentence-transformers computes them (all-MiniLM-L6-v2 and
// friends): the encoder's last hidden state pooled over the real tokens (mean by default, or the [CLS] row), then
// L2-normalised (sentence-transformers' Normalize module; TEI's `normalize: true`).
#pragma once

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "tinybert/data/features.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/tasks/predict.hpp"

namespace tinybert {

enum class Pooling { mean, cls };

// The pooling of a sentence-transformers folder: 1_Pooling/config.json's pooling_mode_cls_token /
// pooling_mode_mean_tokens when present, else mean (what sentence-transformers uses for a plain BERT checkpoint).
// Other modes (max, weighted mean, several at once) are refused rather than silently replaced.
inline Pooling pooling_of(const std::string& model_dir) {
    const auto path = std::filesystem::path(model_dir) / "1_Pooling" / "config.json";
    if (!std::filesystem::exists(path)) return Pooling::mean;
    const json::Value cfg = json::parse_file(path.string());
    const auto on = [&](const char* key) {
        const json::Value* v = cfg.find(key);
        return v && v->is_bool() && v->as_bool();
    };
    const bool cls = on("pooling_mode_cls_token"), mean = on("pooling_mode_mean_tokens");
    for (const char* key : {"pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
                            "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"})
        TINYBERT_CHECK(!on(key), path.string(), ": ", key, " is not supported (only cls_token or mean_tokens)");
    TINYBERT_CHECK(cls != mean, path.string(), ": exactly one of pooling_mode_cls_token and "
                                               "pooling_mode_mean_tokens must be true");
    return cls ? Pooling::cls : Pooling::mean;
}

// x / max(||x||, 1e-12), torch.nn.functional.normalize's guard against the zero vector.
inline void l2_normalize(std::vector<float>& x) {
    double ss = 0;
    for (const float v : x) ss += static_cast<double>(v) * v;
    const double n = std::max(std::sqrt(ss), 1e-12);
    for (float& v : x) v = static_cast<float>(v / n);
}

// One embedding (hidden_size floats) per text, in order. Texts are truncated to max_length tokens; batches are
// padded, and pooling only sees each text's own tokens (attention mask), so padding does not change a result.
template <class Model>
std::vector<std::vector<float>> embed(Model& model, const Tokenizer& tok, const std::vector<std::string>& texts,
                                      std::size_t max_length = 256, bool normalize = true,
                                      Pooling pooling = Pooling::mean, std::size_t batch_size = 32) {
    VectorDataset<TextExample> data;
    for (const auto& t : texts) data.push_back({t, std::nullopt, 0});
    const std::vector<Feature> features = classification_features(data, tok, max_length);
    std::vector<std::vector<float>> out(texts.size());
    predict_batches(model, features, tok.pad_id(), batch_size, [&](const auto& o, const std::vector<std::size_t>& rows) {
        const auto v = o.last_hidden_state.value().to_vector();  // (B,S,H)
        const auto S = static_cast<std::size_t>(o.last_hidden_state.shape().dim(1));
        const auto H = static_cast<std::size_t>(o.last_hidden_state.shape().dim(2));
        for (std::size_t r = 0; r < rows.size(); ++r) {
            // features are unpadded, so a feature's real tokens are its first size() rows (all mask 1)
            const std::size_t n = pooling == Pooling::cls ? 1 : features[rows[r]].size();
            std::vector<double> sum(H, 0.0);
            for (std::size_t t = 0; t < n; ++t)
                for (std::size_t h = 0; h < H; ++h) sum[h] += v[(r * S + t) * H + h];
            std::vector<float>& e = out[rows[r]];
            e.resize(H);
            for (std::size_t h = 0; h < H; ++h) e[h] = static_cast<float>(sum[h] / static_cast<double>(n));
            if (normalize) l2_normalize(e);
        }
    });
    return out;
}

}  // namespace tinybert
