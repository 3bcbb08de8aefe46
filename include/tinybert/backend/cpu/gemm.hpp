// tinybert/backend/cpu/gemm.hpp: the one CPU GEMM the dense layers go through, C = alpha·op(A)·op(B) + beta·C on
// row-major matrices (BLAS conventions: op(X) = X or Xᵀ; with beta = 0, C is written without being read).
// Shapes: op(A) (M,K), op(B) (K,N), C (M,N); lda/ldb/ldc are row strides (elements between consecutive rows).
// float with oneDNN (TINYBERT_ONEDNN, CMake finds Debian's libdnnl-dev): dnnl_sgemm, which picks AVX2, AVX-512 or
// AMX kernels for the CPU it runs on, so one portable binary uses the widest units there are. Otherwise, and for
// double, Eigen's GEMM, whose instruction set is fixed when compiling. Both thread with OpenMP (the caller's count)
// and run single-threaded inside a parallel region.
#pragma once

#include <cstdint>
#include <type_traits>

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/core/error.hpp"

#ifdef TINYBERT_ONEDNN
#include <dnnl.h>
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

}  // namespace detail

// C (M,N) = alpha·op(A)·op(B) + beta·C
template <class T>
void gemm(Op op_a, Op op_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* a, std::int64_t lda,
          const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
    if (m == 0 || n == 0) return;
#ifdef TINYBERT_ONEDNN
    if constexpr (std::is_same_v<T, float>) {
        const dnnl_status_t st = dnnl_sgemm(static_cast<char>(op_a), static_cast<char>(op_b), m, n, k, alpha, a, lda,
                                            b, ldb, beta, c, ldc);
        TINYBERT_CHECK(st == dnnl_success, "oneDNN sgemm failed (status ", static_cast<int>(st), ") for ", m, "x", n,
                       "x", k);
    } else {
        detail::eigen_gemm(op_a, op_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
#else
    detail::eigen_gemm(op_a, op_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
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
