// io/state_dict.hpp: one tiny BertForSequenceClassification saved by transformers as model.safetensors, as a
// sharded checkpoint and as pytorch_model.bin must load to the same tensors; sharded-index errors; a real MiniLM
// checkpoint when TINYBERT_MINILM_DIR points at one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "tinybert/io/hf_config.hpp"
#include "tinybert/io/hf_names.hpp"
#include "tinybert/io/state_dict.hpp"

using tinybert::load_state_dict;
using tinybert::StateDict;
using tinybert::test::fixture;
using tinybert::test::scratch;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

void check_against_expected(const StateDict& sd) {
    const auto expected = tinybert::json::parse_file(fixture("tiny_expected.json"));
    REQUIRE(sd.size() == expected.as_object().size());
    for (const auto& [name, e] : expected.as_object()) {
        INFO(sd.source() << ": " << name);
        const auto& t = sd.at(name);
        std::vector<std::int64_t> shape;
        for (const auto& d : e.at("shape").as_array()) shape.push_back(d.as_int());
        CHECK(t.shape() == shape);
        const auto v = t.to<double>();
        double sum = 0;
        for (const double x : v) sum += x;
        CHECK(sum == Approx(e.at("sum").as_double()).margin(1e-6));
        CHECK(v.at(0) == e.at("first").as_double());
    }
}

std::string sharded_error(const std::string& index_text) {
    const fs::path dir = fs::path(scratch("shards"));
    fs::create_directories(dir);
    for (const auto& f : fs::directory_iterator(fixture("tiny_sharded")))
        if (f.path().extension() == ".safetensors")
            fs::copy_file(f.path(), dir / f.path().filename(), fs::copy_options::overwrite_existing);
    tinybert::test::write_bytes((dir / "model.safetensors.index.json").string(), index_text);
    try {
        (void)load_state_dict(dir.string());
        return "";
    } catch (const tinybert::Error& e) {
        return e.what();
    }
}

}  // namespace

TEST_CASE("single-file, sharded and pytorch_model.bin checkpoints load the same tensors", "[io][state_dict]") {
    const StateDict single = load_state_dict(fixture("tiny_single"));
    const StateDict sharded = load_state_dict(fixture("tiny_sharded"));
    const StateDict bin = load_state_dict(fixture("tiny_bin"));
    CHECK(single.source() == fixture("tiny_single") + "/model.safetensors");
    CHECK(sharded.source() == fixture("tiny_sharded") + "/model.safetensors.index.json");
    CHECK(bin.source() == fixture("tiny_bin") + "/pytorch_model.bin");
    check_against_expected(single);
    check_against_expected(sharded);
    check_against_expected(bin);
    for (const auto& [name, t] : single.tensors()) {
        INFO(name);
        CHECK(sharded.read<float>(name) == t.to<float>());
        CHECK(bin.read<float>(name) == t.to<float>());
    }
    CHECK(load_state_dict(fixture("tiny_sharded/model.safetensors.index.json")).size() == single.size());
    CHECK(load_state_dict(fixture("tiny_bin/pytorch_model.bin")).size() == single.size());
    CHECK_THROWS_WITH(single.at("bert.nope"), Contains("tiny_single/model.safetensors: no tensor 'bert.nope'"));
}

TEST_CASE("a loaded checkpoint saves back to safetensors unchanged", "[io][state_dict]") {
    const StateDict bin = load_state_dict(fixture("tiny_bin"));
    const std::string path = scratch("resaved.safetensors");
    tinybert::write_safetensors(path, bin.tensors());
    const StateDict back = load_state_dict(path);
    REQUIRE(back.size() == bin.size());
    for (const auto& [name, t] : bin.tensors()) {
        INFO(name);
        CHECK(back.at(name).dtype() == t.dtype());
        CHECK(back.at(name).shape() == t.shape());
        CHECK(back.read<float>(name) == t.to<float>());
    }
}

TEST_CASE("sharded index errors name the index and the tensor", "[io][state_dict]") {
    const std::string good = tinybert::test::read_bytes(fixture("tiny_sharded/model.safetensors.index.json"));
    CHECK(sharded_error(good).empty());
    CHECK_THAT(sharded_error(R"({"metadata": {}})"), Contains("model.safetensors.index.json: missing \"weight_map\""));
    CHECK_THAT(sharded_error(R"({"weight_map": {"x": "../model.safetensors"}})"),
               Contains("tensor 'x': shard '../model.safetensors' must be a relative path"));
    CHECK_THAT(sharded_error(R"({"weight_map": {"x": "/etc/passwd"}})"), Contains("must be a relative path"));
    CHECK_THAT(sharded_error(R"({"weight_map": {"x": "absent.safetensors"}})"),
               Contains("absent.safetensors: cannot open file"));
    CHECK_THAT(sharded_error(R"({"weight_map": {"classifier.bias": "model-00001-of-00002.safetensors"}})"),
               Contains("tensor 'classifier.bias' is mapped to shard 'model-00001-of-00002.safetensors', which does "
                        "not contain it"));
    CHECK_THAT(sharded_error(R"({"weight_map": {"x": 3}})"), Contains("weight_map entry 'x' must be a file name"));
    CHECK_THAT(sharded_error("{"), Contains("model.safetensors.index.json: invalid JSON"));
    const std::string empty_dir = scratch("empty_dir");
    fs::create_directories(empty_dir);
    CHECK_THROWS_WITH(load_state_dict(empty_dir), Contains("empty_dir: no model.safetensors"));
}

TEST_CASE("real MiniLM-L6 checkpoint (TINYBERT_MINILM_DIR)", "[io][state_dict][real]") {
    const char* dir = std::getenv("TINYBERT_MINILM_DIR");
    if (dir == nullptr || !fs::exists(fs::path(dir) / "model.safetensors")) {
        WARN("TINYBERT_MINILM_DIR is unset or has no model.safetensors; skipping the real-checkpoint test");
        return;
    }
    const auto config = tinybert::BertConfig::from_file((fs::path(dir) / "config.json").string());
    CHECK(config.num_hidden_layers == 6);
    CHECK(config.hidden_size == 384);
    const StateDict sd = load_state_dict(dir);
    CHECK(sd.at("embeddings.word_embeddings.weight").shape() == std::vector<std::int64_t>{30522, 384});
    CHECK(sd.at("encoder.layer.5.output.dense.weight").shape() == std::vector<std::int64_t>{384, 1536});
    CHECK_FALSE(sd.contains("encoder.layer.6.output.dense.weight"));
    const auto keys = tinybert::map_checkpoint_keys(sd.names(), false, true, sd.source());
    CHECK(keys.load.size() == 5 + 6 * 16 + 2);
    for (const auto& [name, key] : keys.load) {
        INFO(name);
        const auto v = sd.read<float>(key);
        CHECK(std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); }));
    }
}
