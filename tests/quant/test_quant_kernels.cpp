// quant/quantize.hpp, quant/igemm.hpp, quant/linear.hpp against independent references: hand-worked codes and
// scales, an int64 triple loop for the accumulators (exact), a double evaluation of the dequantisation formula, and
// the float linear within the error bound that the quantisation steps imply.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "tinybert/ops/linear.hpp"
#include "tinybert/quant/linear.hpp"

using namespace tinybert;
using namespace tinybert::quant;

namespace {

std::vector<float> random_floats(std::size_t n, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(n);
    for (float& x : v) x = dist(gen);
    return v;
}

// acc[i,j] = Σ_k a[i,k]·b[j,k] in int64: the independent reference of every integer GEMM here.
std::vector<std::int64_t> reference_acc(std::int64_t m, std::int64_t n, std::int64_t k, const std::uint8_t* a,
                                        const std::int8_t* b) {
    std::vector<std::int64_t> c(static_cast<std::size_t>(m * n), 0);
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j)
            for (std::int64_t p = 0; p < k; ++p)
                c[static_cast<std::size_t>(i * n + j)] += std::int64_t{a[i * k + p]} * std::int64_t{b[j * k + p]};
    return c;
}

bool same_ints(const std::vector<std::int32_t>& got, const std::vector<std::int64_t>& want) {
    if (got.size() != want.size()) return false;
    for (std::size_t i = 0; i < got.size(); ++i)
        if (std::int64_t{got[i]} != want[i]) return false;
    return true;
}

}  // namespace

TEST_CASE("weights: per-output-channel symmetric scales, codes and row sums (hand-worked)", "[quant]") {
    // row 0: max |w| = 1 → s = 1/127: 0.6·127 = 76.2 → 76, −1 → −127, 0.25·127 = 31.75 → 32, Σ = −19
    // row 1: all zero → scale 1, codes 0;  row 2: max |w| = 2 → ±127
    const std::vector<float> w{0.6f, -1.0f, 0.25f, 0.0f, 0.0f, 0.0f, 2.0f, 2.0f, -2.0f};
    const QuantizedWeight q = QuantizedWeight::quantize(w.data(), 3, 3);
    CHECK(q.q == std::vector<std::int8_t>{76, -127, 32, 0, 0, 0, 127, 127, -127});
    CHECK(q.scale == std::vector<float>{1.0f / 127.0f, 1.0f, 2.0f / 127.0f});
    CHECK(q.row_sum == std::vector<std::int32_t>{-19, 0, 127});
}

TEST_CASE("weights: random rows are within half a step, reach ±127, and dequantise", "[quant]") {
    const std::int64_t out = 37, in = 53;
    std::vector<float> w = random_floats(static_cast<std::size_t>(out * in), 7, -0.3f, 0.3f);
    const QuantizedWeight q = QuantizedWeight::quantize(w.data(), out, in);
    const std::vector<float> back = q.dequantize<float>();
    for (std::int64_t j = 0; j < out; ++j) {
        int amax = 0;
        std::int32_t sum = 0;
        for (std::int64_t k = 0; k < in; ++k) {
            const auto idx = static_cast<std::size_t>(j * in + k);
            amax = std::max(amax, std::abs(int{q.q[idx]}));
            sum += q.q[idx];
            CHECK(std::fabs(w[idx] - back[idx]) <= 0.5f * q.scale[static_cast<std::size_t>(j)] * (1 + 1e-5f));
        }
        CHECK(amax == 127);
        CHECK(sum == q.row_sum[static_cast<std::size_t>(j)]);
    }
}

