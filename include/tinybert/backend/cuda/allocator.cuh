// tinybert/backend/cuda/allocator.cuh: a caching allocator for device memory (the idea of PyTorch's, much smaller).
// cudaMalloc is slow and cudaFree synchronises the whole device, so a tensor freed on the host would stall the GPU
// pipeline on every temporary. Freed blocks are kept by size (rounded up to 512 bytes) and handed out again; a
// training step allocates the same sizes every step, so after the first step no call reaches the driver.
// Streams (as PyTorch's allocator): a block belongs to the stream that was current when it was allocated
// (cuda::current_stream(), device.cuh) and is handed out again only to work on that stream, which the stream orders
// after every earlier use. A block that work on another stream also used must be announced with record_stream(p, s):
// when it is freed, an event is recorded on each such stream and the block waits until they have passed. When
// cudaMalloc runs out of memory, every cached block is released and the allocation retried. TINYBERT_CUDA_NO_CACHE=1
// in the environment bypasses the cache (each block straight back to cudaFree), so that compute-sanitizer sees every
// use after free.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>
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

    // A block of at least `bytes` for work on `stream`.
    void* allocate(std::size_t bytes, cudaStream_t stream) {
        const std::size_t size = round_up(bytes);
        const std::lock_guard<std::mutex> lock(m_);
        if (enabled_) {
            collect_pending();
            auto it = free_.find({stream, size});
            if (it != free_.end() && !it->second.empty()) {
                void* p = it->second.back();
                it->second.pop_back();
                cached_ -= size;
                live_.emplace(p, Block{size, stream, {}});
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
        live_.emplace(p, Block{size, stream, {}});
        reserved_ += size;
        note_peak();
        return p;
    }

    // Called from shared_ptr deleters: never throws.
    void deallocate(void* p) noexcept {
        const std::lock_guard<std::mutex> lock(m_);
        const auto it = live_.find(p);
        if (it == live_.end()) return;  // not ours: nothing to do (cannot happen through Tensor)
        Block block = std::move(it->second);
        live_.erase(it);
        if (!enabled_) {
            reserved_ -= block.size;
            (void)cudaFree(p);
            return;
        }
        cached_ += block.size;
        if (block.other_streams.empty()) {
            free_[{block.stream, block.size}].push_back(p);
            return;
        }
        Pending pending{p, block.size, block.stream, {}};
        for (cudaStream_t s : block.other_streams) {
            cudaEvent_t event = nullptr;
            if (cudaEventCreateWithFlags(&event, cudaEventDisableTiming) != cudaSuccess ||
                cudaEventRecord(event, s) != cudaSuccess) {
                (void)cudaGetLastError();
                (void)cudaStreamSynchronize(s);  // no event: wait here instead
                if (event) (void)cudaEventDestroy(event);
                continue;
            }
            pending.events.push_back(event);
        }
        pending_.push_back(std::move(pending));
    }

    // Work on `stream` uses the block at p (allocated on another stream): it is reused only after that work.
    void record_stream(void* p, cudaStream_t stream) {
        const std::lock_guard<std::mutex> lock(m_);
        const auto it = live_.find(p);
        TINYBERT_CHECK(it != live_.end(), "cuda::BlockCache::record_stream: not a live block");
        Block& b = it->second;
        if (stream != b.stream &&
            std::find(b.other_streams.begin(), b.other_streams.end(), stream) == b.other_streams.end())
            b.other_streams.push_back(stream);
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
    struct Block {
        std::size_t size;
        cudaStream_t stream;                      // where it was allocated: reused only there
        std::vector<cudaStream_t> other_streams;  // record_stream
    };
    // A freed block waiting for the events recorded on the other streams that used it.
    struct Pending {
        void* p;
        std::size_t size;
        cudaStream_t stream;
        std::vector<cudaEvent_t> events;
    };

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

    // Moves the pending blocks whose events have all passed into free_. requires: m_ held
    void collect_pending() {
        for (auto it = pending_.begin(); it != pending_.end();) {
            const bool passed = std::all_of(it->events.begin(), it->events.end(),
                                            [](cudaEvent_t e) { return cudaEventQuery(e) == cudaSuccess; });
            if (!passed) {
                (void)cudaGetLastError();  // cudaErrorNotReady is not sticky; clear it anyway
                ++it;
                continue;
            }
            for (cudaEvent_t e : it->events) (void)cudaEventDestroy(e);
            free_[{it->stream, it->size}].push_back(it->p);
            it = pending_.erase(it);
        }
    }

    // requires: m_ held
    void release_cached() {
        (void)cudaDeviceSynchronize();
        collect_pending();
        for (auto& [key, blocks] : free_) {
            for (void* p : blocks) (void)cudaFree(p);
            reserved_ -= key.second * blocks.size();
            blocks.clear();
        }
        cached_ = 0;
    }

    mutable std::mutex m_;
    bool enabled_ = true;
    std::map<std::pair<cudaStream_t, std::size_t>, std::vector<void*>> free_;  // (stream, rounded size) -> blocks
    std::vector<Pending> pending_;                                             // freed, cached_ counts them
    std::unordered_map<void*, Block> live_;                                    // blocks handed out
    std::size_t reserved_ = 0;                         // bytes obtained from cudaMalloc, cached ones included
    std::size_t cached_ = 0;                           // of those, bytes in free_
    std::size_t peak_in_use_ = 0, peak_reserved_ = 0;  // the largest reserved_ - cached_ and reserved_
};

}  // namespace tinybert::cuda
