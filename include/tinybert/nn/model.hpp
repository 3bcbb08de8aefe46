// tinybert/nn/model.hpp: EncoderModel<Family, Encoder<N>, Head, Device, T>, a whole Hugging Face encoder model as one
// type: embeddings (and ELECTRA's projection), N encoder layers, the pooler when the family puts the head on one, and
// the head. Parameter names are the checkpoint's (the family's prefix, e.g. `bert.`, for head models, none for the
// bare base model), so loading and saving are name-for-name. The families are in nn/families/; each defines its alias:
//   using Model = tinybert::Bert<tinybert::Encoder<6>, tinybert::SequenceClassification>;     // nn/bert.hpp
//   auto model = Model::from_pretrained("all-MiniLM-L6-v2", {.labels = {"neg", "pos"}});
//   using Model = tinybert::Roberta<tinybert::Encoder<dynamic>, tinybert::TokenClassification>;
// nn/auto.hpp picks the family from config.json's model_type at run time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "tinybert/core/problem_type.hpp"
#include "tinybert/io/hf_config.hpp"
#include "tinybert/io/hf_names.hpp"
#include "tinybert/io/safetensors.hpp"
#include "tinybert/io/state_dict.hpp"
#include "tinybert/nn/batch.hpp"
#include "tinybert/nn/embeddings.hpp"
#include "tinybert/nn/encoder.hpp"
#include "tinybert/nn/family.hpp"
#include "tinybert/nn/linear.hpp"
#include "tinybert/nn/pooler.hpp"
#include "tinybert/ops/batch_inputs.hpp"
#include "tinybert/quant/checkpoint.hpp"

namespace tinybert {

// How from_pretrained builds the model.
struct PretrainedOptions {
    std::vector<std::string> labels;  // non-empty: replace config's id2label (a new head, initialised fresh)
    std::uint64_t seed = 42;          // init of weights missing from the checkpoint (torch's draws for this seed), dropout
    std::optional<std::string> problem_type{};  // set: replaces config's (sequence classification: regression, ...)
};

// What from_pretrained did with the checkpoint's keys (transformers prints the same three lists).
struct LoadReport {
    std::vector<std::string> missing;     // model parameters the checkpoint lacks: initialised as transformers does
    std::vector<std::string> unexpected;  // checkpoint keys the model has no parameter for
    std::vector<std::string> ignored;     // keys dropped by rule (cls.*, position_ids, unused pooler)
};

template <class Family, class E, class Head = NoHead, class Device = Cpu, class T = float>
class EncoderModel {
    static_assert(ModelFamily<Family>, "EncoderModel<Family, E, Head, Device, T>: Family must satisfy ModelFamily "
                                       "(nn/family.hpp), e.g. BertFamily");
    static_assert(is_encoder_v<E>, "EncoderModel<Family, E, Head, Device, T> (Bert<E, Head, Device, T>): E must be "
                                   "Encoder<N> (e.g. Encoder<6>) or Encoder<dynamic>");
    static_assert(is_head_v<Head>, "EncoderModel<Family, E, Head, Device, T>: Head must be a TaskHead (nn/family.hpp): "
                                   "NoHead, SequenceClassification, TokenClassification or QuestionAnswering");
    static_assert(std::is_same_v<Device, Cpu> || std::is_same_v<Device, Cuda>,
                  "EncoderModel<Family, E, Head, Device, T>: Device must be Cpu or Cuda");
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "EncoderModel<Family, E, Head, Device, T>: T must be float or double");

public:
    using family_type = Family;
    using head_type = Head;
    using device_type = Device;
    using value_type = T;
    using Output = typename Head::template Output<T, Device>;
    static constexpr bool has_pooler = Family::template has_pooler<Head>;
    using PoolerLayer = std::conditional_t<has_pooler, Pooler<T, Device>, NoPooler>;
    static constexpr bool prefixed = !std::is_same_v<Head, NoHead>;  // head models name base weights "bert.*"

    // A freshly initialised model (Hugging Face _init_weights, seeded; counter-based draws, not torch's).
    // requires: config.model_type is one of the family's (e.g. set it to "roberta" for Roberta<…>).
    explicit EncoderModel(BertConfig config, std::uint64_t seed = 42)
        : EncoderModel((check_family(config, "config"), std::move(config)), seed, Uninitialised{}) {
        Generator init(seed);
        visit_parameters([&](const std::string& name, Var<T, Device>& p) {
            init_parameter(name, p, config_.initializer_range, config_.pad_token_id, init);
        });
        if constexpr (Family::positions == Positions::after_padding)  // the position table's padding_idx row
            zero_row(embeddings.position, config_.pad_token_id);
    }

