// tinybert/nn/layer_norm.hpp: nn.LayerNorm over the last dimension as a module: weight (N) and bias (N) under
// `<prefix>weight` and `<prefix>bias`, eps from config.json (layer_norm_eps; DistilBERT's fixed 1e-12). The
// two-argument forward ends a residual block (dropout, add, LayerNorm) in one fused op.
#pragma once

#include <cstdint>
#include <string>

#include "tinybert/nn/module.hpp"
#include "tinybert/ops/layernorm.hpp"
#include "tinybert/ops/residual_layernorm.hpp"

namespace tinybert {

template <class T, class D>
struct LayerNorm {
    Var<T, D> weight, bias;  // (N) (N)
    T eps;

    LayerNorm(std::int64_t n, double epsilon)
        : weight(parameter<T, D>({n})), bias(parameter<T, D>({n})), eps(static_cast<T>(epsilon)) {}

    template <class F>
    void visit(const std::string& prefix, F&& f) {
        f(prefix + "weight", weight);
        f(prefix + "bias", bias);
    }

    // x (..., N) -> (..., N)
    Var<T, D> forward(const Var<T, D>& x) const { return layer_norm(x, weight, bias, eps); }

    // x (..., N), residual (..., N) -> LayerNorm(dropout(x) + residual) (..., N): a residual block's end in one op
    Var<T, D> forward(const Var<T, D>& x, const Var<T, D>& residual, double dropout_p,
                      const ForwardContext& ctx) const {
        return residual_layer_norm(x, residual, weight, bias, eps, dropout_p, ctx.gen, ctx.training);
    }
};

}  // namespace tinybert
