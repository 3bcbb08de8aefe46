// tinybert/backend/cpu/elementwise.hpp: pointwise kernels on the CPU: residual add, scale, GELU (exact erf, as
// HF GELUActivation), tanh (BertPooler), ReLU (DistilBERT's pre-classifier). Every tensor is treated as a flat array of numel() elements.
// Saved for backward: GELU needs its input, tanh its output. Backward accumulates (+=) into non-null gradients.
#pragma once

#include "tinybert/core/simd.hpp"  // first: before Eigen or simdjson pull in the intrinsics
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <unsupported/Eigen/SpecialFunctions>

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/backend/cpu/loops.hpp"
#include "tinybert/tensor/tensor16.hpp"

namespace tinybert::cpu {

namespace detail {

inline std::int64_t flat_size(std::size_t numel) { return static_cast<std::int64_t>(numel); }

// dx[i] += dy[i]·GELU'(x[i]), i < len: GELU'(x) = Φ(x) + x·φ(x) = 0.5·(1 + erf(x/√2)) + x·exp(−x²/2)/√(2π)
template <class T>
void add_gelu_grad(T* dx, const T* dy, const T* x, std::int64_t len) {
    const T inv_sqrt2 = T(0.70710678118654752440);
    const T inv_sqrt_2pi = T(0.39894228040143267794);
    const auto xs = ConstArrayMap<T>(x, len);
    ArrayMap<T>(dx, len) += ConstArrayMap<T>(dy, len) * (T(0.5) * (T(1) + (xs * inv_sqrt2).erf()) +
                                                         xs * inv_sqrt_2pi * (T(-0.5) * xs.square()).exp());
}

}  // namespace detail

// out (N) = a (N) + b (N)
template <class T>
void add_forward(Tensor<T, Device>& out, const Tensor<T, Device>& a, const Tensor<T, Device>& b) {
    detail::for_chunks(detail::flat_size(out.numel()), [&](std::int64_t begin, std::int64_t len) {
        ArrayMap<T>(out.data() + begin, len) =
            ConstArrayMap<T>(a.data() + begin, len) + ConstArrayMap<T>(b.data() + begin, len);
    });
}

// da (N) += dout;  db (N) += dout
template <class T>
void add_backward(Tensor<T, Device>* da, Tensor<T, Device>* db, const Tensor<T, Device>& dout) {
    detail::for_chunks(detail::flat_size(dout.numel()), [&](std::int64_t begin, std::int64_t len) {
        const auto dy = ConstArrayMap<T>(dout.data() + begin, len);
        if (da) ArrayMap<T>(da->data() + begin, len) += dy;
        if (db) ArrayMap<T>(db->data() + begin, len) += dy;
    });
}

// out (N) = alpha · inp (N)
template <class T>
void scale_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp, T alpha) {
    as_row(out) = alpha * as_row(inp);
}

// dinp (N) += alpha · dout
template <class T>
void scale_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, T alpha) {
    if (dinp) as_row(*dinp) += alpha * as_row(dout);
}

// out (N) = 0.5 · x · (1 + erf(x/√2))
template <class T>
void gelu_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp) {
    const T inv_sqrt2 = T(0.70710678118654752440);
    detail::for_chunks(detail::flat_size(inp.numel()), [&](std::int64_t begin, std::int64_t len) {
        const auto x = ConstArrayMap<T>(inp.data() + begin, len);
        ArrayMap<T>(out.data() + begin, len) = T(0.5) * x * (T(1) + (x * inv_sqrt2).erf());
    });
}

// dinp (N) += dout · GELU'(x), GELU'(x) = Φ(x) + x·φ(x)
//   term 1: Φ(x) = 0.5·(1 + erf(x/√2))        (the gate)
//   term 2: x·φ(x) = x·exp(−x²/2)/√(2π)       (the gate's slope times x)
template <class T>
void gelu_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, const Tensor<T, Device>& inp) {
    if (!dinp) return;
    detail::for_chunks(detail::flat_size(inp.numel()), [&](std::int64_t begin, std::int64_t len) {
        detail::add_gelu_grad(dinp->data() + begin, dout.data() + begin, inp.data() + begin, len);
    });
}

// The same with inp kept in 16 bits (a bf16/fp16 run's saved GELU input, ops/elementwise.hpp), widened per chunk
inline void gelu_backward(Tensor<float, Device>* dinp, const Tensor<float, Device>& dout,
                          const Tensor16<Device>& inp) {
    if (!dinp) return;
    detail::for_chunks(detail::flat_size(inp.bits.numel()), [&](std::int64_t begin, std::int64_t len) {
        thread_local std::vector<float> x;
        x.resize(static_cast<std::size_t>(len));
        const std::uint16_t* bits = inp.bits.data() + begin;
        for (std::int64_t i = 0; i < len; ++i)
            x[static_cast<std::size_t>(i)] = from_16bit_value(bits[i], inp.half);
        detail::add_gelu_grad(dinp->data() + begin, dout.data() + begin, x.data(), len);
    });
}

// out (N) = tanh(inp (N))
template <class T>
void tanh_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp) {
    const T* x = inp.data();
    T* y = out.data();
    const std::int64_t n = detail::flat_size(inp.numel());
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

// dinp (N) += dout · (1 − out²)
template <class T>
void tanh_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, const Tensor<T, Device>& out) {
    if (dinp) as_row(*dinp).array() += as_row(dout).array() * (T(1) - as_row(out).array().square());
}

// out (N) = max(inp (N), 0)
template <class T>
void relu_forward(Tensor<T, Device>& out, const Tensor<T, Device>& inp) {
    as_row(out).array() = as_row(inp).array().max(T(0));
}

// dinp (N) += dout · [out > 0]
template <class T>
void relu_backward(Tensor<T, Device>* dinp, const Tensor<T, Device>& dout, const Tensor<T, Device>& out) {
    if (dinp) as_row(*dinp).array() += (as_row(out).array() > T(0)).select(as_row(dout).array(), T(0));
}

}  // namespace tinybert::cpu
