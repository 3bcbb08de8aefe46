// tinybert/backend/cpu/eigen_map.hpp: Eigen views over CPU tensors, and the CPU thread count.
// Eigen stays inside backend/cpu: no public signature mentions it.
#pragma once

#include "tinybert/core/simd.hpp"  // first: before Eigen or simdjson pull in the intrinsics
#include <Eigen/Core>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "tinybert/tensor/tensor.hpp"

namespace tinybert::cpu {

template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MatrixMap = Eigen::Map<RowMatrix<T>>;
template <class T>
using ConstMatrixMap = Eigen::Map<const RowMatrix<T>>;
template <class T>
using VectorMap = Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>>;
template <class T>
using ConstVectorMap = Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>;
template <class T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

// A tensor as a row-major (rows × last dim) matrix.
template <class T>
MatrixMap<T> as_matrix(Tensor<T, Device>& t) {
    return MatrixMap<T>(t.data(), t.shape().rows(), t.shape().back());
}
template <class T>
ConstMatrixMap<T> as_matrix(const Tensor<T, Device>& t) {
    return ConstMatrixMap<T>(t.data(), t.shape().rows(), t.shape().back());
}
template <class T>
VectorMap<T> as_row(Tensor<T, Device>& t) {
    return VectorMap<T>(t.data(), static_cast<Eigen::Index>(t.numel()));
}
template <class T>
ConstVectorMap<T> as_row(const Tensor<T, Device>& t) {
    return ConstVectorMap<T>(t.data(), static_cast<Eigen::Index>(t.numel()));
}

}  // namespace tinybert::cpu

namespace tinybert {

// Threads used by CPU kernels (Eigen's GEMM and the OpenMP loops). Default: OMP_NUM_THREADS, else all cores.
// Call it before other threads use tinybert (it is not thread-safe): Eigen's count is process-wide, but the OpenMP
// count is the calling thread's (libgomp keeps it per thread; threads started later begin with OMP_NUM_THREADS).
inline void set_num_threads(int n) {
    TINYBERT_CHECK(n >= 1, "set_num_threads: need at least 1 thread, got ", n);
    Eigen::setNbThreads(n);
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
}
inline int num_threads() { return Eigen::nbThreads(); }

// Flush denormal floats to zero (MXCSR FTZ + DAZ) on the calling thread and on every OpenMP worker, as
// torch.set_flush_denormal(True) does. Values below 1.2e-38 (float) / 2.2e-308 (double) become 0; without this, a
// GEMM that meets denormals (tiny gradients late in fine-tuning) can run an order of magnitude slower on x86.
// The Trainer and the command-line program turn it on.
inline void flush_denormals(bool on = true) {
#if defined(__SSE__)
    constexpr unsigned bits = 0x8040;  // FTZ (bit 15) | DAZ (bit 6)
    const auto apply = [&] { _mm_setcsr(on ? (_mm_getcsr() | bits) : (_mm_getcsr() & ~bits)); };
    apply();
#ifdef _OPENMP
#pragma omp parallel
    apply();
#endif
#else
    static_cast<void>(on);
#endif
}

}  // namespace tinybert
