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