TEST_CASE("activations: per-row scale and zero point, edge rows (hand-worked)", "[quant]") {
    // rows: all zero | constant 2 | constant −3 | mixed −1, 0, 3
    const std::vector<float> x{0, 0, 0, 2, 2, 2, -3, -3, -3, -1, 0, 3};
    SECTION("8 bits") {
        const QuantizedRows r = quantize_rows(x.data(), Shape{4, 3}, 255);
        CHECK(r.scale == std::vector<float>{1.0f, 2.0f / 255, 3.0f / 255, 4.0f / 255});
        // mixed: zp = round(1/(4/255)) = round(63.75) = 64; −1 → −64 + 64 = 0; 3 → round(191.25) + 64 = 255
        CHECK(r.zero_point == std::vector<std::int32_t>{0, 0, 255, 64});
        CHECK(r.q == std::vector<std::uint8_t>{0, 0, 0, 255, 255, 255, 0, 0, 0, 0, 64, 255});
    }
    SECTION("7 bits (CPUs without VNNI)") {
        const QuantizedRows r = quantize_rows(x.data(), Shape{4, 3}, 127);
        CHECK(r.scale == std::vector<float>{1.0f, 2.0f / 127, 3.0f / 127, 4.0f / 127});
        // mixed: zp = round(31.75) = 32; 3 → round(95.25) + 32 = 127
        CHECK(r.zero_point == std::vector<std::int32_t>{0, 0, 127, 32});
        CHECK(r.q == std::vector<std::uint8_t>{0, 0, 0, 127, 127, 127, 0, 0, 0, 0, 32, 127});
    }
    CHECK_THROWS_WITH(quantize_rows(x.data(), Shape{4, 3}, 200), Catch::Contains("qmax must be 127 or 255"));
}

TEST_CASE("activations: random rows dequantise within half a step", "[quant]") {
    // With zp rounded, x/s + zp spans [δ, qmax + δ], |δ| ≤ ½: rounding and clamping stay within ½ step of x.
    const std::int64_t n = 41, k = 67;
    std::vector<float> x = random_floats(static_cast<std::size_t>(n * k), 11, -3.0f, 1.0f);
    for (std::int64_t c = 0; c < k; ++c) x[static_cast<std::size_t>(5 * k + c)] += 10.0f;  // a row of positives
    for (const int qmax : {127, 255}) {
        const QuantizedRows r = quantize_rows(x.data(), Shape{n, k}, qmax);
        for (std::int64_t i = 0; i < n; ++i) {
            const float s = r.scale[static_cast<std::size_t>(i)];
            const std::int32_t zp = r.zero_point[static_cast<std::size_t>(i)];
            CHECK((zp >= 0 && zp <= qmax));
            for (std::int64_t c = 0; c < k; ++c) {
                const auto idx = static_cast<std::size_t>(i * k + c);
                CHECK(int{r.q[idx]} <= qmax);
                const float back = static_cast<float>(int{r.q[idx]} - zp) * s;
                CHECK(std::fabs(x[idx] - back) <= 0.5f * s * (1 + 1e-4f) + 1e-6f);
            }
        }
    }
}

namespace {

void check_igemm_against_reference() {
    const int qmax = activation_qmax();
    INFO("engine " << igemm_engine() << ", activation qmax " << qmax);
    std::mt19937 gen(3);
    struct Case {
        std::int64_t m, n, k;
    };
    for (const Case c : {Case{1, 1, 1}, Case{3, 5, 7}, Case{17, 33, 384}, Case{64, 96, 1536}, Case{5, 1536, 384}}) {
        std::uniform_int_distribution<int> ua(0, qmax), ub(-127, 127);
        std::vector<std::uint8_t> a(static_cast<std::size_t>(c.m * c.k));
        std::vector<std::int8_t> b(static_cast<std::size_t>(c.n * c.k));
        for (auto& v : a) v = static_cast<std::uint8_t>(ua(gen));
        for (auto& v : b) v = static_cast<std::int8_t>(ub(gen));
        const auto want = reference_acc(c.m, c.n, c.k, a.data(), b.data());
        std::vector<std::int32_t> got(want.size()), loop(want.size());
        igemm_u8s8s32(c.m, c.n, c.k, a.data(), b.data(), got.data());
        quant::detail::igemm_loop(c.m, c.n, c.k, a.data(), b.data(), loop.data());
        INFO(c.m << "x" << c.n << "x" << c.k);
        CHECK(same_ints(got, want));
        CHECK(same_ints(loop, want));
    }
}

}  // namespace

