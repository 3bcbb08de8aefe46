// tinybert/backend/cuda/allocator.cuh: a caching allocator for device memory (the idea of PyTorch's, much smaller).
// cudaMalloc is slow and cudaFree synchronises the whole device, so a tensor freed on the host would stall the GPU
// pipeline on every temporary. Freed blocks are kept by size (rounded up to 512 bytes) and handed out again; a
// training step allocates the same sizes every step, so after the first step no call reaches the driver.
// Safe without stream bookkeeping because all work runs on the legacy default stream: a block freed on the host while
// kernels still use it is only reused by work queued after those kernels. When cudaMalloc runs out of memory, every
// cached block is released and the allocation retried. TINYBERT_CUDA_NO_CACHE=1 in the environment bypasses the
// cache (each block straight back to cudaFree), so that compute-sanitizer sees every use after free.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "tinybert/core/error.hpp"

namespace tinybert::cuda {

class BlockCache {
public:
    static constexpr std::size_t granularity = 512;

    // The program's cache: never destroyed, so tensors freed during static destruction stay safe (at exit the
    // driver takes back whatever is still cached).
    static BlockCache& instance() {
        static BlockCache* cache = new BlockCache;
        return *cache;
    }

    void* allocate(std::size_t bytes) {
        const std::size_t size = round_up(bytes);
        const std::lock_guard<std::mutex> lock(m_);
        if (enabled_) {
            auto it = free_.find(size);
            if (it != free_.end() && !it->second.empty()) {
                void* p = it->second.back();
                it->second.pop_back();
                cached_ -= size;
                live_.emplace(p, size);
                note_peak();
                return p;
            }
        }
        void* p = nullptr;
        cudaError_t status = cudaMalloc(&p, size);
        if (status == cudaErrorMemoryAllocation && cached_ > 0) {
            (void)cudaGetLastError();
            release_cached();
            status = cudaMalloc(&p, size);
        }
        if (status != cudaSuccess) {
            (void)cudaGetLastError();
            TINYBERT_FAIL("cuda: cannot allocate ", bytes, " bytes on the device (", cudaGetErrorString(status), "; ",
                          reserved_ - cached_, " bytes in tensors, ", cached_, " cached)");
        }
        live_.emplace(p, size);
        reserved_ += size;
        note_peak();
        return p;
    }

    // Called from shared_ptr deleters: never throws.
    void deallocate(void* p) noexcept {
        const std::lock_guard<std::mutex> lock(m_);
        const auto it = live_.find(p);
        if (it == live_.end()) return;  // not ours: nothing to do (cannot happen through Tensor)
        const std::size_t size = it->second;
        live_.erase(it);
        if (!enabled_) {
            reserved_ -= size;
            (void)cudaFree(p);
            return;
        }
        free_[size].push_back(p);
        cached_ += size;
    }

    // Gives every cached (free) block back to the driver, as torch.cuda.empty_cache().
    void empty_cache() {
        const std::lock_guard<std::mutex> lock(m_);
        release_cached();
    }
    // False under TINYBERT_CUDA_NO_CACHE=1.
    bool caching() const { return enabled_; }
    // Bytes held by tensors / kept for reuse.
    std::size_t bytes_in_use() const {
        const std::lock_guard<std::mutex> lock(m_);
        return reserved_ - cached_;
    }
    std::size_t bytes_cached() const {
        const std::lock_guard<std::mutex> lock(m_);
        return cached_;
    }
    // The most bytes held by tensors / obtained from cudaMalloc at any one time since the start (torch's
    // max_memory_allocated / max_memory_reserved, in rounded block sizes).
    std::size_t peak_bytes_in_use() const {
        const std::lock_guard<std::mutex> lock(m_);
        return peak_in_use_;
    }
    std::size_t peak_bytes_reserved() const {
        const std::lock_guard<std::mutex> lock(m_);
        return peak_reserved_;
    }

private:
    BlockCache() {
        const char* off = std::getenv("TINYBERT_CUDA_NO_CACHE");
        enabled_ = !(off && *off && *off != '0');
    }
    static std::size_t round_up(std::size_t bytes) { return (bytes + granularity - 1) / granularity * granularity; }

    // requires: m_ held
    void note_peak() {
        peak_in_use_ = std::max(peak_in_use_, reserved_ - cached_);
        peak_reserved_ = std::max(peak_reserved_, reserved_);
    }

    // requires: m_ held
    void release_cached() {
        (void)cudaDeviceSynchronize();
        for (auto& [size, blocks] : free_) {
            for (void* p : blocks) (void)cudaFree(p);
            reserved_ -= size * blocks.size();
            blocks.clear();
        }
        cached_ = 0;
    }

    mutable std::mutex m_;
    bool enabled_ = true;
    std::unordered_map<std::size_t, std::vector<void*>> free_;  // rounded size -> free blocks
    std::unordered_map<void*, std::size_t> live_;               // block -> rounded size, for blocks handed out
    std::size_t reserved_ = 0;                                  // bytes obtained from cudaMalloc, cached ones included
    std::size_t cached_ = 0;                                    // of those, bytes in free_
    std::size_t peak_in_use_ = 0, peak_reserved_ = 0;           // the largest reserved_ - cached_ and reserved_
};

}  // namespace tinybert::cuda
