// tinybert/io/checkpoint_tensor.hpp: one tensor as a checkpoint file stores it (dtype, shape, row-major little-endian
// bytes), keeping its backing memory (a mapped file or an owned buffer) alive, plus checked conversion to
// std::vector<T>. Readers (safetensors, pytorch_model.bin) hand these out; the writer takes them.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tinybert/core/dtype.hpp"
#include "tinybert/core/error.hpp"

namespace tinybert {

static_assert(std::endian::native == std::endian::little, "checkpoint IO assumes a little-endian host");

namespace detail {

// How errors name a tensor of a file: "model.safetensors: tensor 'bert.pooler.dense.bias'".
inline std::string tensor_where(const std::string& file, std::string_view name) {
    return concat(file, ": tensor '", name, "'");
}

// a * b for sizes from files; throws instead of wrapping.
inline std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, const std::string& where) {
    std::uint64_t r = 0;
    TINYBERT_CHECK(!__builtin_mul_overflow(a, b, &r), where, ": size overflows 64 bits");
    return r;
}

inline std::uint64_t checked_numel(std::span<const std::int64_t> shape, const std::string& where) {
    std::uint64_t n = 1;
    for (const std::int64_t d : shape) {
        TINYBERT_CHECK(d >= 0, where, ": negative dimension ", d);
        n = checked_mul(n, static_cast<std::uint64_t>(d), where);
    }
    return n;
}

template <class S>
S load_unaligned(const std::byte* p) {
    S v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <class T>
T float_element(DType src, const std::byte* p) {
    float f = 0;
    switch (src) {
        case DType::f64: {
            const double d = load_unaligned<double>(p);
            if constexpr (std::is_same_v<T, double>) return d;
            f = static_cast<float>(d);
            break;
        }
        case DType::f32: f = load_unaligned<float>(p); break;
        case DType::f16: f = float(load_unaligned<f16>(p)); break;
        default: f = float(load_unaligned<bf16>(p)); break;
    }
    return T(f);
}

template <class T, class S>
bool narrow_element(const std::byte* p, T& out) {
    const S v = load_unaligned<S>(p);
    if (!std::in_range<T>(v)) return false;
    out = static_cast<T>(v);
    return true;
}

// One integer (or BOOL) element as T; false when the value is outside T's range.
template <class T>
bool int_element(DType src, const std::byte* p, T& out) {
    switch (src) {
        case DType::boolean: out = static_cast<T>(load_unaligned<std::uint8_t>(p) != 0); return true;
        case DType::u8: return narrow_element<T, std::uint8_t>(p, out);
        case DType::i8: return narrow_element<T, std::int8_t>(p, out);
        case DType::u16: return narrow_element<T, std::uint16_t>(p, out);
        case DType::i16: return narrow_element<T, std::int16_t>(p, out);
        case DType::u32: return narrow_element<T, std::uint32_t>(p, out);
        case DType::i32: return narrow_element<T, std::int32_t>(p, out);
        case DType::u64: return narrow_element<T, std::uint64_t>(p, out);
        default: return narrow_element<T, std::int64_t>(p, out);
    }
}

}  // namespace detail

class CheckpointTensor {
public:
    CheckpointTensor() = default;

    // A view of `bytes` laid out as `shape` elements of `dtype`; `owner` keeps the memory alive (may be null for
    // memory the caller keeps alive). `where` names the tensor in errors ("model.safetensors: tensor 'x'").
    // requires: bytes.size() == numel(shape) * dtype_size(dtype)
    CheckpointTensor(DType dtype, std::vector<std::int64_t> shape, std::span<const std::byte> bytes,
                     std::shared_ptr<const void> owner = {}, std::string where = "tensor")
        : dtype_(dtype), shape_(std::move(shape)), bytes_(bytes), owner_(std::move(owner)), where_(std::move(where)) {
        numel_ = detail::checked_numel(shape_, where_);
        TINYBERT_CHECK(detail::checked_mul(numel_, dtype_size(dtype_), where_) == bytes_.size(), where_, ": ",
                       bytes_.size(), " bytes do not hold ", numel_, " elements of ", dtype_name(dtype_));
    }

    // An owning tensor made from values (the writer's usual input).
    template <class T>
    static CheckpointTensor from(std::vector<T> values, std::vector<std::int64_t> shape, std::string where = "tensor") {
        auto owned = std::make_shared<std::vector<T>>(std::move(values));
        const auto bytes = std::as_bytes(std::span<const T>(*owned));
        return CheckpointTensor(dtype_of<T>, std::move(shape), bytes, std::move(owned), std::move(where));
    }

    // A non-owning view of values the caller keeps alive until the tensor is no longer used.
    template <class T>
    static CheckpointTensor view(std::span<const T> values, std::vector<std::int64_t> shape,
                                 std::string where = "tensor") {
        return CheckpointTensor(dtype_of<T>, std::move(shape), std::as_bytes(values), {}, std::move(where));
    }

    DType dtype() const { return dtype_; }
    const std::vector<std::int64_t>& shape() const { return shape_; }
    std::size_t numel() const { return static_cast<std::size_t>(numel_); }
    std::span<const std::byte> bytes() const { return bytes_; }  // not necessarily aligned for the dtype
    const std::string& where() const { return where_; }

    // The elements converted to T. Floating T (float, double, bf16, f16) reads F32/F64/F16/BF16 (F64 -> bf16/f16
    // goes through float); integral T reads the integer dtypes and BOOL, and a value out of T's range is an error.
    // Floating <-> integer requests and F8 data are errors naming the tensor.
    template <class T>
    std::vector<T> to() const {
        std::vector<T> out(numel());
        const std::size_t es = dtype_size(dtype_);
        if (dtype_ == dtype_of<T>) {
            if (!out.empty()) std::memcpy(out.data(), bytes_.data(), bytes_.size());
            return out;
        }
        if constexpr (is_floating_element<T>) {
            TINYBERT_CHECK(dtype_ == DType::f32 || dtype_ == DType::f64 || dtype_ == DType::f16 || dtype_ == DType::bf16,
                           where_, ": cannot read ", dtype_name(dtype_), " data as a floating-point type (",
                           dtype_name(dtype_of<T>), ")");
            for (std::size_t i = 0; i < out.size(); ++i) out[i] = detail::float_element<T>(dtype_, bytes_.data() + i * es);
        } else {
            static_assert(std::is_integral_v<T>, "CheckpointTensor::to<T>: T must be a float or integer element type");
            TINYBERT_CHECK(!is_floating_point(dtype_), where_, ": cannot read ", dtype_name(dtype_),
                           " data as an integer type (", dtype_name(dtype_of<T>), ")");
            for (std::size_t i = 0; i < out.size(); ++i)
                TINYBERT_CHECK(detail::int_element<T>(dtype_, bytes_.data() + i * es, out[i]), where_, ": element ", i,
                               " does not fit in ", dtype_name(dtype_of<T>));
        }
        return out;
    }

private:
    DType dtype_ = DType::f32;
    std::vector<std::int64_t> shape_{0};
    std::uint64_t numel_ = 0;
    std::span<const std::byte> bytes_;
    std::shared_ptr<const void> owner_;
    std::string where_ = "tensor";
};

using NamedTensor = std::pair<std::string, CheckpointTensor>;

}  // namespace tinybert
