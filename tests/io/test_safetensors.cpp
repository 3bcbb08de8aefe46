// io/safetensors.hpp: files written by Python safetensors, write/read round trips, and corrupt inputs, each of
// which must give a tinybert::Error naming the file and the tensor (never a crash), plus a byte-flip fuzz loop.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "tinybert/io/safetensors.hpp"

using tinybert::CheckpointTensor;
using tinybert::DType;
using tinybert::SafetensorsFile;
using tinybert::test::fixture;
using tinybert::test::safetensors_bytes;
using tinybert::test::scratch;
using tinybert::test::write_bytes;
using Catch::Contains;

TEST_CASE("safetensors reads a file written by Python safetensors", "[io][safetensors]") {
    const SafetensorsFile f(fixture("mixed.safetensors"));
    CHECK(f.size() == 8);
    REQUIRE(f.metadata().size() == 1);
    CHECK(f.metadata()[0] == std::pair<std::string, std::string>("format", "pt"));

    CHECK(f.tensor("f32").dtype() == DType::f32);
    CHECK(f.tensor("f32").shape() == std::vector<std::int64_t>{2, 3});
    CHECK(f.read<float>("f32") == std::vector<float>{-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f});
    CHECK(f.read<double>("f32") == std::vector<double>{-1.0, -0.5, 0.0, 0.5, 1.0, 1.5});
    CHECK(f.read<float>("f16") == std::vector<float>{1.0f, -2.0f, 0.25f, 65504.0f});
    const auto bf = f.read<float>("bf16");
    CHECK(bf[0] == 1.0f);
    CHECK(bf[2] == 0.25f);
    CHECK(bf[3] == tinybert::detail::bits_to_float(0x7F620000u));  // torch rounded 3e38 to bf16 0x7F62
    CHECK(f.read<double>("f64") == std::vector<double>{0.1, -1e300});
    CHECK(f.read<float>("f64")[0] == 0.1f);
    CHECK(std::isinf(f.read<float>("f64")[1]));
    CHECK(f.read<std::int64_t>("i64") == std::vector<std::int64_t>{-1, 0, std::int64_t{1} << 40});
    CHECK(f.read<std::int64_t>("i32") == std::vector<std::int64_t>{7, -8});
    CHECK(f.tensor("i32").shape() == std::vector<std::int64_t>{2, 1});
    CHECK(f.tensor("scalar").shape().empty());
    CHECK(f.read<float>("scalar") == std::vector<float>{2.5f});
    CHECK(f.tensor("empty").numel() == 0);
    CHECK(f.read<float>("empty").empty());
}

TEST_CASE("safetensors conversions refuse float <-> int and out-of-range values", "[io][safetensors]") {
    const SafetensorsFile f(fixture("mixed.safetensors"));
    CHECK_THROWS_WITH(f.read<float>("i64"), Contains("mixed.safetensors: tensor 'i64'") && Contains("floating-point"));
    CHECK_THROWS_WITH(f.read<std::int64_t>("f32"), Contains("tensor 'f32'") && Contains("integer"));
    CHECK_THROWS_WITH(f.read<std::int32_t>("i64"), Contains("tensor 'i64'") && Contains("element 2"));
    CHECK(f.read<std::int32_t>("i32") == std::vector<std::int32_t>{7, -8});
    CHECK_THROWS_WITH(f.tensor("missing"), Contains("mixed.safetensors: tensor 'missing'"));
}

