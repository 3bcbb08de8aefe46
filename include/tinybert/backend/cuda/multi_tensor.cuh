// tinybert/backend/cuda/multi_tensor.cuh: the whole-model kernels on the GPU (types in backend/multi_tensor.hpp),
// each one launch over every tensor of a list instead of one per parameter: the sum of squares (the global gradient
// norm: one read-back per call), in-place scaling (clipping, averaging, fp16 unscaling) and one AdamW step.
//
// The tensors are cut into chunks of at most chunk_elements; one block runs one chunk. The chunk table (pointers and
// lengths) lives on the device and is uploaded only when it differs from the last one this thread used for that
// kernel: parameters, moments and gradients keep their storage from step to step, so a training run uploads each
// table once. The sum of squares adds each chunk in double and then the chunks in order: deterministic. Scaling and
// AdamW move 16-byte packs where a chunk's tensors are aligned (allocator tensors are), element by element otherwise;
// the arithmetic per element is the same either way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tinybert/backend/cuda/adamw.cuh"
#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/backend/cuda/reduce.cuh"
#include "tinybert/backend/cuda/vectorized.cuh"
#include "tinybert/backend/multi_tensor.hpp"

namespace tinybert::cuda {

namespace detail {

inline constexpr std::size_t chunk_elements = std::size_t{1} << 16;

// A chunk of up to 4 tensors of equal length, at the same offset in each (AdamW: p, g, m, v; the others: one).
template <class T>
struct Chunk {
    T* ptr[4];
    std::size_t n;
    int flag;  // AdamW: 1 when weight decay applies
};

// The device copy of a chunk table, re-uploaded when the host table or the current stream changes (one cache per
// kernel and type; a new stream gets its own block, so the allocator's per-stream reuse stays safe).
template <class T>
class ChunkTable {
public:
    const Chunk<T>* upload(const std::vector<Chunk<T>>& chunks) {
        const std::size_t bytes = chunks.size() * sizeof(Chunk<T>);
        if (chunks.size() != host_.size() || std::memcmp(chunks.data(), host_.data(), bytes) != 0 ||
            stream_ != current_stream()) {
            host_ = chunks;
            stream_ = current_stream();
            device_ = Tensor<std::byte, Device>::empty(Shape{static_cast<std::int64_t>(bytes)});
            Device::from_host(device_.data(), reinterpret_cast<const std::byte*>(host_.data()), bytes);
        }
        return reinterpret_cast<const Chunk<T>*>(device_.data());
    }

private:
    std::vector<Chunk<T>> host_;
    Tensor<std::byte, Device> device_;
    cudaStream_t stream_ = nullptr;
};

// Appends the chunks of tensors of n elements at ptrs[0..k) (flag copied into each chunk).
template <class T>
void add_chunks(std::vector<Chunk<T>>& chunks, std::size_t n, std::initializer_list<T*> ptrs, int flag = 0) {
    for (std::size_t begin = 0; begin < n; begin += chunk_elements) {
        Chunk<T> c{{nullptr, nullptr, nullptr, nullptr}, n - begin < chunk_elements ? n - begin : chunk_elements, flag};
        int j = 0;
        for (T* p : ptrs) c.ptr[j++] = p + begin;
        chunks.push_back(c);
    }
}

template <class T>
std::vector<Chunk<T>> chunks_of(const TensorList<T, Device>& tensors) {
    std::vector<Chunk<T>> chunks;
    for (Tensor<T, Device>* t : tensors) add_chunks<T>(chunks, t->numel(), {t->data()});
    return chunks;
}

// partial[c] = Σ chunk c's x², in double
template <class T>
__global__ void multi_sum_squares_kernel(double* __restrict__ partial, const Chunk<T>* __restrict__ chunks) {
    const Chunk<T> c = chunks[blockIdx.x];
    double sum = 0;
    for (std::size_t i = threadIdx.x; i < c.n; i += blockDim.x) {
        const auto v = static_cast<double>(c.ptr[0][i]);
        sum += v * v;
    }
    sum = block_sum(sum);
    if (threadIdx.x == 0) partial[blockIdx.x] = sum;
}

// Elements per 16-byte pack of T, and whether the first `count` pointers of chunk c can be read in such packs
// (aligned, and the chunk a whole number of packs; chunks start at multiples of chunk_elements)
template <class T>
inline constexpr int chunk_pack = static_cast<int>(16 / sizeof(T));
template <class T>
__device__ inline bool packed(const Chunk<T>& c, int count) {
    std::uintptr_t bits = c.n % static_cast<std::size_t>(chunk_pack<T>);
    for (int j = 0; j < count; ++j) bits |= reinterpret_cast<std::uintptr_t>(c.ptr[j]) % 16;
    return bits == 0;
}

// x ← alpha · x over chunk c, V elements per thread and step
template <int V, class T>
__device__ inline void scale_chunk(const Chunk<T>& c, T alpha) {
    for (std::size_t i = threadIdx.x * static_cast<std::size_t>(V); i < c.n;
         i += blockDim.x * static_cast<std::size_t>(V)) {
        Pack<T, V> x = load_pack<V>(c.ptr[0] + i);
#pragma unroll
        for (int j = 0; j < V; ++j) x.v[j] *= alpha;
        store_pack(c.ptr[0] + i, x);
    }
}

template <class T>
__global__ void multi_scale_kernel(const Chunk<T>* __restrict__ chunks, T alpha) {
    const Chunk<T> c = chunks[blockIdx.x];
    if (packed(c, 1))
        scale_chunk<chunk_pack<T>>(c, alpha);
    else
        scale_chunk<1>(c, alpha);
}

// One AdamW step over chunk c (p, g, m, v), V elements per thread and step: adamw_element on each
template <int V, class T>
__device__ inline void adamw_chunk(const Chunk<T>& c, T decay, const AdamWScalars<T>& k) {
    for (std::size_t i = threadIdx.x * static_cast<std::size_t>(V); i < c.n;
         i += blockDim.x * static_cast<std::size_t>(V)) {
        Pack<T, V> p = load_pack<V>(c.ptr[0] + i), m = load_pack<V>(c.ptr[2] + i), v = load_pack<V>(c.ptr[3] + i);
        const Pack<T, V> g = load_pack<V>(c.ptr[1] + i);
#pragma unroll
        for (int j = 0; j < V; ++j) adamw_element(p.v[j], g.v[j], m.v[j], v.v[j], decay, k);
        store_pack(c.ptr[0] + i, p);
        store_pack(c.ptr[2] + i, m);
        store_pack(c.ptr[3] + i, v);
    }
}

template <class T>
__global__ void multi_adamw_kernel(const Chunk<T>* __restrict__ chunks, AdamWScalars<T> k) {
    const Chunk<T> c = chunks[blockIdx.x];
    const T decay = c.flag ? k.decay : T{1};
    if (packed(c, 4))
        adamw_chunk<chunk_pack<T>>(c, decay, k);
    else
        adamw_chunk<1>(c, decay, k);
}

}  // namespace detail

// ----------------------------------------------------------------------------------------------------------------
// kernel launchers

// Σ over the tensors of Σ t_i², in double: two launches and one read-back whatever the number of tensors
template <class T>
double sum_squares(const TensorList<T, Device>& tensors) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    const std::vector<detail::Chunk<T>> chunks = detail::chunks_of(tensors);
    if (chunks.empty()) return 0.0;
    thread_local detail::ChunkTable<T> table;
    const detail::Chunk<T>* device_chunks = table.upload(chunks);
    auto partial = Tensor<double, Device>::empty(Shape{static_cast<std::int64_t>(chunks.size()) + 1});
    const auto blocks = static_cast<unsigned int>(chunks.size());
    detail::multi_sum_squares_kernel<<<blocks, block_size, 0, current_stream()>>>(partial.data(), device_chunks);
    TINYBERT_CUDA_CHECK_LAUNCH();
    detail::sum_kernel<<<1, detail::sum_squares_max_blocks, 0, current_stream()>>>(partial.data() + chunks.size(),
                                                                                   partial.data(), chunks.size());
    TINYBERT_CUDA_CHECK_LAUNCH();
    double result = 0;
    Device::to_host(&result, partial.data() + chunks.size(), 1);
    return result;
}

