// One full fine-tuning step of a BERT sequence classifier on the CPU (forward, backward, clipping, AdamW, zero_grad),
// random weights from a config.json, random token ids; reports sequences/s. benchmarks/train_step/bench_train_step.py
// runs it next to the same step in PyTorch. Dropout masks come from the torch stream, the Trainer's default on the CPU
// (--dropout-stream counter: the counter-based stream).
//   bench_train_step --config config.json [--batch B] [--seq S] [--dropout-stream torch|counter] [benchmark flags]
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "tinybert/nn/bert.hpp"
#include "tinybert/train/clip.hpp"
#include "tinybert/train/optimizer.hpp"

namespace {

std::string config_path;
std::int64_t batch = 32, seq = 128;
tinybert::DropoutStream stream = tinybert::DropoutStream::torch;

void BM_TrainStep(benchmark::State& state) {
    using Model = tinybert::Bert<tinybert::Encoder<tinybert::dynamic>, tinybert::SequenceClassification>;
    tinybert::BertConfig config = tinybert::BertConfig::from_file(config_path);
    config.set_num_labels(2);
    Model model(config, 1);
    model.train();
    model.generator() = tinybert::Generator(1, stream);
    tinybert::AdamW<float, tinybert::Cpu> opt(model, {.lr = 5e-5, .weight_decay = 0.01});
    tinybert::Batch<tinybert::Cpu> b;
    std::vector<std::int64_t> ids(static_cast<std::size_t>(batch * seq)), labels(static_cast<std::size_t>(batch));
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(1000 + (i * 7919) % 20000);
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::int64_t>(i % 2);
    b.input_ids = tinybert::Tensor<std::int64_t>::from_vector({batch, seq}, ids);
    b.labels = tinybert::Tensor<std::int64_t>::from_vector({batch}, labels);
    const auto step = [&] {
        const auto out = model.forward(b);
        tinybert::backward(out.loss);
        tinybert::clip_grad_norm(model, 1.0);
        opt.step(5e-5);
        model.zero_grad();
    };
    step();  // warm-up (first-touch page faults, gradient buffers), not timed
    for (auto _ : state) step();
    state.SetItemsProcessed(state.iterations() * batch);
    state.counters["seq/s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<char*> rest{argv[0]};
    bool usage = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--config") && i + 1 < argc) {
            config_path = argv[++i];
        } else if (!std::strcmp(argv[i], "--batch") && i + 1 < argc) {
            batch = std::stoll(argv[++i]);
        } else if (!std::strcmp(argv[i], "--seq") && i + 1 < argc) {
            seq = std::stoll(argv[++i]);
        } else if (!std::strcmp(argv[i], "--dropout-stream") && i + 1 < argc) {
            const std::string name = argv[++i];
            usage = usage || (name != "torch" && name != "counter");
            stream = name == "counter" ? tinybert::DropoutStream::counter : tinybert::DropoutStream::torch;
        } else {
            rest.push_back(argv[i]);
        }
    }
    if (usage || config_path.empty()) {
        std::fprintf(stderr,
                     "usage: bench_train_step --config config.json [--batch B] [--seq S] [--dropout-stream torch|counter]\n");
        return 2;
    }
    benchmark::RegisterBenchmark("BM_TrainStep", BM_TrainStep)->Unit(benchmark::kMillisecond)->UseRealTime();
    int n = static_cast<int>(rest.size());
    benchmark::Initialize(&n, rest.data());
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
