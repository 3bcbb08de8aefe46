// tinybert/backend/cuda/elementwise.cuh: residual add, scaling, GELU (exact erf, HF "gelu"), tanh (BertPooler) and
// ReLU (DistilBERT's pre-classifier)
// on the GPU. Every tensor is treated as a flat array of numel() elements; shapes of the operands must be equal. Each
// op is a per-element functor run by detail::map (vectorized.cuh: 128-bit loads and stores where aligned).
// Saved for backward: GELU needs its input, tanh its output. Backward accumulates (+=) into non-null gradients.
#pragma once

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/backend/cuda/vectorized.cuh"
#include "tinybert/tensor/tensor16.hpp"

namespace tinybert::cuda {

namespace detail {

// The per-element functions of the kernels below, run by map (vectorized.cuh): (index, operands...) -> value.

template <class T>
struct Sum {
    __device__ T operator()(std::size_t, T a, T b) const { return a + b; }
};

// alpha · x (scale; the add/scale backward accumulates it)
template <class T>
struct Scaled {
    T alpha;
    __device__ T operator()(std::size_t, T x) const { return alpha * x; }
};

// GELU(x) = 0.5·x·(1 + erf(x/√2))
template <class T>
struct Gelu {
    __device__ T operator()(std::size_t, T x) const {
        return T(0.5) * x * (T(1) + erf_(x * T(0.70710678118654752440)));
    }
};

// dout · GELU'(x), GELU'(x) = Φ(x) + x·φ(x) = 0.5·(1 + erf(x/√2)) + x·exp(−x²/2)/√(2π); In is T, or the 16 bits of a
// bf16 (or, when `half`, IEEE half) copy of the input (a bf16/fp16 run's saved GELU input)
template <class T>
struct GeluGrad {
    bool half = false;
    template <class In>
    __device__ T operator()(std::size_t, T dout, In saved) const {
        T x;
        if constexpr (std::is_same_v<In, std::uint16_t>)
            x = from_16bit_value(saved, half);
        else
            x = saved;
        const T cdf = T(0.5) * (T(1) + erf_(x * T(0.70710678118654752440)));
        const T pdf = exp_(T(-0.5) * x * x) * T(0.39894228040143267794);
        return dout * (cdf + x * pdf);
    }
};

template <class T>
struct Tanh {
    __device__ T operator()(std::size_t, T x) const { return tanh_(x); }
};

// dout · (1 − tanh²), from the saved output y
template <class T>
struct TanhGrad {
    __device__ T operator()(std::size_t, T dout, T y) const { return dout * (T(1) - y * y); }
};

template <class T>
struct Relu {
    __device__ T operator()(std::size_t, T x) const { return x > T(0) ? x : T(0); }
};

// dout · [y > 0], from the saved output y
template <class T>
struct ReluGrad {
    __device__ T operator()(std::size_t, T dout, T y) const { return y > T(0) ? dout : T(0); }
};

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
    detail::map<false>(out.numel(), detail::Sum<T>{}, out.data(), a.data(), b.data());
}

// da += dout;  db += dout
template <class T>
void add_backward(Tensor<T, Device>* da, Tensor<T, Device>* db, const Tensor<T, Device>& dout) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    for (Tensor<T, Device>* d : {da, db}) {
        if (!d || dout.numel() == 0) continue;
        check_same_shape(*d, dout, "cuda::add_backward");
        detail::map<true>(dout.numel(), detail::Scaled<T>{T{1}}, d->data(), dout.data());
    }
}

// out = alpha · inp
template <class T>
void scale_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, T alpha) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(out, inp, "cuda::scale_forward");
    if (out.numel() == 0) return;
    detail::map<false>(out.numel(), detail::Scaled<T>{alpha}, out.data(), inp.data());
}

// dinp += alpha · dout
template <class T>
void scale_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, T alpha) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (!dinp || dout.numel() == 0) return;
    check_same_shape(*dinp, dout, "cuda::scale_backward");
    detail::map<true>(dout.numel(), detail::Scaled<T>{alpha}, dinp->data(), dout.data());
}

// out = GELU(inp), exact erf form
template <class T>
void gelu_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(out, inp, "cuda::gelu_forward");
    if (out.numel() == 0) return;
    detail::map<false>(out.numel(), detail::Gelu<T>{}, out.data(), inp.data());
}

// dinp += dout · GELU'(inp)
template <class T>
void gelu_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, const Tensor<T, Device>& inp) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (!dinp || dout.numel() == 0) return;
    check_same_shape(*dinp, dout, "cuda::gelu_backward");
    check_same_shape(inp, dout, "cuda::gelu_backward");
    detail::map<true>(dout.numel(), detail::GeluGrad<T>{}, dinp->data(), dout.data(), inp.data());
}

// The same with inp kept in 16 bits (a bf16/fp16 run's saved GELU input, ops/elementwise.hpp)
inline void gelu_backward(Tensor<float, Device>* dinp, const Tensor<float, Device>& dout, const Tensor16<Device>& inp) {
    TINYBERT_NVTX_RANGE_FN();
    if (!dinp || dout.numel() == 0) return;
    check_same_shape(*dinp, dout, "cuda::gelu_backward");
    TINYBERT_CHECK(inp.shape() == dout.shape(), "cuda::gelu_backward: input ", inp.shape().str(), " vs ",
                   dout.shape().str());
    detail::map<true>(dout.numel(), detail::GeluGrad<float>{inp.half}, dinp->data(), dout.data(), inp.bits.data());
}

// out = tanh(inp)
template <class T>
void tanh_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(out, inp, "cuda::tanh_forward");
    if (out.numel() == 0) return;
    detail::map<false>(out.numel(), detail::Tanh<T>{}, out.data(), inp.data());
}

// dinp += dout · (1 − out²)
template <class T>
void tanh_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, const Tensor<T, Device>& out) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (!dinp || dout.numel() == 0) return;
    check_same_shape(*dinp, dout, "cuda::tanh_backward");
    check_same_shape(out, dout, "cuda::tanh_backward");
    detail::map<true>(dout.numel(), detail::TanhGrad<T>{}, dinp->data(), dout.data(), out.data());
}

// out = max(inp, 0)
template <class T>
void relu_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    check_same_shape(out, inp, "cuda::relu_forward");
    if (out.numel() == 0) return;
    detail::map<false>(out.numel(), detail::Relu<T>{}, out.data(), inp.data());
}

// dinp += dout · [out > 0]
template <class T>
void relu_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, const Tensor<T, Device>& out) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    if (!dinp || dout.numel() == 0) return;
    check_same_shape(*dinp, dout, "cuda::relu_backward");
    check_same_shape(out, dout, "cuda::relu_backward");
    detail::map<true>(dout.numel(), detail::ReluGrad<T>{}, dinp->data(), dout.data(), out.data());
}

}  // namespace tinybert::cuda
