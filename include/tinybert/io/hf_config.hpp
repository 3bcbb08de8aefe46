// tinybert/io/hf_config.hpp: BertConfig, the config.json of a Hugging Face encoder checkpoint (transformers
// configuration_bert.py + configuration_utils.py; spec §2 and §8.3) in BERT's field names, for every family tinybert
// runs: bert, roberta, xlm-roberta and electra use those names (electra adds embedding_size); distilbert's own names
// (dim, n_layers, …) are read and written through distilbert_keys. Fields default to bert-base; fields tinybert does not
// know are kept and written back unchanged (a family reads its own ones, e.g. distilbert's qa_dropout, from `extra`).
// Errors name the file and the field.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/io/files.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/io/limits.hpp"

namespace tinybert {

// Size limits of a config (docs/reliability.md, "Hostile sizes"): far above the largest BERTs (Megatron-BERT: 3.9e9
// parameters, 48 layers), so that a corrupt config.json is refused before the model allocates anything.
inline constexpr std::uint64_t max_model_parameters = std::uint64_t{1} << 34;  // 64 GiB of float32
inline constexpr std::int64_t max_hidden_layers = 1024;

// config.json model_type values tinybert runs (nn/auto.hpp maps each to its family).
inline constexpr std::array<std::string_view, 5> supported_model_types{"bert", "roberta", "xlm-roberta", "distilbert",
                                                                      "electra"};

// DistilBertConfig's names for BERT's fields (configuration_distilbert.py): {BERT name, distilbert name}.
inline constexpr std::array<std::pair<std::string_view, std::string_view>, 7> distilbert_keys{{
    {"hidden_size", "dim"},
    {"num_hidden_layers", "n_layers"},
    {"num_attention_heads", "n_heads"},
    {"intermediate_size", "hidden_dim"},
    {"hidden_act", "activation"},
    {"hidden_dropout_prob", "dropout"},
    {"attention_probs_dropout_prob", "attention_dropout"},
}};

// The name a BERT field has in the config.json of `model_type`.
inline std::string_view config_key(std::string_view model_type, std::string_view bert_name) {
    if (model_type == "distilbert")
        for (const auto& [bert, distil] : distilbert_keys)
            if (bert == bert_name) return distil;
    return bert_name;
}

struct BertConfig {
    std::string model_type = "bert";  // one of supported_model_types
    std::int64_t vocab_size = 30522;
    std::int64_t hidden_size = 768;
    std::int64_t num_hidden_layers = 12;
    std::int64_t num_attention_heads = 12;
    std::int64_t intermediate_size = 3072;
    std::string hidden_act = "gelu";
    double hidden_dropout_prob = 0.1;
    double attention_probs_dropout_prob = 0.1;
    std::int64_t max_position_embeddings = 512;
    std::int64_t type_vocab_size = 2;  // 0 for distilbert (no token type embeddings)
    std::int64_t embedding_size = 0;   // electra: width of the embeddings, projected to hidden_size; 0 = hidden_size
    double initializer_range = 0.02;
    double layer_norm_eps = 1e-12;
    std::int64_t pad_token_id = 0;
    std::string position_embedding_type = "absolute";
    std::optional<double> classifier_dropout;  // null => hidden_dropout_prob (see classifier_dropout_or_default)
    std::optional<std::string> problem_type;   // regression | single_label_classification | multi_label_classification
    std::vector<std::string> architectures;
    std::vector<std::string> id2label{"LABEL_0", "LABEL_1"};  // index = label id
    std::vector<std::pair<std::string, std::int64_t>> label2id{{"LABEL_0", 0}, {"LABEL_1", 1}};
    json::Object extra;  // fields not listed above, in file order, written back as read

    std::size_t num_labels() const { return id2label.size(); }
    std::int64_t head_dim() const { return hidden_size / num_attention_heads; }
    std::int64_t embedding_width() const { return embedding_size > 0 ? embedding_size : hidden_size; }
    bool has_token_types() const { return type_vocab_size > 0; }
    // A family's own field kept in `extra` (e.g. distilbert's qa_dropout), or `fallback` when absent or null.
    double extra_number(std::string_view key, double fallback) const {
        for (const auto& [k, v] : extra)
            if (k == key && v.is_number()) return v.as_double();
        return fallback;
    }
    double classifier_dropout_or_default() const { return classifier_dropout.value_or(hidden_dropout_prob); }

