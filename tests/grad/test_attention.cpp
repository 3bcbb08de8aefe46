// Forward and gradient checks for ops/attention.hpp (against a naive loop, masked keys, fully masked rows per
// spec §9 #28, attention-probability dropout) and ops/dropout.hpp.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <tuple>

#include "grad/op_checks.hpp"
#include "tinybert/ops/attention.hpp"
#include "tinybert/ops/dropout.hpp"

using namespace tinybert;
using test::check_gradients;
using test::leaf;
using test::random_tensor;
using test::VarD;
using test::weighted_sum;

namespace {

// Additive key mask (B,S): batch 0 keeps every key, batch 1 masks its odd keys, batch 2 masks all keys (a fully
// masked row), batch 3 masks the last key; masked entries get `value`.
Tensor<double> key_mask(std::int64_t b, std::int64_t s, double value) {
    Tensor<double> m({b, s});
    for (std::int64_t i = 0; i < b; ++i)
        for (std::int64_t j = 0; j < s; ++j) {
            const bool masked = (i % 4 == 1 && j % 2 == 1) || i % 4 == 2 || (i % 4 == 3 && j == s - 1);
            m.data()[i * s + j] = masked ? value : 0.0;
        }
    return m;
}

// The spec's attention written as plain loops: (B,S,H) context, dropout keep rule as documented in attention.hpp.
std::vector<double> naive_attention(const Tensor<double>& q, const Tensor<double>& k, const Tensor<double>& v,
                                    const Tensor<double>& mask, int nh, double p, std::uint64_t seed,
                                    std::uint64_t offset) {
    const std::int64_t B = q.dim(0), S = q.dim(1), H = q.dim(2), hd = H / nh;
    const auto at = [&](const Tensor<double>& t, std::int64_t b, std::int64_t s, std::int64_t f) {
        return t.data()[(b * S + s) * H + f];
    };
    std::vector<double> ctx(q.numel(), 0.0);
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t h = 0; h < nh; ++h)
            for (std::int64_t i = 0; i < S; ++i) {
                std::vector<double> sc(static_cast<std::size_t>(S));
                double mx = std::numeric_limits<double>::lowest();
                for (std::int64_t j = 0; j < S; ++j) {
                    double dot = 0;
                    for (std::int64_t d = 0; d < hd; ++d) dot += at(q, b, i, h * hd + d) * at(k, b, j, h * hd + d);
                    sc[static_cast<std::size_t>(j)] = dot / std::sqrt(static_cast<double>(hd)) + mask.data()[b * S + j];
                    mx = std::max(mx, sc[static_cast<std::size_t>(j)]);
                }
                double sum = 0;
                for (double& x : sc) sum += (x = std::exp(x - mx));
                for (std::int64_t j = 0; j < S; ++j) {
                    const std::uint64_t idx = static_cast<std::uint64_t>(((b * nh + h) * S + i) * S + j);
                    const bool keep = p == 0 || random_uniform(seed, offset + idx) >= p;
                    const double pij = keep ? sc[static_cast<std::size_t>(j)] / sum / (1 - p) : 0.0;
                    for (std::int64_t d = 0; d < hd; ++d)
                        ctx[static_cast<std::size_t>((b * S + i) * H + h * hd + d)] += pij * at(v, b, j, h * hd + d);
                }
            }
    return ctx;
}

void check_close(const std::vector<double>& a, const std::vector<double>& b, double tol) {
    REQUIRE(a.size() == b.size());
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
    CHECK(worst <= tol);
}

using Case = std::tuple<std::int64_t, std::int64_t, std::int64_t, int>;  // B, S, H, NH
const Case kCases[] = {{1, 1, 2, 1}, {1, 1, 4, 2}, {2, 5, 6, 3}, {4, 4, 8, 2}, {3, 7, 3, 1}};

}  // namespace

