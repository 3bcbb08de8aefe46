// autograd/tape.hpp's saved-tensor rule: a backward closure keeps the tensors its backward reads and the gradients it
// writes, never whole Vars. Counted in bytes held by tensors (cpu::BlockCache), by hand from each op's header comment.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <span>

#include "support/grad_check.hpp"
#include "tinybert/ops/dropout.hpp"
#include "tinybert/ops/elementwise.hpp"
#include "tinybert/ops/layernorm.hpp"
#include "tinybert/ops/linear.hpp"
#include "tinybert/ops/mse_loss.hpp"

using namespace tinybert;

namespace {

using VarF = Var<float>;

VarF filled(const Shape& shape, float value, bool requires_grad) {
    Tensor<float> t = Tensor<float>::empty(shape);
    t.fill(value);
    return VarF(t, requires_grad);
}

std::size_t held() {
    return cpu::BlockCache::instance().bytes_in_use();
}

constexpr std::int64_t kRows = 48, kHidden = 32;  // N = B·S rows of H features
constexpr std::size_t kActivation = kRows * kHidden * sizeof(float);

}  // namespace

TEST_CASE("BertOutput's chain keeps only what its backward reads", "[grad][memory]") {
    // dense (4H -> H) -> dropout -> + residual -> LayerNorm, the inputs, weights and output held by the test
    const VarF h = filled({kRows, 4 * kHidden}, 0.5f, true), residual = filled({kRows, kHidden}, 1.f, true);
    const VarF w = filled({kHidden, 4 * kHidden}, 0.01f, true), b = filled({kHidden}, 0.f, true);
    const VarF gamma = filled({kHidden}, 1.f, true), beta = filled({kHidden}, 0.f, true);
    Generator gen(7);
    const std::size_t before = held();
    VarF out;
    {
        const VarF dense = linear(h, w, b);                    // saves h and w (held by the test anyway)
        const VarF dropped = dropout(dense, 0.1, &gen, true);  // saves its mask (a counter range: no tensor)
        const VarF sum = add(dropped, residual);               // saves nothing
        out = layer_norm(sum, gamma, beta, 1e-12f);            // saves sum, mean and rstd (N each)
    }
    // alive: out and sum (N,H), mean and rstd (N); dense and dropped are gone
    CHECK(held() - before == 2 * kActivation + 2 * kRows * sizeof(float));
    Tape::current().clear();
    CHECK(held() - before == kActivation);  // the tape released sum, mean and rstd
}

TEST_CASE("GELU keeps its input, not its output, and scale keeps nothing", "[grad][memory]") {
    const VarF x = filled({kRows, kHidden}, 0.25f, true);
    const std::size_t before = held();
    VarF out;
    {
        const VarF doubled = scale(x, 2.f);    // saves nothing
        const VarF activated = gelu(doubled);  // saves doubled
        out = scale(activated, 3.f);           // saves nothing: activated is freed
    }
    CHECK(held() - before == 2 * kActivation);  // out and doubled
    // backward through the saved tensors: loss = mean(out²), out = 3·gelu(2x), gelu'(z) = Φ(z) + z·φ(z)
    backward(mse_loss(out, Tensor<float>(out.shape())));
    const double z = 0.5, cdf = 0.5 * (1 + std::erf(z / std::sqrt(2.0)));
    const double pdf = std::exp(-z * z / 2) / std::sqrt(2 * 3.14159265358979323846);
    const double y = 3 * z * cdf, n = static_cast<double>(out.value().numel());
    const double expected = 2 * y / n * 3 * (cdf + z * pdf) * 2;
    for (const float g : x.grad().to_vector()) REQUIRE(g == Approx(expected).epsilon(1e-5));
}

