// The whole model on the GPU against the same model on the CPU: Bert<Encoder<dynamic>, Head, Cuda, T> and
// Bert<…, Cpu, T> built from one config and seed (identical weights), run in training mode with dropout on (the
// counter stream gives both devices the same masks), must agree on the loss, every parameter's gradient, and every
// parameter after clipped AdamW updates; the Trainer must log the same run on both. double: rtol 1e-9; float: the
// fp32 GEMMs sum in another order, rtol 2e-3 / atol 1e-5 over two layers. Passes with a warning without a GPU.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "cuda/cuda_test_support.cuh"
#include "tinybert/nn/bert.hpp"
#include "tinybert/tasks/classification.hpp"
#include "tinybert/train/clip.hpp"
#include "tinybert/train/optimizer.hpp"
#include "tinybert/train/trainer.hpp"

namespace {

using namespace tinybert;

constexpr std::int64_t kB = 3, kS = 7;

template <class T>
struct Tol;
template <>
struct Tol<double> {
    static constexpr double rtol = 1e-9, atol = 1e-12;
};
template <>
struct Tol<float> {
    static constexpr double rtol = 2e-3, atol = 1e-5;
};

template <class T>
void check_close(const std::string& what, const std::vector<T>& gpu, const std::vector<T>& cpu,
                 double atol = Tol<T>::atol) {
    REQUIRE(gpu.size() == cpu.size());
    std::size_t bad = 0, first = 0;
    for (std::size_t i = 0; i < cpu.size(); ++i) {
        const double g = gpu[i], c = cpu[i];
        if (!(std::abs(g - c) <= atol + Tol<T>::rtol * std::abs(c))) {
            if (bad++ == 0) first = i;
        }
    }
    INFO(what << ": " << bad << " of " << cpu.size() << " differ; first at " << first << ": gpu " << gpu[first]
              << " cpu " << cpu[first]);
    CHECK(bad == 0);
}

// (B,S) ids with padding at the end of rows 1 and 2, token types 0/1, and the head's labels.
template <class Head>
Batch<Cpu> host_batch() {
    std::vector<std::int64_t> ids(kB * kS), types(kB * kS), mask(kB * kS, 1), tags(kB * kS);
    for (std::int64_t i = 0; i < kB * kS; ++i) {
        ids[i] = 1 + (i * 17) % 49;
        types[i] = (i % kS) >= 4;
        tags[i] = i % 3;
    }
    for (std::int64_t j = 5; j < kS; ++j) mask[kS + j] = 0, ids[kS + j] = 0, tags[kS + j] = -100;
    for (std::int64_t j = 3; j < kS; ++j) mask[2 * kS + j] = 0, ids[2 * kS + j] = 0, tags[2 * kS + j] = -100;
    Batch<Cpu> b;
    b.input_ids = Tensor<std::int64_t>::from_vector({kB, kS}, ids);
    b.token_type_ids = Tensor<std::int64_t>::from_vector({kB, kS}, types);
    b.attention_mask = Tensor<std::int64_t>::from_vector({kB, kS}, mask);
    if constexpr (std::is_same_v<Head, SequenceClassification>)
        b.labels = Tensor<std::int64_t>::from_vector({kB}, {0, 2, 1});
    if constexpr (std::is_same_v<Head, TokenClassification>)
        b.labels = Tensor<std::int64_t>::from_vector({kB, kS}, tags);
    if constexpr (std::is_same_v<Head, QuestionAnswering>) {
        b.start_positions = Tensor<std::int64_t>::from_vector({kB}, {1, 4, 0});
        b.end_positions = Tensor<std::int64_t>::from_vector({kB}, {3, 4, 0});
    }
    return b;
}

template <class D>
Batch<D> on(const Batch<Cpu>& h) {
    const auto move = [](const Tensor<std::int64_t>& t) {
        return t.defined() ? t.template to<D>() : Tensor<std::int64_t, D>();
    };
    return {move(h.input_ids), move(h.attention_mask),  move(h.token_type_ids),
            move(h.labels),    move(h.start_positions), move(h.end_positions)};
}

template <class T>
using Named = std::map<std::string, std::vector<T>>;

template <class T, class M>
Named<T> gradients(M& m) {
    Named<T> g;
    m.visit_parameters([&](const std::string& name, auto& p) { g[name] = p.grad().to_vector(); });
    return g;
}

template <class T, class M>
Named<T> parameters(M& m) {
    Named<T> v;
    m.visit_parameters([&](const std::string& name, auto& p) { v[name] = p.value().to_vector(); });
    return v;
}

// The loss of one forward, after its backward (one graph at a time: backward() runs and clears the thread's tape).
template <class Model, class B>
double loss_and_backward(Model& m, const B& batch) {
    const auto out = m.forward(batch);
    const double loss = out.loss.value().to_vector()[0];
    backward(out.loss);
    return loss;
}

// Three training steps (dropout on, counter stream): gradients compared after the first, parameters after the last.
template <class Head, class T>
void compare_training(std::size_t labels) {
    const BertConfig config = test::tiny_cuda_config(labels);
    Bert<Encoder<dynamic>, Head, Cpu, T> cpu(config, 5);
    Bert<Encoder<dynamic>, Head, Cuda, T> gpu(config, 5);
    for (auto& [name, v] : parameters<T>(cpu)) check_close("initial " + name, parameters<T>(gpu)[name], v);
    cpu.train(), gpu.train();
    cpu.generator() = Generator(11, DropoutStream::counter);
    gpu.generator() = Generator(11, DropoutStream::counter);
    AdamW<T, Cpu> opt_cpu(cpu, {.lr = 1e-2, .weight_decay = 0.01});
    AdamW<T, Cuda> opt_gpu(gpu, {.lr = 1e-2, .weight_decay = 0.01});
    const Batch<Cpu> host = host_batch<Head>();
    for (int step = 0; step < 3; ++step) {
        const double loss_cpu = loss_and_backward(cpu, host), loss_gpu = loss_and_backward(gpu, on<Cuda>(host));
        INFO("step " << step);
        CHECK(std::abs(loss_gpu - loss_cpu) <= Tol<T>::atol + Tol<T>::rtol * std::abs(loss_cpu));
        if (step == 0) {
            auto g = gradients<T>(gpu);
            for (auto& [name, v] : gradients<T>(cpu)) check_close("grad " + name, g[name], v);
        }
        const double norm_cpu = clip_grad_norm(cpu, 0.5), norm_gpu = clip_grad_norm(gpu, 0.5);
        CHECK(std::abs(norm_gpu - norm_cpu) <= Tol<T>::atol + Tol<T>::rtol * norm_cpu);
        opt_cpu.step(1e-2), opt_gpu.step(1e-2);
        cpu.zero_grad(), gpu.zero_grad();
    }
    // A gradient that is zero in exact arithmetic (the QA bias: each row's softmax minus one-hot sums to 0) is
    // rounding noise g ~ 1e-17 on both devices, and AdamW turns it into an update lr·g/(|g| + eps) ~ lr·1e-9: such
    // parameters agree only to about 1e-10 absolute after the updates.
    auto p = parameters<T>(gpu);
    for (auto& [name, v] : parameters<T>(cpu))
        check_close("after 3 updates " + name, p[name], v, std::max(Tol<T>::atol, 1e-10));
}

std::vector<Feature> synthetic_features(std::size_t n) {
    std::vector<Feature> fs;
    for (std::size_t i = 0; i < n; ++i) {
        Feature f;
        const std::size_t len = 4 + i % 5;
        for (std::size_t j = 0; j < len; ++j)
            f.input_ids.push_back(static_cast<std::int64_t>(1 + (i * 7 + j * 3) % 49));
        f.token_type_ids.assign(len, 0);
        f.attention_mask.assign(len, 1);
        f.label = static_cast<std::int64_t>((i * 5) % 3);
        f.example_index = i;
        fs.push_back(std::move(f));
    }
    return fs;
}

// One bf16/fp16 step on each device from the same weights and masks: both GEMM paths multiply the same 16-bit
// inputs and sum in float, but in another order, and a float that differs by a step may round to a neighbouring
// 16-bit value; so the loss agrees to 1e-2 relative and all gradients together point the same way (cosine >= 0.999,
// norms within 1 %), as bf16 and fp32 do in test_mixed_precision.
template <class Head>
void compare_16bit_step(Precision p, std::size_t labels, const BertConfig& config) {
    const PrecisionScope scope(p);
    Bert<Encoder<dynamic>, Head, Cpu, float> cpu(config, 5);
    Bert<Encoder<dynamic>, Head, Cuda, float> gpu(config, 5);
    cpu.train(), gpu.train();
    cpu.generator() = Generator(11, DropoutStream::counter);
    gpu.generator() = Generator(11, DropoutStream::counter);
    const Batch<Cpu> host = host_batch<Head>();
    const double loss_cpu = loss_and_backward(cpu, host), loss_gpu = loss_and_backward(gpu, on<Cuda>(host));
    INFO(precision_name(p) << ": loss cpu " << loss_cpu << " gpu " << loss_gpu);
    CHECK(std::abs(loss_gpu - loss_cpu) <= 1e-2 * std::abs(loss_cpu));
    double dot = 0, cc = 0, gg = 0;
    const Named<float> g = gradients<float>(gpu);
    for (const auto& [name, c] : gradients<float>(cpu))
        for (std::size_t i = 0; i < c.size(); ++i) {
            const double a = c[i], b = g.at(name)[i];
            dot += a * b, cc += a * a, gg += b * b;
        }
    CHECK(dot / std::sqrt(cc * gg) >= 0.999);
    CHECK(std::abs(std::sqrt(gg / cc) - 1) <= 1e-2);
}

}  // namespace

