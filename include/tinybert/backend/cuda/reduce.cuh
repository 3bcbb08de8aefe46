// tinybert/backend/cuda/reduce.cuh: reductions on the GPU. Whole-tensor sum of squares and in-place scaling for
// global-norm gradient clipping (torch clip_grad_norm_): accumulated in double with a fixed grid. Column sums over the
// rows of an (N,C) matrix (bias and LayerNorm parameter gradients) in two passes: chunks of rows into partial sums,
// then the chunks in order; the same column sums in the pass that rounds a gradient to 16 bits (to_16bit_column_sum).
// Everything here is deterministic (a fixed summation order). No autograd.
#pragma once

#include <algorithm>
#include <string>

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/tensor/tensor16.hpp"

namespace tinybert::cuda {

namespace detail {

inline constexpr unsigned int sum_squares_max_blocks = 1024;

// partial[block] = Σ x_i² over a grid-stride slice, in double
template <class T>
__global__ void sum_squares_partial_kernel(double* __restrict__ partial, const T* __restrict__ x, std::size_t n) {
    double sum = 0;
    const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
    for (std::size_t i = global_index(); i < n; i += stride) {
        const auto v = static_cast<double>(x[i]);
        sum += v * v;
    }
    sum = block_sum(sum);
    if (threadIdx.x == 0) partial[blockIdx.x] = sum;
}

// out[0] = Σ partial (one block)
template <class T>
__global__ void sum_kernel(T* __restrict__ out, const T* __restrict__ partial, std::size_t n) {
    T sum = 0;
    for (std::size_t i = threadIdx.x; i < n; i += blockDim.x) sum += partial[i];
    sum = block_sum(sum);
    if (threadIdx.x == 0) out[0] = sum;
}

// Column sums run on a grid of (C/32 column blocks) × (chunks of column_chunk_rows rows), enough blocks to fill the
// GPU for (4096, 768); at most column_max_chunks chunks (longer chunks beyond that).
inline constexpr std::size_t column_chunk_rows = 64, column_max_chunks = 1024;
inline constexpr unsigned int column_threads_y = 8;

inline std::size_t column_chunks(std::size_t rows) {
    return std::clamp<std::size_t>((rows + column_chunk_rows - 1) / column_chunk_rows, 1, column_max_chunks);
}
inline std::size_t column_rows_per_chunk(std::size_t rows) {
    const std::size_t chunks = column_chunks(rows);
    return (rows + chunks - 1) / chunks;
}

// Sum of value(r) over the rows r of this block's chunk (value reads this thread's column), reduced over the block's
// column_threads_y row-strided threads in shared memory; valid in threadIdx.y == 0. Block: (warp_size, 8).
template <class T, class Value>
__device__ T column_chunk_sum(std::size_t rows, std::size_t rows_per_chunk, std::size_t col, bool in_range,
                              Value value) {
    __shared__ T partial[column_threads_y][warp_size + 1];
    const std::size_t begin = blockIdx.y * rows_per_chunk;
    const std::size_t end = begin + rows_per_chunk < rows ? begin + rows_per_chunk : rows;
    T sum{};
    if (in_range)
        for (std::size_t r = begin + threadIdx.y; r < end; r += column_threads_y) sum += value(r);
    partial[threadIdx.y][threadIdx.x] = sum;
    __syncthreads();
    if (threadIdx.y == 0)
        for (unsigned int y = 1; y < column_threads_y; ++y) sum += partial[y][threadIdx.x];
    return sum;
}

// partial (chunks, C) [chunk][col] = Σ_{rows of chunk} src (N,C)
template <class T>
__global__ void column_sum_partial_kernel(T* __restrict__ partial, const T* __restrict__ src, std::size_t rows,
                                          std::size_t cols, std::size_t rows_per_chunk) {
    const std::size_t col = blockIdx.x * static_cast<std::size_t>(warp_size) + threadIdx.x;
    const T sum =
        column_chunk_sum<T>(rows, rows_per_chunk, col, col < cols, [&](std::size_t r) { return src[r * cols + col]; });
    if (threadIdx.y == 0 && col < cols) partial[blockIdx.y * cols + col] = sum;
}

// out16 (N,C) = value(r·C + c) rounded to bf16 (or IEEE half), and, when partial is non-null, partial (chunks, C)
// [chunk][c] = Σ_{rows r of chunk} value(r·C + c): column_sum_partial_kernel's sums, in its order, in the pass that
// rounds a gradient to 16 bits for the GEMMs that read it
template <class Value>
__global__ void to_16bit_column_sum_kernel(std::uint16_t* __restrict__ out16, float* __restrict__ partial,
                                           std::size_t rows, std::size_t cols, std::size_t rows_per_chunk, Value value,
                                           bool half) {
    const std::size_t col = blockIdx.x * static_cast<std::size_t>(warp_size) + threadIdx.x;
    const float sum = column_chunk_sum<float>(rows, rows_per_chunk, col, col < cols, [&](std::size_t r) {
        const float v = value(r * cols + col);
        out16[r * cols + col] = to_16bit_value(v, half);
        return v;
    });
    if (partial && threadIdx.y == 0 && col < cols) partial[blockIdx.y * cols + col] = sum;
}

// dst (C) += Σ_chunk partial (chunks, C), chunks in order
template <class T>
__global__ void column_finish_kernel(T* __restrict__ dst, const T* __restrict__ partial, std::size_t chunks,
                                     std::size_t cols) {
    const std::size_t col = global_index();
    if (col >= cols) return;
    T sum{};
    for (std::size_t c = 0; c < chunks; ++c) sum += partial[c * cols + col];
    dst[col] += sum;
}

// The (column blocks, chunks) grid and (warp_size, column_threads_y) block of the partial kernels.
inline dim3 column_grid(std::size_t rows, std::size_t cols) {
    return dim3(grid_for(cols, warp_size), static_cast<unsigned int>(column_chunks(rows)));
}
inline dim3 column_block() {
    return dim3(warp_size, column_threads_y);
}

// dst (C) += Σ_chunk partial (chunks, C): the second pass
template <class T>
void column_finish(T* dst, const Tensor<T, Device>& partial) {
    const auto chunks = static_cast<std::size_t>(partial.shape().dim(0)),
               cols = static_cast<std::size_t>(partial.shape().dim(1));
    column_finish_kernel<<<grid_for(cols), block_size, 0, current_stream()>>>(dst, partial.data(), chunks, cols);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

template <class T>
__global__ void accumulate_scalar_kernel(double* __restrict__ acc, const T* __restrict__ x, double weight) {
    acc[0] += weight * static_cast<double>(x[0]);
}

// x ← alpha · x
template <class T>
__global__ void scale_inplace_kernel(T* __restrict__ x, T alpha, std::size_t n) {
    const std::size_t i = global_index();
    if (i < n) x[i] *= alpha;
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// Σ t_i² over all elements, accumulated in double (blocks until the result is on the host)
template <class T>
double sum_squares(const Tensor<T, Device>& t) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    const std::size_t n = t.numel();
    if (n == 0) return 0.0;
    const unsigned int blocks = std::min(grid_for(n), detail::sum_squares_max_blocks);
    Tensor<double, Device> partial(Shape{static_cast<std::int64_t>(blocks) + 1});
    detail::sum_squares_partial_kernel<<<blocks, block_size, 0, current_stream()>>>(partial.data(), t.data(), n);
    TINYBERT_CUDA_CHECK_LAUNCH();
    detail::sum_kernel<<<1, detail::sum_squares_max_blocks, 0, current_stream()>>>(partial.data() + blocks,
                                                                                   partial.data(), blocks);
    TINYBERT_CUDA_CHECK_LAUNCH();
    double result = 0;
    Device::to_host(&result, partial.data() + blocks, 1);
    return result;
}

// dst (C) += Σ_rows src (N,C)
template <class T>
void column_sum_accumulate(T* dst, const T* src, std::size_t rows, std::size_t cols) {
    TINYBERT_NVTX_RANGE_FN();
    if (rows == 0 || cols == 0) return;
    const std::size_t chunks = detail::column_chunks(rows);
    auto partial = Tensor<T, Device>::empty(Shape{static_cast<std::int64_t>(chunks), static_cast<std::int64_t>(cols)});
    detail::column_sum_partial_kernel<<<detail::column_grid(rows, cols), detail::column_block(), 0, current_stream()>>>(
        partial.data(), src, rows, cols, detail::column_rows_per_chunk(rows));
    TINYBERT_CUDA_CHECK_LAUNCH();
    detail::column_finish(dst, partial);
}

// The (N,C) values value(r·C + c), a device functor, rounded to bf16 (or IEEE half) and returned; dbias (C) += their
// column sums (in float, before rounding) when non-null: one pass, bitwise what materialising the values, to_16bit
// and column_sum_accumulate give
template <class Value>
Tensor16<Device> to_16bit_column_sum(const Shape& shape, bool half, Tensor<float, Device>* dbias, Value value) {
    TINYBERT_NVTX_RANGE_FN();
    const auto rows = static_cast<std::size_t>(shape.rows()), cols = static_cast<std::size_t>(shape.back());
    TINYBERT_CHECK(!dbias || dbias->numel() == cols, "cuda::to_16bit_column_sum: bias gradient ",
                   dbias ? dbias->shape().str() : std::string(), " for ", shape.str());
    Tensor16<Device> out{Tensor<std::uint16_t, Device>::empty(shape), half};
    if (rows == 0 || cols == 0) return out;
    Tensor<float, Device> partial;
    if (dbias)
        partial = Tensor<float, Device>::empty(
            Shape{static_cast<std::int64_t>(detail::column_chunks(rows)), static_cast<std::int64_t>(cols)});
    detail::
        to_16bit_column_sum_kernel<<<detail::column_grid(rows, cols), detail::column_block(), 0, current_stream()>>>(
            out.bits.data(), dbias ? partial.data() : nullptr, rows, cols, detail::column_rows_per_chunk(rows), value,
            half);
    TINYBERT_CUDA_CHECK_LAUNCH();
    if (dbias) detail::column_finish(dbias->data(), partial);
    return out;
}

// acc[0] += weight · x[0], in double, without a read-back (the training loss summed between logging steps)
template <class T>
void accumulate_scalar(Tensor<double, Device>& acc, const Tensor<T, Device>& x, double weight) {
    TINYBERT_CHECK(acc.numel() >= 1 && x.numel() >= 1, "cuda::accumulate_scalar: empty tensor");
    detail::accumulate_scalar_kernel<<<1, 1, 0, current_stream()>>>(acc.data(), x.data(), weight);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// t ← alpha · t
template <class T>
void scale_inplace(Tensor<T, Device>& t, T alpha) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (t.numel() == 0) return;
    detail::scale_inplace_kernel<<<grid_for(t.numel()), block_size, 0, current_stream()>>>(t.data(), alpha, t.numel());
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace tinybert::cuda
