// CUDA kernel benchmarks at bert-base sizes (H 768, I 3072, NH 12, B·S = 32·128 = 4096 rows), float, and the
// linear and attention rows again in bf16 (M 1, 2).
// Each iteration is timed on the GPU with a pair of CUDA events (manual time), so the numbers are device time of
// one launcher call (its temporaries' cudaMalloc/cudaFree included), not host time. Run on a machine with a GPU:
//   bench_ops_cuda --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "tinybert/backend/cuda/attention.cuh"
#include "tinybert/backend/cuda/elementwise.cuh"
#include "tinybert/backend/cuda/layernorm.cuh"
#include "tinybert/backend/cuda/linear.cuh"
#include "tinybert/core/precision.hpp"
#include "tinybert/core/rng.hpp"

namespace {

using tinybert::Cpu;
using tinybert::Cuda;
using tinybert::Shape;
using Tensor = tinybert::Tensor<float, Cuda>;

constexpr std::int64_t rows = 4096, hidden = 768, intermediate = 3072, batch = 32, seq = 128, heads = 12;

Tensor random_tensor(const Shape& shape, std::uint64_t seed) {
    std::vector<float> v(shape.numel());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(2.0 * tinybert::random_uniform(seed, i) - 1.0);
    return tinybert::Tensor<float, Cpu>::from_vector(shape, v).to<Cuda>();
}

class EventPair {
public:
    EventPair() {
        TINYBERT_CUDA_CHECK(cudaEventCreate(&start_));
        TINYBERT_CUDA_CHECK(cudaEventCreate(&stop_));
    }
    ~EventPair() {
        (void)cudaEventDestroy(start_);
        (void)cudaEventDestroy(stop_);
    }
    EventPair(const EventPair&) = delete;
    EventPair& operator=(const EventPair&) = delete;
    void start() { TINYBERT_CUDA_CHECK(cudaEventRecord(start_)); }
    // Seconds since start(), after waiting for the GPU.
    double stop() {
        TINYBERT_CUDA_CHECK(cudaEventRecord(stop_));
        TINYBERT_CUDA_CHECK(cudaEventSynchronize(stop_));
        float ms = 0;
        TINYBERT_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
        return static_cast<double>(ms) * 1e-3;
    }

private:
    cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

bool require_device(benchmark::State& state) {
    if (tinybert::cuda::device_available()) return true;
    state.SkipWithError("no CUDA device");
    return false;
}

// Time f() per iteration on the GPU (one warm-up call first); flops and bytes are per call, for the rate counters.
template <class F>
void run_timed(benchmark::State& state, double flops, double bytes, F&& f) {
    f();
    Cuda::synchronize();
    EventPair events;
    for (auto _ : state) {
        events.start();
        f();
        state.SetIterationTime(events.stop());
    }
    if (flops > 0) state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
    if (bytes > 0) state.counters["bytes/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
}

// Sets an environment variable the launchers read at each call (value) or unsets it (nullptr), for one benchmark
class EnvChoice {
public:
    EnvChoice(const char* name, const char* value) : name_(name) {
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    EnvChoice(const EnvChoice&) = delete;
    EnvChoice& operator=(const EnvChoice&) = delete;
    ~EnvChoice() { ::unsetenv(name_); }

private:
    const char* name_;
};

// out (4096, OUT) = inp (4096, IN) · W (OUT, IN)ᵀ + b; args: OUT, IN, M: 0 fp32; 1 bf16 (x and W rounded to bf16 by
// the call, as the layer does, fp32 output; the bias broadcast into the output first); 2 bf16 with the bias in
// cuBLASLt's epilogue (TINYBERT_CUDA_GEMM=lt)
void BM_linear_forward(benchmark::State& state) {
    if (!require_device(state)) return;
    const std::int64_t out = state.range(0), in = state.range(1), mode = state.range(2);
    const EnvChoice gemm("TINYBERT_CUDA_GEMM", mode == 2 ? "lt" : nullptr);  // the bias in cuBLASLt's epilogue
    const Tensor x = random_tensor(Shape{rows, in}, 1), w = random_tensor(Shape{out, in}, 2),
                 b = random_tensor(Shape{out}, 3);
    Tensor y(Shape{rows, out});
    if (mode == 0)
        return run_timed(state, 2.0 * rows * out * in, 0, [&] { tinybert::cuda::linear_forward(y, x, w, b); });
    run_timed(state, 2.0 * rows * out * in, 0, [&] {
        tinybert::cuda::linear_forward(y, tinybert::cuda::to_16bit(x, false), tinybert::cuda::to_16bit(w, false), b);
    });
}

// dinp, dweight, dbias of the same layer; M: 0 fp32, 1 bf16 (from the forward's bf16 x and W; the output gradient
// rounded to bf16 and summed for dbias in one pass)
void BM_linear_backward(benchmark::State& state) {
    if (!require_device(state)) return;
    const std::int64_t out = state.range(0), in = state.range(1), mode = state.range(2);
    const Tensor x = random_tensor(Shape{rows, in}, 1), w = random_tensor(Shape{out, in}, 2),
                 dy = random_tensor(Shape{rows, out}, 3);
    Tensor dx(Shape{rows, in}), dw(Shape{out, in}), db(Shape{out});
    if (mode == 0)
        return run_timed(state, 4.0 * rows * out * in, 0,
                         [&] { tinybert::cuda::linear_backward(&dx, &dw, &db, dy, x, w); });
    const auto x16 = tinybert::cuda::to_16bit(x, false), w16 = tinybert::cuda::to_16bit(w, false);
    run_timed(state, 4.0 * rows * out * in, 0, [&] { tinybert::cuda::linear_backward(&dx, &dw, &db, dy, x16, w16); });
}

// Attention, B 32, S range(0), H 768, NH 12 (head size 64), dropout 0.1 (counter stream); range(1): 0 fp32, 1 bf16
// through the GEMM path, 2 bf16 flash attention (TINYBERT_CUDA_ATTENTION=flash, flash_attention.cuh). Inputs (B,S,H)
// float, as the model's projections give them: every path splits them into heads (in 16 bits under bf16) inside.
const tinybert::DropoutMask attention_dropout{0.1, 42, 0};

class AttentionSetup {
public:
    explicit AttentionSetup(const benchmark::State& state)
        : precision_(state.range(1) == 0 ? tinybert::Precision::fp32 : tinybert::Precision::bf16),
          flash_("TINYBERT_CUDA_ATTENTION", state.range(1) == 2 ? "flash" : nullptr) {}

private:
    tinybert::PrecisionScope precision_;
    EnvChoice flash_;
};

void BM_attention_forward(benchmark::State& state) {
    if (!require_device(state)) return;
    const AttentionSetup setup(state);
    const std::int64_t s = state.range(0);
    const Shape bsh{batch, s, hidden};
    const Tensor q = random_tensor(bsh, 1), k = random_tensor(bsh, 2), v = random_tensor(bsh, 3);
    const Tensor mask(Shape{batch, s});
    Tensor ctx(bsh);
    run_timed(state, 4.0 * batch * s * s * hidden, 0, [&] {
        tinybert::cuda::attention_forward(ctx, q, k, v, mask, static_cast<int>(heads), attention_dropout);
    });
}

void BM_attention_backward(benchmark::State& state) {
    if (!require_device(state)) return;
    const AttentionSetup setup(state);
    const std::int64_t s = state.range(0);
    const Shape bsh{batch, s, hidden};
    const Tensor q = random_tensor(bsh, 1), k = random_tensor(bsh, 2), v = random_tensor(bsh, 3),
                 dctx = random_tensor(bsh, 4);
    const Tensor mask(Shape{batch, s});
    Tensor ctx(bsh), dq(bsh), dk(bsh), dv(bsh);
    const auto saved =
        tinybert::cuda::attention_forward(ctx, q, k, v, mask, static_cast<int>(heads), attention_dropout);
    run_timed(state, 8.0 * batch * s * s * hidden, 0,
              [&] { tinybert::cuda::attention_backward(&dq, &dk, &dv, dctx, saved, attention_dropout); });
}

// (4096, 768)
void BM_layernorm_forward(benchmark::State& state) {
    if (!require_device(state)) return;
    const Tensor x = random_tensor(Shape{rows, hidden}, 1), w = random_tensor(Shape{hidden}, 2),
                 b = random_tensor(Shape{hidden}, 3);
    Tensor y(Shape{rows, hidden}), mean(Shape{rows}), rstd(Shape{rows});
    run_timed(state, 0, 2.0 * rows * hidden * sizeof(float),
              [&] { tinybert::cuda::layernorm_forward(y, mean, rstd, x, w, b, 1e-12f); });
}

void BM_layernorm_backward(benchmark::State& state) {
    if (!require_device(state)) return;
    const Tensor x = random_tensor(Shape{rows, hidden}, 1), w = random_tensor(Shape{hidden}, 2),
                 b = random_tensor(Shape{hidden}, 3);
    const Tensor dy = random_tensor(Shape{rows, hidden}, 4);
    Tensor y(Shape{rows, hidden}), mean(Shape{rows}), rstd(Shape{rows}), dx(Shape{rows, hidden}), dw(Shape{hidden}),
        db(Shape{hidden});
    tinybert::cuda::layernorm_forward(y, mean, rstd, x, w, b, 1e-12f);
    run_timed(state, 0, 5.0 * rows * hidden * sizeof(float),
              [&] { tinybert::cuda::layernorm_backward(&dx, &dw, &db, dy, x, w, mean, rstd); });
}

// (4096, 3072)
void BM_gelu_forward(benchmark::State& state) {
    if (!require_device(state)) return;
    const Tensor x = random_tensor(Shape{rows, intermediate}, 1);
    Tensor y(Shape{rows, intermediate});
    run_timed(state, 0, 2.0 * rows * intermediate * sizeof(float), [&] { tinybert::cuda::gelu_forward(y, x); });
}

void BM_gelu_backward(benchmark::State& state) {
    if (!require_device(state)) return;
    const Tensor x = random_tensor(Shape{rows, intermediate}, 1), dy = random_tensor(Shape{rows, intermediate}, 2);
    Tensor dx(Shape{rows, intermediate});
    run_timed(state, 0, 4.0 * rows * intermediate * sizeof(float), [&] { tinybert::cuda::gelu_backward(&dx, dy, x); });
}

}  // namespace

BENCHMARK(BM_linear_forward)
    ->ArgsProduct({{hidden, intermediate}, {hidden}, {0, 1, 2}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_linear_backward)
    ->ArgsProduct({{hidden, intermediate}, {hidden}, {0, 1}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_attention_forward)
    ->Args({seq, 0})
    ->ArgsProduct({{seq, 512}, {1, 2}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_attention_backward)
    ->Args({seq, 0})
    ->ArgsProduct({{seq, 512}, {1, 2}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_layernorm_forward)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_layernorm_backward)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_gelu_forward)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_gelu_backward)->UseManualTime()->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
