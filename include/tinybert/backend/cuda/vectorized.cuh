// tinybert/backend/cuda/vectorized.cuh: one elementwise kernel with 128-bit loads and stores, which the elementwise,
// dropout and 16-bit conversion launchers share. map<Accumulate>(n, f, out, in...) computes, for i < n,
//   out[i] = f(i, in[i]...)      or, with Accumulate,   out[i] += f(i, in[i]...)
// Each thread handles one pack of V consecutive elements, V = 16 bytes / the widest element type (4 floats, 2
// doubles), with one vector load per operand and one vector store, when every pointer is aligned to its pack; else
// V = 1. The arithmetic per element is f's either way, so the numbers do not depend on V.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "tinybert/backend/cuda/device.cuh"

namespace tinybert::cuda::detail {

// V consecutive elements of T, aligned so that one access moves all V·sizeof(T) (≤ 16) bytes
template <class T, int V>
struct alignas(sizeof(T) * static_cast<std::size_t>(V)) Pack {
    T v[static_cast<std::size_t>(V)];
};

template <int V, class T>
__device__ inline Pack<T, V> load_pack(const T* p) {
    return *reinterpret_cast<const Pack<T, V>*>(p);
}

template <int V, class T>
__device__ inline void store_pack(T* p, const Pack<T, V>& x) {
    *reinterpret_cast<Pack<T, V>*>(p) = x;
}

// out[first + k] (+)= f(first + k, x.v[k]...) for k < V, with the packs x already loaded
template <int V, bool Accumulate, class F, class Out, class... In>
__device__ inline void map_pack(std::size_t first, const F& f, Out* out, const Pack<In, V>&... x) {
    Pack<Out, V> o;
    if constexpr (Accumulate) o = load_pack<V>(out + first);
#pragma unroll
    for (int k = 0; k < V; ++k) {
        const Out y = f(first + static_cast<std::size_t>(k), x.v[k]...);
        if constexpr (Accumulate)
            o.v[k] += y;
        else
            o.v[k] = y;
    }
    store_pack(out + first, o);
}

// Thread t handles elements [t·V, t·V + V) ∩ [0, n): one pack when all V are in range, element by element at the tail.
template <int V, bool Accumulate, class F, class Out, class... In>
__global__ void map_kernel(std::size_t n, F f, Out* __restrict__ out, const In* __restrict__... in) {
    const std::size_t first = global_index() * V;
    if (first >= n) return;
    if (first + V <= n) return map_pack<V, Accumulate>(first, f, out, load_pack<V>(in + first)...);
    for (std::size_t i = first; i < n; ++i) {
        const Out y = f(i, in[i]...);
        if constexpr (Accumulate)
            out[i] += y;
        else
            out[i] = y;
    }
}

// Whether p can be read in packs of V elements (p is aligned to V·sizeof(T) bytes)
template <class T>
bool pack_aligned(const T* p, int v) {
    return reinterpret_cast<std::uintptr_t>(p) % (sizeof(T) * static_cast<std::size_t>(v)) == 0;
}

// out[i] (+)= f(i, in[i]...) for i < n on the current stream; f is a device functor taking (std::size_t, In...).
template <bool Accumulate, class F, class Out, class... In>
void map(std::size_t n, const F& f, Out* out, const In*... in) {
    constexpr int V = static_cast<int>(16 / std::max({sizeof(Out), sizeof(In)...}));
    static_assert(V >= 1 && (V & (V - 1)) == 0, "cuda::detail::map: element types wider than 16 bytes");
    if (n == 0) return;
    if (pack_aligned(out, V) && (pack_aligned(in, V) && ...)) {
        const std::size_t threads = (n + static_cast<std::size_t>(V) - 1) / static_cast<std::size_t>(V);
        map_kernel<V, Accumulate><<<grid_for(threads), block_size, 0, current_stream()>>>(n, f, out, in...);
    } else {
        map_kernel<1, Accumulate><<<grid_for(n), block_size, 0, current_stream()>>>(n, f, out, in...);
    }
    TINYBERT_CUDA_CHECK_LAUNCH();
}

}  // namespace tinybert::cuda::detail
