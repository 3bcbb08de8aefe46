// Forward and gradient checks for ops/embedding.hpp and ops/cross_entropy.hpp, the optimizer kernels
// (ops/reduce.hpp, ops/adamw.hpp, spec §7 golden), and a float instantiation of every op, forward and backward.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "grad/op_checks.hpp"
#include "tinybert/backend/input_checks.hpp"
#include "tinybert/ops/adamw.hpp"
#include "tinybert/ops/attention.hpp"
#include "tinybert/ops/cross_entropy.hpp"
#include "tinybert/ops/dropout.hpp"
#include "tinybert/ops/elementwise.hpp"
#include "tinybert/ops/embedding.hpp"
#include "tinybert/ops/layernorm.hpp"
#include "tinybert/ops/linear.hpp"
#include "tinybert/ops/matmul.hpp"
#include "tinybert/ops/reduce.hpp"
#include "tinybert/ops/select.hpp"
#include "tinybert/ops/softmax.hpp"

using namespace tinybert;
using Catch::Matchers::Contains;
using test::check_gradients;
using test::leaf;
using test::random_tensor;
using test::VarD;
using test::weighted_sum;
using Ids = Tensor<std::int64_t>;

TEST_CASE("embedding forward gathers rows and rejects bad ids", "[embedding]") {
    const VarD table(Tensor<double>::from_vector({3, 2}, {0, 1, 10, 11, 20, 21}));
    const auto y = embedding(Ids::from_vector({2, 2}, {2, 0, 2, 1}), table);
    CHECK(y.value().shape() == Shape{2, 2, 2});
    CHECK(y.value().to_vector() == std::vector<double>{20, 21, 0, 1, 20, 21, 10, 11});
    CHECK_THROWS_WITH(embedding(Ids::from_vector({3}, {0, 3, 1}), table), Contains("id 3 at position 1") && Contains("3 rows"));
    CHECK_THROWS_WITH(embedding(Ids::from_vector({1}, {-1}), table), Contains("id -1"));
}

TEST_CASE("embedding gradients accumulate repeated ids", "[grad][embedding]") {
    const VarD table = leaf({5, 3}, 200);
    const Ids ids = Ids::from_vector({2, 4}, {1, 4, 1, 0, 4, 4, 2, 1});
    const auto r = random_tensor({2, 4, 3}, 201);
    check_gradients([&] { return weighted_sum(embedding(ids, table), r); }, {table});
    const Ids one = Ids::from_vector({1}, {3});
    const auto r1 = random_tensor({1, 3}, 202);
    check_gradients([&] { return weighted_sum(embedding(one, table), r1); }, {table});
    // padding_idx (nn.Embedding semantics): row 4 gets no gradient, every other row the same as without it
    const auto grad_with = [&](std::int64_t padding_idx) {
        table.zero_grad();
        backward(weighted_sum(embedding(ids, table, padding_idx), r));
        return table.grad().to_vector();
    };
    const auto plain = grad_with(-1), padded = grad_with(4);
    for (std::size_t i = 0; i < plain.size(); ++i) CHECK(padded[i] == (i / 3 == 4 ? 0.0 : plain[i]));
    CHECK(plain[4 * 3] != 0.0);
}

TEST_CASE("cross entropy hand example with ignored targets", "[cross_entropy]") {
    // row 0: softmax = [1/6, 2/6, 3/6], target 2 ⇒ ln 2;  row 1: ignored;  row 2: uniform, target 0 ⇒ ln 3
    const VarD z(Tensor<double>::from_vector({3, 3}, {0, std::log(2.0), std::log(3.0), 5, -5, 9, 1, 1, 1}));
    const auto loss = cross_entropy(z, Ids::from_vector({3}, {2, -100, 0})).value().to_vector();
    CHECK(loss[0] == Approx((std::log(2.0) + std::log(3.0)) / 2).epsilon(1e-15));
    // QA style: ignore_index = L (a clamped position past the sequence)
    const auto qa = cross_entropy(z, Ids::from_vector({3}, {3, 3, 1}), 3).value().to_vector();
    CHECK(qa[0] == Approx(std::log(3.0)).epsilon(1e-15));
    CHECK(std::isnan(cross_entropy(z, Ids::from_vector({3}, {-100, -100, -100})).value().to_vector()[0]));
    CHECK_THROWS_WITH(cross_entropy(z, Ids::from_vector({3}, {0, 3, 1})), Contains("target 3 at row 1"));
    CHECK_THROWS_WITH(cross_entropy(z, Ids::from_vector({3}, {0, -1, 1})), Contains("target -1"));
    CHECK_THROWS_AS(cross_entropy(z, Ids::from_vector({2}, {0, 1})), Error);
}

