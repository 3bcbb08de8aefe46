// tinybert/core/precision.hpp: the precision policy of float GEMMs (PyTorch's autocast / allow_tf32 role).
//   fp32: float inputs, float accumulation (the default; parity with transformers' fp32 runs).
//   tf32: inputs rounded to 10 mantissa bits (TF32 tensor cores), float accumulation.
//   bf16: inputs rounded to bfloat16 (8 significant bits), float accumulation and float outputs.
//   fp16: inputs rounded to IEEE half (11 significant bits, overflow to inf), float accumulation and outputs; train
//         with a LossScaler (train/loss_scaler.hpp), as PyTorch pairs fp16 autocast with a GradScaler.
// Only the GEMM inputs change: parameters (the fp32 master weights), activations between ops, LayerNorm and softmax
// statistics, losses, the gradient norm and the AdamW moments stay float. Every float GEMM of both backends (linear
// layers, attention products, matmul) reads the process-wide setting at each call; double GEMMs ignore it. On the
// GPU bf16/fp16 GEMMs run on tensor cores (cuBLAS, 16-bit A/B, fp32 C and compute); on the CPU the same rounding is
// applied before the fp32 GEMM, so CPU tests see the GPU's numerics (not its speed).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

#include "tinybert/core/dtype.hpp"

namespace tinybert {

enum class Precision : std::uint8_t { fp32, tf32, bf16, fp16 };

constexpr std::string_view precision_name(Precision p) {
    switch (p) {
        case Precision::fp32: return "fp32";
        case Precision::tf32: return "tf32";
        case Precision::bf16: return "bf16";
        case Precision::fp16: return "fp16";
    }
    return "?";
}

constexpr std::optional<Precision> parse_precision(std::string_view s) {
    for (Precision p : {Precision::fp32, Precision::tf32, Precision::bf16, Precision::fp16})
        if (precision_name(p) == s) return p;
    return std::nullopt;
}

namespace detail {

inline std::atomic<Precision>& matmul_precision_flag() {
    static std::atomic<Precision> flag{Precision::fp32};
    return flag;
}

// float -> TF32 (1+8+10 bits) as cvt.rna.tf32.f32: round to nearest, ties away from zero; inf and NaN unchanged.
TINYBERT_HOST_DEVICE inline float round_to_tf32(float f) {
    const std::uint32_t x = float_to_bits(f);
    if ((x & 0x7F800000u) == 0x7F800000u) return f;
    return bits_to_float((x + 0x1000u) & ~0x1FFFu);
}

}  // namespace detail

// The value a GEMM of precision `p` reads for the float `f`.
TINYBERT_HOST_DEVICE inline float round_gemm_input(float f, Precision p) {
    switch (p) {
        case Precision::tf32: return detail::round_to_tf32(f);
        case Precision::bf16: return static_cast<float>(bf16(f));
        case Precision::fp16: return static_cast<float>(f16(f));
        case Precision::fp32: break;
    }
    return f;
}

// Process-wide, fp32 by default; every later float GEMM sees the new value.
inline void set_matmul_precision(Precision p) { detail::matmul_precision_flag().store(p, std::memory_order_relaxed); }
inline Precision matmul_precision() { return detail::matmul_precision_flag().load(std::memory_order_relaxed); }

// Sets the GEMM precision for a scope (a training run, an evaluation) and restores the previous one when it ends.
class PrecisionScope {
public:
    explicit PrecisionScope(Precision p) : previous_(matmul_precision()) { set_matmul_precision(p); }
    ~PrecisionScope() { set_matmul_precision(previous_); }
    PrecisionScope(const PrecisionScope&) = delete;
    PrecisionScope& operator=(const PrecisionScope&) = delete;

private:
    Precision previous_;
};

}  // namespace tinybert
