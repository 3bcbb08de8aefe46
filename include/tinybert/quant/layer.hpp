// tinybert/quant/layer.hpp: the int8 weights of one BertLayer and its int8 forward (CPU inference only).
// Quantised: the six linears of the layer (attention.self query/key/value, attention.output.dense,
// intermediate.dense, output.dense): 4·H² + 2·H·I multiply-adds per token, about 95% of the encoder's at
// S = 128 in MiniLM-L6. Kept in float: embeddings,
// attention scores and context (Q·Kᵀ, P·V: both operands are activations), softmax, GELU, LayerNorm, residuals,
// biases, the pooler and the task head (what ORT's quantize_dynamic leaves in float, apart from the pooler and head,
// which are < 1% of the work and where float keeps the logits' resolution).
// The float weights stay in the layer (the Vars): the training path, visit_parameters and save/load are unchanged.
#pragma once

#include "tinybert/nn/module.hpp"
#include "tinybert/ops/attention.hpp"
#include "tinybert/ops/elementwise.hpp"
#include "tinybert/quant/linear.hpp"

namespace tinybert::quant {

// The int8 twins of an EncoderLayer's six weight matrices.
struct Int8Layer {
    QuantizedWeight query, key, value;  // (H,H)
    QuantizedWeight attention_output;   // (H,H)
    QuantizedWeight intermediate;       // (I,H)
    QuantizedWeight output;             // (H,I)
};

// f(float weight Var, int8 weight) for the six quantised linears of layer `l` (an EncoderLayer), in Hugging Face order.
template <class Layer, class Q, class F>
void for_each_int8_linear(Layer& l, Q& q, F&& f) {
    f(l.query.weight, q.query), f(l.key.weight, q.key), f(l.value.weight, q.value);
    f(l.attention_output.weight, q.attention_output), f(l.intermediate.weight, q.intermediate);
    f(l.output.weight, q.output);
}

// Quantises the six weights of an EncoderLayer<T, Cpu> (per output channel, quant/quantize.hpp).
template <class Layer>
Int8Layer quantize_layer(const Layer& l) {
    Int8Layer q;
    for_each_int8_linear(l, q, [](const auto& w, QuantizedWeight& out) {
        out = QuantizedWeight::quantize(w.value().data(), w.shape()[0], w.shape()[1]);
    });
    return q;
}

// EncoderLayer::forward with int8 linears: x (B,S,H), mask_add (B,S) -> (B,S,H). No dropout (eval mode), no tape.
// x is quantised once for Q, K and V.
template <class Layer, class T>
Var<T, Cpu> layer_forward(const Layer& l, const Int8Layer& q, const Var<T, Cpu>& x, const Tensor<T, Cpu>& mask_add,
                          const ForwardContext& ctx) {
    TINYBERT_CHECK(!ctx.training, "int8-quantised model: inference only; call model.eval() (dropout is not applied)");
    TINYBERT_CHECK(!Tape::current().enabled(),
                   "int8-quantised model: inference only (no gradients); run it under NoGradGuard (the task helpers "
                   "do), or train the float model");
    const QuantizedRows xq = quantize_activation(x);
    const Var<T, Cpu> ctx_layer =
        attention(int8_linear(xq, q.query, l.query.bias), int8_linear(xq, q.key, l.key.bias),
                  int8_linear(xq, q.value, l.value.bias), mask_add, l.num_heads, 0.0, nullptr);
    const Var<T, Cpu> attn = int8_linear(ctx_layer, q.attention_output, l.attention_output.bias);
    const Var<T, Cpu> x1 = l.attention_norm.forward(attn, x, 0.0, ctx);
    const Var<T, Cpu> ff =
        int8_linear(gelu(int8_linear(x1, q.intermediate, l.intermediate.bias)), q.output, l.output.bias);
    return l.output_norm.forward(ff, x1, 0.0, ctx);
}

}  // namespace tinybert::quant