    // The class transformers' AutoModel builds for this model: "BertForSequenceClassification", "RobertaModel", …
    std::string architecture() const { return Family::class_name(config_) + Head::suffix; }

    // Loads config.json and the weights (model.safetensors, sharded safetensors or pytorch_model.bin) from `dir`.
    // Parameters the checkpoint lacks (a new task head) are initialised as transformers' from_pretrained does after
    // set_seed(opts.seed): in model order, each weight drawn by Tensor.normal_ from torch's CPU generator (to ~1 ulp;
    // core/torch_random.hpp), biases 0, LayerNorm weights 1. The same seed thus starts both libraries from the same
    // model.
    static EncoderModel from_pretrained(const std::string& dir, const PretrainedOptions& opts = {}) {
        const std::string config_path = (std::filesystem::path(dir) / "config.json").string();
        BertConfig config = BertConfig::from_file(config_path);
        if (!opts.labels.empty()) config.set_labels(opts.labels);
        if (opts.problem_type) config.problem_type = problem_type_name(parse_problem_type(*opts.problem_type, "problem_type"));
        check_family(config, config_path);
        EncoderModel model(std::move(config), opts.seed, Uninitialised{});
        StateDict ckpt = load_state_dict(dir);
        // an int8 folder (quant/checkpoint.hpp): I8 weights become int8 layers, the float Vars get them dequantised
        auto int8 = quant::take_int8_weights(ckpt, model.config_, config_path);
        model.load_weights(ckpt);
        quant::attach_int8_weights(model, std::move(int8), ckpt.source());
        TorchGenerator torch_gen(opts.seed);
        const auto& missing = model.report_.missing;
        model.visit_parameters([&](const std::string& name, Var<T, Device>& p) {
            if (std::find(missing.begin(), missing.end(), name) != missing.end())
                init_parameter(name, p, model.config_.initializer_range, model.config_.pad_token_id, torch_gen);
        });
        return model;
    }

    // Writes config.json (architectures = family and head) and model.safetensors (Hugging Face names) into `dir`: F32, as
    // transformers expects, or the compute type T when `full_precision` (exact training checkpoints in f64).
    // A quantised model (quantize_dynamic) writes tinybert's int8 folder instead (quant/checkpoint.hpp).
    void save_pretrained(const std::string& dir, bool full_precision = false) const {
        tinybert::detail::create_directories_durable(dir);  // io/files.hpp: the new folder's entry is fsync'ed too
        std::vector<NamedTensor> tensors;
        const quant::Int8Index int8 = quant::int8_index(encoder);
        const_cast<EncoderModel*>(this)->visit_parameters([&](const std::string& name, Var<T, Device>& p) {
            if (const auto it = int8.find(&p.value()); it != int8.end())
                return quant::append_int8_tensors(tensors, name, *it->second);
            std::vector<T> v = p.value().to_vector();
            std::vector<std::int64_t> shape;
            for (std::size_t i = 0; i < p.shape().rank(); ++i) shape.push_back(p.shape()[i]);
            tensors.emplace_back(name, full_precision ? CheckpointTensor::from(std::move(v), shape, name)
                                                      : CheckpointTensor::from(std::vector<float>(v.begin(), v.end()),
                                                                               shape, name));
        });
        write_safetensors((std::filesystem::path(dir) / "model.safetensors").string(), tensors);
        quant::config_to_save(config_, !int8.empty()).save((std::filesystem::path(dir) / "config.json").string(),
                                                            architecture());
    }

    // Copies every checkpoint tensor into the parameter of the same (canonical) name; see LoadReport.
    void load_weights(const StateDict& ckpt) {
        std::vector<std::string> keys;
        for (const auto& [key, tensor] : ckpt.tensors()) keys.push_back(key);
        const KeyMapping mapping = map_checkpoint_keys(keys, prefixed, has_pooler, ckpt.source(), Family::checkpoint);
        report_ = LoadReport{};
        report_.ignored = mapping.ignored;
        std::vector<std::string> loaded;
        visit_parameters([&](const std::string& name, Var<T, Device>& p) {
            for (const auto& [target, key] : mapping.load) {
                if (target != name) continue;
                const CheckpointTensor& t = ckpt.at(key);
                Shape shape;
                for (const std::int64_t d : t.shape()) shape.push_back(d);
                TINYBERT_CHECK(shape == p.shape(), t.where(), ": shape ", shape.str(), " does not match the model's ",
                               name, " ", p.shape().str(), " (config.json and the weights disagree)");
                p.value() = Tensor<T, Device>::from_vector(shape, t.template to<T>());
                loaded.push_back(target);
                return;
            }
            report_.missing.push_back(name);
        });
        for (const auto& [target, key] : mapping.load)
            if (std::find(loaded.begin(), loaded.end(), target) == loaded.end()) report_.unexpected.push_back(key);
    }