TEST_CASE("safetensors write/read round trip keeps bytes, dtypes, shapes and metadata", "[io][safetensors]") {
    const std::vector<float> w{1.5f, -2.0f, 3.25f, 0.0f, -0.0f, 1e-30f};
    std::vector<tinybert::NamedTensor> tensors;
    tensors.emplace_back("b.weight", CheckpointTensor::view<float>(w, {2, 3}));
    tensors.emplace_back("a.f64", CheckpointTensor::from<double>({0.1, 0.2}, {2}));
    tensors.emplace_back("c.ids", CheckpointTensor::from<std::int64_t>({5, -7, 9}, {3}));
    tensors.emplace_back("d.i32", CheckpointTensor::from<std::int32_t>({1}, {}));
    tensors.emplace_back("e.half", CheckpointTensor::from<tinybert::f16>({tinybert::f16(0.5f)}, {1, 1}));
    tensors.emplace_back("f.bf", CheckpointTensor::from<tinybert::bf16>({tinybert::bf16(-3.0f), tinybert::bf16(7.0f)}, {2}));
    tensors.emplace_back("g.empty", CheckpointTensor::from<float>({}, {0, 4}));
    const std::string path = scratch("roundtrip.safetensors");
    tinybert::write_safetensors(path, tensors, {{"note", "tinybert"}});

    const std::string raw = tinybert::test::read_bytes(path);
    std::uint64_t n = 0;
    std::memcpy(&n, raw.data(), 8);
    CHECK(n % 8 == 0);
    CHECK_FALSE(std::filesystem::exists(path + ".tmp"));

    const SafetensorsFile f(path);
    CHECK(f.metadata() == tinybert::SafetensorsMetadata{{"format", "pt"}, {"note", "tinybert"}});
    for (const auto& [name, t] : tensors) {
        INFO(name);
        const CheckpointTensor& r = f.tensor(name);
        CHECK(r.dtype() == t.dtype());
        CHECK(r.shape() == t.shape());
        CHECK(std::equal(r.bytes().begin(), r.bytes().end(), t.bytes().begin(), t.bytes().end()));
    }
    // 8-byte dtypes first, then by name; each tensor starts at a multiple of its element size.
    std::vector<std::string> order;
    for (const auto& [name, t] : f.tensors()) order.push_back(name);
    CHECK(order == std::vector<std::string>{"a.f64", "c.ids", "b.weight", "d.i32", "g.empty", "e.half", "f.bf"});
    for (const auto& [name, t] : f.tensors())
        CHECK(static_cast<std::size_t>(t.bytes().data() - f.tensors()[0].second.bytes().data()) %
                  tinybert::dtype_size(t.dtype()) == 0);
    CHECK(f.read<float>("f.bf") == std::vector<float>{-3.0f, 7.0f});
}

TEST_CASE("safetensors writer rejects bad input and leaves the old file intact", "[io][safetensors]") {
    const std::string path = scratch("keep.safetensors");
    tinybert::write_safetensors(path, {{"x", CheckpointTensor::from<float>({1.0f}, {1})}});
    const std::string before = tinybert::test::read_bytes(path);
    std::vector<tinybert::NamedTensor> dup{{"x", CheckpointTensor::from<float>({2.0f}, {1})},
                                           {"x", CheckpointTensor::from<float>({3.0f}, {1})}};
    CHECK_THROWS_WITH(tinybert::write_safetensors(path, dup), Contains("tensor 'x'") && Contains("duplicate"));
    CHECK_THROWS_WITH(tinybert::write_safetensors(path, {{"__metadata__", CheckpointTensor::from<float>({1.0f}, {1})}}),
                      Contains("invalid tensor name"));
    CHECK_THROWS_WITH(tinybert::write_safetensors(path, {}, {{"format", "np"}}), Contains("format"));
    CHECK(tinybert::test::read_bytes(path) == before);
    CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
    CHECK_THROWS_WITH(CheckpointTensor::from<float>({1.0f, 2.0f}, {3}), Contains("8 bytes do not hold 3 elements"));
}

namespace {

// Writes `bytes` to a scratch file named `name` and returns the error message of opening it ("" if it opened).
std::string open_error(const std::string& name, const std::string& bytes) {
    const std::string path = scratch(name);
    write_bytes(path, bytes);
    try {
        const SafetensorsFile f(path);
        return "";
    } catch (const tinybert::Error& e) {
        return e.what();
    }
}

const char* two_f32 = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

}  // namespace

