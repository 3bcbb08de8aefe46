// nn/families/*, nn/auto.hpp: RoBERTa position ids (hand-worked), every family's fixture loads name-for-name and
// round-trips through save_pretrained with transformers' class names and config keys, the family is chosen from
// model_type, and mismatched or unsupported model types are clear errors. (Numerical parity with transformers is the
// parity:<family>:<head> tests, through `tinybert parity`.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tinybert/nn/auto.hpp"

using namespace tinybert;
namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& family, const std::string& head) {
    return std::string(TINYBERT_PARITY_DIR) + (family == "bert" ? "" : "/" + family) + "/" + head;
}

fs::path scratch(const std::string& name) {
    const fs::path p = fs::temp_directory_path() / ("tinybert_test_families_" + name);
    fs::remove_all(p);
    return p;
}

Batch<Cpu> tiny_batch(std::int64_t pad) {
    Batch<Cpu> b;
    b.input_ids = Tensor<std::int64_t>::from_vector({2, 4}, {2, 7, 9, 3, 2, 11, 3, pad});
    b.attention_mask = Tensor<std::int64_t>::from_vector({2, 4}, {1, 1, 1, 1, 1, 1, 1, 0});
    return b;
}

}  // namespace

TEST_CASE("RoBERTa numbers non-padding tokens from pad_token_id + 1 and gives padding pad_token_id", "[nn][families]") {
    BertConfig c;
    c.model_type = "roberta";
    c.vocab_size = 20, c.hidden_size = 8, c.num_attention_heads = 2, c.intermediate_size = 8, c.num_hidden_layers = 1;
    c.pad_token_id = 1, c.type_vocab_size = 1, c.max_position_embeddings = 12;
    const Embeddings<float, Cpu> roberta(c, Positions::after_padding);
    // create_position_ids_from_input_ids: cumsum(ids != pad) * (ids != pad) + pad, a pad inside a row included
    const auto ids = Tensor<std::int64_t>::from_vector({2, 5}, {0, 5, 6, 2, 1, 0, 1, 7, 2, 1});
    CHECK(roberta.position_ids(ids).to_vector() == std::vector<std::int64_t>{2, 3, 4, 5, 1, 2, 1, 3, 4, 1});
    const Embeddings<float, Cpu> bert(BertConfig{}, Positions::from_zero);
    CHECK(bert.position_ids(ids).to_vector() == std::vector<std::int64_t>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4});
    // S = 11 needs position 12 with pad 1: beyond max_position_embeddings 12
    const auto long_ids = Tensor<std::int64_t>::full({1, 11}, 5);
    CHECK_THROWS_WITH(roberta.forward(long_ids, {}, {}), Catch::Contains("position 12") &&
                                                               Catch::Contains("max_position_embeddings 12"));
}

TEST_CASE("each family's checkpoint loads name-for-name and saves as transformers names it", "[nn][families][io]") {
    const struct {
        std::string family, model_type, architecture;
        std::int64_t pad;
    } cases[] = {{"roberta", "roberta", "RobertaForSequenceClassification", 1},
                 {"xlm-roberta", "xlm-roberta", "XLMRobertaForSequenceClassification", 1},
                 {"distilbert", "distilbert", "DistilBertForSequenceClassification", 0},
                 {"electra", "electra", "ElectraForSequenceClassification", 0}};
    for (const auto& k : cases) {
        DYNAMIC_SECTION(k.family) {
            const std::string dir = fixture(k.family, "sequence_classification");
            with_pretrained_family(dir, [&]<class F>(std::type_identity<F>) {
                using Model = EncoderModel<F, Encoder<2>, SequenceClassification>;
                Model a = Model::from_pretrained(dir);
                CHECK(a.load_report().missing.empty());
                CHECK(a.load_report().unexpected.empty());
                CHECK(a.architecture() == k.architecture);
                const fs::path out = scratch(k.family);
                a.save_pretrained(out.string());
                const auto config = json::parse_file((out / "config.json").string());
                CHECK(config.at("model_type").as_string() == k.model_type);
                CHECK(config.at("architectures").as_array()[0].as_string() == k.architecture);
                if (k.family == "distilbert") {  // DistilBertConfig's own names, and no BERT-only fields
                    CHECK(config.at("dim").as_int() == 16);
                    CHECK(config.at("n_layers").as_int() == 2);
                    CHECK(config.at("hidden_dim").as_int() == 24);
                    CHECK(config.find("hidden_size") == nullptr);
                    CHECK(config.find("type_vocab_size") == nullptr);
                    CHECK(config.at("seq_classif_dropout").as_double() == 0.0);
                }
                if (k.family == "electra") CHECK(config.at("embedding_size").as_int() == 8);
                Model b = Model::from_pretrained(out.string());
                CHECK(b.load_report().missing.empty());
                CHECK(b.load_report().unexpected.empty());
                NoGradGuard no_grad;
                CHECK(a.forward(tiny_batch(k.pad)).logits.value().to_vector() ==
                      b.forward(tiny_batch(k.pad)).logits.value().to_vector());
                fs::remove_all(out);
            });
        }
    }
}

