// tinybert/nn/linear.hpp: nn.Linear as a module: weight (OUT,IN) and bias (OUT) under `<prefix>weight` and
// `<prefix>bias`. The heads and ELECTRA's embeddings projection are built from it.
#pragma once

#include <cstdint>
#include <string>

#include "tinybert/nn/module.hpp"
#include "tinybert/ops/linear.hpp"

namespace tinybert {

template <class T, class D>
struct Linear {
    Var<T, D> weight, bias;  // (OUT,IN) (OUT)

    Linear(std::int64_t in_features, std::int64_t out_features)
        : weight(parameter<T, D>({out_features, in_features})), bias(parameter<T, D>({out_features})) {}

    template <class F>
    void visit(const std::string& prefix, F&& f) {
        f(prefix + "weight", weight);
        f(prefix + "bias", bias);
    }

    // x (..., IN) -> (..., OUT)
    Var<T, D> forward(const Var<T, D>& x) const { return linear(x, weight, bias); }
};

}  // namespace tinybert
