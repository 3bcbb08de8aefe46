// tinybert/backend/cuda/layernorm.cuh: LayerNorm over the last dimension on the GPU (BertEmbeddings.LayerNorm,
// BertSelfOutput.LayerNorm, BertOutput.LayerNorm). Biased variance (÷H), as torch.
// Shapes: inp/out (N,H) with N = every leading dimension folded; weight, bias (H); mean, rstd (N) saved for backward.
// One warp per row (llm.c layernorm_forward_kernel3 layout); dweight/dbias are two-pass column reductions (reduce.cuh),
// deterministic.
#pragma once

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/backend/cuda/reduce.cuh"

namespace tinybert::cuda {

namespace detail {

inline constexpr int layernorm_rows_per_block = block_size / warp_size;

// One warp's row x (H), lanes striding by warp_size: m = mean, r = 1/sqrt(biased variance + eps), two passes.
template <class T>
__device__ inline void warp_row_moments(T& m, T& r, const T* x, std::size_t h, unsigned int lane, T eps) {
    T sum{};
    for (std::size_t c = lane; c < h; c += warp_size) sum += x[c];
    m = warp_sum(sum) / static_cast<T>(h);
    T sq{};
    for (std::size_t c = lane; c < h; c += warp_size) {
        const T d = x[c] - m;
        sq += d * d;
    }
    r = T(1) / sqrt_(warp_sum(sq) / static_cast<T>(h) + eps);
}

// One warp's row of the backward: mean(dnorm) and mean(dnorm·norm), dnorm = weight·dy, norm = (x − m)·r
template <class T>
__device__ inline void warp_row_grad_means(T& dnorm_mean, T& dnorm_norm_mean, const T* dy, const T* x, const T* weight,
                                           T m, T r, std::size_t h, unsigned int lane) {
    T dnorm_sum{}, dnorm_norm_sum{};
    for (std::size_t c = lane; c < h; c += warp_size) {
        const T dnorm = weight[c] * dy[c];
        dnorm_sum += dnorm;
        dnorm_norm_sum += dnorm * (x[c] - m) * r;
    }
    dnorm_mean = warp_sum(dnorm_sum) / static_cast<T>(h);
    dnorm_norm_mean = warp_sum(dnorm_norm_sum) / static_cast<T>(h);
}

// One element of the input gradient: r·(dnorm − mean(dnorm) − norm·mean(dnorm·norm)), rounded as stored
template <class T>
__device__ inline T layernorm_input_grad(T x, T dy, T w, T m, T r, T dnorm_mean, T dnorm_norm_mean) {
    const T norm = (x - m) * r;
    T dval = w * dy;                 // term 1
    dval -= dnorm_mean;              // term 2
    dval -= norm * dnorm_norm_mean;  // term 3
    return mul_rn(dval, r);
}

// out = (inp − mean)·rstd·weight + bias, one warp per row
template <class T>
__global__ void layernorm_forward_kernel(T* __restrict__ out, T* __restrict__ mean, T* __restrict__ rstd,
                                         const T* __restrict__ inp, const T* __restrict__ weight,
                                         const T* __restrict__ bias, std::size_t rows, std::size_t h, T eps) {
    const std::size_t row = blockIdx.x * static_cast<std::size_t>(layernorm_rows_per_block) + threadIdx.x / warp_size;
    const unsigned int lane = threadIdx.x % warp_size;
    if (row >= rows) return;
    const T* x = inp + row * h;
    T m, r;
    warp_row_moments(m, r, x, h, lane, eps);
    T* y = out + row * h;
    for (std::size_t c = lane; c < h; c += warp_size) y[c] = (x[c] - m) * r * weight[c] + bias[c];
    if (lane == 0) {
        mean[row] = m;
        rstd[row] = r;
    }
}

// dinp += rstd · (dnorm − mean(dnorm) − norm·mean(dnorm·norm)), dnorm = weight·dout, one warp per row
template <class T>
__global__ void layernorm_backward_input_kernel(T* __restrict__ dinp, const T* __restrict__ dout,
                                                const T* __restrict__ inp, const T* __restrict__ weight,
                                                const T* __restrict__ mean, const T* __restrict__ rstd,
                                                std::size_t rows, std::size_t h) {
    const std::size_t row = blockIdx.x * static_cast<std::size_t>(layernorm_rows_per_block) + threadIdx.x / warp_size;
    const unsigned int lane = threadIdx.x % warp_size;
    if (row >= rows) return;
    const T* x = inp + row * h;
    const T* dy = dout + row * h;
    const T m = mean[row], r = rstd[row];
    T dnorm_mean, dnorm_norm_mean;
    warp_row_grad_means(dnorm_mean, dnorm_norm_mean, dy, x, weight, m, r, h, lane);
    T* dx = dinp + row * h;
    for (std::size_t c = lane; c < h; c += warp_size)
        dx[c] += layernorm_input_grad(x[c], dy[c], weight[c], m, r, dnorm_mean, dnorm_norm_mean);
}

// partial_w (chunks, H) = Σ_{rows of chunk} dout·norm;  partial_b (chunks, H) = Σ_{rows of chunk} dout
// (column_grid/column_block of reduce.cuh; either output may be null)
template <class T>
__global__ void layernorm_backward_params_partial_kernel(T* __restrict__ partial_w, T* __restrict__ partial_b,
                                                         const T* __restrict__ dout, const T* __restrict__ inp,
                                                         const T* __restrict__ mean, const T* __restrict__ rstd,
                                                         std::size_t rows, std::size_t h, std::size_t rows_per_chunk) {
    const std::size_t col = blockIdx.x * static_cast<std::size_t>(warp_size) + threadIdx.x;
    const bool in_range = col < h;
    if (partial_w) {
        const T sum = column_chunk_sum<T>(rows, rows_per_chunk, col, in_range, [&](std::size_t r) {
            return dout[r * h + col] * (inp[r * h + col] - mean[r]) * rstd[r];
        });
        if (threadIdx.y == 0 && in_range) partial_w[blockIdx.y * h + col] = sum;
        __syncthreads();  // the second column_chunk_sum may share the first one's shared-memory buffer
    }
    if (partial_b) {
        const T sum =
            column_chunk_sum<T>(rows, rows_per_chunk, col, in_range, [&](std::size_t r) { return dout[r * h + col]; });
        if (threadIdx.y == 0 && in_range) partial_b[blockIdx.y * h + col] = sum;
    }
}

// dweight (H) += Σ_rows dout·norm;  dbias (H) += Σ_rows dout (either may be null), norm = (inp − mean)·rstd
template <class T>
void layernorm_param_grads(Tensor<T, Device>* dweight, Tensor<T, Device>* dbias, const Tensor<T, Device>& dout,
                           const Tensor<T, Device>& inp, const Tensor<T, Device>& mean, const Tensor<T, Device>& rstd) {
    if (!dweight && !dbias) return;
    const auto rows = static_cast<std::size_t>(inp.shape().rows()), h = static_cast<std::size_t>(inp.shape().back());
    TINYBERT_CHECK((!dweight || dweight->numel() == h) && (!dbias || dbias->numel() == h),
                   "cuda::layernorm_backward: dweight/dbias must have ", h, " elements");
    const Shape ps{static_cast<std::int64_t>(column_chunks(rows)), static_cast<std::int64_t>(h)};
    auto partial_w = dweight ? Tensor<T, Device>::empty(ps) : Tensor<T, Device>();
    auto partial_b = dbias ? Tensor<T, Device>::empty(ps) : Tensor<T, Device>();
    layernorm_backward_params_partial_kernel<<<column_grid(rows, h), column_block(), 0, current_stream()>>>(
        dweight ? partial_w.data() : nullptr, dbias ? partial_b.data() : nullptr, dout.data(), inp.data(), mean.data(),
        rstd.data(), rows, h, column_rows_per_chunk(rows));
    TINYBERT_CUDA_CHECK_LAUNCH();
    if (dweight) column_finish(dweight->data(), partial_w);
    if (dbias) column_finish(dbias->data(), partial_b);
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// out (N,H) = (inp − mean)/sqrt(var + eps)·weight + bias; saves mean (N) and rstd (N) = 1/sqrt(var + eps)
template <class T>
void layernorm_forward(Tensor<T, Device>& out, Tensor<T, Device>& mean, Tensor<T, Device>& rstd,
                       const Tensor<T, Device>& inp, const Tensor<T, Device>& weight, const Tensor<T, Device>& bias,
                       T eps) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(out, inp, "cuda::layernorm_forward");
    const auto rows = static_cast<std::size_t>(inp.shape().rows()), h = static_cast<std::size_t>(inp.shape().back());
    TINYBERT_CHECK(weight.numel() == h && bias.numel() == h && mean.numel() == rows && rstd.numel() == rows,
                   "cuda::layernorm_forward: inp ", inp.shape().str(), ", weight ", weight.shape().str(), ", bias ",
                   bias.shape().str(), ", mean ", mean.shape().str(), ", rstd ", rstd.shape().str());
    if (rows == 0 || h == 0) return;
    detail::
        layernorm_forward_kernel<<<grid_for(rows, detail::layernorm_rows_per_block), block_size, 0, current_stream()>>>(
            out.data(), mean.data(), rstd.data(), inp.data(), weight.data(), bias.data(), rows, h, eps);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// dinp (N,H) += rstd·(dnorm − mean(dnorm) − norm·mean(dnorm·norm));  dweight (H) += Σ dout·norm;  dbias (H) += Σ dout
template <class T>
void layernorm_backward(Tensor<T, Device>* dinp, Tensor<T, Device>* dweight, Tensor<T, Device>* dbias,
                        const Tensor<T, Device>& dout, const Tensor<T, Device>& inp, const Tensor<T, Device>& weight,
                        const Tensor<T, Device>& mean, const Tensor<T, Device>& rstd) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(dout, inp, "cuda::layernorm_backward");
    const auto rows = static_cast<std::size_t>(inp.shape().rows()), h = static_cast<std::size_t>(inp.shape().back());
    TINYBERT_CHECK(weight.numel() == h && mean.numel() == rows && rstd.numel() == rows,
                   "cuda::layernorm_backward: inp ", inp.shape().str(), ", weight ", weight.shape().str());
    if (rows == 0 || h == 0) return;
    if (dinp) {
        check_same_shape(*dinp, inp, "cuda::layernorm_backward");
        detail::layernorm_backward_input_kernel<<<grid_for(rows, detail::layernorm_rows_per_block), block_size, 0,
                                                  current_stream()>>>(dinp->data(), dout.data(), inp.data(),
                                                                      weight.data(), mean.data(), rstd.data(), rows, h);
        TINYBERT_CUDA_CHECK_LAUNCH();
    }
    detail::layernorm_param_grads(dweight, dbias, dout, inp, mean, rstd);
}

}  // namespace tinybert::cuda
