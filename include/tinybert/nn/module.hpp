// tinybert/nn/module.hpp: what every layer shares: parameters created from config sizes, the forward context
// (train/eval mode + dropout generator), and Hugging Face's initialisation (spec §2 "_init_weights").
// Layers expose `visit(prefix, f)`, calling f(hf_name, Var&) for each parameter in Hugging Face order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/core/rng.hpp"
#include "tinybert/core/torch_random.hpp"
#include "tinybert/io/hf_names.hpp"

namespace tinybert {

// Mode of one forward pass: dropout is applied only when training (and then draws from gen).
struct ForwardContext {
    bool training = false;
    Generator* gen = nullptr;
};

// A trainable tensor of the given shape, zero-filled (from_pretrained or init_* set its values).
template <class T, class D>
Var<T, D> parameter(const Shape& shape) {
    return Var<T, D>(Tensor<T, D>(shape), true);
}

// Hugging Face init: weights ~ N(0, std²) drawn on the host, then copied to the device; from the counter-based
// generator (a fresh model) or as torch's Tensor.normal_ draws them in float32 (weights from_pretrained must add, so
// that the same seed gives the same new head as transformers).
template <class T, class D>
void init_normal(Var<T, D>& p, double stddev, Generator& gen) {
    std::vector<T> host(p.value().numel());
    const std::uint64_t first = gen.take(host.size());
    for (std::size_t i = 0; i < host.size(); ++i) host[i] = static_cast<T>(stddev * random_normal(gen.seed(), first + i));
    p.value() = Tensor<T, D>::from_vector(p.shape(), host);
}
template <class T, class D>
void init_normal(Var<T, D>& p, double stddev, TorchGenerator& gen) {
    std::vector<float> host(p.value().numel());
    gen.normal_(host, 0.0f, static_cast<float>(stddev));
    p.value() = Tensor<T, D>::from_vector(p.shape(), std::vector<T>(host.begin(), host.end()));
}

template <class T, class D>
void init_constant(Var<T, D>& p, T value) {
    p.value().fill(value);
}

// Sets row `row` of a (N,H) table to 0 (nn.Embedding's padding_idx row at init).
template <class T, class D>
void zero_row(Var<T, D>& table, std::int64_t row) {
    std::vector<T> host = table.value().to_vector();
    const auto h = static_cast<std::size_t>(table.shape().dim(1));
    std::fill_n(host.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(row) * h), h, T{0});
    table.value() = Tensor<T, D>::from_vector(table.shape(), host);
}

// The parameter-name rule for init: LayerNorm weights → 1 (is_layer_norm_parameter), biases → 0, everything else
// N(0, initializer_range²); row pad_token_id of the word embeddings → 0.
template <class T, class D, class Gen>
void init_parameter(const std::string& name, Var<T, D>& p, double initializer_range, std::int64_t pad_token_id,
                    Gen& gen) {
    const auto ends_with = [&](const std::string& suffix) {
        return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (is_layer_norm_parameter(name) && ends_with(".weight")) {
        init_constant(p, T{1});
    } else if (ends_with(".bias")) {
        init_constant(p, T{0});
    } else {
        init_normal(p, initializer_range, gen);
        if (ends_with("word_embeddings.weight")) zero_row(p, pad_token_id);
    }
}

}  // namespace tinybert