// The CUDA backend runs the same checks (backend/input_checks.hpp) when this switch is on; it is read on every call.
TEST_CASE("TINYBERT_CUDA_CHECK_INPUTS switches the CUDA input checks", "[embedding][cross_entropy]") {
    const auto enabled_with = [](const char* value) {
        if (value) ::setenv("TINYBERT_CUDA_CHECK_INPUTS", value, 1);
        else ::unsetenv("TINYBERT_CUDA_CHECK_INPUTS");
        const bool on = tinybert::detail::cuda_input_checks_enabled();
        ::unsetenv("TINYBERT_CUDA_CHECK_INPUTS");
        return on;
    };
    CHECK(enabled_with("1"));
    CHECK(enabled_with("yes"));
#ifdef TINYBERT_ENABLE_ASSERT
    CHECK(enabled_with(nullptr));  // assert builds always check
    CHECK(enabled_with("0"));
#else
    CHECK_FALSE(enabled_with(nullptr));
    CHECK_FALSE(enabled_with("0"));
#endif
}

TEST_CASE("cross entropy gradients", "[grad][cross_entropy]") {
    std::uint32_t seed = 210;
    for (const auto& [shape, targets] :
         {std::pair{Shape{1, 1}, std::vector<std::int64_t>{0}}, std::pair{Shape{1, 4}, std::vector<std::int64_t>{2}},
          std::pair{Shape{5, 3}, std::vector<std::int64_t>{0, -100, 2, 1, -100}},
          std::pair{Shape{2, 3, 7}, std::vector<std::int64_t>{6, 0, -100, 3, 3, -100}}}) {
        const VarD z = leaf(shape, seed++, -3, 3);
        const Ids y = Ids::from_vector(shape.drop_last(), targets);
        const auto r = random_tensor({1}, seed++);
        if (shape.back() == 1) {  // one class: the loss is 0 whatever the logit
            CHECK(cross_entropy(z, y).value().to_vector()[0] == 0.0);
            continue;
        }
        check_gradients([&] { return weighted_sum(cross_entropy(z, y), r); }, {z});
    }
    const VarD z = leaf({2, 3}, seed++);  // every target ignored: NaN loss, zero gradient (torch)
    backward(cross_entropy(z, Ids::from_vector({2}, {-100, -100})));
    CHECK(z.grad().to_vector() == std::vector<double>(6, 0.0));
}

