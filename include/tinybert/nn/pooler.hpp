// tinybert/nn/pooler.hpp: BertPooler: tanh(Linear(hidden[:, 0])), the [CLS] row; no dropout inside.
#pragma once

#include <string>

#include "tinybert/io/hf_config.hpp"
#include "tinybert/nn/linear.hpp"
#include "tinybert/nn/module.hpp"
#include "tinybert/ops/elementwise.hpp"
#include "tinybert/ops/select.hpp"

namespace tinybert {

template <class T, class D>
struct Pooler {
    Linear<T, D> dense;  // (H,H)

    explicit Pooler(const BertConfig& c) : dense(c.hidden_size, c.hidden_size) {}

    template <class F>
    void visit(const std::string& prefix, F&& f) {
        dense.visit(prefix + "dense.", f);
    }

    // hidden (B,S,H) -> (B,H)
    Var<T, D> forward(const Var<T, D>& hidden) const { return tanh(dense.forward(select_row(hidden, 0))); }
};

// Stands in for the pooler in models built without one (token classification, question answering).
struct NoPooler {
    explicit NoPooler(const BertConfig&) {}
    template <class F>
    void visit(const std::string&, F&&) {}
};

}  // namespace tinybert
