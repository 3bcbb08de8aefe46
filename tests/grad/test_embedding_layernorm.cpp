// ops/embedding_layernorm.hpp: dropout(LayerNorm(Σ table[ids])) as one op must be the ops it replaces bitwise
// (forward, every table and LayerNorm gradient, the generator's draws), with one, two or three tables and padding
// rows; pass the central-difference check; keep the sum, mean and rstd for backward; and refuse bad ids and tables
// with the embedding op's message.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "grad/fused_checks.hpp"
#include "grad/op_checks.hpp"
#include "tinybert/ops/dropout.hpp"
#include "tinybert/ops/elementwise.hpp"
#include "tinybert/ops/embedding.hpp"
#include "tinybert/ops/embedding_layernorm.hpp"
#include "tinybert/ops/layernorm.hpp"
#include "tinybert/ops/mse_loss.hpp"

using namespace tinybert;
using Catch::Matchers::Contains;
using test::check_gradients;
using test::leaf;
using test::random_tensor;
using test::random_var;
using test::VarD;
using test::weighted_sum;

namespace {

using Ids = Tensor<std::int64_t>;

// (B,S) = (3,5) ids: word ids with the padding id 0 at the ends of rows 1 and 2, token types 0/1, positions
// numbered after the padding as RoBERTa does (padding at position 1).
const Ids kWords = Ids::from_vector({3, 5}, {5, 9, 2, 7, 3, 4, 4, 8, 0, 0, 6, 1, 0, 0, 0});
const Ids kTypes = Ids::from_vector({3, 5}, {0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1});
const Ids kPositions = Ids::from_vector({3, 5}, {2, 3, 4, 5, 6, 2, 3, 4, 1, 1, 2, 3, 1, 1, 1});

template <class T>
test::OpRun run(bool fused, std::size_t tables, double p, bool training, DropoutStream stream) {
    constexpr std::int64_t e = 40;
    const Var<T> word = random_var<T>({10, e}, 1, -1, 1), type = random_var<T>({2, e}, 2, -1, 1);
    const Var<T> position = random_var<T>({7, e}, 3, -1, 1);
    const Var<T> w = random_var<T>({e}, 4, 0.5, 1.5), b = random_var<T>({e}, 5, -1, 1);
    const Var<T> target = random_var<T>({3, 5, e}, 6, -1, 1);
    Generator gen(17, stream);
    std::vector<EmbeddingLookup<T, Cpu>> lookups{{kWords, word, 0}};
    if (tables == 3) lookups.push_back({kTypes, type, -1});
    if (tables >= 2) lookups.push_back({kPositions, position, 1});
    Var<T> y;
    if (fused) {
        y = embedding_layer_norm<T, Cpu>(lookups, w, b, T(1e-5), p, &gen, training);
    } else {
        Var<T> sum = embedding(lookups[0].ids, lookups[0].table, lookups[0].padding_idx);
        for (std::size_t t = 1; t < lookups.size(); ++t)
            sum = add(sum, embedding(lookups[t].ids, lookups[t].table, lookups[t].padding_idx));
        y = dropout(layer_norm(sum, w, b, T(1e-5)), p, &gen, training);
    }
    test::OpRun r;
    r.record(y, true);
    backward(mse_loss(y, target.value()));
    for (const Var<T>* v : {&word, &type, &position, &w, &b}) r.record(*v);
    r.record_next_decisions(gen);
    return r;
}

template <class T>
void check_same_as_separate_ops() {
    for (const std::size_t tables : {std::size_t{1}, std::size_t{2}, std::size_t{3}})
        for (const auto stream : {DropoutStream::counter, DropoutStream::torch})
            for (const double p : {0.0, 0.1})
                for (const bool training : {true, false}) {
                    INFO(tables << " tables, torch stream " << (stream == DropoutStream::torch) << ", p " << p
                                << ", training " << training);
                    test::check_same_runs(run<T>(true, tables, p, training, stream),
                                          run<T>(false, tables, p, training, stream),
                                          "output, dword, dtype, dposition, dweight, dbias");
                }
}

}  // namespace

TEST_CASE("embedding_layer_norm is embedding, add, layer_norm and dropout bitwise, in float and double",
          "[grad][embedding][layernorm][fused]") {
    check_same_as_separate_ops<float>();
    check_same_as_separate_ops<double>();
}

