// oneDNN limited to AVX2 (dnnl_set_max_cpu_isa before its first use; ctest runs each test case in its own process):
// the CPU has no VNNI for oneDNN then, so activations get 7 bits, and 7-bit codes against ±127 weights keep every
// int32 sum exact in oneDNN's vpmaddubsw kernels, where 8-bit codes would saturate int16 pair sums.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "tinybert/quant/cpu_features.hpp"
#include "tinybert/quant/igemm.hpp"

using namespace tinybert::quant;

namespace {

std::vector<std::int64_t> reference_acc(std::int64_t m, std::int64_t n, std::int64_t k,
                                        const std::vector<std::uint8_t>& a, const std::vector<std::int8_t>& b) {
    std::vector<std::int64_t> c(static_cast<std::size_t>(m * n), 0);
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j)
            for (std::int64_t p = 0; p < k; ++p)
                c[static_cast<std::size_t>(i * n + j)] += std::int64_t{a[static_cast<std::size_t>(i * k + p)]} *
                                                          std::int64_t{b[static_cast<std::size_t>(j * k + p)]};
    return c;
}

// How many of oneDNN's accumulators differ from the reference for activation codes up to `qmax`: rows of all-qmax
// codes against rows of +127, −127 and alternating weights (the pair-sum worst cases), then random codes.
std::size_t mismatches(int qmax) {
    const std::int64_t m = 8, n = 6, k = 512;
    std::vector<std::uint8_t> a(static_cast<std::size_t>(m * k));
    std::vector<std::int8_t> b(static_cast<std::size_t>(n * k));
    std::mt19937 gen(5);
    std::uniform_int_distribution<int> ua(0, qmax), ub(-127, 127);
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t p = 0; p < k; ++p)
            a[static_cast<std::size_t>(i * k + p)] = static_cast<std::uint8_t>(i < 4 ? qmax : ua(gen));
    for (std::int64_t j = 0; j < n; ++j)
        for (std::int64_t p = 0; p < k; ++p)
            b[static_cast<std::size_t>(j * k + p)] = static_cast<std::int8_t>(j == 0   ? 127
                                                                              : j == 1 ? -127
                                                                              : j == 2 ? (p % 2 ? 127 : -127)
                                                                                       : ub(gen));
    const auto want = reference_acc(m, n, k, a, b);
    std::vector<std::int32_t> got(want.size());
    igemm_u8s8s32(m, n, k, a.data(), b.data(), got.data());
    std::size_t bad = 0;
    for (std::size_t i = 0; i < got.size(); ++i) bad += std::int64_t{got[i]} != want[i];
    return bad;
}

}  // namespace

TEST_CASE("oneDNN limited to AVX2: 7-bit activations, exact int32 sums", "[quant][isa]") {
    REQUIRE(dnnl_set_max_cpu_isa(dnnl_cpu_isa_avx2) == dnnl_success);
    CHECK_FALSE(int8_gemm_has_vnni());
    if (std::getenv("TINYBERT_INT8_REDUCE_RANGE") == nullptr) CHECK(activation_qmax() == 127);
    CHECK(mismatches(127) == 0);
    const std::size_t saturated = mismatches(255);
    WARN("8-bit activation codes under oneDNN's AVX2 kernels: " << saturated << " of 48 int32 sums wrong");
    if (static_cast<unsigned>(dnnl_get_effective_cpu_isa()) == static_cast<unsigned>(dnnl_cpu_isa_avx2))
        CHECK(saturated > 0);  // why the 7 bits: the int16 pair sums of vpmaddubsw saturate
}