    // Replaces the labels: id2label = labels, label2id its inverse. requires: labels non-empty.
    void set_labels(std::vector<std::string> labels) {
        TINYBERT_CHECK(!labels.empty(), "BertConfig::set_labels: at least one label is needed");
        id2label = std::move(labels);
        label2id.clear();
        for (std::size_t i = 0; i < id2label.size(); ++i) label2id.emplace_back(id2label[i], static_cast<std::int64_t>(i));
    }
    // n generic labels LABEL_0 … LABEL_{n-1}, as transformers makes for num_labels = n.
    void set_num_labels(std::size_t n) {
        std::vector<std::string> labels;
        for (std::size_t i = 0; i < n; ++i) labels.push_back("LABEL_" + std::to_string(i));
        set_labels(std::move(labels));
    }

    // Throws tinybert::Error "<source>: field 'x': …" for values tinybert cannot run.
    void validate(const std::string& source = "config.json") const {
        auto positive = [&](const char* name, std::int64_t v) {
            TINYBERT_CHECK(v > 0, source, ": field '", config_key(model_type, name), "' must be positive, got ", v);
        };
        positive("vocab_size", vocab_size);
        positive("hidden_size", hidden_size);
        positive("num_hidden_layers", num_hidden_layers);
        positive("num_attention_heads", num_attention_heads);
        positive("intermediate_size", intermediate_size);
        positive("max_position_embeddings", max_position_embeddings);
        TINYBERT_CHECK(std::find(supported_model_types.begin(), supported_model_types.end(), model_type) !=
                           supported_model_types.end(),
                       source, ": field 'model_type' is \"", model_type,
                       "\"; tinybert runs bert, roberta, xlm-roberta, distilbert and electra");
        if (model_type == "distilbert") {
            TINYBERT_CHECK(type_vocab_size == 0, source, ": distilbert has no token type embeddings");
        } else {
            positive("type_vocab_size", type_vocab_size);
        }
        TINYBERT_CHECK(embedding_size >= 0, source, ": field 'embedding_size' must be positive, got ", embedding_size);
        TINYBERT_CHECK(embedding_size == 0 || embedding_size == hidden_size || model_type == "electra", source,
                       ": field 'embedding_size' (", embedding_size, ") differs from 'hidden_size' (", hidden_size,
                       "), which only electra supports");
        check_size(source);
        TINYBERT_CHECK(hidden_size % num_attention_heads == 0, source, ": field '", config_key(model_type, "hidden_size"),
                       "' (", hidden_size, ") is not a multiple of '", config_key(model_type, "num_attention_heads"),
                       "' (", num_attention_heads, ")");
        TINYBERT_CHECK(hidden_act == "gelu", source, ": field '", config_key(model_type, "hidden_act"), "' is \"",
                       hidden_act, "\"; tinybert implements only \"gelu\" (exact erf)");
        TINYBERT_CHECK(position_embedding_type == "absolute", source, ": field 'position_embedding_type' is \"",
                       position_embedding_type, "\"; tinybert implements only \"absolute\"");
        auto probability = [&](const char* name, double p) {
            TINYBERT_CHECK(p >= 0.0 && p < 1.0, source, ": field '", config_key(model_type, name),
                           "' must be in [0, 1), got ", p);
        };
        probability("hidden_dropout_prob", hidden_dropout_prob);
        probability("attention_probs_dropout_prob", attention_probs_dropout_prob);
        if (classifier_dropout) probability("classifier_dropout", *classifier_dropout);
        if (model_type == "distilbert")
            for (const char* key : {"qa_dropout", "seq_classif_dropout"}) probability(key, extra_number(key, 0.0));
        TINYBERT_CHECK(layer_norm_eps > 0.0, source, ": field 'layer_norm_eps' must be positive, got ", layer_norm_eps);
        TINYBERT_CHECK(initializer_range >= 0.0, source, ": field 'initializer_range' must be >= 0, got ",
                       initializer_range);
        TINYBERT_CHECK(pad_token_id >= 0 && pad_token_id < vocab_size, source, ": field 'pad_token_id' (", pad_token_id,
                       ") must be in [0, vocab_size = ", vocab_size, ")");
        TINYBERT_CHECK(!problem_type || *problem_type == "regression" || *problem_type == "single_label_classification" ||
                           *problem_type == "multi_label_classification",
                       source, ": field 'problem_type' is \"", problem_type.value_or(""), "\"");
        TINYBERT_CHECK(!id2label.empty(), source, ": field 'id2label' is empty");
        for (const auto& [label, id] : label2id)
            TINYBERT_CHECK(id >= 0 && static_cast<std::size_t>(id) < id2label.size(), source, ": field 'label2id': \"",
                           label, "\" maps to ", id, ", outside [0, ", id2label.size(), ")");
    }