TEST_CASE("int8 GEMM: int32 accumulators equal an int64 reference, oneDNN and the loop alike", "[quant]") {
    check_igemm_against_reference();
}

// With 3 threads the few-row cases (5x1536, 64x96) run as uneven column slabs (quant/igemm.hpp, as cpu::gemm).
TEST_CASE("int8 GEMM cut into column slabs over 3 threads equals the reference", "[quant]") {
    const int before = num_threads();
    set_num_threads(3);
    check_igemm_against_reference();
    set_num_threads(before);
}

TEST_CASE("int8 GEMM: extreme codes (the int16 pair-sum worst case) stay exact", "[quant]") {
    // Every activation at qmax against ±127 weights: pairs of products sum to ±2·qmax·127, the case that saturates
    // vpmaddubsw without VNNI unless qmax = 127. Alternating signs too.
    const int qmax = activation_qmax();
    const std::int64_t m = 4, n = 3, k = 1536;
    std::vector<std::uint8_t> a(static_cast<std::size_t>(m * k), static_cast<std::uint8_t>(qmax));
    std::vector<std::int8_t> b(static_cast<std::size_t>(n * k));
    for (std::int64_t p = 0; p < k; ++p) {
        b[static_cast<std::size_t>(p)] = 127;
        b[static_cast<std::size_t>(k + p)] = -127;
        b[static_cast<std::size_t>(2 * k + p)] = static_cast<std::int8_t>(p % 2 ? -127 : 127);
    }
    for (std::int64_t p = 0; p < k; ++p)
        a[static_cast<std::size_t>(3 * k + p)] = static_cast<std::uint8_t>(p % 3 ? qmax : 0);
    const auto want = reference_acc(m, n, k, a.data(), b.data());
    CHECK(want[0] == std::int64_t{qmax} * 127 * k);
    std::vector<std::int32_t> got(want.size());
    igemm_u8s8s32(m, n, k, a.data(), b.data(), got.data());
    CHECK(same_ints(got, want));
}

TEST_CASE("int8 GEMM: sizes beyond the int32-safe K are refused", "[quant]") {
    std::vector<std::uint8_t> a(1);
    std::vector<std::int8_t> b(1);
    std::vector<std::int32_t> c(1);
    CHECK_THROWS_WITH(igemm_u8s8s32(1, 1, max_int8_k + 1, a.data(), b.data(), c.data()),
                      Catch::Contains("K must be at most"));
}

TEST_CASE("int8 linear: outputs are the dequantisation formula of the exact accumulators", "[quant]") {
    const std::int64_t n = 29, k = 96, o = 45;
    std::vector<float> x = random_floats(static_cast<std::size_t>(n * k), 21, -2.0f, 2.5f);
    const std::vector<float> w = random_floats(static_cast<std::size_t>(o * k), 22, -0.2f, 0.2f);
    const std::vector<float> bias = random_floats(static_cast<std::size_t>(o), 23);
    for (std::int64_t c = 0; c < k; ++c) {
        x[static_cast<std::size_t>(2 * k + c)] = 0.0f;   // an all-zero row
        x[static_cast<std::size_t>(7 * k + c)] = 1.25f;  // a constant row
    }
    const QuantizedWeight qw = QuantizedWeight::quantize(w.data(), o, k);
    for (const int qmax : {127, 255}) {
        const QuantizedRows xq = quantize_rows(x.data(), Shape{n, k}, qmax);
        std::vector<float> y(static_cast<std::size_t>(n * o));
        int8_linear_forward(y.data(), xq, qw, bias.data());
        const auto acc = reference_acc(n, o, k, xq.q.data(), qw.q.data());
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t j = 0; j < o; ++j) {
                const auto ij = static_cast<std::size_t>(i * o + j);
                const auto ii = static_cast<std::size_t>(i), jj = static_cast<std::size_t>(j);
                std::int64_t colsum = 0;
                for (std::int64_t p = 0; p < k; ++p) colsum += qw.q[static_cast<std::size_t>(j * k + p)];
                const double want = double{xq.scale[ii]} * double{qw.scale[jj]} *
                                        static_cast<double>(acc[ij] - std::int64_t{xq.zero_point[ii]} * colsum) +
                                    double{bias[jj]};
                CHECK(std::fabs(y[ij] - want) <= 1e-6 * (1 + std::fabs(want)));
                if (i == 2) CHECK(y[ij] == bias[jj]);  // all-zero row: exactly the bias
            }
    }
}

