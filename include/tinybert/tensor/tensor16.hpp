// tinybert/tensor/tensor16.hpp: Tensor16<Device>, a float tensor rounded once to the 16 bits a bf16 or fp16 GEMM
// reads (the copy PyTorch autocast casts before each matmul). A linear layer keeps its input and weight in this form
// for the backward GEMMs, in half the bytes of the float tensor, and the GEMMs read it without converting again.
// backend/<device>/gemm16 makes one (to_16bit) and multiplies two (gemm16).
#pragma once

#include <cstdint>

#include "tinybert/core/precision.hpp"
#include "tinybert/tensor/tensor.hpp"

namespace tinybert {

template <class Device = Cpu>
struct Tensor16 {
    Tensor<std::uint16_t, Device> bits;  // the float tensor's shape: bfloat16 or IEEE half bit patterns
    bool half = false;                   // IEEE half (fp16), else bfloat16

    const Shape& shape() const { return bits.shape(); }
};

// A GELU's two 16-bit tensors in a bf16/fp16 feed-forward block (ops/feed_forward.hpp): its input h, which backward
// differentiates at, and its output, the next GEMM's operand (`input` is empty when no backward needs it).
template <class Device = Cpu>
struct Gelu16 {
    Tensor16<Device> input, output;
};

// f as the 16 bits of a Tensor16 (IEEE half when `half`, else bfloat16), rounded to nearest even; and back, exactly
TINYBERT_HOST_DEVICE inline std::uint16_t to_16bit_value(float f, bool half) {
    return half ? detail::float_to_f16_bits(f) : detail::float_to_bf16_bits(f);
}
TINYBERT_HOST_DEVICE inline float from_16bit_value(std::uint16_t bits, bool half) {
    return half ? detail::f16_bits_to_float(bits) : detail::bf16_bits_to_float(bits);
}

// The GEMM precisions whose inputs are 16-bit.
constexpr bool is_16bit(Precision p) {
    return p == Precision::bf16 || p == Precision::fp16;
}

}  // namespace tinybert
