// ops/residual_layernorm.hpp: LayerNorm(dropout(x) + residual) as one op must be the three ops it replaces, bitwise
// (forward, every gradient, the generator's draws), pass the central-difference check, keep only the sum, mean and
// rstd for backward, and refuse bad arguments.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "grad/fused_checks.hpp"
#include "grad/op_checks.hpp"
#include "tinybert/ops/dropout.hpp"
#include "tinybert/ops/elementwise.hpp"
#include "tinybert/ops/layernorm.hpp"
#include "tinybert/ops/mse_loss.hpp"
#include "tinybert/ops/residual_layernorm.hpp"

using namespace tinybert;
using test::check_gradients;
using test::leaf;
using test::random_tensor;
using test::random_var;
using test::VarD;
using test::weighted_sum;

namespace {

// One forward and backward through either the fused op or dropout → add → layer_norm, from fresh leaves.
// The input x comes through a scale so that its gradient is accumulated, as a linear layer's output's would be.
template <class T>
test::OpRun run(bool fused, const Shape& shape, double p, bool training, DropoutStream stream) {
    const std::int64_t h = shape.back();
    const Var<T> x0 = random_var<T>(shape, 1, -2, 2), residual = random_var<T>(shape, 2, -2, 3);
    const Var<T> w = random_var<T>({h}, 3, 0.5, 1.5), b = random_var<T>({h}, 4, -1, 1);
    const Var<T> target = random_var<T>(shape, 5, -1, 1);
    Generator gen(21, stream);
    const Var<T> x = scale(x0, T(0.75));
    const Var<T> y = fused ? residual_layer_norm(x, residual, w, b, T(1e-5), p, &gen, training)
                           : layer_norm(add(dropout(x, p, &gen, training), residual), w, b, T(1e-5));
    test::OpRun r;
    r.record(y, true);
    backward(mse_loss(y, target.value()));
    for (const Var<T>* v : {&x0, &residual, &w, &b}) r.record(*v);
    r.record_next_decisions(gen);
    return r;
}

template <class T>
void check_same_as_three_ops() {
    for (const Shape& shape : {Shape{3, 5, 40}, Shape{7, 384}, Shape{2, 1}})
        for (const auto stream : {DropoutStream::counter, DropoutStream::torch})
            for (const double p : {0.0, 0.1, 0.5})
                for (const bool training : {true, false}) {
                    INFO("shape " << shape.str() << ", torch stream " << (stream == DropoutStream::torch) << ", p " << p
                                  << ", training " << training);
                    test::check_same_runs(run<T>(true, shape, p, training, stream),
                                          run<T>(false, shape, p, training, stream),
                                          "output, dx, dresidual, dweight, dbias");
                }
}

}  // namespace

TEST_CASE("residual_layer_norm is dropout, add and layer_norm bitwise, in float and double",
          "[grad][layernorm][fused]") {
    check_same_as_three_ops<float>();
    check_same_as_three_ops<double>();
}

TEST_CASE("residual_layer_norm gradients, without and with dropout", "[grad][layernorm][fused]") {
    std::uint32_t seed = 60;
    for (const Shape& s : {Shape{1, 5}, Shape{3, 7}, Shape{2, 3, 6}})
        for (const double p : {0.0, 0.3}) {
            const std::int64_t h = s.back();
            const VarD x = leaf(s, seed++, -2, 2), residual = leaf(s, seed++, -1, 1);
            const VarD w = leaf({h}, seed++), b = leaf({h}, seed++);
            const auto r = random_tensor(s, seed++);
            check_gradients(
                [&] {
                    Generator gen(5);  // the same mask at every evaluation
                    return weighted_sum(residual_layer_norm(x, residual, w, b, 1e-5, p, &gen, true), r);
                },
                {x, residual, w, b});
        }
}

TEST_CASE("residual_layer_norm keeps the sum, mean and rstd for backward", "[grad][layernorm][fused][memory]") {
    constexpr std::int64_t rows = 48, hidden = 32;
    const Var<float> x = random_var<float>({rows, hidden}, 1, -1, 1),
                     residual = random_var<float>({rows, hidden}, 2, -1, 1);
    const Var<float> w = random_var<float>({hidden}, 3, 0.5, 1.5), b = random_var<float>({hidden}, 4, -1, 1);
    Generator gen(3);
    const std::size_t before = cpu::BlockCache::instance().bytes_in_use();
    const Var<float> y = residual_layer_norm(x, residual, w, b, 1e-12f, 0.1, &gen, true);
    const std::size_t activation = rows * hidden * sizeof(float);
    CHECK(cpu::BlockCache::instance().bytes_in_use() - before == 2 * activation + 2 * rows * sizeof(float));
    Tape::current().clear();
    CHECK(cpu::BlockCache::instance().bytes_in_use() - before == activation);  // only the output
}

TEST_CASE("residual_layer_norm refuses mismatched shapes, a bad p and a missing generator", "[layernorm][fused]") {
    const VarD x = leaf({2, 4}, 1), residual = leaf({2, 4}, 2), w = leaf({4}, 3), b = leaf({4}, 4);
    Generator gen(1);
    CHECK_THROWS_AS(residual_layer_norm(x, leaf({2, 3}, 5), w, b, 1e-5, 0.1, &gen, true), Error);
    CHECK_THROWS_AS(residual_layer_norm(x, residual, leaf({3}, 6), b, 1e-5, 0.1, &gen, true), Error);
    CHECK_THROWS_AS(residual_layer_norm(x, residual, w, b, 1e-5, 1.0, &gen, true), Error);
    CHECK_THROWS_AS(residual_layer_norm(x, residual, w, b, 1e-5, 0.1, nullptr, true), Error);
    CHECK_NOTHROW(residual_layer_norm(x, residual, w, b, 1e-5, 0.1, nullptr, false));  // evaluation: no dropout
    Tape::current().clear();  // the call above recorded a backward that no test runs
}
