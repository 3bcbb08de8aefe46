// tinybert/backend/cuda/cross_entropy.cuh: softmax cross-entropy (torch CrossEntropyLoss, reduction "mean", with
// ignore_index) on the GPU. Shapes: logits/probs (N,C), targets (N) int64, loss (1).
// ℓ_i = logsumexp(z_i) − z_i[y_i]; loss = mean of ℓ_i over targets ≠ ignore_index; none left ⇒ 0/0 = NaN.
// With class weights w (C): loss = Σ w[y_i] ℓ_i / Σ w[y_i] over the same rows (CrossEntropyLoss(weight=w)).
// A target outside [0, C) that is not ignore_index makes the loss NaN, or, as a debug option, throws the CPU's error
// (backend/input_checks.hpp). Saved for backward: probs (the softmax).
// Reductions are deterministic (fixed order, one block).
#pragma once

#include <limits>

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/backend/input_checks.hpp"

namespace tinybert::cuda {

namespace detail {

inline constexpr int cross_entropy_rows_per_block = block_size / warp_size;
inline constexpr int reduce_block_size = 1024;

// probs row i = softmax(logits row i); row_loss[i] = w[y] · (logsumexp − z[y]) (0 when ignored; w = 1 when weight
// is null); one warp per row
template <class T>
__global__ void cross_entropy_rows_kernel(T* __restrict__ probs, T* __restrict__ row_loss, const T* __restrict__ logits,
                                          const std::int64_t* __restrict__ targets, const T* __restrict__ weight,
                                          std::size_t n, std::size_t c, std::int64_t ignore_index) {
    const std::size_t row =
        blockIdx.x * static_cast<std::size_t>(cross_entropy_rows_per_block) + threadIdx.x / warp_size;
    const unsigned int lane = threadIdx.x % warp_size;
    if (row >= n) return;
    const T* z = logits + row * c;
    T* p = probs + row * c;
    T mx = -std::numeric_limits<T>::infinity();
    for (std::size_t j = lane; j < c; j += warp_size) mx = fmax(mx, z[j]);
    mx = warp_max(mx);
    T sum{};
    for (std::size_t j = lane; j < c; j += warp_size) {
        const T e = exp_(z[j] - mx);
        p[j] = e;
        sum += e;
    }
    sum = warp_sum(sum);
    const T inv = T(1) / sum;
    for (std::size_t j = lane; j < c; j += warp_size) p[j] *= inv;
    if (lane == 0) {
        const std::int64_t y = targets[row];
        if (y == ignore_index)
            row_loss[row] = T(0);
        else if (y < 0 || static_cast<std::size_t>(y) >= c)
            row_loss[row] = std::numeric_limits<T>::quiet_NaN();
        else
            row_loss[row] = (weight ? weight[y] : T(1)) * (log_(sum) + mx - z[y]);
    }
}

// weight of target y in the mean: 0 when ignored (or outside [0, c): its row loss is NaN anyway), else w[y] or 1
template <class T>
__device__ inline double target_weight(const T* weight, std::int64_t y, std::size_t c, std::int64_t ignore_index) {
    if (y == ignore_index) return 0.0;
    if (!weight) return 1.0;
    return y < 0 || static_cast<std::size_t>(y) >= c ? 1.0 : static_cast<double>(weight[y]);
}

// loss[0] = Σ row_loss / Σ_{targets ≠ ignore_index} w[y], one block, accumulated in double
template <class T>
__global__ void cross_entropy_mean_kernel(T* __restrict__ loss, const T* __restrict__ row_loss,
                                          const std::int64_t* __restrict__ targets, const T* __restrict__ weight,
                                          std::size_t n, std::size_t c, std::int64_t ignore_index) {
    double sum = 0, count = 0;
    for (std::size_t i = threadIdx.x; i < n; i += blockDim.x) {
        sum += static_cast<double>(row_loss[i]);
        count += target_weight(weight, targets[i], c, ignore_index);
    }
    sum = block_sum(sum);
    count = block_sum(count);
    if (threadIdx.x == 0) loss[0] = static_cast<T>(sum / count);
}

// count[0] = Σ_{targets ≠ ignore_index} w[y] (the number of those targets when weight is null), one block
template <class T>
__global__ void count_targets_kernel(T* __restrict__ count, const std::int64_t* __restrict__ targets,
                                     const T* __restrict__ weight, std::size_t n, std::size_t c,
                                     std::int64_t ignore_index) {
    double k = 0;
    for (std::size_t i = threadIdx.x; i < n; i += blockDim.x) k += target_weight(weight, targets[i], c, ignore_index);
    k = block_sum(k);
    if (threadIdx.x == 0) count[0] = static_cast<T>(k);
}

// dlogits[i,j] += dloss · w[y_i] / count · (probs[i,j] − [j == y_i]) for rows with y_i ≠ ignore_index
template <class T>
__global__ void cross_entropy_backward_kernel(T* __restrict__ dlogits, const T* __restrict__ dloss,
                                              const T* __restrict__ count, const T* __restrict__ probs,
                                              const std::int64_t* __restrict__ targets, const T* __restrict__ weight,
                                              std::size_t n, std::size_t c, std::int64_t ignore_index) {
    const std::size_t idx = global_index();
    if (idx >= n * c) return;
    const std::int64_t y = targets[idx / c];
    if (y == ignore_index) return;
    const T indicator = static_cast<std::int64_t>(idx % c) == y ? T(1) : T(0);
    const T w = weight && y >= 0 && static_cast<std::size_t>(y) < c ? weight[y] : T(1);
    dlogits[idx] += dloss[0] * w / count[0] * (probs[idx] - indicator);
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// loss (1) = Σ w[y] (logsumexp(logits) − logits[y]) / Σ w[y] over non-ignored rows (w = 1 when `weight` (C) is
// undefined: the mean);  probs (N,C) = softmax(logits (N,C))
template <class T>
void cross_entropy_forward(Tensor<T, Device>& loss, Tensor<T, Device>& probs, const Tensor<T, Device>& logits,
                           const Tensor<std::int64_t, Device>& targets, std::int64_t ignore_index,
                           const Tensor<T, Device>& weight = {}) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(probs, logits, "cuda::cross_entropy_forward");
    const auto n = static_cast<std::size_t>(logits.shape().rows()), c = static_cast<std::size_t>(logits.shape().back());
    TINYBERT_CHECK(loss.numel() == 1 && targets.numel() == n, "cuda::cross_entropy_forward: loss ", loss.shape().str(),
                   ", logits ", logits.shape().str(), ", targets ", targets.shape().str());
    if (tinybert::detail::cuda_input_checks_enabled())
        tinybert::detail::check_targets(targets.to_vector(), static_cast<std::int64_t>(c), ignore_index);
    TINYBERT_CHECK(!weight.defined() || weight.numel() == c, "cuda::cross_entropy_forward: weight ",
                   weight.shape().str(), " for ", c, " classes");
    const T* w = weight.defined() ? weight.data() : nullptr;
    Tensor<T, Device> row_loss(Shape{static_cast<std::int64_t>(n)});
    if (n > 0 && c > 0) {
        detail::cross_entropy_rows_kernel<<<grid_for(n, detail::cross_entropy_rows_per_block), block_size, 0,
                                            current_stream()>>>(probs.data(), row_loss.data(), logits.data(),
                                                                targets.data(), w, n, c, ignore_index);
        TINYBERT_CUDA_CHECK_LAUNCH();
    }
    detail::cross_entropy_mean_kernel<<<1, detail::reduce_block_size, 0, current_stream()>>>(
        loss.data(), row_loss.data(), targets.data(), w, n, c, ignore_index);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// dlogits (N,C) += dloss · w[y] / count · (probs − onehot(y)) on non-ignored rows; count = Σ w[y] over them (their
// number when `weight` is undefined)
template <class T>
void cross_entropy_backward(Tensor<T, Device>* dlogits, const Tensor<T, Device>& dloss, const Tensor<T, Device>& probs,
                            const Tensor<std::int64_t, Device>& targets, std::int64_t ignore_index,
                            const Tensor<T, Device>& weight = {}) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (!dlogits) return;
    check_same_shape(*dlogits, probs, "cuda::cross_entropy_backward");
    const auto n = static_cast<std::size_t>(probs.shape().rows()), c = static_cast<std::size_t>(probs.shape().back());
    TINYBERT_CHECK(dloss.numel() == 1 && targets.numel() == n, "cuda::cross_entropy_backward: dloss ",
                   dloss.shape().str(), ", probs ", probs.shape().str(), ", targets ", targets.shape().str());
    if (n == 0 || c == 0) return;
    const T* w = weight.defined() ? weight.data() : nullptr;
    Tensor<T, Device> count(Shape{1});
    detail::count_targets_kernel<<<1, detail::reduce_block_size, 0, current_stream()>>>(count.data(), targets.data(), w,
                                                                                        n, c, ignore_index);
    TINYBERT_CUDA_CHECK_LAUNCH();
    detail::cross_entropy_backward_kernel<<<grid_for(n * c), block_size, 0, current_stream()>>>(
        dlogits->data(), dloss.data(), count.data(), probs.data(), targets.data(), w, n, c, ignore_index);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace tinybert::cuda