TEST_CASE("attention forward matches a naive loop", "[attention]") {
    const double lo = std::numeric_limits<double>::lowest();
    std::uint32_t seed = 100;
    for (const auto& [b, s, h, nh] : kCases) {
        const VarD q(random_tensor({b, s, h}, seed++, -2, 2)), k(random_tensor({b, s, h}, seed++, -2, 2)),
            v(random_tensor({b, s, h}, seed++));
        const auto mask = key_mask(b, s, lo);
        const auto ctx = attention(q, k, v, mask, nh, 0.0, nullptr).value().to_vector();
        check_close(ctx, naive_attention(q.value(), k.value(), v.value(), mask, nh, 0.0, 0, 0), 1e-13);
        Generator gen(7);
        gen.take(5);  // a non-zero offset
        const auto dropped = attention(q, k, v, mask, nh, 0.3, &gen).value().to_vector();
        check_close(dropped, naive_attention(q.value(), k.value(), v.value(), mask, nh, 0.3, 7, 5), 1e-13);
        CHECK(gen.offset() == 5 + static_cast<std::uint64_t>(b * nh * s * s));
    }
}

TEST_CASE("attention with a fully masked row is uniform and finite (spec §9 #28)", "[attention][mask]") {
    const std::int64_t B = 3, S = 5, H = 4;
    const int NH = 2;
    const VarD q = leaf({B, S, H}, 110, -3, 3), k = leaf({B, S, H}, 111, -3, 3), v = leaf({B, S, H}, 112);
    const auto mask = key_mask(B, S, std::numeric_limits<double>::lowest());
    Tensor<double> ctx({B, S, H});
    const Tensor<double> probs =
        cpu::attention_forward(ctx, q.value(), k.value(), v.value(), mask, NH, DropoutMask{}).probs;
    for (std::int64_t e = 0; e < NH * S * S; ++e) CHECK(probs.data()[2 * NH * S * S + e] == 1.0 / S);  // batch 2
    for (std::int64_t e = 0; e < NH * S * S; ++e) {  // batch 1: masked (odd) keys get exactly 0
        if ((e % S) % 2 == 1) CHECK(probs.data()[NH * S * S + e] == 0.0);
    }
    for (std::int64_t f = 0; f < H; ++f) {  // batch 2, every query: the mean of the value rows
        double mean = 0;
        for (std::int64_t j = 0; j < S; ++j) mean += v.value().data()[(2 * S + j) * H + f] / S;
        for (std::int64_t i = 0; i < S; ++i) CHECK(ctx.data()[(2 * S + i) * H + f] == Approx(mean).epsilon(1e-14));
    }
    // Gradients are finite, and match those under a finite mask (−200) wherever a row is not fully masked.
    const auto r = random_tensor({B, S, H}, 113);
    const auto grads = [&](const Tensor<double>& m) {
        for (const VarD& x : {q, k, v}) x.zero_grad();
        backward(weighted_sum(attention(q, k, v, m, NH, 0.0, nullptr), r));
        return std::vector{q.grad().to_vector(), k.grad().to_vector(), v.grad().to_vector()};
    };
    const auto g_lowest = grads(mask);
    const auto g_finite = grads(key_mask(B, S, -200.0));
    for (std::size_t t = 0; t < 3; ++t)
        for (std::size_t i = 0; i < g_lowest[t].size(); ++i) {
            CHECK(std::isfinite(g_lowest[t][i]));
            if (i / static_cast<std::size_t>(S * H) != 2) CHECK(g_lowest[t][i] == Approx(g_finite[t][i]).margin(1e-13));
        }
    // float: the mask value is float's lowest(); the fully masked row is still exactly uniform
    Tensor<float> qf({1, 2, 2}), ctxf({1, 2, 2});
    qf.fill(1e3f);
    const auto mf = Tensor<float>::full({1, 2}, std::numeric_limits<float>::lowest());
    const Tensor<float> pf = cpu::attention_forward(ctxf, qf, qf, qf, mf, 1, DropoutMask{}).probs;
    CHECK(pf.to_vector() == std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f});
    CHECK(ctxf.to_vector() == std::vector<float>{1e3f, 1e3f, 1e3f, 1e3f});
}

