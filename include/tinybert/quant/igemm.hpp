// tinybert/quant/igemm.hpp: the one integer GEMM of int8 inference, acc (M,N) = a (M,K) · b (N,K)ᵀ with a uint8,
// b int8 and int32 accumulation (no offsets: the activation zero points are corrected in quant/linear.hpp).
// With oneDNN (TINYBERT_ONEDNN): dnnl_gemm_u8s8s32, row-major, kernels picked for the CPU at run time (AVX512-VNNI,
// AMX, AVX2...). Otherwise a plain loop with OpenMP over rows. Both give the same integers as long as the activation
// codes respect activation_qmax() (quant/cpu_features.hpp: oneDNN's non-VNNI kernels saturate int16 pair sums).
// requires everywhere: K ≤ max_int8_k, so that no int32 sum or zero-point correction can overflow.
#pragma once

#include <cstdint>
#include <vector>

#include "tinybert/backend/cpu/gemm.hpp"
#include "tinybert/core/error.hpp"

#ifdef TINYBERT_ONEDNN
#include <dnnl.h>
#endif

namespace tinybert::quant {

// 2·255·127·K < 2³¹: the largest K for which |acc| and |acc − zp·Σq| both fit in int32.
inline constexpr std::int64_t max_int8_k = 33'000;

namespace detail {

// The fallback: acc[i,j] = Σ_k a[i,k]·b[j,k] in int32. Operands widened to int16 once; blocks of 4 rows of a share
// each row of b, and GCC/clang vectorise the k loop (vpmaddwd-style int16 products summed in int32).
inline void igemm_loop(std::int64_t m, std::int64_t n, std::int64_t k, const std::uint8_t* a, const std::int8_t* b,
                       std::int32_t* c) {
    const std::vector<std::int16_t> a16(a, a + m * k), b16(b, b + n * k);
    const std::int64_t blocks = (m + 3) / 4;
#pragma omp parallel for schedule(static)
    for (std::int64_t blk = 0; blk < blocks; ++blk) {
        const std::int64_t i0 = 4 * blk;
        for (std::int64_t j = 0; j < n; ++j) {
            const std::int16_t* bj = b16.data() + j * k;
            if (i0 + 4 <= m) {
                const std::int16_t *a0 = a16.data() + i0 * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
                std::int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (std::int64_t p = 0; p < k; ++p) {
                    const std::int32_t w = bj[p];
                    s0 += a0[p] * w, s1 += a1[p] * w, s2 += a2[p] * w, s3 += a3[p] * w;
                }
                c[i0 * n + j] = s0, c[(i0 + 1) * n + j] = s1, c[(i0 + 2) * n + j] = s2, c[(i0 + 3) * n + j] = s3;
            } else {
                for (std::int64_t i = i0; i < m; ++i) {
                    const std::int16_t* ai = a16.data() + i * k;
                    std::int32_t s = 0;
                    for (std::int64_t p = 0; p < k; ++p) s += ai[p] * static_cast<std::int32_t>(bj[p]);
                    c[i * n + j] = s;
                }
            }
        }
    }
}

}  // namespace detail

// acc (M,N) = a (M,K) · b (N,K)ᵀ; all row-major and contiguous.
inline void igemm_u8s8s32(std::int64_t m, std::int64_t n, std::int64_t k, const std::uint8_t* a, const std::int8_t* b,
                          std::int32_t* c) {
    TINYBERT_CHECK(m >= 0 && n >= 0 && k >= 0 && k <= max_int8_k, "int8 GEMM: ", m, "x", n, "x", k,
                   " (K must be at most ", max_int8_k, ")");
    if (m == 0 || n == 0) return;
#ifdef TINYBERT_ONEDNN
    if (k > 0) {
        const std::int32_t co = 0;
        const auto slab = [&](std::int64_t c0, std::int64_t width) {
            return dnnl_gemm_u8s8s32('N', 'T', 'F', m, width, k, 1.0f, a, k, 0, b + c0 * k, k, 0, 0.0f, c + c0, n, &co);
        };
        // few rows (one sequence): a slab of columns per thread, as cpu::gemm does for float
        const int slabs = cpu::detail::column_slabs(m, n);
        dnnl_status_t st = dnnl_success;
        if (slabs == 1) {
            st = slab(0, n);
        } else {
            cpu::detail::for_column_slabs(slabs, n, [&](std::int64_t c0, std::int64_t width) {
                const dnnl_status_t s = slab(c0, width);
                if (s != dnnl_success) {
#pragma omp critical(tinybert_igemm_status)
                    st = s;
                }
            });
        }
        TINYBERT_CHECK(st == dnnl_success, "oneDNN gemm_u8s8s32 failed (status ", static_cast<int>(st), ") for ", m,
                       "x", n, "x", k);
        return;
    }
#endif
    detail::igemm_loop(m, n, k, a, b, c);
}

// The engine of igemm_u8s8s32 in this build (logs and benchmarks).
inline const char* igemm_engine() {
#ifdef TINYBERT_ONEDNN
    return "oneDNN gemm_u8s8s32";
#else
    return "loop";
#endif
}

}  // namespace tinybert::quant
