// backend/cpu/gemm.hpp against a plain triple loop in double: every transpose combination, row strides wider than the
// matrices, alpha and beta, beta = 0 not reading C (C filled with NaN), and float (oneDNN when the build has it) next to
// double (always Eigen). Sizes cross the kernels' block edges (odd, prime, one row, one column).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "tinybert/backend/cpu/gemm.hpp"

using namespace tinybert;
using cpu::Op;

namespace {

template <class T>
std::vector<T> random_values(std::size_t n, std::mt19937& gen) {
    std::uniform_real_distribution<double> u(-1, 1);
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(u(gen));
    return v;
}

// C (M,N) = alpha·op(A)·op(B) + beta·C, in double, element by element
template <class T>
std::vector<double> reference(Op op_a, Op op_b, std::int64_t m, std::int64_t n, std::int64_t k, double alpha,
                              const std::vector<T>& a, std::int64_t lda, const std::vector<T>& b, std::int64_t ldb,
                              double beta, const std::vector<T>& c, std::int64_t ldc) {
    std::vector<double> out(static_cast<std::size_t>(m * n));
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
            double s = 0;
            for (std::int64_t p = 0; p < k; ++p) {
                const double x = a[static_cast<std::size_t>(op_a == Op::none ? i * lda + p : p * lda + i)];
                const double y = b[static_cast<std::size_t>(op_b == Op::none ? p * ldb + j : j * ldb + p)];
                s += x * y;
            }
            const double prior = beta == 0 ? 0 : beta * static_cast<double>(c[static_cast<std::size_t>(i * ldc + j)]);
            out[static_cast<std::size_t>(i * n + j)] = alpha * s + prior;
        }
    return out;
}

template <class T>
void check_all(double tolerance) {
    std::mt19937 gen(7);
    const std::int64_t sizes[][3] = {{1, 1, 1}, {1, 37, 5}, {29, 1, 13}, {17, 23, 64}, {64, 96, 31}, {130, 67, 257},
                                       {128, 200, 40}, {256, 515, 19}};
    for (const auto& s : sizes)
        for (Op op_a : {Op::none, Op::transpose})
            for (Op op_b : {Op::none, Op::transpose})
                for (double beta : {0.0, 1.0, -0.5}) {
                    const std::int64_t m = s[0], n = s[1], k = s[2];
                    const std::int64_t lda = (op_a == Op::none ? k : m) + 3, ldb = (op_b == Op::none ? n : k) + 5,
                                       ldc = n + 2;
                    const auto a = random_values<T>(static_cast<std::size_t>((op_a == Op::none ? m : k) * lda), gen);
                    const auto b = random_values<T>(static_cast<std::size_t>((op_b == Op::none ? k : n) * ldb), gen);
                    auto c = random_values<T>(static_cast<std::size_t>(m * ldc), gen);
                    if (beta == 0) std::fill(c.begin(), c.end(), std::numeric_limits<T>::quiet_NaN());
                    const auto before = c;
                    const auto want = reference(op_a, op_b, m, n, k, 0.75, a, lda, b, ldb, beta, c, ldc);
                    cpu::gemm(op_a, op_b, m, n, k, T(0.75), a.data(), lda, b.data(), ldb, static_cast<T>(beta), c.data(),
                              ldc);
                    INFO(m << "x" << n << "x" << k << " op_a " << static_cast<char>(op_a) << " op_b "
                           << static_cast<char>(op_b) << " beta " << beta << " engine " << cpu::gemm_engine());
                    double worst = 0;
                    for (std::int64_t i = 0; i < m; ++i)
                        for (std::int64_t j = 0; j < n; ++j)
                            worst = std::max(worst, std::fabs(static_cast<double>(c[static_cast<std::size_t>(i * ldc + j)]) -
                                                              want[static_cast<std::size_t>(i * n + j)]));
                    CHECK(worst <= tolerance * std::sqrt(static_cast<double>(k)));  // NaN fails too
                    // the padding between rows of C is left alone (compared as bits: it is NaN when beta = 0)
                    bool padding_kept = true;
                    for (std::int64_t i = 0; i < m; ++i)
                        for (std::int64_t j = n; j < ldc; ++j) {
                            const auto at = static_cast<std::size_t>(i * ldc + j);
                            padding_kept &= std::memcmp(&c[at], &before[at], sizeof(T)) == 0;
                        }
                    CHECK(padding_kept);
                }
}

}  // namespace

TEST_CASE("float gemm equals the double triple loop to float rounding for every op, stride, alpha and beta", "[gemm]") {
    check_all<float>(2e-6);
}

TEST_CASE("double gemm equals the triple loop to double rounding", "[gemm]") { check_all<double>(1e-14); }

// At most 256 rows and enough columns, cpu::gemm cuts C into one column slab per thread (uneven with 3 threads:
// 128x200 becomes slabs of 80, 80 and 40 columns); outside a parallel region the other sizes keep one call.
TEST_CASE("float gemm cut into column slabs over 3 threads equals the triple loop", "[gemm]") {
    const int before = num_threads();
    set_num_threads(3);
    CHECK(cpu::detail::column_slabs(128, 200) == 3);
    CHECK(cpu::detail::column_slabs(257, 200) == 1);
    CHECK(cpu::detail::column_slabs(128, 95) == 1);
    check_all<float>(2e-6);
    set_num_threads(before);
}

