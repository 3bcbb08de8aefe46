// quant/model.hpp and quant/checkpoint.hpp on the tiny transformers fixture (tests/fixtures/parity): int8 logits
// near float, the float path untouched, the int8 folder's round trip bit for bit, inference-only guards, and clear
// errors for corrupt int8 folders.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "tinybert/quant/model.hpp"

using namespace tinybert;
namespace fs = std::filesystem;

namespace {

using Model = Bert<Encoder<2>, SequenceClassification>;
const std::string fixture = std::string(TINYBERT_PARITY_DIR) + "/sequence_classification";
const std::string query = "bert.encoder.layer.0.attention.self.query.weight";

Batch<Cpu> tiny_batch() {
    Batch<Cpu> b;
    b.input_ids = Tensor<std::int64_t>::from_vector({2, 6}, {2, 7, 9, 3, 14, 3, 2, 11, 3, 40, 0, 0});
    b.attention_mask = Tensor<std::int64_t>::from_vector({2, 6}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0});
    b.token_type_ids = Tensor<std::int64_t>::from_vector({2, 6}, {0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0});
    return b;
}

std::vector<float> logits(Model& m) {
    NoGradGuard no_grad;
    return m.forward(tiny_batch()).logits.value().to_vector();
}

fs::path scratch(const std::string& name) {
    const fs::path p = fs::temp_directory_path() / ("tinybert_test_quant_" + name);
    fs::remove_all(p);
    return p;
}

std::string file_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The int8 folder of the fixture (written once per test process, removed at its exit).
const fs::path& int8_folder() {
    static const struct Folder {
        fs::path dir = scratch("int8_" + std::to_string(::getpid()));
        Folder() {
            Model m = Model::from_pretrained(fixture);
            quantize_dynamic(m);
            m.save_pretrained(dir.string());
        }
        ~Folder() { fs::remove_all(dir); }
    } folder;
    return folder.dir;
}

// A copy of the int8 folder whose tensors went through `edit` (and whose config.json through `edit_config`).
fs::path corrupted(const std::string& name, const std::function<void(std::vector<NamedTensor>&)>& edit,
                   const std::function<void(std::string&)>& edit_config = {}) {
    const fs::path d = scratch(name);
    fs::create_directories(d);
    std::string config = file_bytes(int8_folder() / "config.json");
    if (edit_config) edit_config(config);
    std::ofstream(d / "config.json") << config;
    const SafetensorsFile file((int8_folder() / "model.safetensors").string());
    std::vector<NamedTensor> tensors = file.tensors();
    edit(tensors);
    write_safetensors((d / "model.safetensors").string(), tensors);
    return d;
}

void replace(std::vector<NamedTensor>& ts, const std::string& name, CheckpointTensor t) {
    for (auto& [n, old] : ts)
        if (n == name) old = std::move(t);
}
void erase(std::vector<NamedTensor>& ts, const std::string& name) {
    std::erase_if(ts, [&](const NamedTensor& t) { return t.first == name; });
}

}  // namespace

TEST_CASE("quantize_dynamic: int8 logits near float, and dequantize gives the float logits back bit for bit",
          "[quant]") {
    Model m = Model::from_pretrained(fixture);
    const std::vector<float> ref = logits(m);
    CHECK_FALSE(is_quantized(m));
    quantize_dynamic(m);
    CHECK(is_quantized(m));
    const std::vector<float> q = logits(m);
    REQUIRE(q.size() == ref.size());
    double worst = 0, scale = 0;
    for (std::size_t i = 0; i < q.size(); ++i) {
        worst = std::max(worst, std::fabs(double{q[i]} - double{ref[i]}));
        scale = std::max(scale, std::fabs(double{ref[i]}));
    }
    INFO("max |int8 − float| = " << worst << ", max |float| = " << scale);
    CHECK(worst > 0);             // the int8 path ran
    CHECK(worst < 0.02 * scale);  // and stays near the float model
    dequantize(m);
    CHECK(logits(m) == ref);
}

