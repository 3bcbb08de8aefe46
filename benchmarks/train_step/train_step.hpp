// benchmarks/train_step/train_step.hpp: one full fine-tuning step of a BERT sequence classifier on Device (forward,
// backward, clipping, AdamW, zero_grad; the device synchronised at the end of each step), random weights from a
// config.json, fixed token ids; reports sequences/s and the process's peak resident set (host memory, MB), and on a GPU
// the caching allocator's peak bytes in tensors and reserved. The mains are bench_train_step.cpp (Cpu) and
// bench_train_step_cuda.cu (Cuda); benchmarks/train_step/bench_train_step.py runs them next to PyTorch.
// --precision sets the GEMM precision (core/precision.hpp); fp16 also does the loss-scaling work of a GradScaler
// step (backward seeded with 2^16, the gradients divided by it, the norm checked for inf).
//   <program> --config config.json [--batch B] [--seq S] [--dropout-stream torch|counter]
//             [--precision fp32|tf32|bf16|fp16] [benchmark flags]
#pragma once

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "tinybert/core/precision.hpp"
#include "tinybert/nn/bert.hpp"
#include "tinybert/train/clip.hpp"
#include "tinybert/train/optimizer.hpp"

namespace tinybert::bench {

struct TrainStepOptions {
    std::string config_path;
    std::int64_t batch = 32, seq = 128;
    DropoutStream stream = DropoutStream::torch;
    Precision precision = Precision::fp32;
};

template <class Device>
void train_step(benchmark::State& state, const TrainStepOptions& o) {
    using Model = Bert<Encoder<dynamic>, SequenceClassification, Device>;
    const PrecisionScope precision(o.precision);
    const float loss_scale = o.precision == Precision::fp16 ? 65536.0f : 1.0f;
    BertConfig config = BertConfig::from_file(o.config_path);
    config.set_num_labels(2);
    Model model(config, 1);
    model.train();
    model.generator() = Generator(1, o.stream);
    AdamW<float, Device> opt(model, {.lr = 5e-5, .weight_decay = 0.01});
    std::vector<std::int64_t> ids(static_cast<std::size_t>(o.batch * o.seq)), labels(static_cast<std::size_t>(o.batch));
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(1000 + (i * 7919) % 20000);
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::int64_t>(i % 2);
    Batch<Device> b;
    b.input_ids = Tensor<std::int64_t>::from_vector({o.batch, o.seq}, ids).template to<Device>();  // (B,S)
    b.labels = Tensor<std::int64_t>::from_vector({o.batch}, labels).template to<Device>();         // (B)
    const auto step = [&] {
        const auto out = model.forward(b);
        backward(out.loss, loss_scale);
        if (loss_scale != 1.0f) scale_gradients(model, 1.0f / loss_scale);
        const double norm = clip_grad_norm(model, 1.0);
        if (std::isfinite(norm)) opt.step(5e-5);
        model.zero_grad();
        Device::synchronize();
    };
    step();  // warm-up (first-touch page faults, gradient buffers, cuBLAS handle), not timed
    for (auto _ : state) step();
    state.SetItemsProcessed(state.iterations() * o.batch);
    state.counters["seq/s"] =
        benchmark::Counter(static_cast<double>(o.batch), benchmark::Counter::kIsIterationInvariantRate);
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    state.counters["peak_rss_mb"] = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
    if constexpr (std::is_same_v<Device, Cuda>) {
        const auto& cache = cuda::BlockCache::instance();
        state.counters["peak_gpu_mb"] = static_cast<double>(cache.peak_bytes_in_use()) / (1 << 20);
        state.counters["peak_gpu_reserved_mb"] = static_cast<double>(cache.peak_bytes_reserved()) / (1 << 20);
    }
#endif
}

// Parses the program's own flags, passes the rest to Google Benchmark, runs BM_TrainStep on Device.
template <class Device>
int train_step_main(int argc, char** argv) {
    TrainStepOptions o;
    if constexpr (!std::is_same_v<Device, Cpu>) o.stream = DropoutStream::counter;  // drawn masks are host-only
    std::vector<char*> rest{argv[0]};
    bool usage = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--config") && i + 1 < argc) {
            o.config_path = argv[++i];
        } else if (!std::strcmp(argv[i], "--batch") && i + 1 < argc) {
            o.batch = std::stoll(argv[++i]);
        } else if (!std::strcmp(argv[i], "--seq") && i + 1 < argc) {
            o.seq = std::stoll(argv[++i]);
        } else if (!std::strcmp(argv[i], "--precision") && i + 1 < argc) {
            const std::optional<Precision> p = parse_precision(argv[++i]);
            usage = usage || !p;
            o.precision = p.value_or(Precision::fp32);
        } else if (!std::strcmp(argv[i], "--dropout-stream") && i + 1 < argc) {
            const std::string name = argv[++i];
            usage = usage || (name != "torch" && name != "counter");
            o.stream = name == "counter" ? DropoutStream::counter : DropoutStream::torch;
        } else {
            rest.push_back(argv[i]);
        }
    }
    if (usage || o.config_path.empty()) {
        std::fprintf(stderr,
                     "usage: %s --config config.json [--batch B] [--seq S] [--dropout-stream torch|counter] "
                     "[--precision fp32|tf32|bf16|fp16]\n",
                     argv[0]);
        return 2;
    }
    benchmark::RegisterBenchmark("BM_TrainStep", [o](benchmark::State& s) { train_step<Device>(s, o); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    int n = static_cast<int>(rest.size());
    benchmark::Initialize(&n, rest.data());
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}

}  // namespace tinybert::bench
