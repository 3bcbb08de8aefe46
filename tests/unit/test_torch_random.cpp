// core/torch_random.hpp against torch 2.15's CPU generator: Tensor.normal_ (the block-of-16 path, its redrawn tail
// block, the per-element path with its cached spare sample) and torch.randperm. Reference values printed by torch
// after torch.manual_seed(seed); torch's AVX2 path uses approximate log/sin/cos, hence the 1e-6 relative margin.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "tinybert/core/torch_random.hpp"

using namespace tinybert;

namespace {

std::vector<float> normal(TorchGenerator& gen, std::size_t n, float mean, float std) {
    std::vector<float> v(n);
    gen.normal_(v, mean, std);
    return v;
}

void check_close(const std::vector<float>& got, const std::vector<float>& want) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(1e-6).margin(1e-9));
}

}  // namespace

TEST_CASE("TorchGenerator::normal_ reproduces Tensor.normal_ after torch.manual_seed", "[core][random]") {
    SECTION("768 values: whole blocks of 16 (torch.manual_seed(42); torch.empty(768).normal_(0, 0.02))") {
        TorchGenerator gen(42);
        const auto v = normal(gen, 768, 0.0f, 0.02f);
        const std::vector<std::pair<std::size_t, float>> want{{0, 0.0385383032f},   {1, 0.0297456812f},
                                                              {7, -0.0320933387f},  {8, -0.0150427055f},
                                                              {15, 0.0152489077f},  {16, 0.032846339f},
                                                              {383, -0.00718914485f}, {767, 0.0115231751f}};
        for (const auto& [i, x] : want) CHECK(v[i] == Approx(x).epsilon(1e-6));
        double sum = 0;
        for (const float x : v) sum += x;
        CHECK(sum == Approx(0.548290878).epsilon(1e-5));
    }
    SECTION("20 values: the last block of 16 is redrawn (seed 5, normal_(1.5, 2))") {
        TorchGenerator gen(5);
        check_close(normal(gen, 20, 1.5f, 2.0f),
                    {5.18465996f, 2.53777432f, -1.92384267f, -1.9027586f, 1.24067461f, 0.296468735f, 1.7899971f,
                     1.20034564f, 6.72915411f, 0.631954074f, 2.20467091f, 1.37089705f, 4.46586466f, 2.48807621f,
                     1.99843752f, 4.9940629f, 2.98955393f, 1.56331384f, -0.844828606f, -1.51388073f});
    }
    SECTION("below 16 values: per-element Box–Muller whose spare sample carries over to the next tensor (seed 9)") {
        TorchGenerator gen(9);
        auto a = normal(gen, 3, 0.0f, 1.0f);
        const auto b = normal(gen, 5, 0.0f, 1.0f);
        a.insert(a.end(), b.begin(), b.end());
        check_close(a, {0.0447275378f, 1.91123903f, -0.231030896f, 0.345928162f, 1.31802821f, 0.369637012f,
                        0.384111553f, 0.297038257f});
        const auto c = normal(gen, 16, 0.0f, 1.0f);  // then a block of 16 from the same generator
        check_close({c.begin(), c.begin() + 4}, {-1.14332139f, 0.82885927f, 0.953418791f, 0.294767797f});
    }
}

TEST_CASE("torch_randperm reproduces torch.randperm after torch.manual_seed", "[core][random]") {
    // torch 2.15: torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()[:12]
    const auto first12 = [](std::size_t n, std::uint64_t seed) {
        const auto p = torch_randperm(n, seed);
        return std::vector<std::size_t>(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(12, n)));
    };
    CHECK(first12(10, 42) == std::vector<std::size_t>{2, 6, 1, 8, 4, 5, 0, 9, 3, 7});
    CHECK(first12(37, 1) == std::vector<std::size_t>{30, 24, 6, 11, 29, 14, 27, 18, 15, 33, 0, 1});
    // The 3,889 SQuAD training windows of docs/results.md: the batches of the Trainer's seed-42 run.
    CHECK(first12(3889, 42) == std::vector<std::size_t>{3249, 996, 1152, 2663, 400, 1380, 867, 405, 1498, 2802, 2750, 1353});
    auto p = torch_randperm(3889, 42);
    std::sort(p.begin(), p.end());
    for (std::size_t i = 0; i < p.size(); ++i) REQUIRE(p[i] == i);
    CHECK(torch_randperm(0, 3).empty());
    CHECK(torch_randperm(1, 3) == std::vector<std::size_t>{0});
}

TEST_CASE("TorchGenerator's saved state continues the same draws", "[rng][torch]") {
    TorchGenerator g(42);
    for (int i = 0; i < 1000; ++i) g.random();  // past the first 624-word block
    g.normal_double(0, 1);                      // leaves a cached spare normal
    const std::string saved = g.state();
    std::vector<double> expected;
    for (int i = 0; i < 5; ++i) expected.push_back(g.normal_double(0, 1));
    for (int i = 0; i < 700; ++i) expected.push_back(static_cast<double>(g.random()));

    TorchGenerator h(7);
    h.set_state(saved);
    std::vector<double> got;
    for (int i = 0; i < 5; ++i) got.push_back(h.normal_double(0, 1));
    for (int i = 0; i < 700; ++i) got.push_back(static_cast<double>(h.random()));
    CHECK(got == expected);

    CHECK_THROWS_WITH(h.set_state("1 2 3"), Catch::Contains("not a saved generator state"));
    CHECK_THROWS_WITH(h.set_state(saved.substr(0, saved.rfind(' ')) + " 0x1.8p+0garbage"),
                      Catch::Contains("bad cached normal"));
}

TEST_CASE("Mt19937 is std::mt19937, bernoulli equals element-wise uniform draws at any alignment", "[rng][torch]") {
    std::mt19937 reference(12345u);
    Mt19937 engine(12345u);
    for (int i = 0; i < 3000; ++i) REQUIRE(engine() == static_cast<std::uint32_t>(reference()));

    for (const int offset : {0, 1, 623, 1247}) {  // 32-bit draws before: even, odd, and draws that span blocks
        INFO("offset " << offset);
        TorchGenerator bulk(9), single(9);
        for (int i = 0; i < offset; ++i) bulk.random(), single.random();
        std::vector<std::uint8_t> got(2000);
        bulk.bernoulli(got, 0.9);
        std::vector<std::uint8_t> expected(got.size());
        for (std::uint8_t& k : expected) k = single.uniform_double() < 0.9;
        CHECK(got == expected);
        CHECK(bulk.random() == single.random());  // both consumed the same words
    }
    // p at the ends: never / always kept
    TorchGenerator g(3);
    std::vector<std::uint8_t> none(100), all(100);
    g.bernoulli(none, 0.0);
    g.bernoulli(all, 1.0);
    CHECK(std::count(none.begin(), none.end(), 0) == 100);
    CHECK(std::count(all.begin(), all.end(), 1) == 100);
}
