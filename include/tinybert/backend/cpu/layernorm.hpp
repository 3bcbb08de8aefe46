// tinybert/backend/cpu/layernorm.hpp: layer normalisation over the last dimension on the CPU (nn.LayerNorm in
// BertEmbeddings, BertSelfOutput, BertOutput): biased variance, eps inside the square root.
// Shapes: N rows (B*S), H features. Saved for backward: inp, weight, and the per-row mean and rstd.
#pragma once

#include <cmath>

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/backend/cpu/loops.hpp"
#include "tinybert/backend/cpu/reduce.hpp"

namespace tinybert::cpu {

namespace detail {

// One row: y (H) = (x − μ)·rstd·weight + bias; returns μ and rstd = 1/sqrt(σ² + eps) (σ² biased, two-pass)
template <class T>
void layernorm_row(T* y, T& mean, T& rstd, const T* x, const T* weight, const T* bias, std::int64_t h, T eps) {
    const auto xi = ConstArrayMap<T>(x, h);
    const T inv_h = T(1) / static_cast<T>(h);
    const T mu = xi.sum() * inv_h;
    const T var = (xi - mu).square().sum() * inv_h;
    const T rs = T(1) / std::sqrt(var + eps);
    ArrayMap<T>(y, h) = (xi - mu) * rs * ConstArrayMap<T>(weight, h) + ConstArrayMap<T>(bias, h);
    mean = mu;
    rstd = rs;
}

// One row of the input gradient, with x̂ = (x − mean)·rstd and dx̂ = dy·weight:
//   dx (H) (+)= rstd · ( dx̂  − mean(dx̂)  − x̂·mean(dx̂·x̂) )
//                       term 1  term 2      term 3
template <bool Accumulate, class T>
void layernorm_input_grad_row(T* dx, const T* dy, const T* x, const T* weight, std::int64_t h, T mean, T rstd) {
    const T inv_h = T(1) / static_cast<T>(h);
    const auto xhat = (ConstArrayMap<T>(x, h) - mean) * rstd;
    const auto dxhat = ConstArrayMap<T>(dy, h) * ConstArrayMap<T>(weight, h);
    const T dxhat_mean = dxhat.sum() * inv_h;
    const T dxhat_xhat_mean = (dxhat * xhat).sum() * inv_h;
    if constexpr (Accumulate)
        ArrayMap<T>(dx, h) += rstd * (dxhat - dxhat_mean - xhat * dxhat_xhat_mean);
    else
        ArrayMap<T>(dx, h) = rstd * (dxhat - dxhat_mean - xhat * dxhat_xhat_mean);
}

// dbias (H) += Σ_rows dout;  dweight (H) += Σ_rows dout·x̂  (either may be null)
template <class T>
void layernorm_param_grads(Tensor<T, Device>* dweight, Tensor<T, Device>* dbias, const Tensor<T, Device>& dout,
                           const Tensor<T, Device>& inp, const Tensor<T, Device>& mean, const Tensor<T, Device>& rstd) {
    if (dbias) add_column_sums(*dbias, dout);
    if (!dweight) return;
    const auto x = as_matrix(inp);
    const auto dy = as_matrix(dout);
    auto dw = as_row(*dweight).array();
    const T* mean_p = mean.data();
    const T* rstd_p = rstd.data();
    for_column_blocks(x.cols(), [&](std::int64_t c0, std::int64_t nc) {
        auto dw_block = dw.segment(c0, nc);
        for (std::int64_t i = 0; i < x.rows(); ++i)
            dw_block += dy.row(i).segment(c0, nc).array() * (x.row(i).segment(c0, nc).array() - mean_p[i]) * rstd_p[i];
    });
}

}  // namespace detail

// out (N,H) = (inp − mean)·rstd·weight + bias;  mean (N), rstd (N) = 1/sqrt(var + eps) are saved for backward
template <class T>
void layernorm_forward(Tensor<T, Device>& out, Tensor<T, Device>& mean, Tensor<T, Device>& rstd,
                       const Tensor<T, Device>& inp, const Tensor<T, Device>& weight, const Tensor<T, Device>& bias,
                       T eps) {
    const std::int64_t n = inp.shape().rows(), h = inp.shape().back();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i)
        detail::layernorm_row(out.data() + i * h, mean.data()[i], rstd.data()[i], inp.data() + i * h, weight.data(),
                              bias.data(), h, eps);
}

// dinp (N,H) += the input gradient of detail::layernorm_input_grad_row;  dweight (H) += Σ dout·x̂;  dbias += Σ dout
template <class T>
void layernorm_backward(Tensor<T, Device>* dinp, Tensor<T, Device>* dweight, Tensor<T, Device>* dbias,
                        const Tensor<T, Device>& dout, const Tensor<T, Device>& inp, const Tensor<T, Device>& weight,
                        const Tensor<T, Device>& mean, const Tensor<T, Device>& rstd) {
    const std::int64_t n = inp.shape().rows(), h = inp.shape().back();
    if (dinp) {
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 0; i < n; ++i)
            detail::layernorm_input_grad_row<true>(dinp->data() + i * h, dout.data() + i * h, inp.data() + i * h,
                                                   weight.data(), h, mean.data()[i], rstd.data()[i]);
    }
    detail::layernorm_param_grads(dweight, dbias, dout, inp, mean, rstd);
}

}  // namespace tinybert::cpu
