// Hostile sizes in checkpoints (docs/reliability.md, "Hostile sizes"): dimensions that would need absurd memory are
// refused before anything is allocated, with the size they would need; nothing is read past a file's end.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

#include "io_test_util.hpp"
#include "tinybert/io/hf_config.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/io/safetensors.hpp"
#include "tinybert/io/torch_bin.hpp"
#include "tinybert/nn/bert.hpp"

namespace tb = tinybert;
using Catch::Contains;

namespace {

std::string config_file(const std::string& name, const std::string& json) {
    const std::string path = tb::test::scratch(name);
    tb::test::write_bytes(path, json);
    return path;
}

}  // namespace

TEST_CASE("config.json with vocab_size 10^12 is refused before the model allocates, with the size it needs") {
    const std::string path = config_file("vocab_1e12.json", R"({"model_type": "bert", "vocab_size": 1000000000000})");
    CHECK_THROWS_WITH(tb::BertConfig::from_file(path),
                      Contains("vocab_1e12.json: these sizes would need 7.68") && Contains("e+14 parameters") &&
                          Contains("above tinybert's limit of 17179869184 (2^34)") &&
                          Contains("vocab_size 1000000000000, hidden_size 768"));
    // A config built in code reaches the same check in the model's constructor, before any parameter exists.
    tb::BertConfig c;
    c.vocab_size = 1'000'000'000'000;
    using Model = tb::Bert<tb::Encoder<tb::dynamic>, tb::NoHead>;
    CHECK_THROWS_WITH(Model(c), Contains("config.json: these sizes would need") && Contains("vocab_size 1000000000000"));
}

TEST_CASE("config.json with hidden_size 10^6 is refused with the size it needs") {
    const std::string path =
        config_file("hidden_1e6.json", R"({"model_type": "bert", "hidden_size": 1000000, "num_attention_heads": 1})");
    CHECK_THROWS_WITH(tb::BertConfig::from_file(path),
                      Contains("hidden_1e6.json: these sizes would need 4.91049e+13 parameters") && Contains("hidden_size 1000000,"));
}

TEST_CASE("config.json: absurd layer and label counts are refused before anything is built for them") {
    CHECK_THROWS_WITH(tb::BertConfig::from_file(config_file("layers.json", R"({"num_hidden_layers": 1000000000})")),
                      Contains("layers.json: field 'num_hidden_layers' (1000000000) is above tinybert's limit of 1024"));
    // num_labels makes one label string per label, so it is checked as it is read.
    CHECK_THROWS_WITH(tb::BertConfig::from_file(config_file("labels.json", R"({"num_labels": 1000000000000})")),
                      Contains("labels.json: field 'num_labels': 1000000000000 is above tinybert's limit of 1048576"));
    // The largest real BERTs load: 3.9e9 parameters (Megatron-BERT's sizes).
    CHECK_NOTHROW(tb::BertConfig::from_file(config_file(
        "megatron.json",
        R"({"vocab_size": 29056, "hidden_size": 2560, "num_hidden_layers": 48, "num_attention_heads": 40,
            "intermediate_size": 10240})")));
}

TEST_CASE("safetensors: a 2^40-byte tensor in the header is refused, naming its size, without reading past the end") {
    const std::string header =
        R"({"t":{"dtype":"U8","shape":[1099511627776],"data_offsets":[0,1099511627776]}})";
    const std::string path = tb::test::scratch("huge_tensor.safetensors");
    tb::test::write_bytes(path, tb::test::safetensors_bytes(header, 16));
    CHECK_THROWS_WITH(tb::SafetensorsFile(path),
                      Contains("huge_tensor.safetensors: tensor 't': data_offsets [0,1099511627776) run past the data "
                               "section (16 bytes)"));
}

TEST_CASE("safetensors: a file truncated in the middle of a tensor is refused") {
    const std::string bytes = tb::test::read_bytes(tb::test::fixture("tiny_single/model.safetensors"));
    const std::string path = tb::test::scratch("cut.safetensors");
    tb::test::write_bytes(path, bytes.substr(0, bytes.size() - 10));
    CHECK_THROWS_WITH(tb::SafetensorsFile(path), Contains("cut.safetensors: tensor '") &&
                                                     Contains("run past the data section") &&
                                                     Contains("truncated file?"));
}

TEST_CASE("pytorch_model.bin: a zero-stride view of 2^40 elements is refused before it is gathered") {
    // {"w": _rebuild_tensor_v2(storage("0", FloatStorage, numel 1), 0, (2^40,), (0,), False, {})}
    const std::string pkl = std::string("\x80\x02}X\x01\x00\x00\x00w", 9) +
                            "ctorch._utils\n_rebuild_tensor_v2\n(" +
                            std::string("(X\x07\x00\x00\x00storage", 13) + "ctorch\nFloatStorage\n" +
                            std::string("X\x01\x00\x00\x00" "0" "X\x03\x00\x00\x00" "cpu" "K\x01tQK\x00", 20) +
                            std::string("\x8a\x06\x00\x00\x00\x00\x00\x01\x85K\x00\x85\x89}tRs.", 18);
    const std::string path = tb::test::scratch("expanded.bin");
    tb::test::write_bytes(path, tb::test::stored_zip({{"archive/data.pkl", pkl},
                                                      {"archive/data/0", std::string(4, '\0')}}));
    CHECK_THROWS_WITH(tb::load_torch_bin(path),
                      Contains("expanded.bin: tensor 'w': view of 1099511627776 elements (4.39805e+12 bytes once "
                               "gathered) is larger than the whole archive ("));
}

TEST_CASE("a JSON document larger than 1 GiB is refused before it is read") {
    const std::string path = tb::test::scratch("huge_config.json");
    tb::test::write_bytes(path, "{");
    std::filesystem::resize_file(path, (std::uint64_t{1} << 30) + 1);  // sparse: no disk or memory used
    CHECK_THROWS_WITH(tb::BertConfig::from_file(path),
                      Contains("huge_config.json: file of 1073741825 bytes is larger than the limit of 1073741824 "
                               "bytes for a JSON document"));
}