TEST_CASE("safetensors rejects corrupt files with errors naming the file and the tensor", "[io][safetensors]") {
    using Catch::Matchers::Contains;
    const std::string good = std::string("{") + two_f32 + "}";
    CHECK(open_error("good.safetensors", safetensors_bytes(good, 8)).empty());

    const std::string mixed = tinybert::test::read_bytes(fixture("mixed.safetensors"));
    CHECK_THAT(open_error("trunc5.safetensors", mixed.substr(0, 5)),
               Contains("trunc5.safetensors: truncated file: 5 bytes"));
    CHECK_THAT(open_error("trunc_data.safetensors", mixed.substr(0, mixed.size() - 3)),
               Contains("trunc_data.safetensors: tensor '") && Contains("past the data section"));
    CHECK_THAT(open_error("trunc_header.safetensors", mixed.substr(0, 40)),
               Contains("trunc_header.safetensors: header length") && Contains("runs past the end"));
    CHECK_THAT(open_error("huge.safetensors", safetensors_bytes(good, 8, 200'000'000)),
               Contains("huge.safetensors: header length 200000000 exceeds"));
    CHECK_THAT(open_error("overlap.safetensors",
                          safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                            R"("bert.embeddings.word_embeddings.weight":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                            12)),
               Contains("overlap.safetensors: tensor 'bert.embeddings.word_embeddings.weight': data_offsets [4,12) "
                        "overlap tensor 'a'"));
    CHECK_THAT(open_error("range.safetensors",
                          safetensors_bytes(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8)),
               Contains("range.safetensors: tensor 'w': data_offsets [0,16) run past the data section (8 bytes)"));
    CHECK_THAT(open_error("gap.safetensors",
                          safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                            R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                                            12)),
               Contains("gap.safetensors: tensor 'b'") && Contains("gap of 4 bytes"));
    CHECK_THAT(open_error("count.safetensors",
                          safetensors_bytes(R"({"w":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}})", 8)),
               Contains("count.safetensors: tensor 'w'") && Contains("hold 8 bytes but F16 shape [3] needs 6"));
    CHECK_THAT(open_error("dtype.safetensors",
                          safetensors_bytes(R"({"w":{"dtype":"F4","shape":[2],"data_offsets":[0,8]}})", 8)),
               Contains("dtype.safetensors: tensor 'w': unknown dtype \"F4\""));
    CHECK_THAT(open_error("dup.safetensors",
                          safetensors_bytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                            R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                            8)),
               Contains("dup.safetensors: tensor 'w': duplicate tensor name"));
    CHECK_THAT(open_error("json.safetensors", safetensors_bytes(R"({"w":{"dtype":"F32",)", 0)),
               Contains("json.safetensors (header): invalid JSON"));
    CHECK_THAT(open_error("notobj.safetensors", safetensors_bytes("[1,2]", 0)), Contains("does not start with '{'"));
    CHECK_THAT(open_error("tail.safetensors", safetensors_bytes(good, 12)),
               Contains("tail.safetensors: 4 bytes at the end of the data section belong to no tensor"));
    CHECK_THAT(open_error("neg.safetensors",
                          safetensors_bytes(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)),
               Contains("neg.safetensors: tensor 'w': a shape dimension must be a non-negative integer"));
    CHECK_THAT(open_error("order.safetensors",
                          safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8)),
               Contains("tensor 'w'") && Contains("begin > end"));
    CHECK_THAT(open_error("offs.safetensors",
                          safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8)),
               Contains("tensor 'w': data_offsets must be an array [begin, end]"));
    CHECK_THAT(open_error("bigshape.safetensors",
                          safetensors_bytes(R"({"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
                                            8)),
               Contains("tensor 'w': size overflows 64 bits"));
    CHECK_THAT(open_error("meta.safetensors",
                          safetensors_bytes(std::string(R"({"__metadata__":{"format":"np"},)") + two_f32 + "}", 8)),
               Contains("meta.safetensors: __metadata__ format \"np\""));
    CHECK_THAT(open_error("meta2.safetensors",
                          safetensors_bytes(std::string(R"({"__metadata__":{"n":1},)") + two_f32 + "}", 8)),
               Contains("__metadata__ value \"n\" must be a string"));
    CHECK(open_error("nometa.safetensors",
                     safetensors_bytes(std::string(R"({"__metadata__":{"k":"v"},)") + two_f32 + "}", 8))
              .empty());
    CHECK_THAT(open_error("empty.safetensors", ""), Contains("truncated file: 0 bytes"));
    // Zero-byte tensors may share an offset with the next tensor; padding spaces after the JSON are accepted.
    CHECK(open_error("zero.safetensors",
                     safetensors_bytes(R"({"z":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)" +
                                           std::string(two_f32) + "}     ",
                                       8))
              .empty());
}

TEST_CASE("safetensors survives random byte flips and truncations", "[io][safetensors][fuzz]") {
    const std::string valid = tinybert::test::read_bytes(fixture("mixed.safetensors"));
    const std::string path = scratch("fuzz.safetensors");
    std::mt19937 rng(12345);
    int opened = 0, rejected = 0;
    for (int iter = 0; iter < 3000; ++iter) {
        std::string bytes = valid;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k) {
            const std::size_t pos = rng() % bytes.size();
            bytes[pos] = static_cast<char>(rng() % 256);
        }
        if (rng() % 5 == 0) bytes.resize(rng() % bytes.size());
        write_bytes(path, bytes);
        try {
            const SafetensorsFile f(path);
            for (const auto& [name, t] : f.tensors()) {
                if (tinybert::is_floating_point(t.dtype()))
                    (void)t.to<double>();
                else
                    (void)t.to<std::int64_t>();
            }
            ++opened;
        } catch (const tinybert::Error&) {
            ++rejected;
        }
    }
    INFO("opened " << opened << ", rejected " << rejected);
    CHECK(opened > 0);
    CHECK(rejected > 0);
}
