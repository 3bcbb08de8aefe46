// tinybert/backend/cuda/residual_layernorm.cuh: the end of a residual block on the GPU (BertSelfOutput, BertOutput):
// LayerNorm(dropout(x) + residual) forward in one kernel and its backward in one kernel plus the weight/bias column
// reductions, instead of dropout, add and LayerNorm kernels that each read and write the whole (N,H) tensor.
// One warp per row, the row helpers of layernorm.cuh and the dropout masks of dropout.cuh (counter stream), with the
// dropout product rounded before the add, so the results are those of the three kernels one after the other.
// Shapes: x, residual, sum, out (N,H); weight, bias (H); mean, rstd (N). Saved for backward: sum, mean, rstd, mask.
#pragma once

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/backend/cuda/dropout.cuh"
#include "tinybert/backend/cuda/layernorm.cuh"
#include "tinybert/core/rng.hpp"

namespace tinybert::cuda {

namespace detail {

// sum = x·factor + residual (x + residual when p == 0), out = LayerNorm(sum); one warp per row
template <class T>
__global__ void residual_layernorm_forward_kernel(T* __restrict__ out, T* __restrict__ sum, T* __restrict__ mean,
                                                  T* __restrict__ rstd, const T* __restrict__ x,
                                                  const T* __restrict__ residual, const T* __restrict__ weight,
                                                  const T* __restrict__ bias, std::size_t rows, std::size_t h, T eps,
                                                  double p, T scale, std::uint64_t seed, std::uint64_t offset) {
    const std::size_t row = blockIdx.x * static_cast<std::size_t>(layernorm_rows_per_block) + threadIdx.x / warp_size;
    const unsigned int lane = threadIdx.x % warp_size;
    if (row >= rows) return;
    const std::size_t at = row * h;
    T* s = sum + at;
    for (std::size_t c = lane; c < h; c += warp_size) {
        const T kept = p > 0 ? mul_rn(x[at + c], dropout_factor(seed, offset + at + c, p, scale)) : x[at + c];
        s[c] = kept + residual[at + c];
    }
    T m, r;
    warp_row_moments(m, r, s, h, lane, eps);  // each lane reads back the elements it wrote
    T* y = out + at;
    for (std::size_t c = lane; c < h; c += warp_size) y[c] = (s[c] - m) * r * weight[c] + bias[c];
    if (lane == 0) {
        mean[row] = m;
        rstd[row] = r;
    }
}

// ds = LayerNorm's input gradient at sum;  dresidual += ds;  dx += ds·factor (either may be null); one warp per row
template <class T>
__global__ void residual_layernorm_backward_kernel(T* __restrict__ dx, T* __restrict__ dresidual,
                                                   const T* __restrict__ dout, const T* __restrict__ sum,
                                                   const T* __restrict__ weight, const T* __restrict__ mean,
                                                   const T* __restrict__ rstd, std::size_t rows, std::size_t h,
                                                   double p, T scale, std::uint64_t seed, std::uint64_t offset) {
    const std::size_t row = blockIdx.x * static_cast<std::size_t>(layernorm_rows_per_block) + threadIdx.x / warp_size;
    const unsigned int lane = threadIdx.x % warp_size;
    if (row >= rows) return;
    const std::size_t at = row * h;
    const T* s = sum + at;
    const T* dy = dout + at;
    const T m = mean[row], r = rstd[row];
    T dnorm_mean, dnorm_norm_mean;
    warp_row_grad_means(dnorm_mean, dnorm_norm_mean, dy, s, weight, m, r, h, lane);
    for (std::size_t c = lane; c < h; c += warp_size) {
        const T ds = layernorm_input_grad(s[c], dy[c], weight[c], m, r, dnorm_mean, dnorm_norm_mean);
        if (dresidual) dresidual[at + c] += ds;
        if (dx) dx[at + c] += p > 0 ? ds * dropout_factor(seed, offset + at + c, p, scale) : ds;
    }
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// sum (N,H) = dropout(x) + residual (mask.p == 0: x + residual);  out (N,H) = LayerNorm(sum) with mean, rstd (N)
template <class T>
void residual_layernorm_forward(Tensor<T, Device>& out, Tensor<T, Device>& sum, Tensor<T, Device>& mean,
                                Tensor<T, Device>& rstd, const Tensor<T, Device>& x, const Tensor<T, Device>& residual,
                                const DropoutMask& mask, const Tensor<T, Device>& weight, const Tensor<T, Device>& bias,
                                T eps) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(x, residual, "cuda::residual_layernorm_forward");
    check_same_shape(out, x, "cuda::residual_layernorm_forward");
    check_same_shape(sum, x, "cuda::residual_layernorm_forward");
    detail::check_counter_mask(mask, "cuda::residual_layernorm_forward");
    const auto rows = static_cast<std::size_t>(x.shape().rows()), h = static_cast<std::size_t>(x.shape().back());
    TINYBERT_CHECK(weight.numel() == h && bias.numel() == h && mean.numel() == rows && rstd.numel() == rows,
                   "cuda::residual_layernorm_forward: x ", x.shape().str(), ", weight ", weight.shape().str(),
                   ", bias ", bias.shape().str(), ", mean ", mean.shape().str(), ", rstd ", rstd.shape().str());
    if (rows == 0 || h == 0) return;
    detail::residual_layernorm_forward_kernel<<<grid_for(rows, detail::layernorm_rows_per_block), block_size, 0,
                                                current_stream()>>>(
        out.data(), sum.data(), mean.data(), rstd.data(), x.data(), residual.data(), weight.data(), bias.data(), rows,
        h, eps, mask.p, detail::dropout_scale<T>(mask.p), mask.seed, mask.offset);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// dresidual (N,H) += ds;  dx (N,H) += dropout(ds) (the forward's mask);  dweight (H) += Σ dout·norm;
// dbias (H) += Σ dout — ds being LayerNorm's input gradient at sum
template <class T>
void residual_layernorm_backward(Tensor<T, Device>* dx, Tensor<T, Device>* dresidual, Tensor<T, Device>* dweight,
                                 Tensor<T, Device>* dbias, const Tensor<T, Device>& dout, const Tensor<T, Device>& sum,
                                 const DropoutMask& mask, const Tensor<T, Device>& weight,
                                 const Tensor<T, Device>& mean, const Tensor<T, Device>& rstd) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(dout, sum, "cuda::residual_layernorm_backward");
    detail::check_counter_mask(mask, "cuda::residual_layernorm_backward");
    const auto rows = static_cast<std::size_t>(sum.shape().rows()), h = static_cast<std::size_t>(sum.shape().back());
    TINYBERT_CHECK(weight.numel() == h && mean.numel() == rows && rstd.numel() == rows,
                   "cuda::residual_layernorm_backward: sum ", sum.shape().str(), ", weight ", weight.shape().str());
    if (rows == 0 || h == 0) return;
    if (dx) check_same_shape(*dx, sum, "cuda::residual_layernorm_backward");
    if (dresidual) check_same_shape(*dresidual, sum, "cuda::residual_layernorm_backward");
    if (dx || dresidual) {
        detail::residual_layernorm_backward_kernel<<<grid_for(rows, detail::layernorm_rows_per_block), block_size, 0,
                                                     current_stream()>>>(
            dx ? dx->data() : nullptr, dresidual ? dresidual->data() : nullptr, dout.data(), sum.data(), weight.data(),
            mean.data(), rstd.data(), rows, h, mask.p, detail::dropout_scale<T>(mask.p), mask.seed, mask.offset);
        TINYBERT_CUDA_CHECK_LAUNCH();
    }
    detail::layernorm_param_grads(dweight, dbias, dout, sum, mean, rstd);
}

}  // namespace tinybert::cuda