TEST_CASE("int8 folder: I8 weights, F32 scales and the config marker, loaded back to the same integers and logits",
          "[quant][io]") {
    Model m = Model::from_pretrained(fixture);
    quantize_dynamic(m);
    const fs::path& dir = int8_folder();

    const SafetensorsFile file((dir / "model.safetensors").string());
    int i8 = 0;
    for (const auto& [name, t] : file.tensors()) {
        if (t.dtype() == DType::i8) {
            ++i8;
            CHECK(name.find(".encoder.layer.") != std::string::npos);
            CHECK(file.tensor(name + "_scale").dtype() == DType::f32);
            CHECK(file.tensor(name + "_scale").shape() == std::vector<std::int64_t>{t.shape()[0]});
        } else if (!name.ends_with("_scale")) {
            CHECK(t.dtype() == DType::f32);
        }
    }
    CHECK(i8 == 2 * 6);
    const json::Value config = json::parse_file((dir / "config.json").string());
    CHECK(config.at("quantization_config").at("quant_method").as_string() == "tinybert_int8_dynamic");

    Model back = Model::from_pretrained(dir.string());
    CHECK(is_quantized(back));
    CHECK(back.load_report().missing.empty());
    CHECK(back.load_report().unexpected.empty());
    for (std::size_t l = 0; l < 2; ++l) {
        const quant::Int8Layer& a = *m.encoder.layers[l].int8;
        const quant::Int8Layer& b = *back.encoder.layers[l].int8;
        const auto same = [](const quant::QuantizedWeight& x, const quant::QuantizedWeight& y) {
            return x.q == y.q && x.scale == y.scale && x.row_sum == y.row_sum && x.out_features == y.out_features &&
                   x.in_features == y.in_features;
        };
        CHECK(same(a.query, b.query));
        CHECK(same(a.key, b.key));
        CHECK(same(a.value, b.value));
        CHECK(same(a.attention_output, b.attention_output));
        CHECK(same(a.intermediate, b.intermediate));
        CHECK(same(a.output, b.output));
        // the float Vars hold the dequantised weights
        CHECK(back.encoder.layers[l].query.weight.value().to_vector() == a.query.dequantize<float>());
    }
    CHECK(logits(back) == logits(m));

    // quantize_dynamic keeps loaded integers; saving again writes the same bytes
    quantize_dynamic(back);
    const fs::path again = scratch("again");
    back.save_pretrained(again.string());
    CHECK(file_bytes(again / "model.safetensors") == file_bytes(dir / "model.safetensors"));
    CHECK(file_bytes(again / "config.json") == file_bytes(dir / "config.json"));

    // a float save of it drops the marker and writes F32
    dequantize(back);
    back.save_pretrained(again.string());
    CHECK(json::parse_file((again / "config.json").string()).find("quantization_config") == nullptr);
    CHECK(SafetensorsFile((again / "model.safetensors").string()).tensor(query).dtype() == DType::f32);
    fs::remove_all(again);
}

TEST_CASE("a quantised model is for inference only", "[quant]") {
    Model m = Model::from_pretrained(fixture);
    quantize_dynamic(m);
    CHECK_THROWS_WITH(m.forward(tiny_batch()), Catch::Contains("inference only") && Catch::Contains("NoGradGuard"));
    m.train();
    NoGradGuard no_grad;
    CHECK_THROWS_WITH(m.forward(tiny_batch()), Catch::Contains("model.eval()"));
}