// The values a GEMM of each precision reads (core/precision.hpp), worked by hand from the formats: bf16 keeps 7
// stored mantissa bits (ulp 2^-7 at 1) with ties to even; TF32 keeps 10 (ulp 2^-10) with ties away from zero, as
// cvt.rna.tf32.f32; IEEE half keeps 10 with ties to even, overflows to inf from 65520 and has subnormals down to 2^-24.
TEST_CASE("GEMM input rounding of bf16, fp16 and tf32 on hand-worked values", "[gemm][precision]") {
    const float one = 1.0f;
    CHECK(round_gemm_input(one + std::ldexp(1.0f, -8), Precision::bf16) == one);  // tie: to even (1.0)
    CHECK(round_gemm_input(one + 3 * std::ldexp(1.0f, -8), Precision::bf16) == one + std::ldexp(1.0f, -6));  // tie up
    CHECK(round_gemm_input(one + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20), Precision::bf16) ==
          one + std::ldexp(1.0f, -7));
    CHECK(round_gemm_input(one + std::ldexp(1.0f, -11), Precision::tf32) == one + std::ldexp(1.0f, -10));  // away
    CHECK(round_gemm_input(-(one + std::ldexp(1.0f, -11)), Precision::tf32) == -(one + std::ldexp(1.0f, -10)));
    CHECK(round_gemm_input(one + std::ldexp(1.0f, -12), Precision::tf32) == one);
    CHECK(round_gemm_input(one + std::ldexp(1.0f, -11), Precision::fp16) == one);  // tie: to even
    CHECK(round_gemm_input(65519.0f, Precision::fp16) == 65504.0f);
    CHECK(std::isinf(round_gemm_input(65520.0f, Precision::fp16)));
    CHECK(round_gemm_input(65520.0f, Precision::bf16) == 65536.0f);  // bf16 has float's range
    CHECK(round_gemm_input(std::ldexp(1.0f, -24), Precision::fp16) == std::ldexp(1.0f, -24));  // smallest subnormal
    CHECK(round_gemm_input(std::ldexp(1.0f, -26), Precision::fp16) == 0.0f);
    CHECK(round_gemm_input(0.1f, Precision::fp32) == 0.1f);
    CHECK(std::isnan(round_gemm_input(std::numeric_limits<float>::quiet_NaN(), Precision::tf32)));
    CHECK(std::isinf(round_gemm_input(std::numeric_limits<float>::infinity(), Precision::tf32)));
    for (Precision p : {Precision::fp32, Precision::tf32, Precision::bf16, Precision::fp16})
        CHECK(parse_precision(precision_name(p)) == p);
    CHECK_FALSE(parse_precision("fp8").has_value());
}

// Under bf16/fp16/tf32 a float GEMM is the product of the rounded inputs summed in float: equal to the double triple
// loop over the inputs rounded here to float accuracy, and off the unrounded product by at most the format's unit
// roundoff u (2^-8 bf16, 2^-11 fp16/tf32) twice per product: |error| <= (2u + u²)·Σ|a||b| (+ float summation).
TEST_CASE("float gemm under each matmul precision multiplies the rounded inputs", "[gemm][precision]") {
    std::mt19937 gen(11);
    const struct {
        Precision p;
        double u;
    } cases[] = {{Precision::bf16, std::ldexp(1.0, -8)}, {Precision::fp16, std::ldexp(1.0, -11)},
                 {Precision::tf32, std::ldexp(1.0, -11)}};
    for (const auto& [p, u] : cases)
        for (Op op_a : {Op::none, Op::transpose})
            for (Op op_b : {Op::none, Op::transpose}) {
                const std::int64_t m = 37, n = 70, k = 129, lda = (op_a == Op::none ? k : m) + 3,
                                   ldb = (op_b == Op::none ? n : k) + 1;
                const auto a = random_values<float>(static_cast<std::size_t>((op_a == Op::none ? m : k) * lda), gen);
                const auto b = random_values<float>(static_cast<std::size_t>((op_b == Op::none ? k : n) * ldb), gen);
                std::vector<float> ar(a.size()), br(b.size()), abs_a(a.size()), abs_b(b.size()),
                    c(static_cast<std::size_t>(m * n), 0.0f);
                for (std::size_t i = 0; i < a.size(); ++i) ar[i] = round_gemm_input(a[i], p), abs_a[i] = std::fabs(a[i]);
                for (std::size_t i = 0; i < b.size(); ++i) br[i] = round_gemm_input(b[i], p), abs_b[i] = std::fabs(b[i]);
                {
                    const PrecisionScope scope(p);
                    cpu::gemm(op_a, op_b, m, n, k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), n);
                }
                const auto rounded = reference(op_a, op_b, m, n, k, 1, ar, lda, br, ldb, 0, c, n);
                const auto exact = reference(op_a, op_b, m, n, k, 1, a, lda, b, ldb, 0, c, n);
                const auto magnitude = reference(op_a, op_b, m, n, k, 1, abs_a, lda, abs_b, ldb, 0, c, n);
                double to_rounded = 0, to_exact = 0, beyond_bound = 0;
                for (std::size_t i = 0; i < c.size(); ++i) {
                    const double got = static_cast<double>(c[i]);
                    to_rounded = std::max(to_rounded, std::fabs(got - rounded[i]));
                    to_exact = std::max(to_exact, std::fabs(got - exact[i]));
                    beyond_bound = std::max(beyond_bound, std::fabs(got - exact[i]) -
                                                              (2 * u + u * u + 1e-6) * magnitude[i]);
                }
                INFO(precision_name(p) << " op_a " << static_cast<char>(op_a) << " op_b " << static_cast<char>(op_b)
                                       << ": off the rounded product " << to_rounded << ", off the exact one "
                                       << to_exact);
                CHECK(to_rounded <= 2e-6 * std::sqrt(static_cast<double>(k)));
                CHECK(to_exact > 1e-4);  // the inputs were rounded
                CHECK(beyond_bound <= 0);
            }
    CHECK(matmul_precision() == Precision::fp32);
}