TEST_CASE("Bert on CUDA trains as on the CPU (double): classification, NER, QA heads", "[cuda][bert]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    SECTION("sequence classification") {
        compare_training<SequenceClassification, double>(3);
    }
    SECTION("token classification") {
        compare_training<TokenClassification, double>(3);
    }
    SECTION("question answering") {
        compare_training<QuestionAnswering, double>(2);
    }
}

TEST_CASE("Bert on CUDA trains as on the CPU (float, fp32 GEMMs)", "[cuda][bert]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    compare_training<SequenceClassification, float>(3);
}

TEST_CASE("Trainer on CUDA: the same run as on the CPU (counter dropout stream)", "[cuda][trainer]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    const auto features = synthetic_features(22);
    const auto run = [&]<class Model>(Model& model) {
        Trainer<Model> trainer(model, {.num_train_epochs = 2,
                                       .learning_rate = 1e-3,
                                       .per_device_train_batch_size = 4,
                                       .gradient_accumulation_steps = 2,
                                       .warmup_ratio = 0.2,
                                       .weight_decay = 0.01,
                                       .dropout_stream = DropoutStream::counter,
                                       .save_checkpoints = false,
                                       .progress = false});
        const TrainResult r = trainer.train(features, 0, [](Model&) { return Metrics{}; });
        return std::pair{r, parameters<double>(model)};
    };
    Bert<Encoder<dynamic>, SequenceClassification, Cpu, double> cpu_model(test::tiny_cuda_config(3), 9);
    Bert<Encoder<dynamic>, SequenceClassification, Cuda, double> gpu_model(test::tiny_cuda_config(3), 9);
    const auto [cpu, cpu_params] = run(cpu_model);
    const auto [gpu, gpu_params] = run(gpu_model);
    CHECK(gpu.updates == cpu.updates);
    CHECK(std::abs(gpu.train_loss - cpu.train_loss) <= 1e-9 * std::abs(cpu.train_loss));
    auto p = gpu_params;
    for (const auto& [name, v] : cpu_params) check_close("trained " + name, p[name], v);
}

