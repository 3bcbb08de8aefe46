// tinybert/backend/cuda/elementwise.cuh: residual add, scaling, GELU (exact erf, HF "gelu"), tanh (BertPooler) and
// ReLU (DistilBERT's pre-classifier)
// on the GPU. Every tensor is treated as a flat array of numel() elements; shapes of the operands must be equal.
// Saved for backward: GELU needs its input, tanh its output. Backward accumulates (+=) into non-null gradients.
#pragma once

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/tensor/tensor16.hpp"

namespace tinybert::cuda {

namespace detail {

template <class T>
__global__ void add_kernel(T* __restrict__ out, const T* __restrict__ a, const T* __restrict__ b, std::size_t n) {
    const std::size_t i = global_index();
    if (i >= n) return;
    out[i] = a[i] + b[i];
}

// dinp += alpha · dout (alpha = 1 is the residual/add backward)
template <class T>
__global__ void axpy_kernel(T* __restrict__ dinp, const T* __restrict__ dout, T alpha, std::size_t n) {
    const std::size_t i = global_index();
    if (i >= n) return;
    dinp[i] += alpha * dout[i];
}

template <class T>
__global__ void scale_kernel(T* __restrict__ out, const T* __restrict__ inp, T alpha, std::size_t n) {
    const std::size_t i = global_index();
    if (i >= n) return;
    out[i] = alpha * inp[i];
}

// GELU(x) = 0.5·x·(1 + erf(x/√2))
template <class T>
__global__ void gelu_forward_kernel(T* __restrict__ out, const T* __restrict__ inp, std::size_t n) {
    const std::size_t i = global_index();
    if (i >= n) return;
    const T x = inp[i];
    out[i] = T(0.5) * x * (T(1) + erf_(x * T(0.70710678118654752440)));
}

// dGELU/dx = Φ(x) + x·φ(x) = 0.5·(1 + erf(x/√2)) + x·exp(−x²/2)/√(2π); In is T, or the 16 bits of a bf16 (or, when
// `half`, IEEE half) copy of the input (a bf16/fp16 run's saved GELU input)
template <class T, class In>
__global__ void gelu_backward_kernel(T* __restrict__ dinp, const T* __restrict__ dout, const In* __restrict__ inp,
                                     std::size_t n, [[maybe_unused]] bool half) {
    const std::size_t i = global_index();
    if (i >= n) return;
    T x;
    if constexpr (std::is_same_v<In, std::uint16_t>)
        x = from_16bit_value(inp[i], half);
    else
        x = inp[i];
    const T cdf = T(0.5) * (T(1) + erf_(x * T(0.70710678118654752440)));
    const T pdf = exp_(T(-0.5) * x * x) * T(0.39894228040143267794);
    dinp[i] += dout[i] * (cdf + x * pdf);
}

template <class T>
__global__ void tanh_forward_kernel(T* __restrict__ out, const T* __restrict__ inp, std::size_t n) {
    const std::size_t i = global_index();
    if (i >= n) return;
    out[i] = tanh_(inp[i]);
}

// dtanh/dx = 1 − tanh², from the saved output
template <class T>
__global__ void tanh_backward_kernel(T* __restrict__ dinp, const T* __restrict__ dout, const T* __restrict__ out,
                                     std::size_t n) {
    const std::size_t i = global_index();
    if (i >= n) return;
    const T y = out[i];
    dinp[i] += dout[i] * (T(1) - y * y);
}

template <class T>
__global__ void relu_forward_kernel(T* __restrict__ out, const T* __restrict__ inp, std::size_t n) {
    const std::size_t i = global_index();
    if (i >= n) return;
    out[i] = inp[i] > T(0) ? inp[i] : T(0);
}

// drelu/dx = [out > 0], from the saved output
template <class T>
__global__ void relu_backward_kernel(T* __restrict__ dinp, const T* __restrict__ dout, const T* __restrict__ out,
                                     std::size_t n) {
    const std::size_t i = global_index();
    if (i >= n) return;
    if (out[i] > T(0)) dinp[i] += dout[i];
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// out = a + b (all the same shape)
template <class T>
void add_forward(Tensor<T, Device>& out, const Tensor<T, Device>& a, const Tensor<T, Device>& b) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(a, b, "cuda::add_forward");
    check_same_shape(out, a, "cuda::add_forward");
    if (out.numel() == 0) return;
    detail::add_kernel<<<grid_for(out.numel()), block_size, 0, current_stream()>>>(out.data(), a.data(), b.data(),
                                                                                   out.numel());
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// da += dout;  db += dout
template <class T>
void add_backward(Tensor<T, Device>* da, Tensor<T, Device>* db, const Tensor<T, Device>& dout) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    for (Tensor<T, Device>* d : {da, db}) {
        if (!d || dout.numel() == 0) continue;
        check_same_shape(*d, dout, "cuda::add_backward");
        detail::axpy_kernel<<<grid_for(dout.numel()), block_size, 0, current_stream()>>>(d->data(), dout.data(), T{1},
                                                                                         dout.numel());
        TINYBERT_CUDA_CHECK_LAUNCH();
    }
}

// out = alpha · inp
template <class T>
void scale_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, T alpha) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(out, inp, "cuda::scale_forward");
    if (out.numel() == 0) return;
    detail::scale_kernel<<<grid_for(out.numel()), block_size, 0, current_stream()>>>(out.data(), inp.data(), alpha,
                                                                                     out.numel());
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// dinp += alpha · dout
template <class T>
void scale_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, T alpha) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (!dinp || dout.numel() == 0) return;
    check_same_shape(*dinp, dout, "cuda::scale_backward");
    detail::axpy_kernel<<<grid_for(dout.numel()), block_size, 0, current_stream()>>>(dinp->data(), dout.data(), alpha,
                                                                                     dout.numel());
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// out = GELU(inp), exact erf form
template <class T>
void gelu_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(out, inp, "cuda::gelu_forward");
    if (out.numel() == 0) return;
    detail::gelu_forward_kernel<<<grid_for(out.numel()), block_size, 0, current_stream()>>>(out.data(), inp.data(),
                                                                                            out.numel());
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// dinp += dout · GELU'(inp)
template <class T>
void gelu_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, const Tensor<T, Device>& inp) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (!dinp || dout.numel() == 0) return;
    check_same_shape(*dinp, dout, "cuda::gelu_backward");
    check_same_shape(inp, dout, "cuda::gelu_backward");
    detail::gelu_backward_kernel<<<grid_for(dout.numel()), block_size, 0, current_stream()>>>(
        dinp->data(), dout.data(), inp.data(), dout.numel(), false);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// The same with inp kept in 16 bits (a bf16/fp16 run's saved GELU input, ops/elementwise.hpp)
