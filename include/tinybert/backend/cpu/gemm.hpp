// tinybert/backend/cpu/gemm.hpp: the one CPU GEMM the dense layers go through, C = alpha·op(A)·op(B) + beta·C on
// row-major matrices (BLAS conventions: op(X) = X or Xᵀ; with beta = 0, C is written without being read).
// Shapes: op(A) (M,K), op(B) (K,N), C (M,N); lda/ldb/ldc are row strides (elements between consecutive rows).
// float with oneDNN (TINYBERT_ONEDNN, CMake finds Debian's libdnnl-dev): dnnl_sgemm, which picks AVX2, AVX-512 or
// AMX kernels for the CPU it runs on, so one portable binary uses the widest units there are. Otherwise, and for
// double, Eigen's GEMM, whose instruction set is fixed when compiling. Both thread with OpenMP (the caller's count)
// and run single-threaded inside a parallel region. A product with few rows (a batch of one sequence: M = 128) is
// split by columns of C over the threads, each running its slab single-threaded: oneDNN's own threading shares such a
// product out unevenly (docs/performance.md, "GEMMs with few rows").
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/core/error.hpp"
#include "tinybert/core/precision.hpp"

#ifdef TINYBERT_ONEDNN
#include <dnnl.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

namespace tinybert::cpu {

enum class Op : char { none = 'N', transpose = 'T' };

namespace detail {

template <class T>
using StridedMap = Eigen::Map<RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <class T>
using ConstStridedMap = Eigen::Map<const RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

// C = alpha·op(A)·op(B) + beta·C through Eigen (any T).
template <class T>
void eigen_gemm(Op op_a, Op op_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
                std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
    // A stored (M,K) or (K,M), B stored (K,N) or (N,K): map the storage, transpose in the expression
    const ConstStridedMap<T> as(a, op_a == Op::none ? m : k, op_a == Op::none ? k : m, Eigen::OuterStride<>(lda));
    const ConstStridedMap<T> bs(b, op_b == Op::none ? k : n, op_b == Op::none ? n : k, Eigen::OuterStride<>(ldb));
    StridedMap<T> cm(c, m, n, Eigen::OuterStride<>(ldc));
    const auto product = [&](auto&& x, auto&& y) {
        if (beta == T(0)) {
            cm.noalias() = alpha * x * y;
        } else {
            if (beta != T(1)) cm *= beta;
            cm.noalias() += alpha * x * y;
        }
    };
    if (op_a == Op::none && op_b == Op::none) product(as, bs);
    if (op_a == Op::none && op_b == Op::transpose) product(as, bs.transpose());
    if (op_a == Op::transpose && op_b == Op::none) product(as.transpose(), bs);
    if (op_a == Op::transpose && op_b == Op::transpose) product(as.transpose(), bs.transpose());
}

// The number of threads that should each compute a slab of C's columns, or 1 to let the GEMM engine thread itself:
// more than one only outside a parallel region, for at most 256 rows and at least 32 columns per thread.
inline int column_slabs(std::int64_t m, std::int64_t n) {
#ifdef _OPENMP
    const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    return threads > 1 && m <= 256 && n >= 32 * threads ? threads : 1;
#else
    static_cast<void>(m), static_cast<void>(n);
    return 1;
#endif
}

// calls(c0, width) for `slabs` slabs of [0, n) in multiples of 16 columns, one per OpenMP thread
template <class F>
void for_column_slabs(int slabs, std::int64_t n, F&& call) {
    const std::int64_t width = (n / slabs + 15) / 16 * 16;
#pragma omp parallel for num_threads(slabs) schedule(static, 1)
    for (int s = 0; s < slabs; ++s) {
        const std::int64_t c0 = s * width;
        if (c0 < n) call(c0, std::min(width, n - c0));
    }
}

#ifdef TINYBERT_ONEDNN
// dnnl_sgemm, by column slabs when column_slabs says so; the status of the first failing call
inline dnnl_status_t onednn_sgemm(Op op_a, Op op_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                                  const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta,
                                  float* c, std::int64_t ldc) {
    const auto sgemm = [&](std::int64_t c0, std::int64_t width) {
        const float* b_slab = op_b == Op::none ? b + c0 : b + c0 * ldb;  // B (K,N) or (N,K): columns c0… of op(B)
        return dnnl_sgemm(static_cast<char>(op_a), static_cast<char>(op_b), m, width, k, alpha, a, lda, b_slab, ldb,
                          beta, c + c0, ldc);
    };
    const int slabs = column_slabs(m, n);
    if (slabs == 1) return sgemm(0, n);
    dnnl_status_t status = dnnl_success;
    for_column_slabs(slabs, n, [&](std::int64_t c0, std::int64_t width) {
        const dnnl_status_t st = sgemm(c0, width);
        if (st != dnnl_success) {
#pragma omp critical(tinybert_sgemm_status)
            status = st;
        }
    });
    return status;
}
#endif

// C (M,N) = alpha·op(A)·op(B) + beta·C on the engine of this build, inputs as they are
template <class T>
void engine_gemm(Op op_a, Op op_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a,
                 std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
#ifdef TINYBERT_ONEDNN
    if constexpr (std::is_same_v<T, float>) {
        const dnnl_status_t st = onednn_sgemm(op_a, op_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        TINYBERT_CHECK(st == dnnl_success, "oneDNN sgemm failed (status ", static_cast<int>(st), ") for ", m, "x", n,
                       "x", k);
    } else {
        eigen_gemm(op_a, op_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
#else
    eigen_gemm(op_a, op_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

// The rows x cols matrix at `x` (row stride ld) rounded as a GEMM of precision p reads it, into `out` (dense, row
// stride cols). One buffer per thread and operand, reused by later calls.
inline const float* rounded_copy(const float* x, std::int64_t rows, std::int64_t cols, std::int64_t ld, Precision p,
                                 std::vector<float>& out) {
    out.resize(static_cast<std::size_t>(rows * cols));
    float* o = out.data();
#pragma omp parallel for schedule(static) if (rows * cols >= (1 << 16))
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t j = 0; j < cols; ++j) o[r * cols + j] = round_gemm_input(x[r * ld + j], p);
    return o;
}

}  // namespace detail

// C (M,N) = alpha·op(A)·op(B) + beta·C. For float, A and B are first rounded to the process-wide matmul precision
// (core/precision.hpp) unless it is fp32: the products of the GPU's 16-bit/TF32 GEMMs, summed in float.
template <class T>
void gemm(Op op_a, Op op_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a, std::int64_t lda,
          const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
    if (m == 0 || n == 0) return;
    if constexpr (std::is_same_v<T, float>) {
        const Precision p = matmul_precision();
        if (p != Precision::fp32 && k > 0) {
            thread_local std::vector<float> a_round, b_round;
            // A stored (M,K) or (K,M), B stored (K,N) or (N,K)
            const std::int64_t a_cols = op_a == Op::none ? k : m, b_cols = op_b == Op::none ? n : k;
            const float* ar = detail::rounded_copy(a, op_a == Op::none ? m : k, a_cols, lda, p, a_round);
            const float* br = detail::rounded_copy(b, op_b == Op::none ? k : n, b_cols, ldb, p, b_round);
            return detail::engine_gemm(op_a, op_b, m, n, k, alpha, ar, a_cols, br, b_cols, beta, c, ldc);
        }
    }
    detail::engine_gemm(op_a, op_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// The name of the GEMM engine float products use in this build (for benchmarks and `tinybert --version`-style logs).
inline const char* gemm_engine() {
#ifdef TINYBERT_ONEDNN
    return "oneDNN";
#else
    return "Eigen";
#endif
}

}  // namespace tinybert::cpu
