// tinybert/backend/cuda/feed_forward.cuh: the two GELU passes of the bf16/fp16 feed-forward op (ops/feed_forward.hpp)
// on the GPU, each one pass over its (N,I) input where the separate ops take three:
//   forward:  h (float) -> h and GELU(h) in 16 bits (GELU's float output is never stored);
//   backward: dy (float), h (16 bits) -> dh = dy·GELU'(h) in 16 bits and the bias gradient's column sums (the float dh
//             is never stored).
// The arithmetic per element is elementwise.cuh's (Gelu, GeluGrad) and the rounding to_16bit_value, the sums
// column_sum_accumulate's order: bitwise the separate kernels' results. Shapes: (N,I), the bias gradient (I).
#pragma once

#include <cstddef>
#include <cstdint>

#include "tinybert/backend/cuda/elementwise.cuh"
#include "tinybert/backend/cuda/reduce.cuh"
#include "tinybert/backend/cuda/vectorized.cuh"
#include "tinybert/tensor/tensor16.hpp"

namespace tinybert::cuda {

namespace detail {

// h16[i] = h[i], y16[i] = GELU(h[i]), both in 16 bits, i < n (h16 may be null); V elements per thread
template <int V>
__global__ void gelu_to_16bit_kernel(std::uint16_t* __restrict__ h16, std::uint16_t* __restrict__ y16,
                                     const float* __restrict__ h, std::size_t n, bool half) {
    const std::size_t first = global_index() * V;
    if (first >= n) return;
    const auto convert = [half](float x) { return to_16bit_value(x, half); };
    if (first + V <= n) {
        const Pack<float, V> x = load_pack<V>(h + first);
        Pack<std::uint16_t, V> hx, yx;
#pragma unroll
        for (int k = 0; k < V; ++k) hx.v[k] = convert(x.v[k]), yx.v[k] = convert(Gelu<float>{}(0, x.v[k]));
        if (h16) store_pack(h16 + first, hx);
        store_pack(y16 + first, yx);
        return;
    }
    for (std::size_t i = first; i < n; ++i) {
        if (h16) h16[i] = convert(h[i]);
        y16[i] = convert(Gelu<float>{}(i, h[i]));
    }
}

// 0 + dy[at] · GELU'(h[at]), h in 16 bits: the value to_16bit_column_sum rounds and sums. The 0 + is the separate
// op's accumulation into its zeroed gradient, which turns a −0 product into +0 (and so into the same 16 bits).
struct GeluGradAt {
    const float* dy;
    const std::uint16_t* h;
    bool half;
    __device__ float operator()(std::size_t at) const { return 0.f + GeluGrad<float>{half}(at, dy[at], h[at]); }
};

}  // namespace detail

// h (N,I) float -> h (when keep_input) and GELU(h), each rounded to bf16 (or IEEE half), in one pass over h
inline Gelu16<Device> gelu_to_16bit(const Tensor<float, Device>& h, bool half, bool keep_input) {
    TINYBERT_NVTX_RANGE_FN();
    Gelu16<Device> out{
        keep_input ? Tensor16<Device>{Tensor<std::uint16_t, Device>::empty(h.shape()), half} : Tensor16<Device>{},
        Tensor16<Device>{Tensor<std::uint16_t, Device>::empty(h.shape()), half}};
    const std::size_t n = h.numel();
    if (n == 0) return out;
    std::uint16_t* h16 = keep_input ? out.input.bits.data() : nullptr;
    std::uint16_t* y16 = out.output.bits.data();
    constexpr int V = 4;  // 16 bytes of h, 8 of each 16-bit output
    const bool packed = detail::pack_aligned(h.data(), V) && detail::pack_aligned(y16, V) &&
                        (h16 == nullptr || detail::pack_aligned(h16, V));
    if (packed)
        detail::gelu_to_16bit_kernel<V>
            <<<grid_for((n + V - 1) / V), block_size, 0, current_stream()>>>(h16, y16, h.data(), n, half);
    else
        detail::gelu_to_16bit_kernel<1><<<grid_for(n), block_size, 0, current_stream()>>>(h16, y16, h.data(), n, half);
    TINYBERT_CUDA_CHECK_LAUNCH();
    return out;
}

// dh = dy · GELU'(h) (N,I), h the 16-bit input, returned rounded to 16 bits; dbias (I) += Σ_rows dh (the float dh)
// when non-null; one pass over dy and h
inline Tensor16<Device> gelu_backward_to_16bit(const Tensor<float, Device>& dy, const Tensor16<Device>& h,
                                               Tensor<float, Device>* dbias) {
    TINYBERT_NVTX_RANGE_FN();
    TINYBERT_CHECK(dy.shape() == h.shape(), "cuda::gelu_backward_to_16bit: dy ", dy.shape().str(), " for input ",
                   h.shape().str());
    return to_16bit_column_sum(dy.shape(), h.half, dbias, detail::GeluGradAt{dy.data(), h.bits.data(), h.half});
}

}  // namespace tinybert::cuda
