// io/hf_config.hpp: config.json written by transformers, defaults, round trip through to_json, validation errors.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "tinybert/io/hf_config.hpp"

using tinybert::BertConfig;
using tinybert::json::parse;
using Catch::Contains;

namespace {

std::string config_error(const std::string& text) {
    try {
        (void)BertConfig::from_json(parse(text), "config.json");
        return "";
    } catch (const tinybert::Error& e) {
        return e.what();
    }
}

}  // namespace

TEST_CASE("config.json saved by transformers 5 is read", "[io][config]") {
    const BertConfig c = BertConfig::from_file(tinybert::test::fixture("tiny_single/config.json"));
    CHECK(c.vocab_size == 32);
    CHECK(c.hidden_size == 8);
    CHECK(c.num_hidden_layers == 2);
    CHECK(c.num_attention_heads == 2);
    CHECK(c.head_dim() == 4);
    CHECK(c.intermediate_size == 16);
    CHECK(c.max_position_embeddings == 16);
    CHECK(c.layer_norm_eps == 1e-12);
    CHECK(c.position_embedding_type == "absolute");
    CHECK_FALSE(c.classifier_dropout.has_value());
    CHECK(c.classifier_dropout_or_default() == 0.1);
    CHECK(c.architectures == std::vector<std::string>{"BertForSequenceClassification"});
    CHECK(c.id2label == std::vector<std::string>{"neg", "neu", "pos"});
    CHECK(c.num_labels() == 3);
    CHECK(c.label2id.size() == 3);
    CHECK(tinybert::json::Value(c.extra).find("transformers_version") != nullptr);
    CHECK(tinybert::json::Value(c.extra).find("dtype") == nullptr);
}

TEST_CASE("config defaults are bert-base with two generic labels", "[io][config]") {
    const BertConfig c = BertConfig::from_json(parse("{}"));
    CHECK(c.vocab_size == 30522);
    CHECK(c.hidden_size == 768);
    CHECK(c.num_hidden_layers == 12);
    CHECK(c.num_attention_heads == 12);
    CHECK(c.intermediate_size == 3072);
    CHECK(c.hidden_act == "gelu");
    CHECK(c.hidden_dropout_prob == 0.1);
    CHECK(c.attention_probs_dropout_prob == 0.1);
    CHECK(c.max_position_embeddings == 512);
    CHECK(c.type_vocab_size == 2);
    CHECK(c.initializer_range == 0.02);
    CHECK(c.pad_token_id == 0);
    CHECK(c.id2label == std::vector<std::string>{"LABEL_0", "LABEL_1"});
    CHECK(BertConfig::from_json(parse(R"({"num_labels": 4})")).id2label.back() == "LABEL_3");
    CHECK(BertConfig::from_json(parse(R"({"classifier_dropout": 0.3, "problem_type": "regression"})"))
              .classifier_dropout_or_default() == 0.3);
    // id2label keys may come in any order; they are ids.
    CHECK(BertConfig::from_json(parse(R"({"id2label": {"1": "b", "0": "a"}})")).id2label ==
          std::vector<std::string>{"a", "b"});
}

TEST_CASE("config to_json round-trips and writes what transformers expects", "[io][config]") {
    BertConfig c = BertConfig::from_file(tinybert::test::fixture("tiny_single/config.json"));
    c.set_labels({"O", "B-PER", "I-PER"});
    c.problem_type = "single_label_classification";
    const tinybert::json::Value j = c.to_json("BertForTokenClassification");
    CHECK(j.at("model_type").as_string() == "bert");
    CHECK(j.at("torch_dtype").as_string() == "float32");
    CHECK(j.at("architectures").as_array()[0].as_string() == "BertForTokenClassification");
    CHECK(j.at("id2label").at("1").as_string() == "B-PER");
    CHECK(j.at("label2id").at("I-PER").as_int() == 2);
    CHECK(j.at("classifier_dropout").is_null());
    CHECK(j.at("transformers_version").as_string() == "5.24.0");
    CHECK(j.find("dtype") == nullptr);
    const auto& obj = j.as_object();
    CHECK(std::is_sorted(obj.begin(), obj.end(), [](const auto& a, const auto& b) { return a.first < b.first; }));

    const std::string path = tinybert::test::scratch("config.json");
    c.save(path, "BertForTokenClassification");
    const BertConfig back = BertConfig::from_file(path);
    CHECK(back.to_json("BertForTokenClassification").dump() == j.dump());
    CHECK(back.id2label == c.id2label);
    CHECK(back.problem_type == c.problem_type);
    CHECK(back.architectures == std::vector<std::string>{"BertForTokenClassification"});
}

TEST_CASE("config validation errors name config.json and the field", "[io][config]") {
    CHECK_THAT(config_error(R"({"hidden_size": 10, "num_attention_heads": 4})"),
               Contains("config.json: field 'hidden_size' (10) is not a multiple of 'num_attention_heads' (4)"));
    CHECK_THAT(config_error(R"({"hidden_act": "relu"})"), Contains("config.json: field 'hidden_act' is \"relu\""));
    CHECK_THAT(config_error(R"({"position_embedding_type": "relative_key"})"),
               Contains("field 'position_embedding_type'"));
    CHECK_THAT(config_error(R"({"hidden_size": "768"})"),
               Contains("config.json: field 'hidden_size' must be an integer, got string"));
    CHECK_THAT(config_error(R"({"hidden_size": 7.5})"), Contains("field 'hidden_size' must be an integer, got 7.5"));
    CHECK_THAT(config_error(R"({"vocab_size": 0})"), Contains("field 'vocab_size' must be positive"));
    CHECK_THAT(config_error(R"({"hidden_dropout_prob": 1.5})"), Contains("field 'hidden_dropout_prob' must be in [0, 1)"));
    CHECK_THAT(config_error(R"({"model_type": "gpt2"})"),
               Contains("field 'model_type' is \"gpt2\"") && Contains("roberta, xlm-roberta, distilbert and electra"));
    CHECK_THAT(config_error(R"({"model_type": "distilbert", "dim": 30, "n_heads": 4})"),
               Contains("field 'dim' (30) is not a multiple of 'n_heads' (4)"));
    CHECK_THAT(config_error(R"({"model_type": "distilbert", "sinusoidal_pos_embds": true})"),
               Contains("field 'sinusoidal_pos_embds'"));
    CHECK_THAT(config_error(R"({"model_type": "distilbert", "qa_dropout": 1.0})"), Contains("field 'qa_dropout'"));
    CHECK_THAT(config_error(R"({"id2label": {"0": "a", "2": "b"}})"), Contains("field 'id2label': key \"2\""));
    CHECK_THAT(config_error(R"({"id2label": {"x": "a"}})"), Contains("field 'id2label': key \"x\""));
    CHECK_THAT(config_error(R"({"id2label": {"0": 5}})"), Contains("field 'id2label': label of id 0 must be a string"));
    CHECK_THAT(config_error(R"({"label2id": {"a": 9}})"), Contains("field 'label2id': \"a\" maps to 9"));
    CHECK_THAT(config_error(R"({"problem_type": "ranking"})"), Contains("field 'problem_type'"));
    CHECK_THAT(config_error(R"({"pad_token_id": 40000})"), Contains("field 'pad_token_id'"));
    CHECK_THAT(config_error("[1]"), Contains("config.json: expected a JSON object"));
    CHECK_THROWS_WITH(BertConfig::from_file(tinybert::test::fixture("missing/config.json")),
                      Contains("missing/config.json: cannot open file"));
}
