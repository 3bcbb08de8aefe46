// tinybert/backend/cpu/residual_layernorm.hpp: the end of a residual block on the CPU (BertSelfOutput, BertOutput):
// LayerNorm(dropout(x) + residual) in one pass over each row, which stays in cache from the dropout to the output.
// Element for element the same arithmetic as dropout, add and layernorm run one after the other (the same mask,
// the same row kernels of layernorm.hpp), so the results are bitwise those of the three ops.
// Shapes: x, residual, sum, out (N,H); weight, bias (H); mean, rstd (N). Saved for backward: sum, mean, rstd, mask.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tinybert/backend/cpu/dropout.hpp"
#include "tinybert/backend/cpu/layernorm.hpp"

namespace tinybert::cpu {

// sum (N,H) = dropout(x) + residual (mask.p == 0: x + residual);  out (N,H) = LayerNorm(sum) with mean, rstd (N)
template <class T>
void residual_layernorm_forward(Tensor<T, Device>& out, Tensor<T, Device>& sum, Tensor<T, Device>& mean,
                                Tensor<T, Device>& rstd, const Tensor<T, Device>& x, const Tensor<T, Device>& residual,
                                const DropoutMask& mask, const Tensor<T, Device>& weight, const Tensor<T, Device>& bias,
                                T eps) {
    const std::int64_t n = x.shape().rows(), h = x.shape().back();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
        T* s = sum.data() + i * h;
        const T* xi = x.data() + i * h;
        if (mask.p > 0)
            detail::dropout_span<false>(s, xi, h, mask, static_cast<std::uint64_t>(i * h));
        else
            std::copy(xi, xi + h, s);
        ArrayMap<T>(s, h) += ConstArrayMap<T>(residual.data() + i * h, h);
        detail::layernorm_row(out.data() + i * h, mean.data()[i], rstd.data()[i], s, weight.data(), bias.data(), h,
                              eps);
    }
}

// With ds (N,H) the LayerNorm input gradient at sum (layernorm.hpp's row kernel):
//   dresidual += ds;  dx += dropout(ds) (the forward's mask);  dweight (H) += Σ dout·x̂;  dbias (H) += Σ dout
template <class T>
void residual_layernorm_backward(Tensor<T, Device>* dx, Tensor<T, Device>* dresidual, Tensor<T, Device>* dweight,
                                 Tensor<T, Device>* dbias, const Tensor<T, Device>& dout, const Tensor<T, Device>& sum,
                                 const DropoutMask& mask, const Tensor<T, Device>& weight,
                                 const Tensor<T, Device>& mean, const Tensor<T, Device>& rstd) {
    const std::int64_t n = sum.shape().rows(), h = sum.shape().back();
    if (dx || dresidual) {
#pragma omp parallel
        {
            std::vector<T> ds(static_cast<std::size_t>(h));  // one row of the sum's gradient, per thread
#pragma omp for schedule(static)
            for (std::int64_t i = 0; i < n; ++i) {
                detail::layernorm_input_grad_row<false>(ds.data(), dout.data() + i * h, sum.data() + i * h,
                                                        weight.data(), h, mean.data()[i], rstd.data()[i]);
                const auto g = ConstArrayMap<T>(ds.data(), h);
                if (dresidual) ArrayMap<T>(dresidual->data() + i * h, h) += g;
                if (!dx) continue;
                if (mask.p > 0)
                    detail::dropout_span<true>(dx->data() + i * h, ds.data(), h, mask,
                                               static_cast<std::uint64_t>(i * h));
                else
                    ArrayMap<T>(dx->data() + i * h, h) += g;
            }
        }
    }
    detail::layernorm_param_grads(dweight, dbias, dout, sum, mean, rstd);
}

}  // namespace tinybert::cpu
