// tinybert/quant/quantize.hpp: the number formats of int8 dynamic quantisation (ORT's and PyTorch's quantize_dynamic),
// CPU only. Weights: int8, symmetric, one scale per output channel (row of W). Activations: uint8, asymmetric, one
// scale and zero point per row (token), computed from the row's min/max at run time.
//   weight row j (OUT,IN):  s_w[j] = max_k |w[j,k]| / 127,  q[j,k] = round(w[j,k] / s_w[j]) ∈ [−127, 127]
//   activation row i (N,K): lo = min(0, min_k x), hi = max(0, max_k x), s_a[i] = (hi − lo) / qmax,
//                           zp[i] = round(−lo / s_a[i]) ∈ [0, qmax],
//                           q[i,k] = clamp(round(x[i,k] / s_a[i]) + zp[i], 0, qmax)
// round = to nearest, ties to even (std::nearbyint), as ORT's DynamicQuantizeLinear. [lo, hi] contains 0, so 0 is
// exactly representable (padding, ReLU-like zeros). An all-zero row, or an all-zero weight row, gets scale 1 and
// codes 0. qmax is 255, or 127 on CPUs without VNNI (quant/cpu_features.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/tensor/shape.hpp"

namespace tinybert::quant {

// An int8 weight matrix (OUT,IN) with its per-row scales and row sums: w[j,k] ≈ q[j,k]·scale[j].
struct QuantizedWeight {
    std::int64_t out_features = 0, in_features = 0;
    std::vector<std::int8_t> q;         // (OUT,IN) row-major, each in [−127, 127]
    std::vector<float> scale;           // (OUT), finite and > 0
    std::vector<std::int32_t> row_sum;  // (OUT) Σ_k q[j,k]: the zero-point correction of the activations

    // Quantises a float weight w (OUT,IN) row-major.
    template <class T>
    static QuantizedWeight quantize(const T* w, std::int64_t out_features, std::int64_t in_features) {
        QuantizedWeight r;
        r.out_features = out_features;
        r.in_features = in_features;
        const auto rows = static_cast<std::size_t>(out_features), cols = static_cast<std::size_t>(in_features);
        r.q.resize(rows * cols);
        r.scale.resize(rows);
        for (std::size_t j = 0; j < rows; ++j) {
            const T* row = w + j * cols;
            T amax = 0;
            for (std::size_t k = 0; k < cols; ++k) amax = std::max(amax, static_cast<T>(std::fabs(row[k])));
            const float s = amax > 0 ? static_cast<float>(amax / T(127)) : 1.0f;
            r.scale[j] = s;
            for (std::size_t k = 0; k < cols; ++k) {
                const T v = std::nearbyint(row[k] / static_cast<T>(s));
                r.q[j * cols + k] = static_cast<std::int8_t>(std::clamp(v, T(-127), T(127)));
            }
        }
        r.compute_row_sums();
        return r;
    }

    // From stored codes and scales (a quantised checkpoint); `where` names the tensor in errors.
    static QuantizedWeight from_parts(std::vector<std::int8_t> q, std::vector<float> scale, std::int64_t out_features,
                                      std::int64_t in_features, const std::string& where) {
        TINYBERT_CHECK(out_features > 0 && in_features > 0 &&
                           q.size() == static_cast<std::size_t>(out_features) * static_cast<std::size_t>(in_features),
                       where, ": ", q.size(), " int8 values do not fill (", out_features, ",", in_features, ")");
        TINYBERT_CHECK(scale.size() == static_cast<std::size_t>(out_features), where, ": ", scale.size(),
                       " scales for ", out_features, " output channels (the scale must be (OUT) = (", out_features,
                       "))");
        for (std::size_t j = 0; j < scale.size(); ++j)
            TINYBERT_CHECK(std::isfinite(scale[j]) && scale[j] > 0.0f, where, ": scale of output channel ", j, " is ",
                           scale[j], "; scales must be finite and positive");
        for (std::size_t i = 0; i < q.size(); ++i)
            TINYBERT_CHECK(q[i] != -128, where, ": value -128 at (", i / static_cast<std::size_t>(in_features), ",",
                           i % static_cast<std::size_t>(in_features),
                           ") is outside the symmetric range [-127, 127] of tinybert's int8 weights");
        QuantizedWeight r;
        r.out_features = out_features;
        r.in_features = in_features;
        r.q = std::move(q);
        r.scale = std::move(scale);
        r.compute_row_sums();
        return r;
    }