    // Refuses sizes no real BERT has before anything is allocated for them: more than max_hidden_layers layers, or
    // more than max_model_parameters parameters (computed in double, so absurd sizes cannot wrap).
    // requires: the sizes are positive (validate checks that first).
    void check_size(const std::string& source) const {
        TINYBERT_CHECK(num_hidden_layers <= max_hidden_layers, source, ": field 'num_hidden_layers' (", num_hidden_layers,
                       ") is above tinybert's limit of ", max_hidden_layers, " layers");
        const auto d = [](std::int64_t v) { return static_cast<double>(v); };
        const double h = d(hidden_size), i = d(intermediate_size), labels = static_cast<double>(num_labels());
        const double e = d(embedding_width());
        const double projection = embedding_width() != hidden_size ? (e + 1) * h : 0.0;  // electra's E -> H
        const double embeddings = (d(vocab_size) + d(max_position_embeddings) + d(type_vocab_size) + 2) * e + projection;
        const double layer = 4 * (h * h + h) + 2 * h * i + i + h + 4 * h;  // attention, FFN, two LayerNorms
        const double params = embeddings + d(num_hidden_layers) * layer + (h * h + h) + (labels * h + labels);
        TINYBERT_CHECK(params <= static_cast<double>(max_model_parameters), source, ": these sizes would need ", params,
                       " parameters (", params * 4, " bytes as float32), above tinybert's limit of ",
                       max_model_parameters, " (2^34): vocab_size ", vocab_size, ", hidden_size ", hidden_size,
                       ", intermediate_size ", intermediate_size, ", num_hidden_layers ", num_hidden_layers,
                       ", max_position_embeddings ", max_position_embeddings, ", type_vocab_size ", type_vocab_size,
                       ", ", num_labels(), " labels");
    }

    // Reads and validates a config.json tree; `source` names it in errors.
    static BertConfig from_json(const json::Value& root, const std::string& source = "config.json");

    static BertConfig from_file(const std::string& path) { return from_json(json::parse_file(path), path); }

