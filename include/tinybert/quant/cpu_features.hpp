// tinybert/quant/cpu_features.hpp: how many bits int8 activations may use on this CPU (fbgemm's "reduce_range").
// The int8 GEMM multiplies uint8 activations by int8 weights and sums in int32. With VNNI (vpdpbusd, AVX512-VNNI)
// every product goes straight into int32: exact. Without it, u8·s8 kernels (oneDNN's, fbgemm's) use vpmaddubsw, which
// adds two u8·s8 products into a *saturating* int16: 2·255·127 = 64770 > 32767 can clip. With activations in 0..127,
// 2·127·127 = 32258 fits, so nothing saturates — PyTorch's and ORT's reduce_range do the same on such CPUs.
#pragma once

#include <cstdlib>
#include <string_view>

#include "tinybert/core/error.hpp"

#ifdef TINYBERT_ONEDNN
#include <dnnl.h>
#endif

namespace tinybert::quant {

// True when the int8 GEMM this build uses sums u8·s8 products exactly in int32 on this CPU: oneDNN's run-time ISA
// (which honours DNNL_MAX_CPU_ISA) is AVX512-VNNI or newer (AMX includes it) — AVX2-VNNI is not trusted, since older
// oneDNN releases run their AVX2 u8s8 GEMM kernels there; without oneDNN, the CPU reports AVX512-VNNI (the loop
// fallback is exact anyway, but the choice follows the CPU so both builds quantise identically on one machine).
inline bool int8_gemm_has_vnni() {
#ifdef TINYBERT_ONEDNN
    const auto isa = static_cast<unsigned>(dnnl_get_effective_cpu_isa());
    const auto vnni = static_cast<unsigned>(dnnl_cpu_isa_avx512_core_vnni);
    return (isa & vnni) == vnni;
#elif defined(__x86_64__) || defined(__i386__)
    return __builtin_cpu_supports("avx512vnni") != 0;
#else
    return false;
#endif
}

// The largest activation code: 255 (8 bits) when int8_gemm_has_vnni(), else 127 (7 bits, no int16 saturation).
// TINYBERT_INT8_REDUCE_RANGE=1 forces 127 and =0 forces 255 (on a CPU without VNNI that risks the saturation above).
// Decided once per process.
inline int activation_qmax() {
    static const int qmax = [] {
        const char* env = std::getenv("TINYBERT_INT8_REDUCE_RANGE");
        if (env == nullptr || *env == '\0') return int8_gemm_has_vnni() ? 255 : 127;
        const std::string_view v(env);
        TINYBERT_CHECK(v == "0" || v == "1",
                       "TINYBERT_INT8_REDUCE_RANGE must be 0 (8-bit activations) or 1 (7-bit), got \"", v, "\"");
        return v == "1" ? 127 : 255;
    }();
    return qmax;
}

}  // namespace tinybert::quant
