// tinybert/backend/cpu/embedding_layernorm.hpp: BertEmbeddings on the CPU in one pass per row: the table rows are
// summed (word + token type + position), normalised and dropped out while the row is in cache, instead of three
// gathers, two adds, a LayerNorm and a dropout over the whole (N,E) tensor. Element for element the arithmetic of
// those ops (embedding.hpp, elementwise.hpp, layernorm.hpp's row kernels, dropout.hpp's mask), so bitwise the same.
// Shapes: ids (N) per table, tables (V_t,E), sum and out (N,E), weight and bias (E), mean and rstd (N).
// Saved for backward: sum, mean, rstd, the ids and the mask.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

#include "tinybert/backend/cpu/dropout.hpp"
#include "tinybert/backend/cpu/embedding.hpp"
#include "tinybert/backend/cpu/layernorm.hpp"
#include "tinybert/backend/embedding_sum.hpp"
#include "tinybert/backend/input_checks.hpp"

namespace tinybert::cpu {

// sum (N,E) = Σ_t tables[t][ids[t]] in order;  out (N,E) = dropout(LayerNorm(sum)) with mean, rstd (N);
// throws tinybert::Error naming the first id outside its table (tables in order)
template <class T>
void embedding_layernorm_forward(Tensor<T, Device>& out, Tensor<T, Device>& sum, Tensor<T, Device>& mean,
                                 Tensor<T, Device>& rstd, const EmbeddingSum<T, Device>& e, const DropoutMask& mask,
                                 const Tensor<T, Device>& weight, const Tensor<T, Device>& bias, T eps) {
    const std::int64_t n = e.rows(), h = e.width();
    for (std::size_t t = 0; t < e.count; ++t)
        tinybert::detail::check_embedding_ids({e.ids[t].data(), e.ids[t].numel()}, e.tables[t].dim(0));
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
        T* s = sum.data() + i * h;
        const T* first = e.tables[0].data() + e.ids[0].data()[i] * h;
        std::copy(first, first + h, s);
        for (std::size_t t = 1; t < e.count; ++t)
            ArrayMap<T>(s, h) += ConstArrayMap<T>(e.tables[t].data() + e.ids[t].data()[i] * h, h);
        T* y = out.data() + i * h;
        detail::layernorm_row(y, mean.data()[i], rstd.data()[i], s, weight.data(), bias.data(), h, eps);
        if (mask.p > 0) detail::dropout_span<false>(y, y, h, mask, static_cast<std::uint64_t>(i * h));
    }
}

// g = dropout(dout) (the forward's mask);  ds (N,E) = LayerNorm's input gradient at sum for g;
// dtables[t] (V_t,E) rows ids[t] += ds except padding rows;  dweight (E) += Σ g·x̂;  dbias (E) += Σ g
// (any gradient may be null)
template <class T>
void embedding_layernorm_backward(std::span<Tensor<T, Device>* const> dtables, Tensor<T, Device>* dweight,
                                  Tensor<T, Device>* dbias, const Tensor<T, Device>& dout, const Tensor<T, Device>& sum,
                                  const EmbeddingSum<T, Device>& e, const DropoutMask& mask,
                                  const Tensor<T, Device>& weight, const Tensor<T, Device>& mean,
                                  const Tensor<T, Device>& rstd) {
    Tensor<T, Device> g = dout;
    if (mask.p > 0) {
        g = Tensor<T, Device>::empty(dout.shape());
        detail::dropout_apply<false>(g.data(), dout.data(), static_cast<std::int64_t>(dout.numel()), mask);
    }
    const bool tables =
        std::any_of(dtables.begin(), dtables.end(), [](const Tensor<T, Device>* d) { return d != nullptr; });
    Tensor<T, Device> ds =
        tables ? Tensor<T, Device>(sum.shape()) : Tensor<T, Device>();  // zeros, as the sum's gradient
    layernorm_backward(tables ? &ds : nullptr, dweight, dbias, g, sum, weight, mean, rstd);
    for (std::size_t t = 0; t < e.count; ++t) embedding_backward(dtables[t], ds, e.ids[t], e.padding[t]);
}

}  // namespace tinybert::cpu
