// tinybert/backend/cuda/layernorm.cuh: LayerNorm over the last dimension on the GPU (BertEmbeddings.LayerNorm,
// BertSelfOutput.LayerNorm, BertOutput.LayerNorm). Biased variance (÷H), as torch.
// Shapes: inp/out (N,H) with N = every leading dimension folded; weight, bias (H); mean, rstd (N) saved for backward.
// One warp per row (llm.c layernorm_forward_kernel3 layout); dweight/dbias are column reductions, deterministic.
#pragma once

#include "tinybert/backend/cuda/device.cuh"

namespace tinybert::cuda {

namespace detail {

inline constexpr int layernorm_rows_per_block = block_size / warp_size;

// out = (inp − mean)·rstd·weight + bias, one warp per row
template <class T>
__global__ void layernorm_forward_kernel(T* __restrict__ out, T* __restrict__ mean, T* __restrict__ rstd,
                                         const T* __restrict__ inp, const T* __restrict__ weight,
                                         const T* __restrict__ bias, std::size_t rows, std::size_t h, T eps) {
    const std::size_t row = blockIdx.x * static_cast<std::size_t>(layernorm_rows_per_block) + threadIdx.x / warp_size;
    const unsigned int lane = threadIdx.x % warp_size;
    if (row >= rows) return;
    const T* x = inp + row * h;
    T sum{};
    for (std::size_t c = lane; c < h; c += warp_size) sum += x[c];
    const T m = warp_sum(sum) / static_cast<T>(h);
    T sq{};
    for (std::size_t c = lane; c < h; c += warp_size) {
        const T d = x[c] - m;
        sq += d * d;
    }
    const T r = T(1) / sqrt_(warp_sum(sq) / static_cast<T>(h) + eps);
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
    T dnorm_sum{}, dnorm_norm_sum{};
    for (std::size_t c = lane; c < h; c += warp_size) {
        const T dnorm = weight[c] * dy[c];
        dnorm_sum += dnorm;
        dnorm_norm_sum += dnorm * (x[c] - m) * r;
    }
    const T dnorm_mean = warp_sum(dnorm_sum) / static_cast<T>(h);
    const T dnorm_norm_mean = warp_sum(dnorm_norm_sum) / static_cast<T>(h);
    T* dx = dinp + row * h;
    for (std::size_t c = lane; c < h; c += warp_size) {
        const T norm = (x[c] - m) * r;
        T dval = weight[c] * dy[c];      // term 1
        dval -= dnorm_mean;              // term 2
        dval -= norm * dnorm_norm_mean;  // term 3
        dx[c] += dval * r;
    }
}

// dweight (H) += Σ_rows dout·norm;  dbias (H) += Σ_rows dout. Block: 32 columns × 8 row-strided partial sums.
template <class T>
__global__ void layernorm_backward_params_kernel(T* __restrict__ dweight, T* __restrict__ dbias,
                                                 const T* __restrict__ dout, const T* __restrict__ inp,
                                                 const T* __restrict__ mean, const T* __restrict__ rstd,
                                                 std::size_t rows, std::size_t h) {
    __shared__ T partial_w[8][warp_size + 1];
    __shared__ T partial_b[8][warp_size + 1];
    const std::size_t col = blockIdx.x * static_cast<std::size_t>(warp_size) + threadIdx.x;
    T sum_w{}, sum_b{};
    if (col < h)
        for (std::size_t r = threadIdx.y; r < rows; r += blockDim.y) {
            const T dy = dout[r * h + col];
            sum_w += dy * (inp[r * h + col] - mean[r]) * rstd[r];
            sum_b += dy;
        }
    partial_w[threadIdx.y][threadIdx.x] = sum_w;
    partial_b[threadIdx.y][threadIdx.x] = sum_b;
    __syncthreads();
    if (threadIdx.y == 0 && col < h) {
        for (unsigned int y = 1; y < blockDim.y; ++y) {
            sum_w += partial_w[y][threadIdx.x];
            sum_b += partial_b[y][threadIdx.x];
        }
        if (dweight) dweight[col] += sum_w;
        if (dbias) dbias[col] += sum_b;
    }
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
    detail::layernorm_forward_kernel<<<grid_for(rows, detail::layernorm_rows_per_block), block_size>>>(
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
        detail::layernorm_backward_input_kernel<<<grid_for(rows, detail::layernorm_rows_per_block), block_size>>>(
            dinp->data(), dout.data(), inp.data(), weight.data(), mean.data(), rstd.data(), rows, h);
        TINYBERT_CUDA_CHECK_LAUNCH();
    }
    if (dweight || dbias) {
        TINYBERT_CHECK((!dweight || dweight->numel() == h) && (!dbias || dbias->numel() == h),
                       "cuda::layernorm_backward: dweight/dbias must have ", h, " elements");
        detail::layernorm_backward_params_kernel<<<grid_for(h, warp_size), dim3(warp_size, 8)>>>(
            dweight ? dweight->data() : nullptr, dbias ? dbias->data() : nullptr, dout.data(), inp.data(), mean.data(),
            rstd.data(), rows, h);
        TINYBERT_CUDA_CHECK_LAUNCH();
    }
}

}  // namespace tinybert::cuda
