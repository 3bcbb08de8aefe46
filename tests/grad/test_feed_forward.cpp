// ops/feed_forward.hpp: BERT's feed-forward block as one op must be linear → gelu → linear bitwise (forward and every
// gradient) in fp32, bf16 and fp16, with any subset of its inputs trainable; in bf16/fp16 it is one tape node that
// keeps exactly the bytes the three ops keep; it passes the central-difference check and refuses bad shapes.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "grad/fused_checks.hpp"
#include "grad/op_checks.hpp"
#include "tinybert/core/precision.hpp"
#include "tinybert/ops/elementwise.hpp"
#include "tinybert/ops/feed_forward.hpp"
#include "tinybert/ops/linear.hpp"
#include "tinybert/ops/mse_loss.hpp"

using namespace tinybert;
using test::check_gradients;
using test::leaf;
using test::random_tensor;
using test::random_var;
using test::VarD;
using test::weighted_sum;

namespace {

// Which of the block's inputs need a gradient: all; the second layer only (the first frozen, x a constant); x and the
// second layer (the first layer's weights frozen).
enum class Trainable { all, second_layer, input_and_second_layer };

// One forward and backward through either the fused op or linear → gelu → linear, from fresh leaves. x comes through a
// scale so that its gradient is accumulated, as a LayerNorm output's would be.
template <class T>
test::OpRun run(bool fused, const Shape& shape, std::int64_t intermediate, Trainable trainable) {
    const std::int64_t h = shape.back();
    const bool first = trainable == Trainable::all, input = trainable != Trainable::second_layer;
    const auto maybe = [](Var<T> v, bool grad) { return grad ? v : Var<T>(v.value(), false); };
    const Var<T> x0 = maybe(random_var<T>(shape, 1, -2, 2), input);
    const Var<T> w1 = maybe(random_var<T>({intermediate, h}, 2, -0.5, 0.5), first);
    const Var<T> b1 = maybe(random_var<T>({intermediate}, 3, -1, 1), first);
    const Var<T> w2 = random_var<T>({h, intermediate}, 4, -0.5, 0.5), b2 = random_var<T>({h}, 5, -1, 1);
    const Var<T> target = random_var<T>(shape, 6, -1, 1);
    const Var<T> x = scale(x0, T(0.75));
    const std::size_t nodes = Tape::current().size();
    const Var<T> y = fused ? feed_forward(x, w1, b1, w2, b2) : linear(gelu(linear(x, w1, b1)), w2, b2);
    if (fused && is_16bit(matmul_precision())) CHECK(Tape::current().size() == nodes + 1);
    test::OpRun r;
    r.record(y, true);
    backward(mse_loss(y, target.value()));
    for (const Var<T>* v : {&x0, &w1, &b1, &w2, &b2}) r.record(*v);
    return r;
}

template <class T>
void check_same_as_three_ops(Precision p) {
    const PrecisionScope scope(p);
    for (const Shape& shape : {Shape{3, 5, 16}, Shape{7, 24}, Shape{1, 8}})
        for (const Trainable trainable : {Trainable::all, Trainable::second_layer, Trainable::input_and_second_layer}) {
            INFO("precision " << precision_name(p) << ", shape " << shape.str() << ", trainable "
                              << static_cast<int>(trainable));
            test::check_same_runs(run<T>(true, shape, 4 * shape.back() + 3, trainable),
                                  run<T>(false, shape, 4 * shape.back() + 3, trainable),
                                  "output, dx, dw1, db1, dw2, db2");
        }
}

// Bytes the caching allocator holds after a forward of the block (the inputs excluded), through either path
std::size_t held_after_forward(bool fused, bool trainable) {
    const Var<float> x = random_var<float>({48, 32}, 1, -1, 1), w1 = random_var<float>({128, 32}, 2, -1, 1),
                     b1 = random_var<float>({128}, 3, -1, 1), w2 = random_var<float>({32, 128}, 4, -1, 1),
                     b2 = random_var<float>({32}, 5, -1, 1);
    const auto as = [trainable](const Var<float>& v) { return trainable ? v : Var<float>(v.value(), false); };
    const std::size_t before = cpu::BlockCache::instance().bytes_in_use();
    const Var<float> y = fused ? feed_forward(as(x), as(w1), as(b1), as(w2), as(b2))
                               : linear(gelu(linear(as(x), as(w1), as(b1))), as(w2), as(b2));
    const std::size_t held = cpu::BlockCache::instance().bytes_in_use() - before;
    Tape::current().clear();
    return held;
}

}  // namespace

