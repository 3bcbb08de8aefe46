// Every public tinybert header compiled in one nvcc translation unit (with TINYBERT_WITH_CUDA, as a user's .cu file
// sees them), so that nvcc breakage shows up in CI even without a GPU. The test case builds a small graph of ops on
// the CPU and on the GPU (Var<T, Cuda>: the ops pick the cuda:: kernels by argument-dependent lookup) and compares
// the loss and the gradients; it passes with a warning when the machine has no CUDA device.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/adamw.hpp"
#include "tinybert/backend/cpu/attention.hpp"
#include "tinybert/backend/cpu/cross_entropy.hpp"
#include "tinybert/backend/cpu/dropout.hpp"
#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/backend/cpu/elementwise.hpp"
#include "tinybert/backend/cpu/embedding.hpp"
#include "tinybert/backend/cpu/layernorm.hpp"
#include "tinybert/backend/cpu/linear.hpp"
#include "tinybert/backend/cpu/matmul.hpp"
#include "tinybert/backend/cpu/reduce.hpp"
#include "tinybert/backend/cpu/select.hpp"
#include "tinybert/backend/cpu/softmax.hpp"
#include "tinybert/backend/cuda/adamw.cuh"
#include "tinybert/backend/cuda/attention.cuh"
#include "tinybert/backend/cuda/cross_entropy.cuh"
#include "tinybert/backend/cuda/cublas.cuh"
#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/backend/cuda/dropout.cuh"
#include "tinybert/backend/cuda/elementwise.cuh"
#include "tinybert/backend/cuda/embedding.cuh"
#include "tinybert/backend/cuda/layernorm.cuh"
#include "tinybert/backend/cuda/linear.cuh"
#include "tinybert/backend/cuda/matmul.cuh"
#include "tinybert/backend/cuda/reduce.cuh"
#include "tinybert/backend/cuda/select.cuh"
#include "tinybert/backend/cuda/softmax.cuh"
#include "tinybert/backend/device.hpp"
#include "tinybert/config.hpp"
#include "tinybert/core/dtype.hpp"
#include "tinybert/core/error.hpp"
#include "tinybert/core/parallel.hpp"
#include "tinybert/core/rng.hpp"
#include "tinybert/data/conll.hpp"
#include "tinybert/data/csv.hpp"
#include "tinybert/data/dataset.hpp"
#include "tinybert/data/detect.hpp"
#include "tinybert/data/example.hpp"
#include "tinybert/data/features.hpp"
#include "tinybert/data/imdb.hpp"
#include "tinybert/data/jsonl.hpp"
#include "tinybert/data/loader.hpp"
#include "tinybert/data/qa_features.hpp"
#include "tinybert/data/qa_postprocess.hpp"
#include "tinybert/data/squad.hpp"
#include "tinybert/io/checkpoint_tensor.hpp"
#include "tinybert/io/files.hpp"
#include "tinybert/io/hf_config.hpp"
#include "tinybert/io/hf_names.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/io/pickle.hpp"
#include "tinybert/io/safetensors.hpp"
#include "tinybert/io/state_dict.hpp"
#include "tinybert/io/torch_bin.hpp"
#include "tinybert/io/zip.hpp"
#include "tinybert/metrics/classification.hpp"
#include "tinybert/metrics/seqeval.hpp"
#include "tinybert/metrics/squad.hpp"
#include "tinybert/nn/batch.hpp"
#include "tinybert/nn/bert.hpp"
#include "tinybert/nn/embeddings.hpp"
#include "tinybert/nn/encoder.hpp"
#include "tinybert/nn/heads/no_head.hpp"
#include "tinybert/nn/heads/question_answering.hpp"
#include "tinybert/nn/heads/sequence_classification.hpp"
#include "tinybert/nn/heads/token_classification.hpp"
#include "tinybert/nn/module.hpp"
#include "tinybert/nn/pooler.hpp"
#include "tinybert/ops/adamw.hpp"
#include "tinybert/ops/attention.hpp"
#include "tinybert/ops/cross_entropy.hpp"
#include "tinybert/ops/dropout.hpp"
#include "tinybert/ops/elementwise.hpp"
#include "tinybert/ops/embedding.hpp"
#include "tinybert/ops/layernorm.hpp"
#include "tinybert/ops/linear.hpp"
#include "tinybert/ops/matmul.hpp"
#include "tinybert/ops/reduce.hpp"
#include "tinybert/ops/reshape.hpp"
#include "tinybert/ops/select.hpp"
#include "tinybert/ops/softmax.hpp"
#include "tinybert/tasks/classification.hpp"
#include "tinybert/tasks/ner.hpp"
#include "tinybert/tasks/predict.hpp"
#include "tinybert/tasks/qa.hpp"
#include "tinybert/tensor/shape.hpp"
#include "tinybert/tensor/tensor.hpp"
#include "tinybert/tokenizer/encoding.hpp"
#include "tinybert/tokenizer/normalizer.hpp"
#include "tinybert/tokenizer/pretrained.hpp"
#include "tinybert/tokenizer/tokenizer.hpp"
#include "tinybert/tokenizer/unicode.hpp"
#include "tinybert/tokenizer/unicode_compat.hpp"
#include "tinybert/tokenizer/vocab.hpp"
#include "tinybert/tokenizer/wordpiece.hpp"
#include "tinybert/train/clip.hpp"
#include "tinybert/train/optimizer.hpp"
#include "tinybert/train/progress.hpp"
#include "tinybert/train/schedule.hpp"
#include "tinybert/train/trainer.hpp"