TEST_CASE("AdamW matches torch: spec §7 golden and a multi-step reference", "[adamw]") {
    auto p = Tensor<double>::full({1}, 1.0), g = Tensor<double>::full({1}, 0.5);
    Tensor<double> m({1}), v({1});
    adamw_update(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, 1);
    CHECK(p.data()[0] == Approx(0.99899000002).epsilon(1e-14));
    CHECK(m.data()[0] == Approx(0.05).epsilon(1e-15));
    CHECK(v.data()[0] == Approx(0.00025).epsilon(1e-15));
    // five steps on a vector with changing gradients against the spec formula written out
    auto w = random_tensor({7}, 220);
    std::vector<double> ref = w.to_vector(), rm(7, 0.0), rv(7, 0.0);
    Tensor<double> wm({7}), wv({7});
    for (std::int64_t t = 1; t <= 5; ++t) {
        const auto grad = random_tensor({7}, 221 + static_cast<std::uint32_t>(t), -2, 2);
        adamw_update(w, grad, wm, wv, 2e-2, 0.9, 0.999, 1e-8, 0.1, t);
        for (std::size_t i = 0; i < 7; ++i) {
            const double gi = grad.data()[i];
            ref[i] *= 1 - 2e-2 * 0.1;
            rm[i] = 0.9 * rm[i] + 0.1 * gi;
            rv[i] = 0.999 * rv[i] + 0.001 * gi * gi;
            const double t_d = static_cast<double>(t);
            ref[i] -= 2e-2 / (1 - std::pow(0.9, t_d)) * rm[i] / (std::sqrt(rv[i]) / std::sqrt(1 - std::pow(0.999, t_d)) + 1e-8);
        }
    }
    const auto got = w.to_vector();
    for (std::size_t i = 0; i < 7; ++i) CHECK(got[i] == Approx(ref[i]).epsilon(1e-12));
}

TEST_CASE("sum_squares and scale_inplace", "[reduce]") {
    auto t = Tensor<double>::from_vector({2, 2}, {1, -2, 3, 0.5});
    CHECK(sum_squares(t) == 14.25);
    scale_inplace(t, 2.0);
    CHECK(t.to_vector() == std::vector<double>{2, -4, 6, 1});
    auto f = Tensor<float>::from_vector({3}, {1e20f, 1e20f, 1});
    CHECK(sum_squares(f) == Approx(2e40).epsilon(1e-6));  // accumulated in double: no float overflow
    // 2 chunks of 8192 plus a tail that is not a multiple of the 8 lanes: every element counted once
    std::vector<float> many(2 * 8192 + 13);
    double want = 0;
    for (std::size_t i = 0; i < many.size(); ++i) {
        many[i] = static_cast<float>(i % 97) - 48.0f;
        want += static_cast<double>(many[i]) * static_cast<double>(many[i]);
    }
    CHECK(sum_squares(Tensor<float>::from_vector({static_cast<std::int64_t>(many.size())}, many)) == want);
}

TEST_CASE("every op compiles and runs in float, forward and backward", "[float]") {
    using VarF = Var<float>;
    const auto rnd = [](const Shape& s, std::uint32_t seed) {
        const auto d = random_tensor(s, seed).to_vector();
        return VarF(Tensor<float>::from_vector(s, std::vector<float>(d.begin(), d.end())), true);
    };
    const std::int64_t B = 2, S = 3, H = 4, C = 3;
    VarF table = rnd({10, H}, 230);
    const VarF ln_w = rnd({H}, 231), ln_b = rnd({H}, 232), wq = rnd({H, H}, 233),
               wc = rnd({C, H}, 234), bc = rnd({C}, 235);
    Generator gen(3);
    const auto x = layer_norm(embedding(Ids::from_vector({B, S}, {1, 2, 3, 4, 5, 6}), table), ln_w, ln_b, 1e-12f);
    const auto q = linear(x, wq, VarF());
    const auto a = attention(q, q, x, Tensor<float>({B, S}), 2, 0.1f, &gen);
    const auto mixed = matmul(softmax(scale(matmul(x, x, true), 0.5f)), x);  // (B,S,S)·(B,S,H)
    const auto hsum = add(dropout(gelu(a), 0.1f, &gen, true), mixed);
    const auto pooled = tanh(select_row(hsum, 0));
    const auto logits = linear(pooled, wc, bc);
    const auto start = column(logits, 0);
    const auto loss = cross_entropy(logits, Ids::from_vector({B}, {1, -100}));
    CHECK(start.value().shape() == Shape{B});
    CHECK(std::isfinite(loss.value().to_vector()[0]));
    backward(loss);
    CHECK(sum_squares(table.grad()) > 0);
    Tensor<float> m({10, H}), v({10, H});
    adamw_update(table.value(), table.grad(), m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1);
    scale_inplace(table.grad(), 0.5f);
    for (const float e : table.value().to_vector()) CHECK(std::isfinite(e));
}