    // q[j,k]·scale[j] as T (OUT,IN) row-major.
    template <class T>
    std::vector<T> dequantize() const {
        std::vector<T> w(q.size());
        const auto cols = static_cast<std::size_t>(in_features);
        for (std::size_t i = 0; i < q.size(); ++i) w[i] = static_cast<T>(static_cast<float>(q[i]) * scale[i / cols]);
        return w;
    }

private:
    void compute_row_sums() {
        const auto cols = static_cast<std::size_t>(in_features);
        row_sum.assign(static_cast<std::size_t>(out_features), 0);
        for (std::size_t i = 0; i < q.size(); ++i) row_sum[i / cols] += q[i];
    }
};

// Activations (N,K) quantised per row: x[i,k] ≈ (q[i,k] − zero_point[i])·scale[i].
struct QuantizedRows {
    Shape shape;                           // the activation's shape (..., K); N = shape.rows()
    int qmax = 255;                        // codes are in [0, qmax]
    std::vector<std::uint8_t> q;           // (N,K) row-major
    std::vector<float> scale;              // (N)
    std::vector<std::int32_t> zero_point;  // (N), in [0, qmax]

    std::int64_t rows() const { return shape.rows(); }
    std::int64_t cols() const { return shape.back(); }
};

// One row's scale and zero point from its min and max (see the top of this file).
inline void row_params(float lo, float hi, int qmax, float& scale, std::int32_t& zero_point) {
    lo = std::min(lo, 0.0f);
    hi = std::max(hi, 0.0f);
    if (!(hi > lo)) {  // all zeros
        scale = 1.0f;
        zero_point = 0;
        return;
    }
    scale = (hi - lo) / static_cast<float>(qmax);
    zero_point = static_cast<std::int32_t>(std::clamp(std::nearbyint(-lo / scale), 0.0f, static_cast<float>(qmax)));
}

// x (..., K) row-major -> codes, per-row scales and zero points. requires: qmax is 127 or 255.
template <class T>
QuantizedRows quantize_rows(const T* x, const Shape& shape, int qmax) {
    TINYBERT_CHECK(qmax == 127 || qmax == 255, "quantize_rows: qmax must be 127 or 255, got ", qmax);
    QuantizedRows r;
    r.shape = shape;
    r.qmax = qmax;
    const std::int64_t n = shape.rows(), k = shape.back();
    r.q.resize(static_cast<std::size_t>(n * k));
    r.scale.resize(static_cast<std::size_t>(n));
    r.zero_point.resize(static_cast<std::size_t>(n));
    std::uint8_t* q = r.q.data();
    float* scale = r.scale.data();
    std::int32_t* zp = r.zero_point.data();
    const float fmax = static_cast<float>(qmax);
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
        const T* row = x + i * k;
        float lo = 0.0f, hi = 0.0f;
        for (std::int64_t c = 0; c < k; ++c) {
            lo = std::min(lo, static_cast<float>(row[c]));
            hi = std::max(hi, static_cast<float>(row[c]));
        }
        row_params(lo, hi, qmax, scale[i], zp[i]);
        const float s = scale[i], z = static_cast<float>(zp[i]);
        std::uint8_t* out = q + i * k;
        for (std::int64_t c = 0; c < k; ++c)
            out[c] =
                static_cast<std::uint8_t>(std::clamp(std::nearbyint(static_cast<float>(row[c]) / s) + z, 0.0f, fmax));
    }
    return r;
}

}  // namespace tinybert::quant
