// tinybert/quant/linear.hpp: nn.Linear with int8 weights and activations quantised per row at run time (CPU,
// inference only: no tape, no gradient). Shapes: N rows (B*S), K = IN features, OUT features.
//   acc (N,OUT)    = xq (N,K, uint8) · Wq (OUT,K, int8)ᵀ                      int32, exact (quant/igemm.hpp)
//   out[i,j]       = s_a[i]·s_w[j]·(acc[i,j] − zp[i]·Σ_k Wq[j,k]) + bias[j]
// The zero-point term is subtracted in int32 (exact), then converted to T once and scaled.
#pragma once

#include <cstdint>
#include <vector>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/quant/cpu_features.hpp"
#include "tinybert/quant/igemm.hpp"
#include "tinybert/quant/quantize.hpp"

namespace tinybert::quant {

// out (N,OUT) from xq (N,K) and w (OUT,K); bias (OUT) or nullptr. Scratch: one int32 (N,OUT) buffer per thread,
// kept between calls.
template <class T>
void int8_linear_forward(T* out, const QuantizedRows& xq, const QuantizedWeight& w, const T* bias) {
    const std::int64_t n = xq.rows(), k = xq.cols(), o = w.out_features;
    TINYBERT_CHECK(k == w.in_features, "int8 linear: input ", xq.shape.str(), " does not match weight (", o, ",",
                   w.in_features, ")");
    thread_local std::vector<std::int32_t> acc;
    acc.resize(static_cast<std::size_t>(n * o));
    igemm_u8s8s32(n, o, k, xq.q.data(), w.q.data(), acc.data());
    const std::int32_t* a = acc.data();
    const float* sw = w.scale.data();
    const std::int32_t* rs = w.row_sum.data();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
        const float sa = xq.scale[static_cast<std::size_t>(i)];
        const std::int32_t zp = xq.zero_point[static_cast<std::size_t>(i)];
        const std::int32_t* ai = a + i * o;
        T* yi = out + i * o;
        if (bias) {
            for (std::int64_t j = 0; j < o; ++j)
                yi[j] = static_cast<T>(ai[j] - zp * rs[j]) * static_cast<T>(sa * sw[j]) + bias[j];
        } else {
            for (std::int64_t j = 0; j < o; ++j)
                yi[j] = static_cast<T>(ai[j] - zp * rs[j]) * static_cast<T>(sa * sw[j]);
        }
    }
}

namespace detail {

template <class T>
void check_inference(const char* what, const Var<T, Cpu>& bias) {
    TINYBERT_CHECK(!Tape::current().enabled() || !bias.requires_grad(), what,
                   ": int8 layers are for inference only (no gradients); run them under NoGradGuard (the task helpers "
                   "do), or train the float model");
}

}  // namespace detail

// An activation (..., K) quantised per row with this CPU's activation range (activation_qmax()).
template <class T>
QuantizedRows quantize_activation(const Var<T, Cpu>& x) {
    return quantize_rows(x.value().data(), x.shape(), activation_qmax());
}

// xq (..., K) with w (OUT,K) and bias (OUT) or undefined -> (..., OUT). The output needs no gradient.
template <class T>
Var<T, Cpu> int8_linear(const QuantizedRows& xq, const QuantizedWeight& w, const Var<T, Cpu>& bias) {
    detail::check_inference("int8_linear", bias);
    const bool has_bias = bias.defined();
    TINYBERT_CHECK(!has_bias || (bias.shape().rank() == 1 && bias.shape()[0] == w.out_features), "int8_linear: bias ",
                   bias.shape().str(), " does not match weight (", w.out_features, ",", w.in_features, ")");
    auto y = Tensor<T, Cpu>::empty(xq.shape.with_last(w.out_features));
    int8_linear_forward(y.data(), xq, w, has_bias ? bias.value().data() : nullptr);
    return Var<T, Cpu>(std::move(y), false);
}

// x (..., K) quantised here, then as above (which checks for inference).
template <class T>
Var<T, Cpu> int8_linear(const Var<T, Cpu>& x, const QuantizedWeight& w, const Var<T, Cpu>& bias) {
    return int8_linear(quantize_activation(x), w, bias);
}

}  // namespace tinybert::quant