    // The config.json tree transformers writes (keys sorted, as json.dumps(sort_keys=True)): model_type,
    // architectures [architecture] (or the stored ones when empty), every field of the family under its own name,
    // string-keyed id2label/label2id, torch_dtype "float32", then the preserved unknown fields.
    json::Value to_json(const std::string& architecture = "") const {
        json::Object o;
        o.reserve(24 + extra.size());
        const bool distil = model_type == "distilbert";
        const auto put = [&](std::string_view bert_name, json::Value v) {
            o.emplace_back(std::string(config_key(model_type, bert_name)), std::move(v));
        };
        o.emplace_back("model_type", model_type);
        json::Array arch;
        if (!architecture.empty()) {
            arch.emplace_back(architecture);
        } else {
            for (const auto& a : architectures) arch.emplace_back(a);
        }
        o.emplace_back("architectures", json::Value(std::move(arch)));
        o.emplace_back("vocab_size", vocab_size);
        put("hidden_size", hidden_size);
        put("num_hidden_layers", num_hidden_layers);
        put("num_attention_heads", num_attention_heads);
        put("intermediate_size", intermediate_size);
        put("hidden_act", hidden_act);
        put("hidden_dropout_prob", hidden_dropout_prob);
        put("attention_probs_dropout_prob", attention_probs_dropout_prob);
        o.emplace_back("max_position_embeddings", max_position_embeddings);
        o.emplace_back("initializer_range", initializer_range);
        o.emplace_back("pad_token_id", pad_token_id);
        if (!distil) {  // distilbert: no token types, LayerNorm eps fixed at 1e-12, no classifier_dropout
            o.emplace_back("type_vocab_size", type_vocab_size);
            o.emplace_back("layer_norm_eps", layer_norm_eps);
            o.emplace_back("position_embedding_type", position_embedding_type);
            o.emplace_back("classifier_dropout", classifier_dropout ? json::Value(*classifier_dropout) : json::Value());
        }
        if (model_type == "electra") o.emplace_back("embedding_size", embedding_width());
        o.emplace_back("problem_type", problem_type ? json::Value(*problem_type) : json::Value());
        json::Object i2l, l2i;
        for (std::size_t i = 0; i < id2label.size(); ++i) i2l.emplace_back(std::to_string(i), id2label[i]);
        for (const auto& [label, id] : label2id) l2i.emplace_back(label, id);
        o.emplace_back("id2label", json::Value(std::move(i2l)));
        o.emplace_back("label2id", json::Value(std::move(l2i)));
        o.emplace_back("torch_dtype", "float32");
        for (const auto& kv : extra) o.push_back(kv);
        std::stable_sort(o.begin(), o.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        return json::Value(std::move(o));
    }

    // Writes to_json(architecture) pretty-printed (2 spaces) to `path`, atomically.
    void save(const std::string& path, const std::string& architecture = "") const {
        const std::string text = to_json(architecture).dump(2) + "\n";
        detail::AtomicWriter out(path);
        out.write(text.data(), text.size());
        out.commit();
    }
};

namespace detail {

class ConfigReader {
public:
    ConfigReader(const json::Value& root, const std::string& source) : root_(root), source_(source) {}

