// nn/bert.hpp: loading rules, save/load round trip, layer-count errors, train/eval modes.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "support/grad_check.hpp"
#include "tinybert/nn/bert.hpp"

using namespace tinybert;
namespace fs = std::filesystem;

namespace {

const std::string fixture = std::string(TINYBERT_PARITY_DIR) + "/sequence_classification";

Batch<Cpu> tiny_batch() {
    Batch<Cpu> b;
    b.input_ids = Tensor<std::int64_t>::from_vector({2, 4}, {2, 7, 9, 3, 2, 11, 3, 0});
    b.attention_mask = Tensor<std::int64_t>::from_vector({2, 4}, {1, 1, 1, 1, 1, 1, 1, 0});
    b.token_type_ids = Tensor<std::int64_t>::from_vector({2, 4}, {0, 0, 1, 1, 0, 0, 1, 0});
    return b;
}

fs::path scratch(const std::string& name) {
    const fs::path p = fs::temp_directory_path() / ("tinybert_test_nn_" + name);
    fs::remove_all(p);
    return p;
}

}  // namespace

TEST_CASE("save_pretrained then from_pretrained gives identical logits", "[nn][io]") {
    using Model = Bert<Encoder<2>, SequenceClassification>;
    Model a = Model::from_pretrained(fixture);
    const fs::path dir = scratch("roundtrip");
    a.save_pretrained(dir.string());
    Model b = Model::from_pretrained(dir.string());
    NoGradGuard no_grad;
    CHECK(a.forward(tiny_batch()).logits.value().to_vector() == b.forward(tiny_batch()).logits.value().to_vector());
    const auto config = json::parse_file((dir / "config.json").string());
    CHECK(config.at("architectures").as_array()[0].as_string() == "BertForSequenceClassification");
    CHECK(config.at("id2label").at("2").as_string() == "LABEL_2");
    CHECK(b.load_report().missing.empty());
    CHECK(b.load_report().unexpected.empty());
    fs::remove_all(dir);
}

TEST_CASE("a checkpoint whose layer count differs from Encoder<N> is a clear error", "[nn]") {
    using Wrong = Bert<Encoder<3>, SequenceClassification>;
    CHECK_THROWS_WITH(Wrong::from_pretrained(fixture), Catch::Contains("Encoder<3>") && Catch::Contains("2 layers"));
    using Dynamic = Bert<Encoder<dynamic>, SequenceClassification>;
    CHECK(Dynamic::from_pretrained(fixture).encoder.layers.size() == 2);
}

TEST_CASE("loading reports unexpected and missing keys and initialises a new head", "[nn][io]") {
    // The classification checkpoint into a bare BertModel: prefix stripped, classifier.* unexpected.
    using Base = Bert<Encoder<2>, NoHead>;
    Base base = Base::from_pretrained(fixture);
    CHECK(base.load_report().missing.empty());
    CHECK(base.load_report().unexpected == std::vector<std::string>{"classifier.bias", "classifier.weight"});

    // A base checkpoint into a QA model: `bert.` added, pooler ignored, qa_outputs.* missing and initialised.
    // (torch.manual_seed(7) then from_pretrained, as tools/hf_finetune.py does with --seed 7)
    const fs::path dir = scratch("base");
    base.save_pretrained(dir.string());
    using Qa = Bert<Encoder<2>, QuestionAnswering>;
    Qa qa = Qa::from_pretrained(dir.string(), {.labels = {"start", "end"}, .seed = 7});
    CHECK(qa.load_report().missing == std::vector<std::string>{"qa_outputs.weight", "qa_outputs.bias"});
    CHECK(qa.load_report().ignored == std::vector<std::string>{"pooler.dense.bias", "pooler.dense.weight"});
    // The new head is transformers': torch.manual_seed(7); torch.empty(2, 16).normal_(0, initializer_range).
    const std::vector<float> torch_head{
        -0.0164026897f, 0.00791262276f, 0.017978169f,  -0.0277680773f, -0.00333992019f, 0.00570299895f, -0.0128218299f,
        -0.0178731084f, 0.0185308587f,  -0.0107102441f, -0.0231944062f, -0.00920314249f, 0.0141707808f,  0.0202551074f,
        0.0046079373f,  0.0218033027f,  -0.0316532925f, -0.00649133231f, 0.038527362f,   -0.00660023419f, 0.003968901f,
        0.0156414527f,  0.0207821541f,  -0.0144902142f, -0.0041868086f, -0.00430683047f, -0.0363145731f, -0.00690483907f,
        -0.0412295572f, 0.0134820137f,  -0.0264669154f, -0.0271953791f};
    const auto w = qa.head.qa_outputs.weight.value().to_vector();
    REQUIRE(w.size() == torch_head.size());
    for (std::size_t i = 0; i < w.size(); ++i) CHECK(w[i] == Approx(torch_head[i]).epsilon(1e-6));
    CHECK(qa.head.qa_outputs.bias.value().to_vector() == std::vector<float>{0.f, 0.f});
    // The base weights themselves were loaded, not re-initialised.
    CHECK(qa.embeddings.word.value().to_vector() == base.embeddings.word.value().to_vector());
    fs::remove_all(dir);
}

