// core/dtype.hpp: bit-exact float <-> f16 / bf16 conversions against numpy and torch, and the DType tables.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

#include "tinybert/core/dtype.hpp"

using tinybert::bf16;
using tinybert::DType;
using tinybert::f16;

namespace {

struct Probe {
    std::uint32_t f32, f16, bf16;
};

// Produced by `/opt/ref/bin/python tools/io/make_fixtures.py --bits` (numpy 2.4 astype(float16) for f16, torch 2.15
// .to(torch.bfloat16) for bf16). NaN is left out: both only promise some quiet NaN (torch's vector path gave 0xFFFF).
constexpr Probe probes[] = {
    {0x00000000u, 0x0000u, 0x0000u},  // 0.0
    {0x80000000u, 0x8000u, 0x8000u},  // -0.0
    {0x3F800000u, 0x3C00u, 0x3F80u},  // 1.0
    {0xC0000000u, 0xC000u, 0xC000u},  // -2.0
    {0x3DCCCCCDu, 0x2E66u, 0x3DCDu},  // 0.1
    {0x3EAAAAABu, 0x3555u, 0x3EABu},  // 0.33333334
    {0x477FE000u, 0x7BFFu, 0x4780u},  // 65504.0 (largest f16)
    {0x477FEF00u, 0x7BFFu, 0x4780u},  // 65519.0
    {0x477FF000u, 0x7C00u, 0x4780u},  // 65520.0 (halfway: rounds to inf)
    {0x322BCC77u, 0x0000u, 0x322Cu},  // 1e-08
    {0x33800000u, 0x0001u, 0x3380u},  // 2^-24 (smallest f16 subnormal)
    {0x33000000u, 0x0000u, 0x3300u},  // 2^-25 (tie: rounds to even 0)
    {0x33400000u, 0x0001u, 0x3340u},  // 3 * 2^-26
    {0x387BA882u, 0x03EFu, 0x387Cu},  // 6e-05 (f16 subnormal)
    {0x3F801000u, 0x3C00u, 0x3F80u},  // 1.0004883 (f16 tie, even down)
    {0x3F803000u, 0x3C02u, 0x3F80u},  // 1.0014648 (f16 tie, even up)
    {0x7F61B1E6u, 0x7C00u, 0x7F62u},  // 3e+38
    {0x3F808000u, 0x3C04u, 0x3F80u},  // 1.0039062 (bf16 tie, even down)
    {0x3F818000u, 0x3C0Cu, 0x3F82u},  // 1.0117188 (bf16 tie, even up)
    {0x7F800000u, 0x7C00u, 0x7F80u},  // inf
    {0xFF800000u, 0xFC00u, 0xFF80u},  // -inf
};

float from_bits(std::uint32_t u) { return tinybert::detail::bits_to_float(u); }

}  // namespace

TEST_CASE("float -> f16 / bf16 matches numpy and torch bit for bit", "[io][dtype]") {
    for (const Probe& p : probes) {
        INFO("float bits 0x" << std::hex << p.f32);
        CHECK(f16(from_bits(p.f32)).bits == p.f16);
        CHECK(bf16(from_bits(p.f32)).bits == p.bf16);
    }
}

TEST_CASE("f16 and bf16 widen exactly and round-trip every bit pattern", "[io][dtype]") {
    CHECK(float(f16::from_bits(0x0001u)) == std::ldexp(1.0f, -24));
    CHECK(float(f16::from_bits(0x03FFu)) == std::ldexp(1023.0f, -24));
    CHECK(float(f16::from_bits(0x7BFFu)) == 65504.0f);
    CHECK(float(f16::from_bits(0xFC00u)) == -std::numeric_limits<float>::infinity());
    CHECK(std::signbit(float(f16::from_bits(0x8000u))));
    CHECK(float(bf16::from_bits(0x3F80u)) == 1.0f);
    for (std::uint32_t b = 0; b <= 0xFFFFu; ++b) {
        const auto bits = static_cast<std::uint16_t>(b);
        const float h = float(f16::from_bits(bits)), g = float(bf16::from_bits(bits));
        if (std::isnan(h)) {
            CHECK(std::isnan(float(f16(h))));
        } else if (f16(h).bits != bits) {
            FAIL("f16 pattern 0x" << std::hex << b << " does not round-trip");
        }
        if (std::isnan(g)) {
            CHECK(std::isnan(float(bf16(g))));
        } else if (bf16(g).bits != bits) {
            FAIL("bf16 pattern 0x" << std::hex << b << " does not round-trip");
        }
    }
}

TEST_CASE("NaN narrows to a quiet NaN", "[io][dtype]") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    CHECK(f16(nan).bits == 0x7E00u);
    CHECK(bf16(nan).bits == 0x7FC0u);
    CHECK(std::isnan(float(f16(-nan))));
}

TEST_CASE("dtype names, sizes and traits follow safetensors", "[io][dtype]") {
    for (const DType t : tinybert::all_dtypes) CHECK(tinybert::dtype_from_name(tinybert::dtype_name(t)) == t);
    CHECK(tinybert::dtype_name(DType::bf16) == "BF16");
    CHECK(tinybert::dtype_size(DType::f8_e5m2) == 1);
    CHECK(tinybert::dtype_size(DType::i64) == 8);
    CHECK_FALSE(tinybert::dtype_from_name("F4").has_value());
    CHECK_FALSE(tinybert::dtype_from_name("f32").has_value());
    STATIC_REQUIRE(tinybert::dtype_of<float> == DType::f32);
    STATIC_REQUIRE(tinybert::dtype_of<bf16> == DType::bf16);
    STATIC_REQUIRE(tinybert::dtype_of<std::int64_t> == DType::i64);
    CHECK(tinybert::is_floating_point(DType::f16));
    CHECK_FALSE(tinybert::is_floating_point(DType::boolean));
}