TEST_CASE("attention gradients, masked keys, with and without dropout", "[grad][attention]") {
    std::uint32_t seed = 120;
    for (const auto& [b, s, h, nh] : kCases) {
        const VarD q = leaf({b, s, h}, seed++, -2, 2), k = leaf({b, s, h}, seed++, -2, 2), v = leaf({b, s, h}, seed++);
        const auto mask = key_mask(b, s, -200.0);  // finite so that finite differences stay valid in masked rows
        const auto r = random_tensor({b, s, h}, seed++);
        const auto heads = nh;  // clang 14 cannot capture a structured binding in a lambda
        check_gradients([&] { return weighted_sum(attention(q, k, v, mask, heads, 0.0, nullptr), r); }, {q, k, v});
        const auto f_drop = [&] {
            Generator gen(99);  // a fresh generator per evaluation: the same mask every time
            return weighted_sum(attention(q, k, v, mask, heads, 0.3, &gen), r);
        };
        if (b * s > 1) check_gradients(f_drop, {q, k, v});  // with S = 1 a dropped P leaves nothing to check
    }
    const VarD x = leaf({1, 2, 4}, 130);
    CHECK_THROWS_AS(attention(x, x, x, Tensor<double>({1, 2}), 3, 0.0, nullptr), Error);  // 4 % 3 != 0
    CHECK_THROWS_AS(attention(x, x, x, Tensor<double>({2, 1}), 2, 0.0, nullptr), Error);  // mask shape
}

TEST_CASE("dropout keeps about 1 - p and scales survivors", "[dropout]") {
    const std::int64_t n = 200000;
    const double p = 0.3;
    const VarD x(random_tensor({n}, 140, 0.5, 1.5));
    Generator gen(11);
    gen.take(3);
    const auto y = dropout(x, p, &gen, true).value().to_vector();
    CHECK(gen.offset() == 3 + static_cast<std::uint64_t>(n));
    std::int64_t kept = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        const auto u = static_cast<std::size_t>(i);
        const bool keep = random_uniform(11, 3 + u) >= p;
        CHECK((keep ? y[u] == x.value().data()[i] * (1 / (1 - p)) : y[u] == 0.0));
        kept += keep;
    }
    CHECK(static_cast<double>(kept) / n == Approx(1 - p).margin(0.005));
    // the next call draws a fresh mask
    const auto y2 = dropout(x, p, &gen, true).value().to_vector();
    CHECK(y2 != y);
}

TEST_CASE("dropout is the identity in evaluation or with p = 0", "[dropout]") {
    const VarD x = leaf({3, 4}, 150);
    Generator gen(1);
    const std::size_t before = Tape::current().size();
    CHECK(dropout(x, 0.5, &gen, false).value().data() == x.value().data());
    CHECK(dropout(x, 0.0, &gen, true).value().data() == x.value().data());
    CHECK(dropout(x, 0.5, nullptr, false).value().data() == x.value().data());
    CHECK(Tape::current().size() == before);
    CHECK(gen.offset() == 0);
    CHECK_THROWS_AS(dropout(x, 0.5, nullptr, true), Error);
    CHECK_THROWS_AS(dropout(x, 1.0, &gen, true), Error);
    Tape::current().clear();
}

TEST_CASE("dropout gradients with a fixed seed", "[grad][dropout]") {
    std::uint32_t seed = 160;
    for (const Shape& s : {Shape{1, 3}, Shape{4, 7}, Shape{2, 3, 5}}) {
        const VarD x = leaf(s, seed++);
        const auto r = random_tensor(s, seed++);
        check_gradients(
            [&] {
                Generator gen(5);
                return weighted_sum(dropout(x, 0.3, &gen, true), r);
            },
            {x});
    }
}

