// tinybert/backend/cuda/embedding_layernorm.cuh: BertEmbeddings on the GPU: the forward gathers and sums the table
// rows (word + token type + position), normalises and drops out in one kernel, one warp per row, instead of a gather
// per table, two adds, LayerNorm and dropout; the backward skips the adds (the LayerNorm input gradient is scattered
// into every table). The arithmetic of those kernels element for element (layernorm.cuh's row helpers, dropout.cuh's
// counter masks), so the forward equals them bitwise. Shapes: ids (N) per table, tables (V_t,E), sum and out (N,E),
// weight and bias (E), mean and rstd (N). An id outside its table reads a zero row and scatters nothing (checked on the
// host only as backend/input_checks.hpp's debug option, as embedding.cuh).
#pragma once

#include <algorithm>
#include <array>
#include <span>

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/backend/cuda/dropout.cuh"
#include "tinybert/backend/cuda/embedding.cuh"
#include "tinybert/backend/cuda/layernorm.cuh"
#include "tinybert/backend/embedding_sum.hpp"

namespace tinybert::cuda {

namespace detail {

// The kernel's view of an EmbeddingSum: device pointers and table heights, by value.
template <class T>
struct EmbeddingTables {
    const std::int64_t* ids[EmbeddingSum<T, Device>::max_tables];
    const T* tables[EmbeddingSum<T, Device>::max_tables];
    std::int64_t heights[EmbeddingSum<T, Device>::max_tables];
    unsigned int count;
};

// sum row = Σ_t table_t[ids_t[row]] (a zero row for an id out of range), out row = dropout(LayerNorm(sum row))
template <class T>
__global__ void embedding_layernorm_forward_kernel(T* __restrict__ out, T* __restrict__ sum, T* __restrict__ mean,
                                                   T* __restrict__ rstd, EmbeddingTables<T> e,
                                                   const T* __restrict__ weight, const T* __restrict__ bias,
                                                   std::size_t rows, std::size_t h, T eps, double p, T scale,
                                                   std::uint64_t seed, std::uint64_t offset) {
    const std::size_t row = blockIdx.x * static_cast<std::size_t>(layernorm_rows_per_block) + threadIdx.x / warp_size;
    const unsigned int lane = threadIdx.x % warp_size;
    if (row >= rows) return;
    const std::size_t at = row * h;
    T* s = sum + at;
    for (std::size_t c = lane; c < h; c += warp_size) {
        T v{};
        for (unsigned int t = 0; t < e.count; ++t) {
            const std::int64_t id = e.ids[t][row];
            const T x = id >= 0 && id < e.heights[t] ? e.tables[t][static_cast<std::size_t>(id) * h + c] : T(0);
            v = t == 0 ? x : v + x;
        }
        s[c] = v;
    }
    T m, r;
    warp_row_moments(m, r, s, h, lane, eps);  // each lane reads back the elements it wrote
    T* y = out + at;
    for (std::size_t c = lane; c < h; c += warp_size) {
        const T normed = (s[c] - m) * r * weight[c] + bias[c];
        y[c] = p > 0 ? normed * dropout_factor(seed, offset + at + c, p, scale) : normed;
    }
    if (lane == 0) {
        mean[row] = m;
        rstd[row] = r;
    }
}

template <class T>
EmbeddingTables<T> tables_of(const EmbeddingSum<T, Device>& e) {
    EmbeddingTables<T> k{};
    for (std::size_t t = 0; t < e.count; ++t) {
        k.ids[t] = e.ids[t].data();
        k.tables[t] = e.tables[t].data();
        k.heights[t] = e.tables[t].shape().rows();
    }
    k.count = static_cast<unsigned int>(e.count);
    return k;
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// sum (N,E) = Σ_t tables[t][ids[t]] in order;  out (N,E) = dropout(LayerNorm(sum)) with mean, rstd (N)
template <class T>
void embedding_layernorm_forward(Tensor<T, Device>& out, Tensor<T, Device>& sum, Tensor<T, Device>& mean,
                                 Tensor<T, Device>& rstd, const EmbeddingSum<T, Device>& e, const DropoutMask& mask,
                                 const Tensor<T, Device>& weight, const Tensor<T, Device>& bias, T eps) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    detail::check_counter_mask(mask, "cuda::embedding_layernorm_forward");
    const auto rows = static_cast<std::size_t>(e.rows()), h = static_cast<std::size_t>(e.width());
    TINYBERT_CHECK(out.numel() == rows * h && sum.numel() == rows * h && weight.numel() == h && bias.numel() == h &&
                       mean.numel() == rows && rstd.numel() == rows,
                   "cuda::embedding_layernorm_forward: out ", out.shape().str(), " for ", rows, " ids into tables of ",
                   h, " columns, weight ", weight.shape().str());
    for (std::size_t t = 0; t < e.count; ++t) detail::check_ids(e.ids[t], e.tables[t].shape().rows());
    if (rows == 0 || h == 0) return;
    detail::embedding_layernorm_forward_kernel<<<grid_for(rows, detail::layernorm_rows_per_block), block_size, 0,
                                                 current_stream()>>>(
        out.data(), sum.data(), mean.data(), rstd.data(), detail::tables_of(e), weight.data(), bias.data(), rows, h,
        eps, mask.p, detail::dropout_scale<T>(mask.p), mask.seed, mask.offset);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// g = dropout(dout) (the forward's mask);  ds (N,E) = LayerNorm's input gradient at sum for g;
// dtables[t] (V_t,E) rows ids[t] += ds except padding rows;  dweight (E) += Σ g·norm;  dbias (E) += Σ g
template <class T>
void embedding_layernorm_backward(std::span<Tensor<T, Device>* const> dtables, Tensor<T, Device>* dweight,
                                  Tensor<T, Device>* dbias, const Tensor<T, Device>& dout, const Tensor<T, Device>& sum,
                                  const EmbeddingSum<T, Device>& e, const DropoutMask& mask,
                                  const Tensor<T, Device>& weight, const Tensor<T, Device>& mean,
                                  const Tensor<T, Device>& rstd) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    detail::check_counter_mask(mask, "cuda::embedding_layernorm_backward");
    check_same_shape(dout, sum, "cuda::embedding_layernorm_backward");
    if (dout.numel() == 0) return;
    Tensor<T, Device> g = dout;
    if (mask.p > 0) {
        g = Tensor<T, Device>::empty(dout.shape());
        detail::dropout_forward_raw(g.data(), dout.data(), g.numel(), mask.p, mask.seed, mask.offset);
    }
    const bool tables =
        std::any_of(dtables.begin(), dtables.end(), [](const Tensor<T, Device>* d) { return d != nullptr; });
    Tensor<T, Device> ds =
        tables ? Tensor<T, Device>(sum.shape()) : Tensor<T, Device>();  // zeros, as the sum's gradient
    layernorm_backward(tables ? &ds : nullptr, dweight, dbias, g, sum, weight, mean, rstd);
    for (std::size_t t = 0; t < e.count; ++t) embedding_backward(dtables[t], ds, e.ids[t], e.padding[t]);
}

}  // namespace tinybert::cuda
