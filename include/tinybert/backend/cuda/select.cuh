// tinybert/backend/cuda/select.cuh: row and column selection on the GPU: the [CLS] row for BertPooler
// (select_row: out (B,H) = inp[:, index, :] of (B,S,H)) and one logit column for question answering
// (column: out (N) = inp[:, j] of (N,C)). Nothing is saved for backward. Backward accumulates (+=).
#pragma once

#include "tinybert/backend/cuda/device.cuh"

namespace tinybert::cuda {

namespace detail {

// out (B,H) = inp (B,S,H)[:, index, :]
template <class T>
__global__ void select_row_forward_kernel(T* __restrict__ out, const T* __restrict__ inp, std::size_t b_count,
                                          std::size_t s, std::size_t h, std::size_t index) {
    const std::size_t idx = global_index();
    if (idx >= b_count * h) return;
    out[idx] = inp[((idx / h) * s + index) * h + idx % h];
}

// dinp (B,S,H)[:, index, :] += dout (B,H)
template <class T>
__global__ void select_row_backward_kernel(T* __restrict__ dinp, const T* __restrict__ dout, std::size_t b_count,
                                           std::size_t s, std::size_t h, std::size_t index) {
    const std::size_t idx = global_index();
    if (idx >= b_count * h) return;
    dinp[((idx / h) * s + index) * h + idx % h] += dout[idx];
}

// out (N) = inp (N,C)[:, j]
template <class T>
__global__ void column_forward_kernel(T* __restrict__ out, const T* __restrict__ inp, std::size_t n, std::size_t c,
                                      std::size_t j) {
    const std::size_t i = global_index();
    if (i < n) out[i] = inp[i * c + j];
}

// dinp (N,C)[:, j] += dout (N)
template <class T>
__global__ void column_backward_kernel(T* __restrict__ dinp, const T* __restrict__ dout, std::size_t n, std::size_t c,
                                       std::size_t j) {
    const std::size_t i = global_index();
    if (i < n) dinp[i * c + j] += dout[i];
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// out (B,H) = inp (B,S,H)[:, index, :]
template <class T>
void select_row_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, std::int64_t index) {
    TINYBERT_NVTX_RANGE_FN();
    TINYBERT_CHECK(inp.rank() == 3 && 0 <= index && index < inp.dim(1) &&
                       out.numel() == static_cast<std::size_t>(inp.dim(0) * inp.dim(2)),
                   "cuda::select_row_forward: out ", out.shape().str(), ", inp ", inp.shape().str(), ", index ", index);
    if (out.numel() == 0) return;
    detail::select_row_forward_kernel<<<grid_for(out.numel()), block_size, 0, current_stream()>>>(
        out.data(), inp.data(), static_cast<std::size_t>(inp.dim(0)), static_cast<std::size_t>(inp.dim(1)),
        static_cast<std::size_t>(inp.dim(2)), static_cast<std::size_t>(index));
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// dinp (B,S,H)[:, index, :] += dout (B,H)
template <class T>
void select_row_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, std::int64_t index) {
    TINYBERT_NVTX_RANGE_FN();
    if (!dinp) return;
    TINYBERT_CHECK(dinp->rank() == 3 && 0 <= index && index < dinp->dim(1) &&
                       dout.numel() == static_cast<std::size_t>(dinp->dim(0) * dinp->dim(2)),
                   "cuda::select_row_backward: dinp ", dinp->shape().str(), ", dout ", dout.shape().str(), ", index ",
                   index);
    if (dout.numel() == 0) return;
    detail::select_row_backward_kernel<<<grid_for(dout.numel()), block_size, 0, current_stream()>>>(
        dinp->data(), dout.data(), static_cast<std::size_t>(dinp->dim(0)), static_cast<std::size_t>(dinp->dim(1)),
        static_cast<std::size_t>(dinp->dim(2)), static_cast<std::size_t>(index));
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// out (N) = inp (N,C)[:, j]
template <class T>
void column_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, std::int64_t j) {
    TINYBERT_NVTX_RANGE_FN();
    const std::int64_t n = inp.shape().rows(), c = inp.shape().back();
    TINYBERT_CHECK(0 <= j && j < c && static_cast<std::int64_t>(out.numel()) == n, "cuda::column_forward: out ",
                   out.shape().str(), ", inp ", inp.shape().str(), ", column ", j);
    if (n == 0) return;
    detail::column_forward_kernel<<<grid_for(static_cast<std::size_t>(n)), block_size, 0, current_stream()>>>(
        out.data(), inp.data(), static_cast<std::size_t>(n), static_cast<std::size_t>(c), static_cast<std::size_t>(j));
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// dinp (N,C)[:, j] += dout (N)
template <class T>
void column_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, std::int64_t j) {
    TINYBERT_NVTX_RANGE_FN();
    if (!dinp) return;
    const std::int64_t n = dinp->shape().rows(), c = dinp->shape().back();
    TINYBERT_CHECK(0 <= j && j < c && static_cast<std::int64_t>(dout.numel()) == n, "cuda::column_backward: dinp ",
                   dinp->shape().str(), ", dout ", dout.shape().str(), ", column ", j);
    if (n == 0) return;
    detail::column_backward_kernel<<<grid_for(static_cast<std::size_t>(n)), block_size, 0, current_stream()>>>(
        dinp->data(), dout.data(), static_cast<std::size_t>(n), static_cast<std::size_t>(c),
        static_cast<std::size_t>(j));
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace tinybert::cuda
