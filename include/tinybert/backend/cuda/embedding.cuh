// tinybert/backend/cuda/embedding.cuh: embedding lookup (nn.Embedding: word, position and token-type tables of
// BertEmbeddings) on the GPU. Shapes: ids (N) int64, table (V,H), out (N,H). Saved for backward: the ids.
// Ids are validated on the host, with the CPU's error text, only as a debug option (backend/input_checks.hpp: it costs
// a device->host copy); otherwise an out-of-range id reads as a zero row and scatters nothing. Backward scatters with
// atomicAdd (summation order varies).
#pragma once

#include <vector>

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/backend/input_checks.hpp"

namespace tinybert::cuda {

namespace detail {

// out[n,:] = table[ids[n],:], one thread per element of out
template <class T>
__global__ void embedding_forward_kernel(T* __restrict__ out, const std::int64_t* __restrict__ ids,
                                         const T* __restrict__ table, std::size_t n, std::size_t h, std::int64_t v) {
    const std::size_t idx = global_index();
    if (idx >= n * h) return;
    const std::int64_t id = ids[idx / h];
    out[idx] = (id >= 0 && id < v) ? table[static_cast<std::size_t>(id) * h + idx % h] : T(0);
}

// dtable[ids[n],:] += dout[n,:] unless ids[n] == padding_idx, one thread per element of dout
template <class T>
__global__ void embedding_backward_kernel(T* dtable, const T* __restrict__ dout, const std::int64_t* __restrict__ ids,
                                          std::size_t n, std::size_t h, std::int64_t v, std::int64_t padding_idx) {
    const std::size_t idx = global_index();
    if (idx >= n * h) return;
    const std::int64_t id = ids[idx / h];
    if (id >= 0 && id < v && id != padding_idx)
        atomicAdd(dtable + static_cast<std::size_t>(id) * h + idx % h, dout[idx]);
}

inline void check_ids(const Tensor<std::int64_t, Device>& ids, std::int64_t v) {
    if (tinybert::detail::cuda_input_checks_enabled()) tinybert::detail::check_embedding_ids(ids.to_vector(), v);
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// out (N,H) = table (V,H) rows at ids (N)
template <class T>
void embedding_forward(Tensor<T, Device>& out, const Tensor<std::int64_t, Device>& ids,
                       const Tensor<T, Device>& table) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    const auto n = ids.numel(), h = static_cast<std::size_t>(table.shape().back());
    const std::int64_t v = table.shape().rows();
    TINYBERT_CHECK(out.numel() == n * h && out.shape().back() == table.shape().back(), "cuda::embedding_forward: out ",
                   out.shape().str(), ", ids ", ids.shape().str(), ", table ", table.shape().str());
    detail::check_ids(ids, v);
    if (out.numel() == 0) return;
    detail::embedding_forward_kernel<<<grid_for(out.numel()), block_size, 0, current_stream()>>>(out.data(), ids.data(),
                                                                                                 table.data(), n, h, v);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// dtable (V,H) row ids[n] += dout (N,H) row n, except for ids[n] == padding_idx (nn.Embedding padding_idx; -1 = none)
template <class T>
void embedding_backward(Tensor<T, Device>* dtable, const Tensor<T, Device>& dout,
                        const Tensor<std::int64_t, Device>& ids, std::int64_t padding_idx = -1) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (!dtable) return;
    const auto n = ids.numel(), h = static_cast<std::size_t>(dtable->shape().back());
    const std::int64_t v = dtable->shape().rows();
    TINYBERT_CHECK(dout.numel() == n * h, "cuda::embedding_backward: dout ", dout.shape().str(), ", ids ",
                   ids.shape().str(), ", dtable ", dtable->shape().str());
    detail::check_ids(ids, v);
    if (dout.numel() == 0) return;
    detail::embedding_backward_kernel<<<grid_for(dout.numel()), block_size, 0, current_stream()>>>(
        dtable->data(), dout.data(), ids.data(), n, h, v, padding_idx);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace tinybert::cuda