// every t ← alpha · t, in one launch
template <class T>
void scale_inplace(const TensorList<T, Device>& tensors, T alpha) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    const std::vector<detail::Chunk<T>> chunks = detail::chunks_of(tensors);
    if (chunks.empty()) return;
    thread_local detail::ChunkTable<T> table;
    detail::multi_scale_kernel<<<static_cast<unsigned int>(chunks.size()), block_size, 0, current_stream()>>>(
        table.upload(chunks), alpha);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// One AdamW step of every listed parameter in one launch: each element as cuda::adamw_update computes it.
template <class T>
void adamw_update(const std::vector<AdamWTensors<T, Device>>& params, T lr, T beta1, T beta2, T eps, T weight_decay,
                  std::int64_t step) {
    TINYBERT_NVTX_RANGE_FN();
    detail::check_float_type<T>();
    TINYBERT_CHECK(step >= 1, "cuda::adamw_update: step must be >= 1, got ", step);
    std::vector<detail::Chunk<T>> chunks;
    for (const AdamWTensors<T, Device>& p : params) {
        check_same_shape(*p.param, *p.grad, "cuda::adamw_update (grad)");
        check_same_shape(*p.param, *p.m, "cuda::adamw_update (m)");
        check_same_shape(*p.param, *p.v, "cuda::adamw_update (v)");
        detail::add_chunks<T>(chunks, p.param->numel(),
                              {p.param->data(), const_cast<T*>(p.grad->data()), p.m->data(), p.v->data()},
                              p.decay ? 1 : 0);
    }
    if (chunks.empty()) return;
    thread_local detail::ChunkTable<T> table;
    detail::multi_adamw_kernel<<<static_cast<unsigned int>(chunks.size()), block_size, 0, current_stream()>>>(
        table.upload(chunks), AdamWScalars<T>::make(lr, beta1, beta2, eps, weight_decay, step));
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace tinybert::cuda
