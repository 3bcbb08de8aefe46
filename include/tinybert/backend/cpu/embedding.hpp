// tinybert/backend/cpu/embedding.hpp: table lookup on the CPU (nn.Embedding in BertEmbeddings: word, position and
// token-type tables). Shapes: N ids, V rows in the table, H features. Saved for backward: the ids.
// Backward scatter-adds (+=) rows of dout into the table gradient; repeated ids accumulate.
#pragma once

#include <cstdint>

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/backend/cpu/loops.hpp"
#include "tinybert/backend/input_checks.hpp"

namespace tinybert::cpu {

// out (N,H) = table (V,H)[ids (N)];  throws tinybert::Error naming the first id outside [0, V)
template <class T>
void embedding_forward(Tensor<T, Device>& out, const Tensor<std::int64_t, Device>& ids, const Tensor<T, Device>& table) {
    const std::int64_t n = static_cast<std::int64_t>(ids.numel()), vocab = table.dim(0);
    const std::int64_t* id = ids.data();
    tinybert::detail::check_embedding_ids({id, static_cast<std::size_t>(n)}, vocab);
    const auto w = as_matrix(table);
    auto y = as_matrix(out);
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) y.row(i) = w.row(id[i]);
}

// dtable (V,H)[ids[i]] += dout (N,H)[i] for every i with ids[i] != padding_idx (nn.Embedding's padding_idx row never
// receives a gradient; -1 = none). The threads split the columns, so repeated ids never race.
template <class T>
void embedding_backward(Tensor<T, Device>* dtable, const Tensor<T, Device>& dout, const Tensor<std::int64_t, Device>& ids,
                        std::int64_t padding_idx = -1) {
    if (!dtable) return;
    const std::int64_t n = static_cast<std::int64_t>(ids.numel());
    const std::int64_t* id = ids.data();
    const auto dy = as_matrix(dout);
    auto dw = as_matrix(*dtable);
    detail::for_column_blocks(dw.cols(), [&](std::int64_t c0, std::int64_t nc) {
        for (std::int64_t i = 0; i < n; ++i)
            if (id[i] != padding_idx) dw.row(id[i]).segment(c0, nc) += dy.row(i).segment(c0, nc);
    });
}

}  // namespace tinybert::cpu