TEST_CASE("a bf16/fp16 linear keeps 16-bit copies of its input and weight, not the float input", "[grad][memory]") {
    for (const Precision p : {Precision::bf16, Precision::fp16}) {
        const PrecisionScope scope(p);
        const VarF w = filled({kHidden, 4 * kHidden}, 0.01f, true), b = filled({kHidden}, 0.f, true);
        const std::size_t before = held();
        VarF out;
        {
            const VarF h = filled({kRows, 4 * kHidden}, 0.5f, true);  // an activation: dropped after the forward
            out = linear(h, w, b);
        }
        // alive: out (N,H) float, h (N,4H) and w (H,4H) in 16 bits; h itself is gone
        CHECK(held() - before == kActivation + (4 * kActivation + 4 * kHidden * kHidden * sizeof(float)) / 2);
        Tape::current().clear();
    }
}

TEST_CASE("a bf16/fp16 linear computes what GEMMs rounding their own inputs compute, bitwise", "[grad][precision]") {
    // reference: the float kernels under the precision scope, where every GEMM rounds A and B itself (gemm.hpp)
    const auto random = [](const Shape& s, std::uint32_t seed) {
        const std::vector<double> v = test::random_tensor(s, seed, -2.0, 2.0).to_vector();
        return Tensor<float>::from_vector(s, std::vector<float>(v.begin(), v.end()));
    };
    const Tensor<float> x = random({2, 5, 24}, 1), w = random({7, 24}, 2), bias = random({7}, 3);
    const Tensor<float> dy = random({2, 5, 7}, 4);
    for (const Precision p : {Precision::bf16, Precision::fp16}) {
        const PrecisionScope scope(p);
        Tensor<float> y_ref = Tensor<float>::empty({2, 5, 7}), dx_ref({2, 5, 24}), dw_ref({7, 24}), db_ref({7});
        cpu::linear_forward(y_ref, x, w, bias);
        cpu::linear_backward(&dx_ref, &dw_ref, &db_ref, dy, x, w);

        const VarF xv(x.clone(), true), wv(w.clone(), true), bv(bias.clone(), true);
        const VarF y = linear(xv, wv, bv);
        Cpu::copy(y.grad().data(), dy.data(), dy.numel());
        Tape::current().run_backward();
        CHECK(y.value().to_vector() == y_ref.to_vector());
        CHECK(xv.grad().to_vector() == dx_ref.to_vector());
        CHECK(wv.grad().to_vector() == dw_ref.to_vector());
        CHECK(bv.grad().to_vector() == db_ref.to_vector());
    }
}

TEST_CASE("bf16/fp16 GELU keeps its input in 16 bits and differentiates at that rounding", "[grad][precision]") {
    const auto x = test::random_tensor({3, 40}, 21, -4.0, 4.0), dy = test::random_tensor({3, 40}, 22);
    const std::vector<double> xd = x.to_vector(), dyd = dy.to_vector();
    const Tensor<float> xf = Tensor<float>::from_vector({3, 40}, std::vector<float>(xd.begin(), xd.end()));
    const Tensor<float> dyf = Tensor<float>::from_vector({3, 40}, std::vector<float>(dyd.begin(), dyd.end()));
    for (const Precision p : {Precision::bf16, Precision::fp16}) {
        const PrecisionScope scope(p);
        // reference: the float kernels, forward at x, backward at x rounded as a GEMM of precision p reads it
        Tensor<float> rounded = xf.clone(), y_ref = Tensor<float>::empty(xf.shape()), dx_ref(xf.shape());
        for (float& v : std::span(rounded.data(), rounded.numel())) v = round_gemm_input(v, p);
        cpu::gelu_forward(y_ref, xf);
        cpu::gelu_backward(&dx_ref, dyf, rounded);

        const std::size_t before = held();
        const VarF xv(xf.clone(), true);
        const VarF y = gelu(xv);
        // alive: x and y (float), x's 16-bit copy
        CHECK(held() - before == 2 * xf.numel() * sizeof(float) + xf.numel() * sizeof(std::uint16_t));
        Cpu::copy(y.grad().data(), dyf.data(), dyf.numel());
        Tape::current().run_backward();
        CHECK(y.value().to_vector() == y_ref.to_vector());
        CHECK(xv.grad().to_vector() == dx_ref.to_vector());
    }
}
