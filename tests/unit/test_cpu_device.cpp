// backend/device.hpp and backend/cpu/eigen_map.hpp: storage reuse, views, thread count, denormal flushing.
#include <catch2/catch.hpp>

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/tensor/tensor.hpp"

using namespace tinybert;

TEST_CASE("tensors share storage through views and copy deeply with clone", "[tensor]") {
    auto t = Tensor<float>::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
    const auto heads = t.view({2, 3, 1});  // a head split: same storage
    const auto row = t.slice(1, 2);
    t.data()[4] = 50;
    CHECK(heads.data()[4] == 50);
    CHECK(row.to_vector() == std::vector<float>{4, 50, 6});
    const auto copy = t.clone();
    t.data()[0] = -1;
    CHECK(copy.data()[0] == 1);
    CHECK(Tensor<float>({4}).to_vector() == std::vector<float>(4, 0.f));  // the plain constructor zero-fills
    CHECK_THROWS_WITH(t.view({4}), Catch::Contains("cannot view [2,3] as [4]"));
}

TEST_CASE("freed CPU blocks are reused for the same size", "[device]") {
#if defined(__SANITIZE_ADDRESS__)
    WARN("the block cache is bypassed under AddressSanitizer: skipped");
#else
    float* a = Cpu::allocate<float>(12345);
    Cpu::deallocate(a);
    float* b = Cpu::allocate<float>(12345);
    CHECK(a == b);
    Cpu::deallocate(b);
#endif
}

TEST_CASE("flush_denormals makes denormal floats read as zero", "[device]") {
    volatile float tiny = 1e-39f;  // below FLT_MIN: a denormal
    flush_denormals(true);
    CHECK(tiny * 1.0f == 0.0f);
    flush_denormals(false);
    CHECK(tiny * 1.0f != 0.0f);
    flush_denormals(true);
}

TEST_CASE("the thread count is settable", "[device]") {
    const int before = num_threads();
    set_num_threads(1);
    CHECK(num_threads() == 1);
    set_num_threads(before);
    CHECK_THROWS(set_num_threads(0));
}