    const json::Value* field(const char* name) {
        used_.emplace_back(name);
        return root_.find(name);
    }
    void read(const char* name, std::int64_t& out) {
        if (const json::Value* v = field(name)) {
            TINYBERT_CHECK(v->is_number() && std::floor(v->as_double()) == v->as_double(), source_, ": field '", name,
                           "' must be an integer, got ", v->is_number() ? v->dump() : v->kind_name());
            out = v->as_int();
        }
    }
    void read(const char* name, double& out) {
        if (const json::Value* v = field(name)) {
            TINYBERT_CHECK(v->is_number(), source_, ": field '", name, "' must be a number, got ", v->kind_name());
            out = v->as_double();
        }
    }
    void read(const char* name, std::string& out) {
        if (const json::Value* v = field(name)) {
            TINYBERT_CHECK(v->is_string(), source_, ": field '", name, "' must be a string, got ", v->kind_name());
            out = v->as_string();
        }
    }
    template <class T>
    void read(const char* name, std::optional<T>& out) {
        if (const json::Value* v = root_.find(name); v != nullptr && !v->is_null()) {
            T value{};
            read(name, value);
            out = std::move(value);
        } else {
            used_.emplace_back(name);
        }
    }
    [[noreturn]] void fail(const char* name, const std::string& why) const {
        TINYBERT_FAIL(source_, ": field '", name, "': ", why);
    }
    // Members of the root not read through field().
    json::Object unused() const {
        json::Object out;
        for (const auto& kv : root_.as_object())
            if (std::find(used_.begin(), used_.end(), kv.first) == used_.end()) out.push_back(kv);
        return out;
    }

private:
    const json::Value& root_;
    const std::string& source_;
    std::vector<std::string> used_;
};

}  // namespace detail

inline BertConfig BertConfig::from_json(const json::Value& root, const std::string& source) {
    TINYBERT_CHECK(root.is_object(), source, ": expected a JSON object, got ", root.kind_name());
    BertConfig c;
    detail::ConfigReader r(root, source);
    r.read("model_type", c.model_type);
    TINYBERT_CHECK(std::find(supported_model_types.begin(), supported_model_types.end(), c.model_type) !=
                       supported_model_types.end(),
                   source, ": field 'model_type' is \"", c.model_type,
                   "\"; tinybert runs bert, roberta, xlm-roberta, distilbert and electra");
    // the defaults of the family's config class, for fields the file leaves out
    if (c.model_type == "distilbert") c.num_hidden_layers = 6;
    if (c.model_type == "roberta" || c.model_type == "xlm-roberta") c.pad_token_id = 1;
    if (c.model_type == "electra") {
        c.embedding_size = 128, c.hidden_size = 256, c.num_attention_heads = 4, c.intermediate_size = 1024;
    }
    const auto named = [&](const char* bert_name) { return std::string(config_key(c.model_type, bert_name)); };
    r.read("vocab_size", c.vocab_size);
    r.read(named("hidden_size").c_str(), c.hidden_size);
    r.read(named("num_hidden_layers").c_str(), c.num_hidden_layers);
    r.read(named("num_attention_heads").c_str(), c.num_attention_heads);
    r.read(named("intermediate_size").c_str(), c.intermediate_size);
    r.read(named("hidden_act").c_str(), c.hidden_act);
    r.read(named("hidden_dropout_prob").c_str(), c.hidden_dropout_prob);
    r.read(named("attention_probs_dropout_prob").c_str(), c.attention_probs_dropout_prob);
    r.read("max_position_embeddings", c.max_position_embeddings);
    r.read("initializer_range", c.initializer_range);
    r.read("pad_token_id", c.pad_token_id);
    if (c.model_type == "distilbert") {
        c.type_vocab_size = 0;
        bool sinusoidal = false;
        if (const json::Value* v = root.find("sinusoidal_pos_embds"); v && v->is_bool()) sinusoidal = v->as_bool();
        if (sinusoidal) r.fail("sinusoidal_pos_embds", "sinusoidal position embeddings are not implemented");
    } else {
        r.read("type_vocab_size", c.type_vocab_size);
        r.read("layer_norm_eps", c.layer_norm_eps);
        r.read("position_embedding_type", c.position_embedding_type);
        r.read("classifier_dropout", c.classifier_dropout);
    }
    if (c.model_type == "electra") r.read("embedding_size", c.embedding_size);
    r.read("problem_type", c.problem_type);
    r.field("torch_dtype");  // rewritten as "float32" on save
    r.field("dtype");        // newer transformers' spelling of torch_dtype
    if (const json::Value* a = r.field("architectures"); a != nullptr && !a->is_null()) {
        if (!a->is_array()) r.fail("architectures", "must be an array of strings");
        for (const json::Value& s : a->as_array()) {
            if (!s.is_string()) r.fail("architectures", "must be an array of strings");
            c.architectures.push_back(s.as_string());
        }
    }
    std::int64_t num_labels = 2;
    r.read("num_labels", num_labels);
    if (num_labels < 1) r.fail("num_labels", "must be positive");
    if (num_labels > max_labels)
        r.fail("num_labels", detail::concat(num_labels, " is above tinybert's limit of ", max_labels, " labels"));
    c.set_num_labels(static_cast<std::size_t>(num_labels));
    if (const json::Value* m = r.field("id2label"); m != nullptr && !m->is_null()) {
        if (!m->is_object() || m->as_object().empty()) r.fail("id2label", "must be a non-empty object {\"0\": label}");
        const auto& obj = m->as_object();
        std::vector<std::string> labels(obj.size());
        std::vector<bool> seen(obj.size(), false);
        for (const auto& [key, label] : obj) {
            std::size_t id = 0, used = 0;
            try {
                id = std::stoul(key, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used == 0 || used != key.size() || id >= obj.size() || seen[id])
                r.fail("id2label", detail::concat("key \"", key, "\" is not one of the ids 0..", obj.size() - 1, " (once each)"));
            if (!label.is_string()) r.fail("id2label", detail::concat("label of id ", key, " must be a string"));
            seen[id] = true;
            labels[id] = label.as_string();
        }
        c.set_labels(std::move(labels));
    }
    if (const json::Value* m = r.field("label2id"); m != nullptr && !m->is_null()) {
        if (!m->is_object()) r.fail("label2id", "must be an object {label: id}");
        c.label2id.clear();
        for (const auto& [label, id] : m->as_object()) {
            if (!id.is_int()) r.fail("label2id", detail::concat("id of \"", label, "\" must be an integer"));
            c.label2id.emplace_back(label, id.as_int());
        }
    }
    c.extra = r.unused();
    c.validate(source);
    return c;
}

}  // namespace tinybert
