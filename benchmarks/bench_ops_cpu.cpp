// benchmarks/bench_ops_cpu.cpp: CPU kernels at BERT-base (H 768, I 3072, NH 12) and MiniLM (H 384, I 1536, NH 12)
// shapes, float, B·S = 32·128 = 4096 rows. Linear reports GFLOP/s next to a plain Eigen GEMM at the same M×N×K,
// the rate linear should approach. Rates use wall time (the kernels are multithreaded).
// Run: bench_ops_cpu [--benchmark_filter=Linear]; never run by ctest.
#include <benchmark/benchmark.h>

#include "tinybert/core/simd.hpp"  // before Eigen (see there)
#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "tinybert/backend/cpu/attention.hpp"
#include "tinybert/backend/cpu/dropout.hpp"
#include "tinybert/backend/cpu/elementwise.hpp"
#include "tinybert/backend/cpu/layernorm.hpp"
#include "tinybert/backend/cpu/linear.hpp"
#include "tinybert/backend/cpu/residual_layernorm.hpp"
#include "tinybert/core/rng.hpp"

namespace {

using tinybert::Shape;
using TensorF = tinybert::Tensor<float>;

// A float tensor with entries uniform in [-1, 1), from the library's counter-based RNG.
TensorF random_tensor(const Shape& shape, std::uint64_t seed) {
    std::vector<float> v(shape.numel());
    for (std::size_t i = 0; i < v.size(); ++i)
        v[i] = static_cast<float>(2 * tinybert::random_uniform(seed, i) - 1);
    return TensorF::from_vector(shape, v);
}

void set_gflops(benchmark::State& state, double flops) {
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// linear: out (M,N) = x (M,K)·W (N,K)ᵀ + b (N)
void BM_LinearForward(benchmark::State& state) {
    const std::int64_t m = state.range(0), n = state.range(1), k = state.range(2);
    const TensorF x = random_tensor({m, k}, 1), w = random_tensor({n, k}, 2), b = random_tensor({n}, 3);
    TensorF y({m, n});
    for (auto _ : state) {
        tinybert::cpu::linear_forward(y, x, w, b);
        benchmark::DoNotOptimize(y.data());
    }
    set_gflops(state, 2.0 * static_cast<double>(m * n * k));
}

// The reference rate: plain Eigen C (M,N) = A (M,K)·B (K,N), column-major, no bias.
void BM_EigenGemm(benchmark::State& state) {
    const Eigen::Index m = state.range(0), n = state.range(1), k = state.range(2);
    const Eigen::MatrixXf a = Eigen::MatrixXf::Random(m, k), b = Eigen::MatrixXf::Random(k, n);
    Eigen::MatrixXf c(m, n);
    for (auto _ : state) {
        c.noalias() = a * b;
        benchmark::DoNotOptimize(c.data());
    }
    set_gflops(state, 2.0 * static_cast<double>(m * n * k));
}

// attention (B,S,H) with NH heads, no dropout; FLOPs of the two GEMMs per head (Q·Kᵀ and P·V): 4·B·S²·H
void BM_AttentionForward(benchmark::State& state) {
    const std::int64_t b = state.range(0), s = state.range(1), h = state.range(2);
    const int nh = static_cast<int>(state.range(3));
    const TensorF q = random_tensor({b, s, h}, 4), k = random_tensor({b, s, h}, 5), v = random_tensor({b, s, h}, 6);
    const TensorF mask({b, s});
    TensorF ctx({b, s, h});
    for (auto _ : state) {
        const auto saved = tinybert::cpu::attention_forward(ctx, q, k, v, mask, nh, tinybert::DropoutMask{});
        benchmark::DoNotOptimize(saved.probs.data());
    }
    set_gflops(state, 4.0 * static_cast<double>(b * s * s * h));
}

// attention backward (four GEMMs per head): 8·B·S²·H
void BM_AttentionBackward(benchmark::State& state) {
    const std::int64_t b = state.range(0), s = state.range(1), h = state.range(2);
    const int nh = static_cast<int>(state.range(3));
    const TensorF q = random_tensor({b, s, h}, 4), k = random_tensor({b, s, h}, 5), v = random_tensor({b, s, h}, 6);
    const TensorF mask({b, s}), dctx = random_tensor({b, s, h}, 7);
    TensorF ctx({b, s, h}), dq({b, s, h}), dk({b, s, h}), dv({b, s, h});
    const auto saved = tinybert::cpu::attention_forward(ctx, q, k, v, mask, nh, tinybert::DropoutMask{});
    for (auto _ : state) {
        tinybert::cpu::attention_backward(&dq, &dk, &dv, dctx, saved, tinybert::DropoutMask{});
        benchmark::DoNotOptimize(dq.data());
    }
    set_gflops(state, 8.0 * static_cast<double>(b * s * s * h));
}

// layer norm over (N,H), forward
void BM_LayerNormForward(benchmark::State& state) {
    const std::int64_t n = state.range(0), h = state.range(1);
    const TensorF x = random_tensor({n, h}, 8), w = random_tensor({h}, 9), b = random_tensor({h}, 10);
    TensorF y({n, h}), mean({n}), rstd({n});
    for (auto _ : state) {
        tinybert::cpu::layernorm_forward(y, mean, rstd, x, w, b, 1e-12f);
        benchmark::DoNotOptimize(y.data());
    }
    state.SetBytesProcessed(state.iterations() * 2 * n * h * static_cast<std::int64_t>(sizeof(float)));
}

// GELU over (N,I), forward
void BM_GeluForward(benchmark::State& state) {
    const std::int64_t n = state.range(0), i = state.range(1);
    const TensorF x = random_tensor({n, i}, 11);
    TensorF y({n, i});
    for (auto _ : state) {
        tinybert::cpu::gelu_forward(y, x);
        benchmark::DoNotOptimize(y.data());
    }
    state.SetBytesProcessed(state.iterations() * 2 * n * i * static_cast<std::int64_t>(sizeof(float)));
}

// dropout over N elements at p = 0.1: take the mask from a Generator (range(1): 0 = counter stream, 1 = torch stream,
// which draws one double per element serially on the host), then apply it
void BM_DropoutForward(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    const auto stream = state.range(1) ? tinybert::DropoutStream::torch : tinybert::DropoutStream::counter;
    const TensorF x = random_tensor({n}, 12);
    TensorF y({n});
    tinybert::Generator gen(42, stream);
    for (auto _ : state) {
        tinybert::cpu::dropout_forward(y, x, gen.mask(static_cast<std::uint64_t>(n), 0.1));
        benchmark::DoNotOptimize(y.data());
    }
    state.SetItemsProcessed(state.iterations() * n);
}

// The end of a residual block over (N,H), forward and backward, dropout 0.1 (counter stream): range(2) = 1 the fused
// kernels (residual_layernorm.hpp), 0 dropout, add and LayerNorm one after the other as before (the gradients of the
// sum and the dropout output are fresh zeros, as the tape's). The two rows of one shape are the A/B comparison.
void BM_ResidualLayerNorm(benchmark::State& state) {
    const std::int64_t n = state.range(0), h = state.range(1);
    const bool fused = state.range(2) != 0;
    const TensorF x = random_tensor({n, h}, 13), r = random_tensor({n, h}, 14), w = random_tensor({h}, 15),
                  b = random_tensor({h}, 16), dy = random_tensor({n, h}, 17);
    TensorF y({n, h}), sum({n, h}), mean({n}), rstd({n}), dx({n, h}), dr({n, h}), dw({h}), db({h});
    const tinybert::DropoutMask mask{0.1, 7, 0, nullptr};
    namespace cpu = tinybert::cpu;
    for (auto _ : state) {
        if (fused) {
            cpu::residual_layernorm_forward(y, sum, mean, rstd, x, r, mask, w, b, 1e-12f);
            cpu::residual_layernorm_backward(&dx, &dr, &dw, &db, dy, sum, mask, w, mean, rstd);
        } else {
            TensorF dropped({n, h}), dsum({n, h}), ddropped({n, h});
            cpu::dropout_forward(dropped, x, mask);
            cpu::add_forward(sum, dropped, r);
            cpu::layernorm_forward(y, mean, rstd, sum, w, b, 1e-12f);
            cpu::layernorm_backward(&dsum, &dw, &db, dy, sum, w, mean, rstd);
            cpu::add_backward(&ddropped, &dr, dsum);
            cpu::dropout_backward(&dx, ddropped, mask);
        }
        benchmark::DoNotOptimize(dx.data());
    }
    state.SetItemsProcessed(state.iterations() * n);
}

}  // namespace

// GEMM shapes M×N×K: QKV/output projections and FFN-in at B·S = 4096 (BERT-base)
BENCHMARK(BM_LinearForward)->Args({4096, 768, 768})->Args({4096, 3072, 768})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EigenGemm)->Args({4096, 768, 768})->Args({4096, 3072, 768})->Unit(benchmark::kMillisecond)->UseRealTime();
// B, S, H, NH: BERT-base and MiniLM
BENCHMARK(BM_AttentionForward)->Args({32, 128, 768, 12})->Args({32, 128, 384, 12})->Args({8, 384, 384, 12})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttentionBackward)->Args({32, 128, 768, 12})->Args({32, 128, 384, 12})->Args({8, 384, 384, 12})->Unit(benchmark::kMillisecond)->UseRealTime();
// rows, features: hidden size for layer norm, intermediate size for GELU
BENCHMARK(BM_LayerNormForward)->Args({4096, 768})->Args({4096, 384})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GeluForward)->Args({4096, 3072})->Args({4096, 1536})->Unit(benchmark::kMillisecond)->UseRealTime();
// the attention probabilities of one MiniLM layer on a SQuAD batch (8·12·384·384), counter and torch streams
BENCHMARK(BM_ResidualLayerNorm)
    ->ArgsProduct({{4096}, {768, 384}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_DropoutForward)->Args({8 * 12 * 384 * 384, 0})->Args({8 * 12 * 384 * 384, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
