// tinybert/backend/cpu/reduce.hpp: reductions and in-place scaling on the CPU: the sum of squares and scaling of
// global-norm gradient clipping (torch clip_grad_norm_: norm = sqrt(Σ‖g‖²), g ← g·min(1, max_norm/(norm+1e-6))), and
// the column sums of bias and LayerNorm gradients. No autograd.
#pragma once

#include <algorithm>
#include <cstdint>

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/backend/cpu/loops.hpp"

namespace tinybert::cpu {

// Σ t_i² over all elements (N), accumulated in double: each chunk summed in 8 independent lanes (element i in lane
// i mod 8, which the compiler keeps in vector registers without an `omp simd` request that clang may refuse and
// -Werror then rejects), the lanes and then the chunks' sums added
template <class T>
double sum_squares(const Tensor<T, Device>& t) {
    constexpr std::int64_t chunk = 8192;
    constexpr std::int64_t lanes = 8;
    const T* x = t.data();
    const std::int64_t n = static_cast<std::int64_t>(t.numel());
    const std::int64_t chunks = (n + chunk - 1) / chunk;
    double total = 0;
#pragma omp parallel for schedule(static) reduction(+ : total)
    for (std::int64_t c = 0; c < chunks; ++c) {
        const std::int64_t begin = c * chunk;
        const std::int64_t end = std::min(n, begin + chunk);
        const std::int64_t vector_end = begin + (end - begin) / lanes * lanes;
        const auto square = [x](std::int64_t i) { return static_cast<double>(x[i]) * static_cast<double>(x[i]); };
        double lane[lanes] = {};
        for (std::int64_t i = begin; i < vector_end; i += lanes)
            for (std::int64_t l = 0; l < lanes; ++l) lane[l] += square(i + l);
        for (std::int64_t i = vector_end; i < end; ++i) lane[i - vector_end] += square(i);
        double sum = 0;
        for (const double v : lane) sum += v;
        total += sum;
    }
    return total;
}

// t (N) ← alpha · t
template <class T>
void scale_inplace(Tensor<T, Device>& t, T alpha) {
    detail::for_chunks(static_cast<std::int64_t>(t.numel()), [&](std::int64_t begin, std::int64_t len) {
        ArrayMap<T>(t.data() + begin, len) *= alpha;
    });
}

// acc[0] += weight · x[0], in double (the training loss summed between read-backs)
template <class T>
void accumulate_scalar(Tensor<double, Device>& acc, const Tensor<T, Device>& x, double weight) {
    acc.data()[0] += weight * static_cast<double>(x.data()[0]);
}

// sums (H) += Σ_rows x (N,H), the columns split over the threads (bias gradients of Linear and LayerNorm)
template <class T>
void add_column_sums(Tensor<T, Device>& sums, const Tensor<T, Device>& x) {
    const auto m = as_matrix(x);
    auto s = as_row(sums);
    detail::for_column_blocks(m.cols(), [&](std::int64_t c0, std::int64_t nc) {
        s.segment(c0, nc) += m.middleCols(c0, nc).colwise().sum();
    });
}

}  // namespace tinybert::cpu