TEST_CASE("corrupt int8 folders are clear errors naming the file and tensor", "[quant][io]") {
    const std::string scale = query + "_scale";
    const auto fails = [](const fs::path& dir, const std::string& what, const std::string& tensor) {
        INFO(dir.string());
        CHECK_THROWS_WITH(Model::from_pretrained(dir.string()),
                          Catch::Contains(what) && Catch::Contains(tensor) && Catch::Contains("model.safetensors"));
        fs::remove_all(dir);
    };
    SECTION("scale with the wrong length") {
        fails(corrupted(
                  "short_scale",
                  [&](auto& ts) { replace(ts, scale, CheckpointTensor::from(std::vector<float>(15, 0.01f), {15})); }),
              "does not match its weight's (16,16)", scale);
    }
    SECTION("scale of rank 2") {
        fails(corrupted("rank2_scale",
                        [&](auto& ts) {
                            replace(ts, scale, CheckpointTensor::from(std::vector<float>(16, 0.01f), {16, 1}));
                        }),
              "one scale per output channel", scale);
    }
    SECTION("scale missing") {
        fails(corrupted("no_scale", [&](auto& ts) { erase(ts, scale); }), "without its scale tensor", query);
    }
    SECTION("scale without a weight") {
        fails(corrupted("orphan_scale",
                        [&](auto& ts) {
                            ts.emplace_back("bert.pooler.dense.weight_scale",
                                            CheckpointTensor::from(std::vector<float>(16, 1.0f), {16}));
                        }),
              "a scale without its I8 weight", "bert.pooler.dense.weight_scale");
    }
    SECTION("a code of -128") {
        fails(corrupted("minus128",
                        [&](auto& ts) {
                            std::vector<std::int8_t> q(256, 1);
                            q[17] = -128;
                            replace(ts, query, CheckpointTensor::from(q, {16, 16}));
                        }),
              "value -128 at (1,1)", query);
    }
    SECTION("a zero or NaN scale") {
        for (const float bad : {0.0f, std::numeric_limits<float>::quiet_NaN(), -0.5f}) {
            std::vector<float> s(16, 0.01f);
            s[3] = bad;
            fails(corrupted("bad_scale", [&](auto& ts) { replace(ts, scale, CheckpointTensor::from(s, {16})); }),
                  "scale of output channel 3", query);
        }
    }
    SECTION("an encoder weight left in float") {
        const std::string w = "bert.encoder.layer.1.output.dense.weight";
        fails(corrupted("float_weight",
                        [&](auto& ts) {
                            erase(ts, w + "_scale");
                            replace(ts, w, CheckpointTensor::from(std::vector<float>(16 * 24, 0.01f), {16, 24}));
                        }),
              "is not stored as I8", w);
    }
    SECTION("an int8 head") {
        fails(
            corrupted(
                "int8_head",
                [&](auto& ts) {
                    replace(ts, "classifier.weight", CheckpointTensor::from(std::vector<std::int8_t>(48, 3), {3, 16}));
                    ts.emplace_back("classifier.weight_scale",
                                    CheckpointTensor::from(std::vector<float>(3, 0.01f), {3}));
                }),
            "only the encoder's linear weights", "classifier.weight");
    }
    SECTION("I8 weights without the config marker") {
        const auto unmark = [](std::string& c) {
            c.replace(c.find("\"quantization_config\""), 21, "\"quantization_confix\"");
        };
        fails(corrupted(
                  "no_marker", [](auto&) {}, unmark),
              "cannot read I8 data as a floating-point type", query);
    }
    SECTION("another quant_method") {
        const auto other = [](std::string& c) {
            c.replace(c.find("tinybert_int8_dynamic"), 21, "bitsandbytes_8bit____");
        };
        const fs::path d = corrupted(
            "other_method", [](auto&) {}, other);
        CHECK_THROWS_WITH(Model::from_pretrained(d.string()),
                          Catch::Contains("config.json") && Catch::Contains("is not one tinybert loads"));
        fs::remove_all(d);
    }
    SECTION("the marker on a float folder") {
        const fs::path d = scratch("marker_only");
        Model m = Model::from_pretrained(fixture);
        m.save_pretrained(d.string());
        std::ofstream(d / "config.json") << file_bytes(int8_folder() / "config.json");
        CHECK_THROWS_WITH(Model::from_pretrained(d.string()), Catch::Contains("holds no I8 weight"));
        fs::remove_all(d);
    }
}
