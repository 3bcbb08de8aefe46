// tinybert/backend/cuda/device.cuh: the CUDA device type (same member set as cpu::Device), checked-call macros,
// the per-thread cuBLAS handle, NVTX ranges and small helpers shared by every CUDA kernel file.
// Compiled only in .cu translation units (TINYBERT_WITH_CUDA comes from the tinybert::cuda CMake target).
// Every kernel launch, cuBLAS call and copy takes the calling thread's current stream explicitly (current_stream():
// the legacy default stream unless a StreamScope names another), so one thread's work is ordered on one stream.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <nvtx3/nvToolsExt.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "tinybert/backend/cuda/allocator.cuh"
#include "tinybert/backend/device.hpp"
#include "tinybert/core/error.hpp"
#include "tinybert/tensor/tensor.hpp"

namespace tinybert::cuda::detail {

inline void check_cuda(cudaError_t status, const char* call, const char* file, int line) {
    if (status != cudaSuccess)
        ::tinybert::detail::fail_at(file, line,
                                    ::tinybert::detail::concat("CUDA error ", cudaGetErrorName(status), " (",
                                                               cudaGetErrorString(status), ") in ", call));
}

inline void check_cublas(cublasStatus_t status, const char* call, const char* file, int line) {
    if (status != CUBLAS_STATUS_SUCCESS)
        ::tinybert::detail::fail_at(file, line,
                                    ::tinybert::detail::concat("cuBLAS error ", cublasGetStatusName(status), " (",
                                                               cublasGetStatusString(status), ") in ", call));
}

}  // namespace tinybert::cuda::detail

// Throw tinybert::Error with file:line and the error string unless the CUDA / cuBLAS call succeeded.
#define TINYBERT_CUDA_CHECK(call) ::tinybert::cuda::detail::check_cuda((call), #call, __FILE__, __LINE__)
#define TINYBERT_CUBLAS_CHECK(call) ::tinybert::cuda::detail::check_cublas((call), #call, __FILE__, __LINE__)
// After a kernel launch: report launch-configuration errors at the launch site.
#define TINYBERT_CUDA_CHECK_LAUNCH() TINYBERT_CUDA_CHECK(cudaGetLastError())

namespace tinybert::cuda {

namespace detail {

// An NVTX range for the lifetime of the object (visible in Nsight Systems; costs nothing without a profiler).
class NvtxRange {
public:
    explicit NvtxRange(const char* name) { nvtxRangePushA(name); }
    ~NvtxRange() { nvtxRangePop(); }
    NvtxRange(const NvtxRange&) = delete;
    NvtxRange& operator=(const NvtxRange&) = delete;
};

}  // namespace detail

#define TINYBERT_NVTX_RANGE_FN() const ::tinybert::cuda::detail::NvtxRange tinybert_nvtx_range_(__func__)

inline constexpr int block_size = 256;  // threads per block of the elementwise kernels
inline constexpr int warp_size = 32;

// Number of blocks of `threads` that cover n items (at least 1).
inline unsigned int grid_for(std::size_t n, int threads = block_size) {
    const std::size_t blocks = (n + static_cast<std::size_t>(threads) - 1) / static_cast<std::size_t>(threads);
    return static_cast<unsigned int>(blocks > 0 ? blocks : 1);
}

// How many CUDA devices this process sees: 0 without a driver or device, with the runtime's reason in `*reason` (when
// given), and the sticky "no device / no driver" error cleared so that later calls are not poisoned by it.
inline int device_count(std::string* reason = nullptr) {
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) {
        (void)cudaGetLastError();
        if (reason) *reason = cudaGetErrorString(status);
        return 0;
    }
    if (reason && count == 0) *reason = "device count 0";
    return count;
}

// True when the CUDA runtime sees at least one device (false without a driver, too).
inline bool device_available() {
    return device_count() > 0;
}

// Makes device `index` current for this host thread (call it before anything else touches the GPU) and returns its
// name; a clear error when no device is visible or the index is out of range.
inline std::string use_device(int index) {
    std::string reason;
    const int count = device_count(&reason);
    TINYBERT_CHECK(count > 0, "cuda:", index, ": no CUDA device is visible (", reason, ")");
    TINYBERT_CHECK(index >= 0 && index < count, "cuda:", index, ": no such device; ", count,
                   " visible (cuda:0 to cuda:", count - 1, ")");
    TINYBERT_CUDA_CHECK(cudaSetDevice(index));
    cudaDeviceProp prop{};
    TINYBERT_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
    return prop.name;
}

namespace detail {

// The flat index of this thread in a 1-D launch.
__device__ inline std::size_t global_index() {
    return blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
}

// dst[i] = value for i < n (any trivially copyable T: float, double, std::int64_t, 16-bit storage types).
template <class T>
__global__ void fill_kernel(T* __restrict__ dst, std::size_t n, T value) {
    const std::size_t i = global_index();
    if (i < n) dst[i] = value;
}

// Owns one cuBLAS handle per host thread (cuBLAS handles must not be shared between threads without care).
class CublasHandle {
public:
    CublasHandle() { TINYBERT_CUBLAS_CHECK(cublasCreate(&handle_)); }
    // At thread/program exit the runtime may already be unloading: a failed destroy is ignored, never thrown.
    ~CublasHandle() { (void)cublasDestroy(handle_); }
    CublasHandle(const CublasHandle&) = delete;
    CublasHandle& operator=(const CublasHandle&) = delete;
    cublasHandle_t get() const { return handle_; }

private:
    cublasHandle_t handle_ = nullptr;
};

}  // namespace detail

namespace detail {
inline cudaStream_t& current_stream_slot() {
    thread_local cudaStream_t stream = nullptr;
    return stream;
}
}  // namespace detail