TEST_CASE("Trainer on CUDA: one read-back per update, the batch's upload per micro-batch, nothing else",
          "[cuda][trainer]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    const auto features = synthetic_features(22);  // 6 batches of 4 per epoch, 3 updates of 2 batches
    using Model = Bert<Encoder<dynamic>, SequenceClassification, Cuda, float>;
    Model model(test::tiny_cuda_config(3), 9);
    Trainer<Model> trainer(model, {.num_train_epochs = 2,
                                   .per_device_train_batch_size = 4,
                                   .gradient_accumulation_steps = 2,
                                   .save_checkpoints = false,
                                   .progress = false,
                                   .logging_steps = 2});
    const auto reads = Cuda::copies_to_host.load(), writes = Cuda::copies_from_host.load();
    const TrainResult r = trainer.train(features, 0, [](Model&) { return Metrics{}; });
    const auto read_backs = Cuda::copies_to_host.load() - reads, uploads = Cuda::copies_from_host.load() - writes;
    REQUIRE(r.updates == 6);
    // per update the gradient norm; the loss at the 3 logging steps (2, 4, 6) and before the evaluation at the end
    // of epoch 1 (update 3); nothing at the end of epoch 2 (update 6 logged it already)
    CHECK(read_backs == 6 + 3 + 1);
    // per micro-batch input_ids, token_type_ids, attention_mask and labels; once, the chunk tables of the gradient
    // norm, the gradient scaling (mean over 2 batches) and AdamW
    CHECK(uploads == 12 * 4 + 3);
}

