// tinybert/backend/device.hpp: device types. A device is a type with one member set (Eigen's DefaultDevice shape):
//   allocate<T>(n) / deallocate(p) / copy(dst, src, n) / fill(dst, n, v) / to_host / from_host / synchronize().
// Tensor<T, Device> and every kernel overload are picked at compile time from it: no virtual calls, no run-time
// dispatch. Kernels for Cpu live in namespace tinybert::cpu, for Cuda in tinybert::cuda; ops call them unqualified
// and argument-dependent lookup finds the right namespace through the device type of the tensors.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <type_traits>
#include <unordered_map>

namespace tinybert {

namespace cpu {

// A cache of freed blocks by exact byte size: a training step allocates the same activation and gradient sizes every
// step, and handing them back avoids a fresh mmap, page faults and zeroing by the kernel each time. Each block carries
// its size in a 64-byte header. At most `limit` bytes are kept; the rest goes back to the system. The cache lives for
// the whole program (never destroyed, so tensors freed during static destruction stay safe). Under AddressSanitizer
// it keeps nothing, so use-after-free of a tensor's storage is still caught. It counts the bytes held by tensors and
// their peak (torch.cuda's memory_allocated / max_memory_allocated, for the CPU).
class BlockCache {
public:
    static constexpr std::size_t header = 64;
    static constexpr std::size_t limit = std::size_t{1} << 31;

    static BlockCache& instance() {
        static BlockCache* cache = new BlockCache;
        return *cache;
    }
    void* allocate(std::size_t bytes) {
        {
            const std::lock_guard<std::mutex> lock(m_);
            in_use_ += bytes;
            peak_in_use_ = std::max(peak_in_use_, in_use_);
            const auto it = free_.find(bytes);
            if (it != free_.end()) {
                void* p = it->second;
                free_.erase(it);
                cached_ -= bytes;
                return p;
            }
        }
        auto* base = static_cast<std::byte*>(::operator new(bytes + header, std::align_val_t{64}));
        *reinterpret_cast<std::size_t*>(base) = bytes;
        return base + header;
    }
    void deallocate(void* p) {
        auto* base = static_cast<std::byte*>(p) - header;
        const std::size_t bytes = *reinterpret_cast<std::size_t*>(base);
        {
            const std::lock_guard<std::mutex> lock(m_);
            in_use_ -= bytes;
            if (!sanitized && cached_ + bytes <= limit) {
                free_.emplace(bytes, p);
                cached_ += bytes;
                return;
            }
        }
        ::operator delete(base, std::align_val_t{64});
    }
    // Bytes held by tensors now / at most since the start or the last reset_peak().
    std::size_t bytes_in_use() const {
        const std::lock_guard<std::mutex> lock(m_);
        return in_use_;
    }
    std::size_t peak_bytes_in_use() const {
        const std::lock_guard<std::mutex> lock(m_);
        return peak_in_use_;
    }
    // Start a new peak from what is held now (torch.cuda.reset_peak_memory_stats).
    void reset_peak() {
        const std::lock_guard<std::mutex> lock(m_);
        peak_in_use_ = in_use_;
    }

private:
#if defined(__SANITIZE_ADDRESS__)
    static constexpr bool sanitized = true;
#else
    static constexpr bool sanitized = false;
#endif

    mutable std::mutex m_;
    std::unordered_multimap<std::size_t, void*> free_;
    std::size_t cached_ = 0, in_use_ = 0, peak_in_use_ = 0;
};

struct Device {
    static constexpr const char* name = "cpu";
    static constexpr bool is_host = true;

    template <class T>
    static T* allocate(std::size_t n) {
        if (n == 0) return nullptr;
        return static_cast<T*>(BlockCache::instance().allocate(n * sizeof(T)));
    }
    template <class T>
    static void deallocate(T* p) {
        if (p) BlockCache::instance().deallocate(p);
    }
    template <class T>
    static void copy(T* dst, const T* src, std::size_t n) {
        if (n) std::memcpy(dst, src, n * sizeof(T));
    }
    // Large fills (zeroed gradients, every step) are split over the OpenMP threads.
    template <class T>
    static void fill(T* dst, std::size_t n, T value) {
        constexpr std::size_t chunk = std::size_t{1} << 15;
        if (n <= chunk) return std::fill(dst, dst + n, value);
        const auto chunks = static_cast<std::int64_t>((n + chunk - 1) / chunk);
#pragma omp parallel for schedule(static)
        for (std::int64_t c = 0; c < chunks; ++c) {
            const std::size_t begin = static_cast<std::size_t>(c) * chunk;
            std::fill(dst + begin, dst + std::min(n, begin + chunk), value);
        }
    }
    // Host <-> this device: on the CPU these are plain copies.
    template <class T>
    static void to_host(T* host_dst, const T* src, std::size_t n) {
        copy(host_dst, src, n);
    }
    template <class T>
    static void from_host(T* dst, const T* host_src, std::size_t n) {
        copy(dst, host_src, n);
    }
    static void synchronize() {}
};

}  // namespace cpu

namespace cuda {
struct Device;  // defined in tinybert/backend/cuda/device.cuh, only in nvcc translation units
}

using Cpu = cpu::Device;
using Cuda = cuda::Device;

}  // namespace tinybert