TEST_CASE("int8 linear: close to the float linear within the quantisation error bound", "[quant]") {
    // |x·w − x̂·ŵ| ≤ Σ_k |x_k|·|w_k − ŵ_k| + |ŵ_k|·|x_k − x̂_k| ≤ Σ_k |x_k|·s_w/2 + |ŵ_k|·s_a/2 per output.
    const std::int64_t n = 16, k = 128, o = 40;
    const std::vector<float> x = random_floats(static_cast<std::size_t>(n * k), 31, -4.0f, 4.0f);
    std::vector<float> w = random_floats(static_cast<std::size_t>(o * k), 32, -0.1f, 0.1f);
    for (std::int64_t c = 0; c < k; ++c) w[static_cast<std::size_t>(3 * k + c)] = 0.0f;  // a weight row of zeros
    const std::vector<float> bias = random_floats(static_cast<std::size_t>(o), 33);
    const Var<float> xv(Tensor<float>::from_vector({n, k}, x)), wv(Tensor<float>::from_vector({o, k}, w)),
        bv(Tensor<float>::from_vector({o}, bias));
    NoGradGuard no_grad;
    const std::vector<float> ref = linear(xv, wv, bv).value().to_vector();
    const QuantizedWeight qw = QuantizedWeight::quantize(w.data(), o, k);
    const QuantizedRows xq = quantize_rows(x.data(), Shape{n, k}, activation_qmax());
    const std::vector<float> got = int8_linear(xq, qw, bv).value().to_vector();
    const std::vector<float> wq = qw.dequantize<float>();
    double worst = 0;
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < o; ++j) {
            double bound = 1e-4;
            for (std::int64_t p = 0; p < k; ++p)
                bound += std::fabs(x[static_cast<std::size_t>(i * k + p)]) * qw.scale[static_cast<std::size_t>(j)] / 2 +
                         std::fabs(wq[static_cast<std::size_t>(j * k + p)]) * xq.scale[static_cast<std::size_t>(i)] / 2;
            const auto ij = static_cast<std::size_t>(i * o + j);
            const double err = std::fabs(double{got[ij]} - double{ref[ij]});
            CHECK(err <= bound);
            worst = std::max(worst, err);
            if (j == 3) CHECK(got[ij] == bias[3]);  // zero weight row: exactly the bias
        }
    CHECK(worst > 0);  // the int8 path really ran
}

TEST_CASE("int8 linear: refuses to run on the tape, and mismatched shapes", "[quant]") {
    const Var<float> x(Tensor<float>::full({2, 4}, 0.5f));
    const Var<float> b(Tensor<float>::zeros({3}), true);
    const std::vector<float> w(12, 0.25f);
    const QuantizedWeight qw = QuantizedWeight::quantize(w.data(), 3, 4);
    CHECK_THROWS_WITH(int8_linear(x, qw, b), Catch::Contains("inference only"));
    NoGradGuard no_grad;
    CHECK(int8_linear(x, qw, b).shape() == Shape{2, 3});
    const Var<float> wrong(Tensor<float>::full({2, 5}, 0.5f));
    CHECK_THROWS_WITH(int8_linear(wrong, qw, b), Catch::Contains("does not match weight"));
    const Var<float> bad_bias(Tensor<float>::zeros({4}));
    CHECK_THROWS_WITH(int8_linear(x, qw, bad_bias), Catch::Contains("bias"));
}