    // One forward pass; records the tape when training needs gradients (see NoGradGuard for inference).
    Output forward(const Batch<Device>& batch) {
        TINYBERT_CHECK(batch.input_ids.shape().rank() == 2, "forward: input_ids must be (B,S), got ",
                       batch.input_ids.shape().str());
        const std::int64_t B = batch.batch_size(), S = batch.seq_len();
        const auto ones_or = [&](const Tensor<std::int64_t, Device>& t, std::int64_t fill, const char* what) {
            if (!t.defined()) return Tensor<std::int64_t, Device>::full({B, S}, fill);
            TINYBERT_CHECK(t.shape() == batch.input_ids.shape(), "forward: ", what, " ", t.shape().str(),
                           " must have the shape of input_ids ", batch.input_ids.shape().str());
            return t;
        };
        const ForwardContext ctx{training_, &gen_};
        Var<T, Device> x = embeddings.forward(batch.input_ids, ones_or(batch.token_type_ids, 0, "token_type_ids"), ctx);
        if (embeddings_project) x = embeddings_project->forward(x);
        const Var<T, Device> hidden =
            encoder.forward(x, tinybert::additive_mask<T>(ones_or(batch.attention_mask, 1, "attention_mask")), ctx);
        Var<T, Device> pooled;
        if constexpr (has_pooler) pooled = pooler.forward(hidden);
        Output out = head.forward(hidden, pooled, batch, ctx);
        // transformers' forward sets config.problem_type when it infers it (nn/heads/sequence_classification.hpp)
        if constexpr (requires { head.loss.problem_type; }) {
            if (!config_.problem_type && head.loss.problem_type)
                config_.problem_type = problem_type_name(*head.loss.problem_type);
        }
        return out;
    }

    // f(hf_name, Var&) for every parameter, in Hugging Face's order.
    template <class F>
    void visit_parameters(F&& f) {
        const std::string base = prefixed ? std::string(Family::checkpoint.prefix) : "";
        embeddings.visit(base + "embeddings.", f);
        if (embeddings_project) embeddings_project->visit(base + "embeddings_project.", f);
        encoder.visit(base, f);
        pooler.visit(base + "pooler.", f);
        head.visit("", f);
    }

    void zero_grad() {
        visit_parameters([](const std::string&, Var<T, Device>& p) { p.zero_grad(); });
    }
    void train(bool on = true) { training_ = on; }
    void eval() { training_ = false; }
    bool training() const { return training_; }

    const BertConfig& config() const { return config_; }
    const LoadReport& load_report() const { return report_; }
    Generator& generator() { return gen_; }

private:
    struct Uninitialised {};  // parameters zero-filled, for from_pretrained to load
    EncoderModel(BertConfig config, std::uint64_t seed, Uninitialised)
        : config_((config.validate(), std::move(config))),
          embeddings(config_, Family::positions),
          embeddings_project(config_.embedding_width() != config_.hidden_size
                                 ? std::optional<Linear<T, Device>>(std::in_place, config_.embedding_width(),
                                                                     config_.hidden_size)
                                 : std::nullopt),
          encoder(config_, Family::layers), pooler(config_), head(config_), gen_(seed) {}

    static void check_family(const BertConfig& c, const std::string& source) {
        TINYBERT_CHECK(Family::accepts(c.model_type), source, ": model_type \"", c.model_type, "\" is not a ",
                       Family::name, " model (load it with tinybert::with_model_family, nn/auto.hpp, or the family's "
                       "own type)");
    }

    BertConfig config_;

public:
    Embeddings<T, Device> embeddings;
    std::optional<Linear<T, Device>> embeddings_project;  // ELECTRA when embedding_size != hidden_size: E -> H
    typename E::template Stack<T, Device> encoder;
    PoolerLayer pooler;
    typename Family::template HeadLayer<Head, T, Device> head;

private:
    Generator gen_;
    LoadReport report_;
    bool training_ = false;
};

}  // namespace tinybert