TEST_CASE("eval is deterministic and records nothing under NoGradGuard, train applies dropout", "[nn]") {
    using Model = Bert<Encoder<2>, SequenceClassification>;
    BertConfig config = BertConfig::from_file(fixture + "/config.json");
    config.hidden_dropout_prob = 0.3;
    Model model(config, 3);
    model.eval();
    std::vector<float> first, second;
    {
        NoGradGuard no_grad;
        first = model.forward(tiny_batch()).logits.value().to_vector();
        second = model.forward(tiny_batch()).logits.value().to_vector();
        CHECK(Tape::current().size() == 0);
    }
    CHECK(first == second);
    model.train();
    Batch<Cpu> labelled = tiny_batch();
    labelled.labels = Tensor<std::int64_t>::from_vector({2}, {0, 2});
    const auto out = model.forward(labelled);
    CHECK(out.logits.value().to_vector() != first);
    CHECK(Tape::current().size() > 0);
    backward(out.loss);
    CHECK(Tape::current().size() == 0);
    CHECK(model.embeddings.word.has_grad());
}

TEST_CASE("training-mode gradients of the whole QA model, every dropout on, match finite differences", "[nn][grad]") {
    // Embedding, attention-probability and hidden dropouts at p = 0.2 with the masks held fixed (the generator is reset
    // before every forward): every parameter's gradient must be the derivative of the loss those masks define.
    using Model = Bert<Encoder<2>, QuestionAnswering, Cpu, double>;
    BertConfig config = BertConfig::from_file(std::string(TINYBERT_PARITY_DIR) + "/question_answering/config.json");
    config.hidden_dropout_prob = 0.2;
    config.attention_probs_dropout_prob = 0.2;
    Model model(config, 5);
    Batch<Cpu> batch = tiny_batch();
    // No pad id (0) in the input: its embedding row gets no gradient by design (nn.Embedding's padding_idx), which
    // finite differences would not know.
    batch.input_ids = Tensor<std::int64_t>::from_vector({2, 4}, {2, 7, 9, 3, 2, 11, 3, 5});
    batch.start_positions = Tensor<std::int64_t>::from_vector({2}, {1, 0});
    batch.end_positions = Tensor<std::int64_t>::from_vector({2}, {2, 0});
    const auto loss = [&] {
        model.generator().set_state(11, 0);
        return model.forward(batch).loss;
    };
    const auto value = [&] {
        NoGradGuard no_grad;
        return loss().value().to_vector()[0];
    };
    model.eval();
    const double eval_loss = value();
    model.train();
    CHECK(value() != eval_loss);  // the dropouts are really applied
    std::size_t checked = 0;
    model.visit_parameters([&](const std::string& name, test::VarD& p) {
        std::vector<test::VarD> one{p};
        const auto r = test::grad_check(loss, one, 1e-6);
        // Gradients that are zero in exact arithmetic (key biases, the last LayerNorm bias and qa_outputs.bias, as
        // softmax is shift-invariant) leave only rounding noise to compare.
        if (r.max_numeric_norm < 1e-6) return;
        INFO(name << ": relative error " << r.max_rel_error << ", gradient norm " << r.max_numeric_norm);
        CHECK(r.max_rel_error < 1e-3);
        ++checked;
    });
    CHECK(checked >= 30);
}

TEST_CASE("bad inputs to the model are clear errors", "[nn]") {
    using Model = Bert<Encoder<2>, SequenceClassification>;
    Model model = Model::from_pretrained(fixture);
    NoGradGuard no_grad;
    Batch<Cpu> too_long;
    too_long.input_ids = Tensor<std::int64_t>::full({1, 17}, 5);  // max_position_embeddings is 16
    CHECK_THROWS_WITH(model.forward(too_long), Catch::Contains("max_position_embeddings"));
    Batch<Cpu> bad_label = tiny_batch();
    bad_label.labels = Tensor<std::int64_t>::from_vector({2}, {0, 3});  // 3 labels: 0..2
    CHECK_THROWS_WITH(model.forward(bad_label), Catch::Contains("3"));
    Batch<Cpu> bad_id = tiny_batch();
    bad_id.input_ids.data()[1] = 50;  // vocab_size 50
    CHECK_THROWS_WITH(model.forward(bad_id), Catch::Contains("50"));
}

TEST_CASE("a fully masked row gives finite outputs", "[nn]") {
    using Model = Bert<Encoder<2>, SequenceClassification>;
    Model model = Model::from_pretrained(fixture);
    Batch<Cpu> b = tiny_batch();
    b.attention_mask = Tensor<std::int64_t>::from_vector({2, 4}, {0, 0, 0, 0, 1, 1, 1, 0});
    NoGradGuard no_grad;
    for (const float x : model.forward(b).logits.value().to_vector()) CHECK(std::isfinite(x));
}

