// tinybert/ops/embedding.hpp: differentiable nn.Embedding lookup (BertEmbeddings word/position/token-type tables).
// Saved for backward: the ids (the table gradient is a scatter-add of rows).
#pragma once

#include <cstdint>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/embedding.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/embedding.cuh"
#endif

namespace tinybert {

// ids (...) of int64 in [0, V), table (V,H) -> (..., H); an id out of range throws tinybert::Error.
// Row padding_idx (if ≥ 0) gets no gradient, as nn.Embedding(padding_idx=pad_token_id) in BertEmbeddings.
template <class T, class D>
Var<T, D> embedding(const Tensor<std::int64_t, D>& ids, const Var<T, D>& table, std::int64_t padding_idx = -1) {
    TINYBERT_CHECK(table.shape().rank() == 2, "embedding: table must be (V,H), got ", table.shape().str());
    Shape ys = ids.shape();
    ys.push_back(table.shape()[1]);
    auto y = Tensor<T, D>::empty(ys);
    embedding_forward(y, ids, table.value());
    Var<T, D> out = make_output(y, table);
    record_backward(out, [ids, gt = table.grad_ref(), padding_idx](const Tensor<T, D>& dout) {
        embedding_backward(gt.ptr(), dout, ids, padding_idx);
    });
    return out;
}

}  // namespace tinybert
