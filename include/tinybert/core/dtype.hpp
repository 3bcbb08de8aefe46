// tinybert/core/dtype.hpp: the 16-bit storage types bf16 and f16 (bit-exact IEEE conversions, usable in CUDA code)
// and the element types of checkpoint files (DType, the safetensors dtype list) with their sizes, names and traits.
// Narrowing rounds to nearest even like torch (c10::BFloat16 / c10::Half); NaN becomes the canonical quiet NaN.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <type_traits>

#include "tinybert/config.hpp"

namespace tinybert {

namespace detail {

TINYBERT_HOST_DEVICE inline std::uint32_t float_to_bits(float f) {
#if defined(__CUDA_ARCH__)
    return __float_as_uint(f);
#else
    std::uint32_t u = 0;
    std::memcpy(&u, &f, sizeof u);
    return u;
#endif
}

TINYBERT_HOST_DEVICE inline float bits_to_float(std::uint32_t u) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(u);
#else
    float f = 0;
    std::memcpy(&f, &u, sizeof f);
    return f;
#endif
}

// float -> bfloat16 bits: keep the top 16 bits, rounding the dropped 16 to nearest even; NaN -> 0x7FC0 (as torch).
TINYBERT_HOST_DEVICE inline std::uint16_t float_to_bf16_bits(float f) {
    const std::uint32_t x = float_to_bits(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return 0x7FC0u;
    const std::uint32_t rounding_bias = 0x7FFFu + ((x >> 16) & 1u);
    return static_cast<std::uint16_t>((x + rounding_bias) >> 16);
}

TINYBERT_HOST_DEVICE inline float bf16_bits_to_float(std::uint16_t h) { return bits_to_float(std::uint32_t{h} << 16); }

// Round the integer m >> shift to nearest, ties to even (shift in 1..31).
TINYBERT_HOST_DEVICE inline std::uint32_t shift_round_even(std::uint32_t m, unsigned shift) {
    const std::uint32_t r = m >> shift;
    const std::uint32_t rem = m & ((1u << shift) - 1u);
    const std::uint32_t half = 1u << (shift - 1u);
    return (rem > half || (rem == half && (r & 1u))) ? r + 1u : r;
}

// float -> IEEE binary16 bits, round to nearest even, overflow -> inf, tiny values -> subnormals or signed zero.
TINYBERT_HOST_DEVICE inline std::uint16_t float_to_f16_bits(float f) {
    const std::uint32_t x = float_to_bits(f);
    const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
    const std::uint32_t a = x & 0x7FFFFFFFu;
    if (a > 0x7F800000u) return static_cast<std::uint16_t>(sign | 0x7E00u);  // NaN
    if (a >= 0x47800000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // >= 65536 (or inf): inf
    const std::uint32_t e = a >> 23;
    const std::uint32_t m = (a & 0x7FFFFFu) | 0x800000u;
    if (e < 102u) return sign;  // below 2^-25: rounds to zero
    if (e < 113u) {             // half subnormal: value = m * 2^(e-150), unit 2^-24
        return static_cast<std::uint16_t>(sign | shift_round_even(m, 126u - e));
    }
    // Normal: exponent rebias 127 -> 15; the mantissa carry may round up into the exponent (and into inf).
    const std::uint32_t h = ((e - 112u) << 10) + (shift_round_even(m, 13u) - 0x400u);
    return static_cast<std::uint16_t>(sign | h);
}

TINYBERT_HOST_DEVICE inline float f16_bits_to_float(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t{h & 0x8000u} << 16;
    const std::uint32_t e = (h >> 10) & 0x1Fu;
    std::uint32_t m = h & 0x3FFu;
    if (e == 31u) return bits_to_float(sign | 0x7F800000u | (m << 13));  // inf / NaN (payload kept)
    if (e != 0u) return bits_to_float(sign | ((e + 112u) << 23) | (m << 13));
    if (m == 0u) return bits_to_float(sign);
    std::uint32_t exp = 113u;  // subnormal: normalise the mantissa
    while ((m & 0x400u) == 0u) {
        m <<= 1;
        --exp;
    }
    return bits_to_float(sign | (exp << 23) | ((m & 0x3FFu) << 13));
}

}  // namespace detail

// bfloat16 storage: 1 sign, 8 exponent, 7 mantissa bits. Arithmetic happens in float.
struct bf16 {
    std::uint16_t bits = 0;

    bf16() = default;
    TINYBERT_HOST_DEVICE explicit bf16(float f) : bits(detail::float_to_bf16_bits(f)) {}
    TINYBERT_HOST_DEVICE explicit operator float() const { return detail::bf16_bits_to_float(bits); }
    TINYBERT_HOST_DEVICE static bf16 from_bits(std::uint16_t b) {
        bf16 v;
        v.bits = b;
        return v;
    }
};

// IEEE 754 binary16 storage: 1 sign, 5 exponent, 10 mantissa bits. Arithmetic happens in float.
struct f16 {
    std::uint16_t bits = 0;

    f16() = default;
    TINYBERT_HOST_DEVICE explicit f16(float f) : bits(detail::float_to_f16_bits(f)) {}
    TINYBERT_HOST_DEVICE explicit operator float() const { return detail::f16_bits_to_float(bits); }
    TINYBERT_HOST_DEVICE static f16 from_bits(std::uint16_t b) {
        f16 v;
        v.bits = b;
        return v;
    }
};

static_assert(sizeof(bf16) == 2 && sizeof(f16) == 2);

// Element types of checkpoint files, in the safetensors order (its dtype names are in dtype_name).
enum class DType : std::uint8_t { boolean, u8, i8, u16, i16, f16, bf16, u32, i32, f32, u64, i64, f64, f8_e4m3, f8_e5m2 };

inline constexpr DType all_dtypes[] = {DType::boolean, DType::u8,  DType::i8,  DType::u16,  DType::i16,
                                       DType::f16,     DType::bf16, DType::u32, DType::i32,  DType::f32,
                                       DType::u64,     DType::i64, DType::f64, DType::f8_e4m3, DType::f8_e5m2};

// Bytes per element.
constexpr std::size_t dtype_size(DType t) {
    switch (t) {
        case DType::boolean: case DType::u8: case DType::i8: case DType::f8_e4m3: case DType::f8_e5m2: return 1;
        case DType::u16: case DType::i16: case DType::f16: case DType::bf16: return 2;
        case DType::u32: case DType::i32: case DType::f32: return 4;
        case DType::u64: case DType::i64: case DType::f64: return 8;
    }
    return 0;
}

// The safetensors spelling: "F32", "BF16", "BOOL", ...
constexpr std::string_view dtype_name(DType t) {
    switch (t) {
        case DType::boolean: return "BOOL";
        case DType::u8: return "U8";
        case DType::i8: return "I8";
        case DType::u16: return "U16";
        case DType::i16: return "I16";
        case DType::f16: return "F16";
        case DType::bf16: return "BF16";
        case DType::u32: return "U32";
        case DType::i32: return "I32";
        case DType::f32: return "F32";
        case DType::u64: return "U64";
        case DType::i64: return "I64";
        case DType::f64: return "F64";
        case DType::f8_e4m3: return "F8_E4M3";
        case DType::f8_e5m2: return "F8_E5M2";
    }
    return "?";
}

// Inverse of dtype_name; nullopt for an unknown name.
constexpr std::optional<DType> dtype_from_name(std::string_view name) {
    for (const DType t : all_dtypes)
        if (dtype_name(t) == name) return t;
    return std::nullopt;
}

constexpr bool is_floating_point(DType t) {
    return t == DType::f16 || t == DType::bf16 || t == DType::f32 || t == DType::f64 || t == DType::f8_e4m3 ||
           t == DType::f8_e5m2;
}

// The DType that stores a C++ element type: dtype_of<float> == DType::f32. Undefined for other types.
template <class T>
struct dtype_traits;
template <> struct dtype_traits<bool> { static constexpr DType value = DType::boolean; };
template <> struct dtype_traits<std::uint8_t> { static constexpr DType value = DType::u8; };
template <> struct dtype_traits<std::int8_t> { static constexpr DType value = DType::i8; };
template <> struct dtype_traits<std::uint16_t> { static constexpr DType value = DType::u16; };
template <> struct dtype_traits<std::int16_t> { static constexpr DType value = DType::i16; };
template <> struct dtype_traits<f16> { static constexpr DType value = DType::f16; };
template <> struct dtype_traits<bf16> { static constexpr DType value = DType::bf16; };
template <> struct dtype_traits<std::uint32_t> { static constexpr DType value = DType::u32; };
template <> struct dtype_traits<std::int32_t> { static constexpr DType value = DType::i32; };
template <> struct dtype_traits<float> { static constexpr DType value = DType::f32; };
template <> struct dtype_traits<std::uint64_t> { static constexpr DType value = DType::u64; };
template <> struct dtype_traits<std::int64_t> { static constexpr DType value = DType::i64; };
template <> struct dtype_traits<double> { static constexpr DType value = DType::f64; };

template <class T>
inline constexpr DType dtype_of = dtype_traits<T>::value;

// Element types a checkpoint tensor can be converted to: floating (float, double, bf16, f16) or integral.
template <class T>
inline constexpr bool is_floating_element = std::is_same_v<T, float> || std::is_same_v<T, double> ||
                                            std::is_same_v<T, bf16> || std::is_same_v<T, f16>;

}  // namespace tinybert