TEST_CASE("the bare base model of each family: pooler only where transformers has one", "[nn][families]") {
    // RobertaModel keeps a pooler (fresh here: the classification checkpoint has none), the others have none
    using RobertaBase = Roberta<Encoder<2>, NoHead>;
    RobertaBase r = RobertaBase::from_pretrained(fixture("roberta", "sequence_classification"));
    CHECK(r.load_report().missing == std::vector<std::string>{"pooler.dense.weight", "pooler.dense.bias"});
    NoGradGuard no_grad;
    CHECK(r.forward(tiny_batch(1)).pooler_output.defined());
    using DistilBase = DistilBert<Encoder<2>, NoHead>;
    DistilBase d = DistilBase::from_pretrained(fixture("distilbert", "token_classification"));
    CHECK(d.load_report().missing.empty());
    CHECK(d.load_report().unexpected == std::vector<std::string>{"classifier.bias", "classifier.weight"});
    const auto out = d.forward(tiny_batch(0));
    CHECK(out.last_hidden_state.shape() == Shape{2, 4, 16});
    CHECK_FALSE(out.pooler_output.defined());
    using ElectraBase = Electra<Encoder<2>, NoHead>;
    ElectraBase e = ElectraBase::from_pretrained(fixture("electra", "question_answering"));
    REQUIRE(e.embeddings_project.has_value());
    CHECK(e.embeddings_project->weight.shape() == Shape{16, 8});
    CHECK(e.forward(tiny_batch(0)).last_hidden_state.shape() == Shape{2, 4, 16});
}

TEST_CASE("a checkpoint of another family, or an unsupported model_type, is a clear error", "[nn][families]") {
    using BertModel = Bert<Encoder<2>, SequenceClassification>;
    CHECK_THROWS_WITH(BertModel::from_pretrained(fixture("roberta", "sequence_classification")),
                      Catch::Contains("model_type \"roberta\" is not a BERT model"));
    CHECK_THROWS_WITH(with_family("gpt2", "x/config.json", [](auto) { return 0; }),
                      Catch::Contains("x/config.json") && Catch::Contains("\"gpt2\" is not supported") &&
                          Catch::Contains("distilbert"));
    const fs::path dir = scratch("unsupported");
    fs::create_directories(dir);
    {
        std::ofstream(dir / "config.json") << R"({"model_type": "deberta-v2", "hidden_size": 16})";
    }
    CHECK_THROWS_WITH(with_pretrained_family(dir.string(), [](auto) { return 0; }),
                      Catch::Contains("config.json") && Catch::Contains("\"deberta-v2\""));
    fs::remove_all(dir);
}

TEST_CASE("DistilBERT's layer names, no dropout after attention, and LayerNorms kept out of weight decay",
          "[nn][families]") {
    using Model = DistilBert<Encoder<dynamic>, QuestionAnswering>;
    Model m = Model::from_pretrained(fixture("distilbert", "question_answering"));
    std::vector<std::string> names;
    m.visit_parameters([&](const std::string& n, Var<float, Cpu>&) { names.push_back(n); });
    CHECK(names.front() == "distilbert.embeddings.word_embeddings.weight");
    CHECK(std::find(names.begin(), names.end(), "distilbert.transformer.layer.1.ffn.lin2.bias") != names.end());
    CHECK(std::find(names.begin(), names.end(), "distilbert.transformer.layer.0.sa_layer_norm.weight") != names.end());
    CHECK(names.back() == "qa_outputs.bias");
    CHECK(m.encoder.layers[0].attention_output_dropout == 0.0);
    CHECK(is_layer_norm_parameter("distilbert.transformer.layer.0.output_layer_norm.weight"));
    CHECK_FALSE(is_layer_norm_parameter("distilbert.transformer.layer.0.ffn.lin1.weight"));
}
