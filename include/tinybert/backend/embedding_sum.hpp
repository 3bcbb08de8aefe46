// tinybert/backend/embedding_sum.hpp: the lookups BertEmbeddings sums before its LayerNorm, as the fused
// embedding kernels (backend/cpu/embedding_layernorm.hpp, backend/cuda/embedding_layernorm.cuh) take them: up to
// three (ids, table) pairs, summed in the order they were added (word, token type, position).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "tinybert/core/error.hpp"
#include "tinybert/tensor/tensor.hpp"

namespace tinybert {

template <class T, class D>
struct EmbeddingSum {
    static constexpr std::size_t max_tables = 3;
    std::size_t count = 0;
    std::array<Tensor<std::int64_t, D>, max_tables> ids;       // (N) each: N = B·S ids into that table
    std::array<Tensor<T, D>, max_tables> tables;               // (V_t, E)
    std::array<std::int64_t, max_tables> padding{-1, -1, -1};  // the row that gets no gradient (-1: none)

    // Appends table[ids]; every ids tensor has the same N elements, every table the same width E.
    void add(const Tensor<std::int64_t, D>& i, const Tensor<T, D>& table, std::int64_t padding_idx) {
        TINYBERT_CHECK(count < max_tables, "EmbeddingSum: at most ", max_tables, " tables");
        TINYBERT_CHECK(table.shape().rank() == 2, "embedding: table must be (V,E), got ", table.shape().str());
        TINYBERT_CHECK(count == 0 || (i.numel() == ids[0].numel() && table.shape().back() == width()),
                       "EmbeddingSum: ids ", i.shape().str(), " into table ", table.shape().str(), " after ids ",
                       ids[0].shape().str(), " into table ", tables[0].shape().str());
        ids[count] = i, tables[count] = table, padding[count] = padding_idx;
        ++count;
    }
    std::int64_t rows() const { return static_cast<std::int64_t>(ids[0].numel()); }
    std::int64_t width() const { return tables[0].shape().back(); }
};

}  // namespace tinybert
