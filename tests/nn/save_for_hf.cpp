// save_for_hf MODEL_DIR OUT_DIR: for each head, loads MODEL_DIR (any family, from its model_type) with a fresh head,
// takes two AdamW steps on a small batch (so every saved weight differs from the checkpoint), saves
// OUT_DIR/<architecture> (e.g. RobertaForTokenClassification) with save_pretrained, and writes
// OUT_DIR/<architecture>/tinybert_outputs.safetensors (the batch and tinybert's eval-mode logits) for
// tools/check_hf_roundtrip.py, which loads the directory with transformers and compares.
#include <cstdio>
#include <string>

#include "tinybert/nn/auto.hpp"
#include "tinybert/train/optimizer.hpp"

using namespace tinybert;

namespace {

template <class Family, class Head>
void run(const std::string& model_dir, const std::string& out_dir, std::vector<std::string> labels) {
    using Model = EncoderModel<Family, Encoder<dynamic>, Head>;
    Model model = Model::from_pretrained(model_dir, {.labels = std::move(labels), .seed = 1});
    const BertConfig& c = model.config();
    const std::int64_t pad = c.pad_token_id, tt = c.type_vocab_size > 1 ? 1 : 0;
    const auto id = [&](std::int64_t i) { return pad + 1 + i % (c.vocab_size - pad - 1); };  // never the pad id
    Batch<Cpu> batch;
    batch.input_ids = Tensor<std::int64_t>::from_vector({2, 6}, {id(101), id(2023), id(3185), id(2001), id(2307), id(102),
                                                                  id(101), id(6659), id(999), id(102), pad, pad});
    batch.attention_mask = Tensor<std::int64_t>::from_vector({2, 6}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0});
    batch.token_type_ids = Tensor<std::int64_t>::from_vector({2, 6}, {0, 0, 0, tt, tt, tt, 0, 0, tt, tt, 0, 0});
    if constexpr (std::is_same_v<Head, QuestionAnswering>) {
        batch.start_positions = Tensor<std::int64_t>::from_vector({2}, {3, 2});
        batch.end_positions = Tensor<std::int64_t>::from_vector({2}, {4, 2});
    } else if constexpr (std::is_same_v<Head, TokenClassification>) {
        batch.labels = Tensor<std::int64_t>::from_vector({2, 6}, {-100, 1, 2, 0, 0, -100, -100, 1, 0, -100, -100, -100});
    } else {
        batch.labels = Tensor<std::int64_t>::from_vector({2}, {1, 0});
    }
    model.train();
    AdamW<float, Cpu> opt(model, {.lr = 1e-3, .weight_decay = 0.01});
    for (int step = 0; step < 2; ++step) {
        backward(model.forward(batch).loss);
        opt.step(1e-3);
        model.zero_grad();
    }
    const std::string dir = out_dir + "/" + model.architecture();
    model.save_pretrained(dir);
    model.eval();
    NoGradGuard no_grad;
    const auto out = model.forward(batch);
    std::vector<NamedTensor> tensors;
    const auto ints = [](const Tensor<std::int64_t>& t) {
        return CheckpointTensor::from(t.to_vector(), {t.shape()[0], t.shape()[1]});
    };
    tensors.emplace_back("input_ids", ints(batch.input_ids));
    tensors.emplace_back("attention_mask", ints(batch.attention_mask));
    tensors.emplace_back("token_type_ids", ints(batch.token_type_ids));
    const auto floats = [](const Var<float>& v) {
        std::vector<std::int64_t> shape;
        for (std::size_t i = 0; i < v.shape().rank(); ++i) shape.push_back(v.shape()[i]);
        return CheckpointTensor::from(v.value().to_vector(), shape);
    };
    if constexpr (std::is_same_v<Head, QuestionAnswering>) {
        tensors.emplace_back("start_logits", floats(out.start_logits));
        tensors.emplace_back("end_logits", floats(out.end_logits));
    } else {
        tensors.emplace_back("logits", floats(out.logits));
    }
    write_safetensors(dir + "/tinybert_outputs.safetensors", tensors);
    std::printf("%s\n", dir.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: save_for_hf MODEL_DIR OUT_DIR\n");
        return 2;
    }
    try {
        with_pretrained_family(argv[1], [&]<class F>(std::type_identity<F>) {
            run<F, SequenceClassification>(argv[1], argv[2], {"negative", "positive"});
            run<F, TokenClassification>(argv[1], argv[2], {"O", "B-PER", "I-PER"});
            run<F, QuestionAnswering>(argv[1], argv[2], {"start", "end"});
        });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "save_for_hf: %s\n", e.what());
        return 1;
    }
    return 0;
}
