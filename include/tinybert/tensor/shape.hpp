// tinybert/tensor/shape.hpp: Shape, a small fixed-capacity list of dimension sizes (rank ≤ 4), row-major.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "tinybert/core/error.hpp"

namespace tinybert {

class Shape {
public:
    static constexpr std::size_t max_rank = 4;

    Shape() = default;
    Shape(std::initializer_list<std::int64_t> dims) {
        TINYBERT_CHECK(dims.size() <= max_rank, "Shape: rank ", dims.size(), " > ", max_rank);
        for (const std::int64_t d : dims) push_back(d);
    }

    void push_back(std::int64_t d) {
        TINYBERT_CHECK(rank_ < max_rank, "Shape: rank > ", max_rank);
        TINYBERT_CHECK(d >= 0, "Shape: negative dimension ", d);
        dims_[rank_++] = d;
    }

    std::size_t rank() const { return rank_; }
    std::int64_t operator[](std::size_t i) const { return dims_[i]; }
    std::int64_t& operator[](std::size_t i) { return dims_[i]; }
    // Dimension i counted from the end when negative: dim(-1) is the last one.
    std::int64_t dim(int i) const {
        const int r = static_cast<int>(rank_);
        TINYBERT_CHECK(i < r && i >= -r, "Shape ", str(), ": no dimension ", i);
        return dims_[static_cast<std::size_t>(i < 0 ? i + r : i)];
    }
    std::int64_t back() const { return dim(-1); }

    std::size_t numel() const {
        std::size_t n = 1;
        for (std::size_t i = 0; i < rank_; ++i) n *= static_cast<std::size_t>(dims_[i]);
        return n;
    }
    // Product of all dimensions but the last: the "rows" of a row-major matrix view.
    std::int64_t rows() const { return rank_ == 0 ? 1 : static_cast<std::int64_t>(numel()) / std::max<std::int64_t>(back(), 1); }

    // This shape with the last dimension replaced.
    Shape with_last(std::int64_t d) const {
        Shape s = *this;
        TINYBERT_CHECK(rank_ > 0, "Shape: with_last on a scalar");
        s.dims_[rank_ - 1] = d;
        return s;
    }
    // This shape without its last dimension.
    Shape drop_last() const {
        Shape s;
        for (std::size_t i = 0; i + 1 < rank_; ++i) s.push_back(dims_[i]);
        return s;
    }

    friend bool operator==(const Shape& a, const Shape& b) {
        if (a.rank_ != b.rank_) return false;
        for (std::size_t i = 0; i < a.rank_; ++i)
            if (a.dims_[i] != b.dims_[i]) return false;
        return true;
    }

    std::string str() const {
        std::string s = "[";
        for (std::size_t i = 0; i < rank_; ++i) {
            if (i) s += ',';
            s += std::to_string(dims_[i]);
        }
        s += ']';
        return s;
    }

private:
    std::array<std::int64_t, max_rank> dims_{};
    std::size_t rank_ = 0;
};

}  // namespace tinybert