TEST_CASE("weights whose shape disagrees with config.json are a clear error naming the tensor", "[nn][io]") {
    const fs::path dir = scratch("shape");
    fs::create_directories(dir);
    fs::copy_file(fixture + "/model.safetensors", dir / "model.safetensors");
    BertConfig config = BertConfig::from_file(fixture + "/config.json");
    config.intermediate_size = 25;  // the weights have 24
    config.save((dir / "config.json").string(), "BertForSequenceClassification");
    using Model = Bert<Encoder<2>, SequenceClassification>;
    CHECK_THROWS_WITH(Model::from_pretrained(dir.string()),
                      Catch::Contains("model.safetensors") && Catch::Contains("intermediate.dense.weight") &&
                          Catch::Contains("[24,16]") && Catch::Contains("[25,16]"));
    fs::remove_all(dir);
}

// transformers infers the loss when config.problem_type is null: 1 label is regression (MSE), int64 labels
// single-label (CE), float labels multi-label (BCE); the forward that infers it writes it into the config.
TEST_CASE("the sequence-classification loss follows problem_type and infers it as transformers does", "[nn]") {
    using Model = Bert<Encoder<2>, SequenceClassification, Cpu, double>;
    const auto ids = Tensor<std::int64_t>::from_vector({2, 3}, {2, 7, 3, 2, 9, 3});
    BertConfig one = BertConfig::from_file(fixture + "/config.json");
    one.set_num_labels(1);
    Model regression(one);
    Batch<Cpu> batch{ids, {}, {}, {}, {}, {}};
    batch.float_labels = Tensor<float>::from_vector({2}, {0.5f, -1.25f});
    CHECK_FALSE(regression.config().problem_type);
    auto out = regression.forward(batch);
    const auto z = out.logits.value().to_vector();
    const double mse = ((z[0] - 0.5) * (z[0] - 0.5) + (z[1] + 1.25) * (z[1] + 1.25)) / 2;
    CHECK(out.loss.value().to_vector()[0] == Approx(mse).epsilon(1e-12));
    CHECK(regression.config().problem_type == "regression");

    BertConfig three = BertConfig::from_file(fixture + "/config.json");  // 3 labels
    Model multi(three);
    batch.float_labels = Tensor<float>::from_vector({2, 3}, {1, 0, 1, 0, 0, 0});
    out = multi.forward(batch);
    double bce = 0;
    const auto zm = out.logits.value().to_vector();
    const std::vector<double> y{1, 0, 1, 0, 0, 0};
    for (std::size_t i = 0; i < 6; ++i) bce += std::max(zm[i], 0.0) - zm[i] * y[i] + std::log1p(std::exp(-std::abs(zm[i])));
    CHECK(out.loss.value().to_vector()[0] == Approx(bce / 6).epsilon(1e-12));
    CHECK(multi.config().problem_type == "multi_label_classification");
    // fixed at the first forward, as transformers fixes config.problem_type: int64 labels are now an error
    batch.float_labels = {};
    batch.labels = Tensor<std::int64_t>::from_vector({2}, {0, 2});
    CHECK_THROWS_WITH(multi.forward(batch), Catch::Contains("multi_label_classification needs float labels"));

    Model single(three);
    out = single.forward(batch);
    CHECK(single.config().problem_type == "single_label_classification");
    // class weights: torch's weighted mean; equal weights give the plain mean
    const double plain = out.loss.value().to_vector()[0];
    single.head.loss.set_class_weights({2, 2, 2});
    CHECK(single.forward(batch).loss.value().to_vector()[0] == Approx(plain).epsilon(1e-12));
    single.head.loss.set_class_weights({0, 1, 3});  // row 0 (class 0) weighs nothing: row 1 alone
    const auto zs = out.logits.value().to_vector();
    const double lse = std::log(std::exp(zs[3]) + std::exp(zs[4]) + std::exp(zs[5]));
    CHECK(single.forward(batch).loss.value().to_vector()[0] == Approx(lse - zs[5]).epsilon(1e-12));
    CHECK_THROWS_WITH(single.head.loss.set_class_weights({1, 2}), Catch::Contains("2 weights for 3 labels"));

    three.problem_type = "regression";  // explicit regression over 3 outputs: MSE over (B,3), as transformers
    Model explicit_regression(three);
    batch.labels = {};
    batch.float_labels = Tensor<float>::from_vector({2, 3}, {1, 0, 1, 0, 0, 0});
    CHECK_NOTHROW(explicit_regression.forward(batch));
    batch.float_labels = {};
    batch.labels = Tensor<std::int64_t>::from_vector({2}, {0, 2});
    CHECK_THROWS_WITH(explicit_regression.forward(batch), Catch::Contains("regression needs float labels"));
}
