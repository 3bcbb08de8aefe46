// tinybert/io/hf_config.hpp: BertConfig, the config.json of a Hugging Face BERT checkpoint (transformers
// configuration_bert.py + configuration_utils.py; spec §2 and §8.3). Fields default to bert-base; fields tinybert does
// not know are kept and written back unchanged. Errors name the file and the field.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
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

struct BertConfig {
    std::int64_t vocab_size = 30522;
    std::int64_t hidden_size = 768;
    std::int64_t num_hidden_layers = 12;
    std::int64_t num_attention_heads = 12;
    std::int64_t intermediate_size = 3072;
    std::string hidden_act = "gelu";
    double hidden_dropout_prob = 0.1;
    double attention_probs_dropout_prob = 0.1;
    std::int64_t max_position_embeddings = 512;
    std::int64_t type_vocab_size = 2;
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
            TINYBERT_CHECK(v > 0, source, ": field '", name, "' must be positive, got ", v);
        };
        positive("vocab_size", vocab_size);
        positive("hidden_size", hidden_size);
        positive("num_hidden_layers", num_hidden_layers);
        positive("num_attention_heads", num_attention_heads);
        positive("intermediate_size", intermediate_size);
        positive("max_position_embeddings", max_position_embeddings);
        positive("type_vocab_size", type_vocab_size);
        check_size(source);
        TINYBERT_CHECK(hidden_size % num_attention_heads == 0, source, ": field 'hidden_size' (", hidden_size,
                       ") is not a multiple of 'num_attention_heads' (", num_attention_heads, ")");
        TINYBERT_CHECK(hidden_act == "gelu", source, ": field 'hidden_act' is \"", hidden_act,
                       "\"; tinybert implements only \"gelu\" (exact erf)");
        TINYBERT_CHECK(position_embedding_type == "absolute", source, ": field 'position_embedding_type' is \"",
                       position_embedding_type, "\"; tinybert implements only \"absolute\"");
        auto probability = [&](const char* name, double p) {
            TINYBERT_CHECK(p >= 0.0 && p < 1.0, source, ": field '", name, "' must be in [0, 1), got ", p);
        };
        probability("hidden_dropout_prob", hidden_dropout_prob);
        probability("attention_probs_dropout_prob", attention_probs_dropout_prob);
        if (classifier_dropout) probability("classifier_dropout", *classifier_dropout);
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
        const double embeddings = (d(vocab_size) + d(max_position_embeddings) + d(type_vocab_size) + 2) * h;
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

    // The config.json tree transformers writes (keys sorted, as json.dumps(sort_keys=True)): model_type "bert",
    // architectures [architecture] (or the stored ones when empty), every field, string-keyed id2label/label2id,
    // torch_dtype "float32", then the preserved unknown fields.
    json::Value to_json(const std::string& architecture = "") const {
        json::Object o;
        o.reserve(24 + extra.size());
        o.emplace_back("model_type", "bert");
        json::Array arch;
        if (!architecture.empty()) {
            arch.emplace_back(architecture);
        } else {
            for (const auto& a : architectures) arch.emplace_back(a);
        }
        o.emplace_back("architectures", json::Value(std::move(arch)));
        o.emplace_back("vocab_size", vocab_size);
        o.emplace_back("hidden_size", hidden_size);
        o.emplace_back("num_hidden_layers", num_hidden_layers);
        o.emplace_back("num_attention_heads", num_attention_heads);
        o.emplace_back("intermediate_size", intermediate_size);
        o.emplace_back("hidden_act", hidden_act);
        o.emplace_back("hidden_dropout_prob", hidden_dropout_prob);
        o.emplace_back("attention_probs_dropout_prob", attention_probs_dropout_prob);
        o.emplace_back("max_position_embeddings", max_position_embeddings);
        o.emplace_back("type_vocab_size", type_vocab_size);
        o.emplace_back("initializer_range", initializer_range);
        o.emplace_back("layer_norm_eps", layer_norm_eps);
        o.emplace_back("pad_token_id", pad_token_id);
        o.emplace_back("position_embedding_type", position_embedding_type);
        o.emplace_back("classifier_dropout", classifier_dropout ? json::Value(*classifier_dropout) : json::Value());
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
    std::string model_type = "bert";
    r.read("model_type", model_type);
    TINYBERT_CHECK(model_type == "bert", source, ": field 'model_type' is \"", model_type, "\", expected \"bert\"");
    r.read("vocab_size", c.vocab_size);
    r.read("hidden_size", c.hidden_size);
    r.read("num_hidden_layers", c.num_hidden_layers);
    r.read("num_attention_heads", c.num_attention_heads);
    r.read("intermediate_size", c.intermediate_size);
    r.read("hidden_act", c.hidden_act);
    r.read("hidden_dropout_prob", c.hidden_dropout_prob);
    r.read("attention_probs_dropout_prob", c.attention_probs_dropout_prob);
    r.read("max_position_embeddings", c.max_position_embeddings);
    r.read("type_vocab_size", c.type_vocab_size);
    r.read("initializer_range", c.initializer_range);
    r.read("layer_norm_eps", c.layer_norm_eps);
    r.read("pad_token_id", c.pad_token_id);
    r.read("position_embedding_type", c.position_embedding_type);
    r.read("classifier_dropout", c.classifier_dropout);
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