TEST_CASE("embedding_layer_norm gradients: repeated ids accumulate, padding rows get none",
          "[grad][embedding][layernorm][fused]") {
    const VarD word = leaf({10, 6}, 70), position = leaf({7, 6}, 71), w = leaf({6}, 72), b = leaf({6}, 73);
    const auto r = random_tensor({3, 5, 6}, 74);
    for (const double p : {0.0, 0.3}) {
        // word row 0 and position row 1 are looked up; as padding rows they get no gradient, which a central
        // difference cannot know: the check runs without padding ids, the padding run after it
        const auto f = [&](std::int64_t word_padding, std::int64_t position_padding) {
            Generator gen(9);  // the same mask at every evaluation
            const std::vector<EmbeddingLookup<double, Cpu>> l{{kWords, word, word_padding},
                                                              {kPositions, position, position_padding}};
            return weighted_sum(embedding_layer_norm<double, Cpu>(l, w, b, 1e-5, p, &gen, true), r);
        };
        check_gradients([&] { return f(-1, -1); }, {word, position, w, b});
        word.zero_grad(), position.zero_grad();
        backward(f(0, 1));
        for (std::int64_t c = 0; c < 6; ++c) {
            CHECK(word.grad().data()[c] == 0);          // word row 0: the padding id
            CHECK(position.grad().data()[6 + c] == 0);  // position row 1: the padding position
            CHECK(position.grad().data()[c] == 0);      // position row 0: never looked up
        }
    }
}

TEST_CASE("embedding_layer_norm keeps the sum, mean and rstd for backward", "[grad][embedding][fused][memory]") {
    const Var<float> word = random_var<float>({10, 32}, 1, -1, 1), w = random_var<float>({32}, 2, 0.5, 1.5);
    const Var<float> b = random_var<float>({32}, 3, -1, 1);
    Generator gen(3);
    const std::size_t before = cpu::BlockCache::instance().bytes_in_use();
    const std::vector<EmbeddingLookup<float, Cpu>> l{{kWords, word, 0}};
    const Var<float> y = embedding_layer_norm<float, Cpu>(l, w, b, 1e-12f, 0.1, &gen, true);
    const std::size_t rows = 15, activation = rows * 32 * sizeof(float);
    CHECK(cpu::BlockCache::instance().bytes_in_use() - before == 2 * activation + 2 * rows * sizeof(float));
    Tape::current().clear();
    CHECK(cpu::BlockCache::instance().bytes_in_use() - before == activation);  // only the output
}

TEST_CASE("embedding_layer_norm refuses bad ids, mismatched tables and a missing generator",
          "[embedding][layernorm][fused]") {
    const VarD word = leaf({10, 4}, 1), narrow = leaf({7, 3}, 2), position = leaf({7, 4}, 3);
    const VarD w = leaf({4}, 4), b = leaf({4}, 5);
    Generator gen(1);
    const auto call = [&](const std::vector<EmbeddingLookup<double, Cpu>>& l, Generator* g = nullptr) {
        return embedding_layer_norm<double, Cpu>(l, w, b, 1e-5, 0.1, g, g != nullptr);
    };
    CHECK_THROWS_WITH(call({{Ids::from_vector({3}, {0, 12, 1}), word, -1}}),
                      Contains("id 12 at position 1") && Contains("10 rows"));
    CHECK_THROWS_WITH(call({{kWords, word, 0}, {kPositions, narrow, -1}}), Contains("EmbeddingSum"));
    CHECK_THROWS_WITH(call({{kWords, word, 0}, {Ids::from_vector({3}, {0, 1, 2}), position, -1}}),
                      Contains("EmbeddingSum"));
    CHECK_THROWS(call({{kWords, word, 0}, {kWords, word, 0}, {kWords, word, 0}, {kWords, word, 0}}));
    CHECK_THROWS(call({}));
    CHECK_THROWS_WITH(call({{kWords, narrow, 0}}), Contains("weight"));
    CHECK_NOTHROW(call({{kWords, word, 0}}));  // evaluation: no dropout, no generator needed
    CHECK_NOTHROW(call({{kWords, word, 0}}, &gen));
    Tape::current().clear();  // the calls above recorded backwards that no test runs
}
