// tinybert/backend/cpu/layernorm.hpp: layer normalisation over the last dimension on the CPU (nn.LayerNorm in
// BertEmbeddings, BertSelfOutput, BertOutput): biased variance, eps inside the square root.
// Shapes: N rows (B*S), H features. Saved for backward: inp, weight, and the per-row mean and rstd.
#pragma once

#include <cmath>

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/backend/cpu/loops.hpp"
#include "tinybert/backend/cpu/reduce.hpp"

namespace tinybert::cpu {

// out (N,H) = (inp − mean)·rstd·weight + bias;  mean (N), rstd (N) = 1/sqrt(var + eps) are saved for backward
template <class T>
void layernorm_forward(Tensor<T, Device>& out, Tensor<T, Device>& mean, Tensor<T, Device>& rstd,
                       const Tensor<T, Device>& inp, const Tensor<T, Device>& weight, const Tensor<T, Device>& bias,
                       T eps) {
    const auto x = as_matrix(inp);
    auto y = as_matrix(out);
    const auto w = as_row(weight).array();
    const auto b = as_row(bias).array();
    const std::int64_t n = x.rows();
    const T inv_h = T(1) / static_cast<T>(x.cols());
    T* mean_p = mean.data();
    T* rstd_p = rstd.data();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
        const auto xi = x.row(i).array();
        const T mu = xi.sum() * inv_h;
        const T var = (xi - mu).square().sum() * inv_h;  // biased (÷H), two-pass
        const T rs = T(1) / std::sqrt(var + eps);
        y.row(i).array() = (xi - mu) * rs * w + b;
        mean_p[i] = mu;
        rstd_p[i] = rs;
    }
}

// With x̂ = (inp − mean)·rstd and dx̂ = dout·weight, per row:
//   dbias (H)   += Σ_rows dout
//   dweight (H) += Σ_rows dout·x̂
//   dinp (N,H)  += rstd · ( dx̂  − mean(dx̂)  − x̂·mean(dx̂·x̂) )
//                         term 1  term 2      term 3
template <class T>
void layernorm_backward(Tensor<T, Device>* dinp, Tensor<T, Device>* dweight, Tensor<T, Device>* dbias,
                        const Tensor<T, Device>& dout, const Tensor<T, Device>& inp, const Tensor<T, Device>& weight,
                        const Tensor<T, Device>& mean, const Tensor<T, Device>& rstd) {
    const auto x = as_matrix(inp);
    const auto dy = as_matrix(dout);
    const auto w = as_row(weight).array();
    const std::int64_t n = x.rows();
    const T inv_h = T(1) / static_cast<T>(x.cols());
    const T* mean_p = mean.data();
    const T* rstd_p = rstd.data();
    if (dinp) {
        auto dx = as_matrix(*dinp);
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 0; i < n; ++i) {
            const auto xhat = (x.row(i).array() - mean_p[i]) * rstd_p[i];
            const auto dxhat = dy.row(i).array() * w;
            const T dxhat_mean = dxhat.sum() * inv_h;
            const T dxhat_xhat_mean = (dxhat * xhat).sum() * inv_h;
            dx.row(i).array() += rstd_p[i] * (dxhat - dxhat_mean - xhat * dxhat_xhat_mean);
        }
    }
    if (dbias) add_column_sums(*dbias, dout);
    if (dweight) {
        auto dw = as_row(*dweight).array();
        detail::for_column_blocks(x.cols(), [&](std::int64_t c0, std::int64_t nc) {
            auto dw_block = dw.segment(c0, nc);
            for (std::int64_t i = 0; i < n; ++i)
                dw_block += dy.row(i).segment(c0, nc).array() * (x.row(i).segment(c0, nc).array() - mean_p[i]) * rstd_p[i];
        });
    }
}

}  // namespace tinybert::cpu
