// tinybert/ops/embedding_layernorm.hpp: differentiable BertEmbeddings core, dropout(LayerNorm(Σ_t table_t[ids_t])),
// as one op: one kernel forward instead of a gather per table, the adds, LayerNorm and dropout. Same results,
// bitwise on the CPU, as embedding, add, layer_norm and dropout in that order (the same mask, drawn at the same point).
// Saved for backward: the ids, the sum (N,E), the per-row mean and rstd, weight, the mask.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <type_traits>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/embedding_layernorm.hpp"
#include "tinybert/backend/embedding_sum.hpp"
#include "tinybert/core/rng.hpp"
#include "tinybert/ops/dropout.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/embedding_layernorm.cuh"
#endif

namespace tinybert {

// One table and its lookups: ids (...) into table (V,E); row padding_idx (if ≥ 0) gets no gradient.
template <class T, class D>
struct EmbeddingLookup {
    Tensor<std::int64_t, D> ids;
    Var<T, D> table;
    std::int64_t padding_idx = -1;
};

// lookups (1 to 3, ids of one shape (...)), weight (E), bias (E) -> dropout(LayerNorm(Σ table[ids])) (..., E),
// summed in the order given. Dropout applies when training and p > 0 (gen must then be set). An id outside its table
// throws tinybert::Error on the CPU (on CUDA see backend/input_checks.hpp).
template <class T, class D>
Var<T, D> embedding_layer_norm(std::span<const EmbeddingLookup<T, D>> lookups, const Var<T, D>& weight,
                               const Var<T, D>& bias, std::type_identity_t<T> eps, double p, Generator* gen,
                               bool training) {
    TINYBERT_CHECK(!lookups.empty(), "embedding_layer_norm: no table");
    EmbeddingSum<T, D> e;
    for (const auto& l : lookups) e.add(l.ids, l.table.value(), l.padding_idx);
    TINYBERT_CHECK(weight.shape() == Shape{e.width()} && bias.shape() == Shape{e.width()},
                   "embedding_layer_norm: tables of width ", e.width(), " with weight ", weight.shape().str(),
                   " and bias ", bias.shape().str());
    Shape shape = lookups[0].ids.shape();
    shape.push_back(e.width());
    const DropoutMask mask = dropout_mask(shape.numel(), p, gen, training, "embedding_layer_norm");
    auto y = Tensor<T, D>::empty(shape), sum = Tensor<T, D>::empty(shape);
    auto mean = Tensor<T, D>::empty(Shape{e.rows()}), rstd = Tensor<T, D>::empty(Shape{e.rows()});
    embedding_layernorm_forward(y, sum, mean, rstd, e, mask, weight.value(), bias.value(), eps);
    std::array<GradRef<T, D>, EmbeddingSum<T, D>::max_tables> gt;
    for (std::size_t t = 0; t < lookups.size(); ++t) gt[t] = lookups[t].table.grad_ref();
    const auto& l = lookups;
    const Var<T, D> out = l.size() == 1   ? make_output(y, weight, bias, l[0].table)
                          : l.size() == 2 ? make_output(y, weight, bias, l[0].table, l[1].table)
                                          : make_output(y, weight, bias, l[0].table, l[1].table, l[2].table);
    record_backward(out, [gt, gw = weight.grad_ref(), gb = bias.grad_ref(), e, sum, mask, wv = weight.value(), mean,
                          rstd](const Tensor<T, D>& dout) {
        std::array<Tensor<T, D>*, EmbeddingSum<T, D>::max_tables> d{};
        for (std::size_t t = 0; t < e.count; ++t) d[t] = gt[t].ptr();
        embedding_layernorm_backward(std::span<Tensor<T, D>* const>(d.data(), e.count), gw.ptr(), gb.ptr(), dout, sum,
                                     e, mask, wv, mean, rstd);
    });
    return out;
}

}  // namespace tinybert
