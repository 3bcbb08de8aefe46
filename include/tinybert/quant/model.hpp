// tinybert/quant/model.hpp: int8 dynamic quantisation of a whole model for CPU inference, as ORT's and PyTorch's
// quantize_dynamic do it (per-channel int8 weights, per-row uint8 activations at run time; quant/quantize.hpp):
//   Model model = Model::from_pretrained("out/imdb");
//   tinybert::quantize_dynamic(model);        // the encoder's linears now run in int8 (task helpers, NoGradGuard)
//   model.save_pretrained("out/imdb-int8");   // I8 weights + F32 scales; from_pretrained loads it back as int8
#pragma once

#include <memory>
#include <type_traits>

#include "tinybert/nn/bert.hpp"

namespace tinybert {

// Quantises the six linears of every encoder layer; layers already int8 (an int8 folder) keep their integers.
// Pooler and head stay float. Inference only: forward then needs NoGradGuard and eval mode (the task helpers set
// both). requires: a CPU model.
template <class Model>
void quantize_dynamic(Model& model) {
    static_assert(std::is_same_v<typename Model::device_type, Cpu>,
                  "quantize_dynamic: int8 inference runs on the CPU only");
    for (auto& layer : model.encoder.layers)
        if (!layer.int8) layer.int8 = std::make_shared<const quant::Int8Layer>(quant::quantize_layer(layer));
}

// True when the encoder runs in int8 (quantize_dynamic, or loaded from an int8 folder).
template <class Model>
bool is_quantized(const Model& model) {
    for (const auto& layer : model.encoder.layers)
        if (!layer.int8) return false;
    return !model.encoder.layers.empty();
}

// Back to the float encoder: drops the int8 weights (the float Vars were never changed; for a model loaded from an
// int8 folder they hold the dequantised weights).
template <class Model>
void dequantize(Model& model) {
    for (auto& layer : model.encoder.layers) layer.int8.reset();
}

}  // namespace tinybert