TEST_CASE("Inference helpers take a CUDA model: classification_logits as on the CPU", "[cuda][tasks]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    const auto features = synthetic_features(11);
    Bert<Encoder<dynamic>, SequenceClassification, Cpu, double> cpu(test::tiny_cuda_config(3), 4);
    Bert<Encoder<dynamic>, SequenceClassification, Cuda, double> gpu(test::tiny_cuda_config(3), 4);
    const auto want = classification_logits(cpu, features, 0, 4), got = classification_logits(gpu, features, 0, 4);
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        check_close("logits of feature " + std::to_string(i), got[i], want[i]);
}

TEST_CASE("Bert on CUDA in bf16 and fp16 takes the step the CPU's emulation takes", "[cuda][bert][precision]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    for (const Precision p : {Precision::bf16, Precision::fp16}) {
        compare_16bit_step<SequenceClassification>(p, 3, test::tiny_cuda_config(3));
        compare_16bit_step<QuestionAnswering>(p, 2, test::tiny_cuda_config(2));
    }
}

// The same with flash attention (TINYBERT_CUDA_ATTENTION=flash), which needs heads of 32 or 64 features: 2 heads of
// 32 here; the padded rows of host_batch exercise its key mask. Checks that the flash kernels ran.
TEST_CASE("Bert on CUDA in bf16 and fp16 with flash attention takes the step the CPU's emulation takes",
          "[cuda][bert][precision][flash]") {
    TINYBERT_REQUIRE_FLASH_DEVICE();
    struct FlashScope {  // the variable is read at each attention call
        FlashScope() { ::setenv("TINYBERT_CUDA_ATTENTION", "flash", 1); }
        ~FlashScope() { ::unsetenv("TINYBERT_CUDA_ATTENTION"); }
    } const flash;
    const auto before = cuda::detail::flash::forward_calls.load();
    for (const Precision p : {Precision::bf16, Precision::fp16}) {
        for (const std::size_t labels : {std::size_t{3}, std::size_t{2}}) {
            BertConfig c = test::tiny_cuda_config(labels);
            c.hidden_size = 64, c.num_attention_heads = 2, c.intermediate_size = 128;
            if (labels == 3)
                compare_16bit_step<SequenceClassification>(p, 3, c);
            else
                compare_16bit_step<QuestionAnswering>(p, 2, c);
        }
    }
    CHECK(cuda::detail::flash::forward_calls.load() - before == 2 * 2 * 2);  // 2 layers × 2 models × 2 precisions
}