namespace {

using namespace tinybert;

std::vector<float> values(std::size_t n, std::uint64_t seed) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(2.0 * random_uniform(seed, i) - 1.0);
    return v;
}

struct Result {
    float loss;
    std::vector<float> dw1, dtable;
};

// tokens -> embedding -> attention (self, with a padded key) -> linear -> GELU -> LayerNorm -> linear -> CE
template <class D>
Result run_graph() {
    const std::int64_t b = 2, s = 5, h = 8, c = 3, vocab = 7;
    auto tensor = [](const Shape& shape, std::uint64_t seed) {
        return Tensor<float, Cpu>::from_vector(shape, values(shape.numel(), seed)).template to<D>();
    };
    Var<float, D> table(tensor(Shape{vocab, h}, 1), true), w1(tensor(Shape{h, h}, 2), true),
        b1(tensor(Shape{h}, 3), true), gamma(Tensor<float, D>::full(Shape{h}, 1.0f), true),
        beta(Tensor<float, D>(Shape{h}), true), w2(tensor(Shape{c, h}, 4), true), b2(tensor(Shape{c}, 5), true);
    const auto ids =
        Tensor<std::int64_t, Cpu>::from_vector(Shape{b * s}, {1, 2, 3, 4, 0, 6, 5, 4, 0, 0}).template to<D>();
    std::vector<float> mask(static_cast<std::size_t>(b * s), 0.0f);
    mask[static_cast<std::size_t>(b * s - 1)] = std::numeric_limits<float>::lowest();
    const auto mask_add = Tensor<float, Cpu>::from_vector(Shape{b, s}, mask).template to<D>();
    const auto targets =
        Tensor<std::int64_t, Cpu>::from_vector(Shape{b * s}, {0, 1, 2, -100, 1, 0, 2, 1, -100, 0}).template to<D>();

    Generator gen(7);
    auto x = reshape(embedding(ids, table), Shape{b, s, h});
    auto q = linear(x, w1, b1);
    auto ctx = attention(q, x, x, mask_add, 2, 0.1f, &gen);
    auto y = layer_norm(gelu(linear(reshape(ctx, Shape{b * s, h}), w1, b1)), gamma, beta, 1e-12f);
    auto loss = cross_entropy(linear(y, w2, b2), targets);
    backward(loss);
    return {loss.value().to_vector()[0], w1.grad().to_vector(), table.grad().to_vector()};
}

}  // namespace

TEST_CASE("umbrella: every header compiles under nvcc, and ops on Var<float, Cuda> match the CPU", "[cuda]") {
    if (!cuda::device_available()) {
        WARN("no CUDA device: skipped");
        return;
    }
    const Result cpu = run_graph<Cpu>();
    const Result gpu = run_graph<Cuda>();
    CHECK(std::abs(gpu.loss - cpu.loss) <= 1e-5f + 1e-4f * std::abs(cpu.loss));
    REQUIRE(gpu.dw1.size() == cpu.dw1.size());
    for (std::size_t i = 0; i < cpu.dw1.size(); ++i)
        CHECK(std::abs(gpu.dw1[i] - cpu.dw1[i]) <= 1e-5f + 1e-4f * std::abs(cpu.dw1[i]));
    REQUIRE(gpu.dtable.size() == cpu.dtable.size());
    for (std::size_t i = 0; i < cpu.dtable.size(); ++i)
        CHECK(std::abs(gpu.dtable[i] - cpu.dtable[i]) <= 1e-5f + 1e-4f * std::abs(cpu.dtable[i]));
}
