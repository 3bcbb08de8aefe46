// tinybert/quant/checkpoint.hpp: the int8 folder format. A Hugging Face folder whose model.safetensors stores each
// quantised weight "<name>" (e.g. bert.encoder.layer.0.attention.self.query.weight) as I8 (OUT,IN) plus
// "<name>_scale" as F32 (OUT); every other tensor stays F32 as save_pretrained writes it. config.json carries
//   "quantization_config": {"quant_method": "tinybert_int8_dynamic", "weights": "int8 symmetric per output channel",
//                           "activations": "uint8 asymmetric per row, dynamic", "modules": [...]}
// transformers refuses that quant_method with an error (it cannot run these layers), instead of reading integers as
// floats. Row sums are not stored: they are recomputed from the codes. Bert::from_pretrained / save_pretrained call
// the functions here, so loading and saving an int8 folder needs nothing else.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tinybert/io/checkpoint_tensor.hpp"
#include "tinybert/io/hf_config.hpp"
#include "tinybert/io/state_dict.hpp"
#include "tinybert/quant/layer.hpp"

namespace tinybert::quant {

inline constexpr std::string_view int8_quant_method = "tinybert_int8_dynamic";
inline constexpr std::string_view scale_suffix = "_scale";

// The quantised weights of a model, by the address of their float value (the Var's tensor): what save_pretrained
// looks up while it visits the parameters.
using Int8Index = std::map<const void*, const QuantizedWeight*>;

template <class Stack>
Int8Index int8_index(const Stack& encoder) {
    Int8Index index;
    for (const auto& layer : encoder.layers)
        if (layer.int8)
            for_each_int8_linear(layer, *layer.int8, [&](const auto& w, const QuantizedWeight& q) {
                index.emplace(static_cast<const void*>(&w.value()), &q);
            });
    return index;
}

// Appends "<name>" (I8 (OUT,IN)) and "<name>_scale" (F32 (OUT)) for a quantised weight.
inline void append_int8_tensors(std::vector<NamedTensor>& tensors, const std::string& name, const QuantizedWeight& q) {
    tensors.emplace_back(name, CheckpointTensor::from(q.q, {q.out_features, q.in_features}, name));
    tensors.emplace_back(name + std::string(scale_suffix),
                         CheckpointTensor::from(q.scale, {q.out_features}, name + std::string(scale_suffix)));
}

// The config to save: with the int8 marker when `quantized`, without it otherwise (a float save of a model that was
// loaded from an int8 folder must not claim to be int8).
inline BertConfig config_to_save(BertConfig c, bool quantized) {
    std::erase_if(c.extra, [](const auto& kv) { return kv.first == "quantization_config"; });
    if (quantized)
        c.extra.emplace_back(
            "quantization_config",
            json::Object{{"quant_method", std::string(int8_quant_method)},
                         {"weights", "int8 symmetric per output channel: <name> I8 (OUT,IN), <name>_scale F32 (OUT)"},
                         {"activations", "uint8 asymmetric per row, dynamic (7 bits on CPUs without VNNI)"},
                         {"modules", json::Array{"attention.self.query", "attention.self.key", "attention.self.value",
                                                 "attention.output.dense", "intermediate.dense", "output.dense"}}});
    return c;
}

// True when config.json marks an int8 folder; a quantization_config of another method is an error.
inline bool is_int8_config(const BertConfig& c, const std::string& source) {
    for (const auto& [key, value] : c.extra) {
        if (key != "quantization_config") continue;
        const json::Value* method = value.find("quant_method");
        TINYBERT_CHECK(method != nullptr && method->is_string(), source,
                       ": field 'quantization_config' has no string \"quant_method\"");
        TINYBERT_CHECK(method->as_string() == int8_quant_method, source,
                       ": field 'quantization_config': quant_method \"", method->as_string(),
                       "\" is not one tinybert loads (only \"", int8_quant_method, "\")");
        return true;
    }
    return false;
}

// For an int8 folder (config marked): replaces each I8 weight and its scale in `ckpt` by the dequantised F32 weight
// (so that load_weights fills the float Vars as usual) and returns the int8 weights by name. Returns nothing and
// leaves `ckpt` alone for a float folder. Errors name the file and tensor.
inline std::map<std::string, QuantizedWeight> take_int8_weights(StateDict& ckpt, const BertConfig& config,
                                                                const std::string& config_path) {
    std::map<std::string, QuantizedWeight> out;
    if (!is_int8_config(config, config_path)) return out;
    StateDict rest(ckpt.source());
    for (const auto& [name, t] : ckpt.tensors()) {
        if (std::string_view(name).ends_with(scale_suffix)) {
            const std::string weight = name.substr(0, name.size() - scale_suffix.size());
            TINYBERT_CHECK(ckpt.contains(weight) && ckpt.at(weight).dtype() == DType::i8, t.where(),
                           ": a scale without its I8 weight '", weight, "'");
            continue;
        }
        if (t.dtype() != DType::i8) {
            rest.insert(name, t);
            continue;
        }
        const std::string scale_name = name + std::string(scale_suffix);
        TINYBERT_CHECK(t.shape().size() == 2, t.where(), ": an I8 weight must be (OUT,IN), got rank ",
                       t.shape().size());
        TINYBERT_CHECK(ckpt.contains(scale_name), t.where(), ": I8 weight without its scale tensor '", scale_name, "'");
        const CheckpointTensor& s = ckpt.at(scale_name);
        TINYBERT_CHECK(s.shape().size() == 1 && s.shape()[0] == t.shape()[0], s.where(), ": scale shape [",
                       s.shape().size() == 1 ? std::to_string(s.shape()[0])
                                             : std::string("rank ") + std::to_string(s.shape().size()),
                       "] does not match its weight's (", t.shape()[0], ",", t.shape()[1],
                       "): one scale per output channel");
        QuantizedWeight q =
            QuantizedWeight::from_parts(t.to<std::int8_t>(), s.to<float>(), t.shape()[0], t.shape()[1], t.where());
        rest.insert(name, CheckpointTensor::from(q.dequantize<float>(), t.shape(), t.where() + " (dequantised)"));
        out.emplace(name, std::move(q));
    }
    TINYBERT_CHECK(!out.empty(), config_path, ": config.json marks an int8 model (quantization_config) but ",
                   ckpt.source(), " holds no I8 weight");
    ckpt = std::move(rest);
    return out;
}

// Gives every encoder layer of `model` its int8 weights from `packs` (by parameter name); each of the six linears
// of every layer must be there, and nothing else may be int8.
template <class Model>
void attach_int8_weights(Model& model, std::map<std::string, QuantizedWeight> packs, const std::string& source) {
    if (packs.empty()) return;
    TINYBERT_CHECK((std::is_same_v<typename Model::device_type, Cpu>), source,
                   ": an int8 model runs on the CPU only; load it as a Cpu model");
    std::map<const void*, std::string> names;
    model.visit_parameters([&](const std::string& name, auto& p) { names.emplace(&p.value(), name); });
    for (auto& layer : model.encoder.layers) {
        auto q = std::make_shared<Int8Layer>();
        for_each_int8_linear(layer, *q, [&](const auto& w, QuantizedWeight& slot) {
            const std::string& name = names.at(&w.value());
            const auto it = packs.find(name);
            TINYBERT_CHECK(it != packs.end(), source, ": tensor '", name,
                           "' is not stored as I8 with a scale, but config.json marks an int8 model");
            slot = std::move(it->second);
            packs.erase(it);
        });
        layer.int8 = std::move(q);
    }
    TINYBERT_CHECK(packs.empty(), source, ": tensor '", packs.empty() ? "" : packs.begin()->first,
                   "' is I8, but only the encoder's linear weights are int8 in tinybert's format");
}

}  // namespace tinybert::quant