TEST_CASE("feed_forward is linear, gelu and linear bitwise in fp32, bf16 and fp16, in float and double",
          "[grad][precision][fused]") {
    for (const Precision p : {Precision::fp32, Precision::bf16, Precision::fp16}) check_same_as_three_ops<float>(p);
    check_same_as_three_ops<double>(Precision::fp32);
}

TEST_CASE("bf16/fp16 feed_forward keeps the bytes the three ops keep, and no GELU input without a backward",
          "[grad][precision][fused][memory]") {
    for (const Precision p : {Precision::bf16, Precision::fp16}) {
        INFO("precision " << precision_name(p));
        const PrecisionScope scope(p);
        const std::size_t separate = held_after_forward(false, true), fused = held_after_forward(true, true);
        CHECK(fused == separate);
        // x, w1, GELU's input and output and w2 in 16 bits, and the float output
        const std::size_t bytes16 = (48 * 32 + 128 * 32 + 2 * 48 * 128 + 32 * 128) * 2, output = 48 * 32 * 4;
        CHECK(fused == bytes16 + output);
        CHECK(held_after_forward(true, false) == output);  // nothing recorded: only the output
        CHECK(held_after_forward(false, false) == output);
    }
}

TEST_CASE("feed_forward gradients", "[grad][fused]") {
    std::uint32_t seed = 80;
    for (const Shape& s : {Shape{1, 3}, Shape{2, 3, 4}}) {
        const std::int64_t h = s.back(), i = 2 * h + 1;
        const VarD x = leaf(s, seed++, -2, 2), w1 = leaf({i, h}, seed++), b1 = leaf({i}, seed++),
                   w2 = leaf({h, i}, seed++), b2 = leaf({h}, seed++);
        const auto r = random_tensor(s, seed++);
        check_gradients([&] { return weighted_sum(feed_forward(x, w1, b1, w2, b2), r); }, {x, w1, b1, w2, b2});
    }
}

TEST_CASE("feed_forward refuses mismatched weights and, in bf16, a missing bias", "[fused]") {
    const Var<float> x = random_var<float>({2, 4}, 1, -1, 1), w1 = random_var<float>({6, 4}, 2, -1, 1),
                     b1 = random_var<float>({6}, 3, -1, 1), w2 = random_var<float>({4, 6}, 4, -1, 1),
                     b2 = random_var<float>({4}, 5, -1, 1);
    for (const Precision p : {Precision::fp32, Precision::bf16}) {
        INFO("precision " << precision_name(p));
        const PrecisionScope scope(p);
        CHECK_THROWS_AS(feed_forward(x, w1, b1, random_var<float>({4, 5}, 6, -1, 1), b2), Error);
        CHECK_THROWS_AS(feed_forward(x, random_var<float>({6, 3}, 7, -1, 1), b1, w2, b2), Error);
        CHECK_THROWS_AS(feed_forward(x, w1, b1, w2, random_var<float>({5}, 8, -1, 1)), Error);
        Tape::current().clear();
    }
    const PrecisionScope bf16(Precision::bf16);
    CHECK_THROWS_AS(feed_forward(x, w1, Var<float>(), w2, b2), Error);
    Tape::current().clear();
}