inline void gelu_backward(Tensor<float, Device>* dinp, const Tensor<float, Device>& dout, const Tensor16<Device>& inp) {
    TINYBERT_NVTX_RANGE_FN();
    if (!dinp || dout.numel() == 0) return;
    check_same_shape(*dinp, dout, "cuda::gelu_backward");
    TINYBERT_CHECK(inp.shape() == dout.shape(), "cuda::gelu_backward: input ", inp.shape().str(), " vs ",
                   dout.shape().str());
    detail::gelu_backward_kernel<<<grid_for(dout.numel()), block_size, 0, current_stream()>>>(
        dinp->data(), dout.data(), inp.bits.data(), dout.numel(), inp.half);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// out = tanh(inp)
template <class T>
void tanh_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(out, inp, "cuda::tanh_forward");
    if (out.numel() == 0) return;
    detail::tanh_forward_kernel<<<grid_for(out.numel()), block_size, 0, current_stream()>>>(out.data(), inp.data(),
                                                                                            out.numel());
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// dinp += dout · (1 − out²)
template <class T>
void tanh_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, const Tensor<T, Device>& out) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (!dinp || dout.numel() == 0) return;
    check_same_shape(*dinp, dout, "cuda::tanh_backward");
    check_same_shape(out, dout, "cuda::tanh_backward");
    detail::tanh_backward_kernel<<<grid_for(dout.numel()), block_size, 0, current_stream()>>>(dinp->data(), dout.data(),
                                                                                              out.data(), dout.numel());
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// out = max(inp, 0)
template <class T>
void relu_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(out, inp, "cuda::relu_forward");
    if (out.numel() == 0) return;
    detail::relu_forward_kernel<<<grid_for(out.numel()), block_size, 0, current_stream()>>>(out.data(), inp.data(),
                                                                                            out.numel());
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// dinp += dout · [out > 0]
template <class T>
void relu_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, const Tensor<T, Device>& out) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (!dinp || dout.numel() == 0) return;
    check_same_shape(*dinp, dout, "cuda::relu_backward");
    check_same_shape(out, dout, "cuda::relu_backward");
    detail::relu_backward_kernel<<<grid_for(dout.numel()), block_size, 0, current_stream()>>>(dinp->data(), dout.data(),
                                                                                              out.data(), dout.numel());
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace tinybert::cuda