TEST_CASE("the torch dropout stream draws nn.Dropout's and SDPA's masks", "[dropout][torch]") {
    // torch 2.15 (CPU, not an Intel CPU: bernoulli_ draws one double per element):
    //   torch.manual_seed(7)
    //   y = F.dropout(torch.ones(40), 0.1, True)                     -> zeros at 4, 17, 19, 20, 26, 29
    //   o = F.scaled_dot_product_attention(q, k, v, dropout_p=0.1)   (B 2, NH 3, S 5, HD 5, v = identity per head)
    //                         -> zeros of P' (b,h,i,j) flat at 13 15 16 35 40 43 57 63 77 78 80 85 95 124 125 128 146 149
    //   y2 = F.dropout(torch.ones(30), 0.25, True)                   -> zeros at 0, 3, 4, 9, 13, 15, 19, 23, 26
    //   survivors: y = 0x1.1c71c8p+0 (float(1/0.9)), y2 = 0x1.555556p+0 (float(1/0.75))
    using VarF = Var<float>;
    Generator gen(7, DropoutStream::torch);
    const auto zeros = [](const std::vector<float>& v) {
        std::vector<std::size_t> z;
        for (std::size_t i = 0; i < v.size(); ++i)
            if (v[i] == 0.0f) z.push_back(i);
        return z;
    };
    const VarF ones40(Tensor<float>::full({40}, 1.0f));
    const auto y = dropout(ones40, 0.1, &gen, true).value().to_vector();
    CHECK(zeros(y) == std::vector<std::size_t>{4, 17, 19, 20, 26, 29});
    CHECK(y[0] == 0x1.1c71c8p+0f);

    const std::int64_t B = 2, NH = 3, S = 5, HD = 5, H = NH * HD;
    std::vector<float> qk(static_cast<std::size_t>(B * S * H)), eye(qk.size(), 0.0f);
    for (std::size_t i = 0; i < qk.size(); ++i) qk[i] = static_cast<float>(std::sin(0.7 * static_cast<double>(i)));
    for (std::int64_t b = 0; b < B; ++b)  // v[b, j, h·HD + f] = (j == f): ctx[b, i, h·HD + f] = P'[b, h, i, f]
        for (std::int64_t j = 0; j < S; ++j)
            for (std::int64_t h = 0; h < NH; ++h) eye[static_cast<std::size_t>((b * S + j) * H + h * HD + j)] = 1.0f;
    const VarF q(Tensor<float>::from_vector({B, S, H}, qk)), v(Tensor<float>::from_vector({B, S, H}, eye));
    const auto ctx = attention(q, q, v, Tensor<float>::full({B, S}, 0.0f), static_cast<int>(NH), 0.1, &gen)
                         .value()
                         .to_vector();
    std::vector<std::size_t> dropped;  // as flat indices of P' (B,NH,S,S)
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t h = 0; h < NH; ++h)
            for (std::int64_t i = 0; i < S; ++i)
                for (std::int64_t f = 0; f < S; ++f)
                    if (ctx[static_cast<std::size_t>((b * S + i) * H + h * HD + f)] == 0.0f)
                        dropped.push_back(static_cast<std::size_t>(((b * NH + h) * S + i) * S + f));
    CHECK(dropped == std::vector<std::size_t>{13, 15, 16, 35, 40, 43, 57, 63, 77, 78, 80, 85, 95, 124, 125, 128, 146, 149});

    const VarF ones30(Tensor<float>::full({30}, 1.0f));
    const auto y2 = dropout(ones30, 0.25, &gen, true).value().to_vector();
    CHECK(zeros(y2) == std::vector<std::size_t>{0, 3, 4, 9, 13, 15, 19, 23, 26});
    CHECK(y2[1] == 0x1.555556p+0f);
    CHECK(gen.offset() == 0);  // the counter stream is untouched
    Tape::current().clear();
}

TEST_CASE("dropout and attention gradients under the torch stream's stored masks", "[grad][dropout][torch]") {
    const VarD x = leaf({4, 7}, 170);
    const auto r = random_tensor({4, 7}, 171);
    check_gradients(
        [&] {
            Generator gen(5, DropoutStream::torch);
            return weighted_sum(dropout(x, 0.3, &gen, true), r);
        },
        {x});
    const VarD q = leaf({2, 4, 6}, 172, -2, 2), k = leaf({2, 4, 6}, 173, -2, 2), v = leaf({2, 4, 6}, 174);
    const auto rc = random_tensor({2, 4, 6}, 175);
    check_gradients(
        [&] {
            Generator gen(9, DropoutStream::torch);
            return weighted_sum(attention(q, k, v, key_mask(2, 4, -200.0), 2, 0.3, &gen), rc);
        },
        {q, k, v});
}
