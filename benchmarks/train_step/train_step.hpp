// benchmarks/train_step/train_step.hpp: one full fine-tuning step of a BERT model with a task head on Device
// (forward, backward, clipping, AdamW, zero_grad; the device synchronised at the end of each step), random weights
// from a config.json, fixed token ids and labels; reports sequences/s and the process's peak resident set (host
// memory, MB), and on a GPU the caching allocator's peak bytes in tensors and reserved. --head picks the head:
// classification (2 labels), token (token classification, 9 labels) or qa (start/end positions); --inference times
// the forward of the eval-mode model without a tape instead (the head's logits). The mains are bench_train_step.cpp
// (Cpu) and bench_train_step_cuda.cu (Cuda); benchmarks/train_step/bench_train_step.py runs them next to PyTorch.
// --precision sets the GEMM precision (core/precision.hpp); fp16 also does the loss-scaling work of a GradScaler
// step (backward seeded with 2^16, the gradients divided by it, the norm checked for inf).
//   <program> --config config.json [--batch B] [--seq S] [--head classification|token|qa] [--inference]
//             [--dropout-stream torch|counter] [--precision fp32|tf32|bf16|fp16] [benchmark flags]
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

enum class BenchHead { classification, token, qa };

struct TrainStepOptions {
    std::string config_path;
    std::int64_t batch = 32, seq = 128;
    BenchHead head = BenchHead::classification;
    bool inference = false;
    DropoutStream stream = DropoutStream::torch;
    Precision precision = Precision::fp32;
};

// The head's labels for a (B,S) batch, on the host: class i % 2, tag (b·S + s) % 9, or answer span [s0, s0 + 3].
template <class Head>
void add_labels(Batch<Cpu>& b, std::int64_t batch, std::int64_t seq) {
    std::vector<std::int64_t> v;
    if constexpr (std::is_same_v<Head, SequenceClassification>) {
        for (std::int64_t i = 0; i < batch; ++i) v.push_back(i % 2);
        b.labels = Tensor<std::int64_t>::from_vector({batch}, v);  // (B)
    } else if constexpr (std::is_same_v<Head, TokenClassification>) {
        for (std::int64_t i = 0; i < batch * seq; ++i) v.push_back(i % 9);
        b.labels = Tensor<std::int64_t>::from_vector({batch, seq}, v);  // (B,S)
    } else {
        std::vector<std::int64_t> end;
        for (std::int64_t i = 0; i < batch; ++i) v.push_back((i * 5) % (seq - 3)), end.push_back(v.back() + 3);
        b.start_positions = Tensor<std::int64_t>::from_vector({batch}, v);  // (B)
        b.end_positions = Tensor<std::int64_t>::from_vector({batch}, end);  // (B)
    }
}

template <class Device, class Head>
void train_step(benchmark::State& state, const TrainStepOptions& o) {
    using Model = Bert<Encoder<dynamic>, Head, Device>;
    const PrecisionScope precision(o.precision);
    const float loss_scale = o.precision == Precision::fp16 ? 65536.0f : 1.0f;
    BertConfig config = BertConfig::from_file(o.config_path);
    config.set_num_labels(std::is_same_v<Head, SequenceClassification> ? 2
                          : std::is_same_v<Head, TokenClassification>  ? 9
                                                                       : 2);
    Model model(config, 1);
    model.generator() = Generator(1, o.stream);
    AdamW<float, Device> opt(model, {.lr = 5e-5, .weight_decay = 0.01});
    std::vector<std::int64_t> ids(static_cast<std::size_t>(o.batch * o.seq));
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(1000 + (i * 7919) % 20000);
    Batch<Cpu> host;
    host.input_ids = Tensor<std::int64_t>::from_vector({o.batch, o.seq}, ids);  // (B,S)
    if (!o.inference) add_labels<Head>(host, o.batch, o.seq);
    const Batch<Device> b = to_device<Device>(host);
    const auto train = [&] {
        const auto out = model.forward(b);
        backward(out.loss, loss_scale);
        if (loss_scale != 1.0f) scale_gradients(model, 1.0f / loss_scale);
        const double norm = clip_grad_norm(model, 1.0);
        if (std::isfinite(norm)) opt.step(5e-5);
        model.zero_grad();
        Device::synchronize();
    };
    const auto infer = [&] {
        const NoGradGuard no_grad;
        auto out = model.forward(b);
        benchmark::DoNotOptimize(out);
        Device::synchronize();
    };
    if (o.inference)
        model.eval();
    else
        model.train();
    const auto step = [&] { o.inference ? infer() : train(); };
    step();  // warm-up (first-touch page faults, gradient buffers, cuBLAS handle), not timed
    if constexpr (std::is_same_v<Device, Cpu>) cpu::BlockCache::instance().reset_peak();
    for (auto _ : state) step();
    state.SetItemsProcessed(state.iterations() * o.batch);
    state.counters["seq/s"] =
        benchmark::Counter(static_cast<double>(o.batch), benchmark::Counter::kIsIterationInvariantRate);
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    state.counters["peak_rss_mb"] = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
    if constexpr (std::is_same_v<Device, Cpu>)  // bytes held by tensors at most during the timed steps
        state.counters["peak_mb"] = static_cast<double>(cpu::BlockCache::instance().peak_bytes_in_use()) / (1 << 20);
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
        } else if (!std::strcmp(argv[i], "--head") && i + 1 < argc) {
            const std::string name = argv[++i];
            usage = usage || (name != "classification" && name != "token" && name != "qa");
            o.head = name == "token" ? BenchHead::token : name == "qa" ? BenchHead::qa : BenchHead::classification;
        } else if (!std::strcmp(argv[i], "--inference")) {
            o.inference = true;
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
                     "usage: %s --config config.json [--batch B] [--seq S] [--head classification|token|qa] "
                     "[--inference] [--dropout-stream torch|counter] [--precision fp32|tf32|bf16|fp16]\n",
                     argv[0]);
        return 2;
    }
    benchmark::RegisterBenchmark("BM_TrainStep",
                                 [o](benchmark::State& s) {
                                     switch (o.head) {
                                         case BenchHead::classification:
                                             return train_step<Device, SequenceClassification>(s, o);
                                         case BenchHead::token:
                                             return train_step<Device, TokenClassification>(s, o);
                                         case BenchHead::qa:
                                             return train_step<Device, QuestionAnswering>(s, o);
                                     }
                                 })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    int n = static_cast<int>(rest.size());
    benchmark::Initialize(&n, rest.data());
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}

}  // namespace tinybert::bench