// The stream this host thread's tinybert work runs on: nullptr (the legacy default stream) unless a StreamScope is
// active. Kernels, cuBLAS, copies and the caching allocator (a block is reused only on its stream) all take it.
inline cudaStream_t current_stream() {
    return detail::current_stream_slot();
}

// Runs this thread's tinybert work on `stream` for the scope's lifetime (as torch.cuda.stream(s)); the previous
// stream is current again afterwards. Tensors used on two streams need BlockCache::record_stream (allocator.cuh).
class StreamScope {
public:
    explicit StreamScope(cudaStream_t stream) : previous_(detail::current_stream_slot()) {
        detail::current_stream_slot() = stream;
    }
    ~StreamScope() { detail::current_stream_slot() = previous_; }
    StreamScope(const StreamScope&) = delete;
    StreamScope& operator=(const StreamScope&) = delete;

private:
    cudaStream_t previous_;
};

// The calling thread's cuBLAS handle, created on first use (default math mode: plain FP32), bound to the current
// stream at each call.
inline cublasHandle_t cublas_handle() {
    thread_local detail::CublasHandle handle;
    TINYBERT_CUBLAS_CHECK(cublasSetStream(handle.get(), current_stream()));
    return handle.get();
}

struct Device {
    static constexpr const char* name = "cuda";
    static constexpr bool is_host = false;

    // Through the caching allocator (allocator.cuh): no driver call once a step's sizes have been seen.
    template <class T>
    static T* allocate(std::size_t n) {
        if (n == 0) return nullptr;
        return static_cast<T*>(BlockCache::instance().allocate(n * sizeof(T), current_stream()));
    }
    // Called from shared_ptr deleters: never throws.
    template <class T>
    static void deallocate(T* p) {
        if (p) BlockCache::instance().deallocate(p);
    }
    template <class T>
    static void copy(T* dst, const T* src, std::size_t n) {
        if (n)
            TINYBERT_CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(T), cudaMemcpyDeviceToDevice, current_stream()));
    }
    template <class T>
    static void fill(T* dst, std::size_t n, T value) {
        static_assert(std::is_trivially_copyable_v<T>, "cuda::Device::fill: T must be trivially copyable");
        if (n == 0) return;
        detail::fill_kernel<<<grid_for(n), block_size, 0, current_stream()>>>(dst, n, value);
        TINYBERT_CUDA_CHECK_LAUNCH();
    }
    // Copies between host memory and the device on the current stream, counted (a training step's tests count
    // them). to_host returns when the values are on the host. from_host returns once the runtime has staged the
    // host values, so the host buffer may be reused; the copy itself runs in stream order, without waiting for earlier
    // work to finish. requires: host_src is pageable memory (page-locked memory would be read asynchronously).
    template <class T>
    static void to_host(T* host_dst, const T* src, std::size_t n) {
        if (n == 0) return;
        ++copies_to_host;
        TINYBERT_CUDA_CHECK(cudaMemcpyAsync(host_dst, src, n * sizeof(T), cudaMemcpyDeviceToHost, current_stream()));
        TINYBERT_CUDA_CHECK(cudaStreamSynchronize(current_stream()));
    }
    template <class T>
    static void from_host(T* dst, const T* host_src, std::size_t n) {
        if (n == 0) return;
        ++copies_from_host;
        TINYBERT_CUDA_CHECK(cudaMemcpyAsync(dst, host_src, n * sizeof(T), cudaMemcpyHostToDevice, current_stream()));
    }
    static inline std::atomic<std::uint64_t> copies_to_host{0}, copies_from_host{0};
    static void synchronize() { TINYBERT_CUDA_CHECK(cudaDeviceSynchronize()); }
};

namespace detail {

// Device math for T = float or double (the float overloads map to the single-precision intrinsics).
__device__ inline float exp_(float x) {
    return expf(x);
}
__device__ inline double exp_(double x) {
    return exp(x);
}
__device__ inline float log_(float x) {
    return logf(x);
}
__device__ inline double log_(double x) {
    return log(x);
}
__device__ inline float erf_(float x) {
    return erff(x);
}
__device__ inline double erf_(double x) {
    return erf(x);
}
__device__ inline float tanh_(float x) {
    return tanhf(x);
}
__device__ inline double tanh_(double x) {
    return tanh(x);
}
__device__ inline float sqrt_(float x) {
    return sqrtf(x);
}
__device__ inline double sqrt_(double x) {
    return sqrt(x);
}
// a·b rounded on its own, never contracted into an FMA with a following add (to match an op that stores a·b)
__device__ inline float mul_rn(float a, float b) {
    return __fmul_rn(a, b);
}
__device__ inline double mul_rn(double a, double b) {
    return __dmul_rn(a, b);
}

// Sum / max over the 32 lanes of a warp; every lane gets the result.
template <class T>
__device__ inline T warp_sum(T v) {
    for (int o = warp_size / 2; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
template <class T>
__device__ inline T warp_max(T v) {
    for (int o = warp_size / 2; o > 0; o /= 2) v = fmax(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over all threads of a block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
template <class T>
__device__ inline T block_sum(T v) {
    __shared__ T partial[warp_size];
    const int lane = static_cast<int>(threadIdx.x) % warp_size;
    const int warp = static_cast<int>(threadIdx.x) / warp_size;
    const int warps = static_cast<int>(blockDim.x) / warp_size;
    v = warp_sum(v);
    __syncthreads();  // partial may still be read by a previous call
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    v = lane < warps ? partial[lane] : T{};
    return warp_sum(v);
}

template <class T>
constexpr void check_float_type() {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "tinybert::cuda kernels take float or double");
}

}  // namespace detail

}  // namespace tinybert::cuda
