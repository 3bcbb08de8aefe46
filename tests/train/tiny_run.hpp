// The tiny training run of the Trainer tests (test_trainer.cpp, test_durability.cpp): the sequence-classification
// parity checkpoint (2 layers, hidden 16, dropout 0) in double, synthetic features of 4–7 tokens with 3 classes, and
// all weights of a model flattened for exact comparison. Needs TINYBERT_PARITY_DIR.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinybert/nn/bert.hpp"

namespace tinybert::test {

using TinyModel = Bert<Encoder<2>, SequenceClassification, Cpu, double>;

inline std::string tiny_fixture() { return std::string(TINYBERT_PARITY_DIR) + "/sequence_classification"; }

// n features: lengths 4, 5, 6, 7, 4, …; ids 5..44; labels 0, 1, 2, 0, …
inline std::vector<Feature> make_features(std::size_t n) {
    std::vector<Feature> fs(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t len = 4 + i % 4;
        for (std::size_t k = 0; k < len; ++k)
            fs[i].input_ids.push_back(static_cast<std::int64_t>(5 + (i * 7 + k * 3) % 40));
        fs[i].token_type_ids.assign(len, 0);
        fs[i].attention_mask.assign(len, 1);
        fs[i].label = static_cast<std::int64_t>(i % 3);
    }
    return fs;
}

// Every parameter's values, in model order, as double (any model; float values widened exactly).
template <class Model>
std::vector<double> weights(Model& m) {
    std::vector<double> w;
    m.visit_parameters([&](const std::string&, auto& p) {
        for (const auto x : p.value().to_vector()) w.push_back(static_cast<double>(x));
    });
    return w;
}

}  // namespace tinybert::test
