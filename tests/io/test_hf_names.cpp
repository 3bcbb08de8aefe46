// io/hf_names.hpp: gamma/beta renames, bert. prefix handling and ignorable keys, on single keys and on a
// bert-base-uncased style file (gamma_beta.safetensors).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "tinybert/io/hf_names.hpp"
#include "tinybert/io/safetensors.hpp"

using tinybert::canonical_name;
using tinybert::is_ignorable;

TEST_CASE("canonical_name renames LayerNorm gamma/beta and fixes the bert. prefix", "[io][names]") {
    CHECK(canonical_name("bert.embeddings.LayerNorm.gamma", true) == "bert.embeddings.LayerNorm.weight");
    CHECK(canonical_name("bert.encoder.layer.3.output.LayerNorm.beta", true) ==
          "bert.encoder.layer.3.output.LayerNorm.bias");
    CHECK(canonical_name("embeddings.word_embeddings.weight", true) == "bert.embeddings.word_embeddings.weight");
    CHECK(canonical_name("pooler.dense.bias", true) == "bert.pooler.dense.bias");
    CHECK(canonical_name("bert.encoder.layer.0.attention.self.query.weight", false) ==
          "encoder.layer.0.attention.self.query.weight");
    CHECK(canonical_name("encoder.layer.0.attention.output.LayerNorm.gamma", false) ==
          "encoder.layer.0.attention.output.LayerNorm.weight");
    CHECK(canonical_name("classifier.weight", true) == "classifier.weight");
    CHECK(canonical_name("classifier.weight", false) == "classifier.weight");
    CHECK(canonical_name("cls.predictions.transform.LayerNorm.gamma", true) ==
          "cls.predictions.transform.LayerNorm.weight");
    CHECK(canonical_name("qa_outputs.bias", true) == "qa_outputs.bias");
}

TEST_CASE("is_ignorable drops pre-training heads, buffers and an unused pooler", "[io][names]") {
    CHECK(is_ignorable("cls.predictions.bias", true));
    CHECK(is_ignorable("cls.seq_relationship.weight", true));
    CHECK(is_ignorable("bert.embeddings.position_ids", true));
    CHECK(is_ignorable("embeddings.position_ids", true));
    CHECK(is_ignorable("bert.embeddings.token_type_ids", true));
    CHECK(is_ignorable("bert.pooler.dense.weight", false));
    CHECK(is_ignorable("pooler.dense.bias", false));
    CHECK_FALSE(is_ignorable("bert.pooler.dense.weight", true));
    CHECK_FALSE(is_ignorable("classifier.weight", false));
    CHECK_FALSE(is_ignorable("bert.embeddings.word_embeddings.weight", false));
}

TEST_CASE("map_checkpoint_keys on a bert-base-uncased style checkpoint", "[io][names]") {
    const tinybert::SafetensorsFile f(tinybert::test::fixture("gamma_beta.safetensors"));
    std::vector<std::string> keys;
    for (const auto& [name, t] : f.tensors()) keys.push_back(name);
    auto has = [](const auto& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); };

    const auto head = tinybert::map_checkpoint_keys(keys, true, false, f.path());  // e.g. token classification
    std::vector<std::string> loaded;
    for (const auto& [name, key] : head.load) loaded.push_back(name);
    CHECK(has(loaded, "bert.embeddings.LayerNorm.weight"));
    CHECK(has(loaded, "bert.encoder.layer.1.output.LayerNorm.bias"));
    CHECK_FALSE(has(loaded, "bert.pooler.dense.weight"));
    CHECK(has(head.ignored, "bert.pooler.dense.weight"));
    CHECK(has(head.ignored, "cls.predictions.bias"));
    CHECK(has(head.ignored, "cls.seq_relationship.weight"));
    CHECK(has(head.ignored, "bert.embeddings.position_ids"));
    CHECK(std::none_of(loaded.begin(), loaded.end(), [](const std::string& n) {
        return n.find("gamma") != std::string::npos || n.find("beta") != std::string::npos;
    }));
    // 5 embedding tensors + 16 per layer x 2 layers.
    CHECK(head.load.size() == 5 + 2 * 16);

    const auto base = tinybert::map_checkpoint_keys(keys, false, true, f.path());  // BertModel with pooler
    CHECK(base.load.size() == 5 + 2 * 16 + 2);
    CHECK(std::all_of(base.load.begin(), base.load.end(),
                      [](const auto& p) { return !p.first.starts_with("bert."); }));

    CHECK_THROWS_WITH(tinybert::map_checkpoint_keys({"bert.embeddings.LayerNorm.gamma", "embeddings.LayerNorm.weight"},
                                                    true, true, "ckpt.bin"),
                      Catch::Contains("ckpt.bin: keys 'bert.embeddings.LayerNorm.gamma' and "
                                      "'embeddings.LayerNorm.weight' both map to 'bert.embeddings.LayerNorm.weight'"));
}
