// tinybert/tensor/tensor.hpp: Tensor<T, Device>, a reference-counted, contiguous, row-major buffer with a shape.
// Copies are cheap and share storage (like torch tensors); clone() makes a deep copy. Views (reshape, slices along
// the first dimension, head splits [B,S,H] -> [B,S,NH,HD]) share storage and keep an element offset. No expression
// templates: kernels in backend/<device>/ read and write data() directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "tinybert/backend/device.hpp"
#include "tinybert/core/error.hpp"
#include "tinybert/tensor/shape.hpp"

namespace tinybert {

template <class T, class Device = Cpu>
class Tensor {
public:
    using value_type = T;
    using device_type = Device;

    Tensor() = default;

    // A zero-filled tensor of the given shape.
    explicit Tensor(const Shape& shape) : Tensor(empty(shape)) { Device::fill(storage_.get(), numel(), T{}); }

    // Uninitialised storage: for outputs that a kernel overwrites entirely.
    static Tensor empty(const Shape& shape) {
        Tensor t;
        t.shape_ = shape;
        t.storage_ = std::shared_ptr<T>(Device::template allocate<T>(shape.numel()), [](T* p) { Device::deallocate(p); });
        return t;
    }
    static Tensor zeros(const Shape& shape) { return Tensor(shape); }
    static Tensor full(const Shape& shape, T value) {
        Tensor t(shape);
        t.fill(value);
        return t;
    }
    // From host values (row-major). requires: values.size() == shape.numel().
    static Tensor from_vector(const Shape& shape, const std::vector<T>& values) {
        TINYBERT_CHECK(values.size() == shape.numel(), "Tensor::from_vector: ", values.size(), " values for shape ",
                       shape.str());
        Tensor t(shape);
        Device::from_host(t.data(), values.data(), values.size());
        return t;
    }

    bool defined() const { return storage_ != nullptr || rank() > 0; }
    const Shape& shape() const { return shape_; }
    std::size_t rank() const { return shape_.rank(); }
    std::int64_t dim(int i) const { return shape_.dim(i); }
    std::size_t numel() const { return shape_.numel(); }

    T* data() { return storage_.get() + offset_; }
    const T* data() const { return storage_.get() + offset_; }

    void fill(T value) { Device::fill(data(), numel(), value); }

    // Same storage, new shape with the same element count (reshape; also splits heads: [B,S,H] -> [B,S,NH,HD]).
    Tensor view(const Shape& shape) const {
        TINYBERT_CHECK(shape.numel() == numel(), "Tensor::view: cannot view ", shape_.str(), " as ", shape.str());
        Tensor t = *this;
        t.shape_ = shape;
        return t;
    }
    // Rows [begin, end) of the first dimension, sharing storage.
    Tensor slice(std::int64_t begin, std::int64_t end) const {
        TINYBERT_CHECK(rank() > 0 && 0 <= begin && begin <= end && end <= dim(0), "Tensor::slice: [", begin, ",", end,
                       ") out of range for ", shape_.str());
        Tensor t = *this;
        t.shape_[0] = end - begin;
        t.offset_ += static_cast<std::size_t>(begin) * (numel() / static_cast<std::size_t>(std::max<std::int64_t>(dim(0), 1)));
        return t;
    }

    // A deep copy on the same device.
    Tensor clone() const {
        Tensor t(shape_);
        Device::copy(t.data(), data(), numel());
        return t;
    }

    // A deep copy on another device (host staging when neither side is the host).
    template <class Dst>
    Tensor<T, Dst> to() const {
        Tensor<T, Dst> t(shape_);
        if constexpr (std::is_same_v<Dst, Device>) {
            Device::copy(t.data(), data(), numel());
        } else if constexpr (Device::is_host) {
            Dst::from_host(t.data(), data(), numel());
        } else if constexpr (Dst::is_host) {
            Device::to_host(t.data(), data(), numel());
        } else {
            std::vector<T> host(numel());
            Device::to_host(host.data(), data(), numel());
            Dst::from_host(t.data(), host.data(), numel());
        }
        return t;
    }

    // The values on the host, row-major.
    std::vector<T> to_vector() const {
        std::vector<T> v(numel());
        Device::to_host(v.data(), data(), numel());
        return v;
    }

private:
    std::shared_ptr<T> storage_;
    std::size_t offset_ = 0;
    Shape shape_;
};

// requires: a and b have equal shapes; the message names the operation.
template <class A, class B>
void check_same_shape(const A& a, const B& b, const char* what) {
    TINYBERT_CHECK(a.shape() == b.shape(), what, ": shape mismatch ", a.shape().str(), " vs ", b.shape().str());
}

}  // namespace tinybert
