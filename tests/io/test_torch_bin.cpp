// io/torch_bin.hpp (+ zip.hpp, pickle.hpp): torch.save archives with shared storages, and hostile inputs: unknown
// globals, compressed entries, the legacy format, truncations, hand-built pickles and a byte-flip fuzz loop.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "tinybert/io/torch_bin.hpp"

using tinybert::DType;
using tinybert::load_torch_bin;
using tinybert::test::fixture;
using tinybert::test::scratch;
using tinybert::test::stored_zip;
using tinybert::test::write_bytes;
using Catch::Contains;
using namespace std::string_literals;

namespace {

const tinybert::CheckpointTensor& tensor_named(const std::vector<tinybert::NamedTensor>& sd, const std::string& name) {
    for (const auto& [n, t] : sd)
        if (n == name) return t;
    FAIL("no tensor " << name);
    throw 0;
}

std::string bin_error(const std::string& name, const std::string& bytes) {
    const std::string path = scratch(name);
    write_bytes(path, bytes);
    try {
        (void)load_torch_bin(path);
        return "";
    } catch (const tinybert::Error& e) {
        return e.what();
    }
}

// BINUNICODE opcode: 'X', u32 length, UTF-8 bytes.
std::string unicode(const std::string& s) {
    std::string out(5 + s.size(), 'X');
    const auto n = static_cast<std::uint32_t>(s.size());
    std::memcpy(out.data() + 1, &n, 4);
    std::memcpy(out.data() + 5, s.data(), s.size());
    return out;
}

// LONG1 opcode with 8 little-endian bytes.
std::string long1(std::int64_t v) {
    std::string out("\x8a\x08", 2);
    out.append(reinterpret_cast<const char*>(&v), 8);
    return out;
}

// Protocol-2 pickle of {"w": _rebuild_tensor_v2(storage '0' of `numel` floats, offset, (size,), (stride,), ...)}.
std::string tensor_pickle(std::int64_t offset, std::int64_t size, std::int64_t stride, std::int64_t numel) {
    return std::string("\x80\x02") + "ccollections\nOrderedDict\n)R(" + unicode("w") +
           "ctorch._utils\n_rebuild_tensor_v2\n((" + unicode("storage") + "ctorch\nFloatStorage\n" + unicode("0") +
           unicode("cpu") + long1(numel) + "tQ" + long1(offset) + long1(size) + "\x85" + long1(stride) + "\x85" +
           "\x89" "ccollections\nOrderedDict\n)RtRu.";
}

std::string archive(const std::string& pickle, const std::string& storage) {
    return stored_zip({{"archive/data.pkl", pickle}, {"archive/byteorder", "little"}, {"archive/data/0", storage}});
}

}  // namespace

TEST_CASE("torch.save archive: shared storages with offsets and strides are gathered", "[io][torch_bin]") {
    const auto sd = load_torch_bin(fixture("views.bin"));
    std::vector<std::string> names;
    for (const auto& [n, t] : sd) names.push_back(n);
    CHECK(names == std::vector<std::string>{"base", "transposed", "slice", "column", "half", "bfloat", "long", "int",
                                            "double", "expanded"});
    CHECK(tensor_named(sd, "base").shape() == std::vector<std::int64_t>{3, 4});
    CHECK(tensor_named(sd, "base").to<float>() == std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    CHECK(tensor_named(sd, "transposed").shape() == std::vector<std::int64_t>{4, 3});
    CHECK(tensor_named(sd, "transposed").to<float>() == std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
    CHECK(tensor_named(sd, "slice").to<float>() == std::vector<float>{5, 6, 9, 10});
    CHECK(tensor_named(sd, "column").to<float>() == std::vector<float>{2, 6, 10});
    CHECK(tensor_named(sd, "half").dtype() == DType::f16);
    CHECK(tensor_named(sd, "half").to<float>() == std::vector<float>{1.0f, -0.5f, 65504.0f});
    CHECK(tensor_named(sd, "bfloat").dtype() == DType::bf16);
    CHECK(tensor_named(sd, "bfloat").to<float>()[1] == -0.5f);
    CHECK(tensor_named(sd, "long").to<std::int64_t>() == std::vector<std::int64_t>{-3, std::int64_t{1} << 40});
    CHECK(tensor_named(sd, "int").to<std::int64_t>() == std::vector<std::int64_t>{5, -6});
    CHECK(tensor_named(sd, "double").shape().empty());
    CHECK(tensor_named(sd, "double").to<double>() == std::vector<double>{0.1});
    CHECK(tensor_named(sd, "expanded").to<float>() == std::vector<float>{1, 2, 1, 2, 1, 2});
    CHECK_THROWS_WITH(tensor_named(sd, "long").to<float>(), Contains("views.bin: tensor 'long'"));
}

TEST_CASE("torch.save archive: hostile and unsupported files give clear errors", "[io][torch_bin]") {
    CHECK_THROWS_WITH(load_torch_bin(fixture("evil_global.bin")),
                      Contains("evil_global.bin") && Contains("global 'os.system', which is not allowed"));
    CHECK_THROWS_WITH(load_torch_bin(fixture("compressed.bin")),
                      Contains("compressed.bin: ZIP entry 'views/data.pkl' is compressed (method 8)"));
    CHECK_THROWS_WITH(load_torch_bin(fixture("legacy.bin")), Contains("legacy.bin: legacy (pre-1.6, non-zip)"));
    CHECK_THROWS_WITH(load_torch_bin(fixture("mixed.safetensors")), Contains("not a PyTorch checkpoint"));
    CHECK_THROWS_WITH(load_torch_bin(fixture("no_such.bin")), Contains("no_such.bin: cannot open file"));
}

TEST_CASE("torch.save archive: every truncation is an error naming the file", "[io][torch_bin]") {
    const std::string valid = tinybert::test::read_bytes(fixture("views.bin"));
    for (std::size_t n = 0; n < valid.size(); ++n) {
        const std::string msg = bin_error("cut.bin", valid.substr(0, n));
        INFO("truncated to " << n << " bytes");
        CHECK_THAT(msg, Contains("cut.bin"));
    }
}

TEST_CASE("torch.save archive: hand-built pickles and archives", "[io][torch_bin]") {
    const std::string floats(16, '\0');  // 4 zero floats
    CHECK(bin_error("ok.bin", archive(tensor_pickle(1, 3, 1, 4), floats)).empty());
    CHECK(bin_error("strided.bin", archive(tensor_pickle(0, 2, 3, 4), floats)).empty());
    CHECK_THAT(bin_error("past.bin", archive(tensor_pickle(2, 3, 1, 4), floats)),
               Contains("past.bin: tensor 'w': view (offset 2, last element 4) reaches past its storage of 4"));
    CHECK_THAT(bin_error("stride.bin", archive(tensor_pickle(0, 3, 2, 4), floats)),
               Contains("tensor 'w'") && Contains("reaches past its storage"));
    CHECK_THAT(bin_error("wrap.bin", archive(tensor_pickle(2, 3, INT64_MAX, 4), floats)),
               Contains("wrap.bin: tensor 'w': size/stride/offset overflow"));
    CHECK_THAT(bin_error("negstride.bin", archive(tensor_pickle(0, 2, -1, 4), floats)),
               Contains("negative size or stride"));
    CHECK_THAT(bin_error("negoffset.bin", archive(tensor_pickle(-1, 2, 1, 4), floats)),
               Contains("negative storage offset"));
    CHECK_THAT(bin_error("short.bin", archive(tensor_pickle(0, 3, 1, 4), std::string(12, '\0'))),
               Contains("short.bin: tensor 'w': storage '0' has 12 bytes, expected 16"));
    CHECK_THAT(bin_error("nostorage.bin",
                         stored_zip({{"archive/data.pkl", tensor_pickle(0, 3, 1, 4)}, {"archive/version", "3"}})),
               Contains("tensor 'w': storage '0' missing"));
    CHECK_THAT(bin_error("nopkl.bin", stored_zip({{"archive/version", "3"}})), Contains("no <folder>/data.pkl"));
    CHECK_THAT(bin_error("bigendian.bin",
                         stored_zip({{"a/data.pkl", tensor_pickle(0, 3, 1, 4)}, {"a/byteorder", "big"}})),
               Contains("byteorder"));

    auto pickle_error = [&](const std::string& name, const std::string& pkl) {
        return bin_error(name, archive(pkl, floats));
    };
    CHECK_THAT(pickle_error("eval.bin", "\x80\x02" "cbuiltins\neval\n."), Contains("global 'builtins.eval'"));
    CHECK_THAT(pickle_error("inst.bin", "\x80\x02(iposix\nsystem\n."), Contains("unsupported opcode 0x69"));
    CHECK_THAT(pickle_error("stack.bin", "\x80\x02R."), Contains("stack underflow"));
    CHECK_THAT(pickle_error("memo.bin", "\x80\x02h\x05."), Contains("memo key 5 not defined"));
    CHECK_THAT(pickle_error("stop.bin", "\x80\x02."), Contains("STOP with 0 values"));
    CHECK_THAT(pickle_error("eof.bin", "\x80\x02X\xff\xff\x00\x00ab"s), Contains("truncated pickle"));
    CHECK_THAT(pickle_error("list.bin", "\x80\x02]."), Contains("not a dict of tensors"));
    CHECK_THAT(pickle_error("call.bin", "\x80\x02" "ctorch\nFloatStorage\n)R."), Contains("cannot be called"));
    CHECK_THAT(pickle_error("value.bin", "\x80\x02}" + unicode("x") + "K\x01s."), Contains("entry 'x' is not a tensor"));
    // A list appended to itself and 100k nested tuples: no leak, no deep recursion.
    CHECK_THAT(pickle_error("cycle.bin", "\x80\x02]q\x00h\x00" "a."s), Contains("not a dict of tensors"));
    std::string deep = "\x80\x02N";
    for (int i = 0; i < 100000; ++i) deep += "\x85";
    CHECK_THAT(pickle_error("deep.bin", deep + "."), Contains("not a dict of tensors"));
}

TEST_CASE("torch.save archive survives random byte flips", "[io][torch_bin][fuzz]") {
    const std::string valid = tinybert::test::read_bytes(fixture("views.bin"));
    const std::string path = scratch("fuzz.bin");
    std::mt19937 rng(2024);
    int opened = 0, rejected = 0;
    for (int iter = 0; iter < 2000; ++iter) {
        std::string bytes = valid;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng() % 256);
        write_bytes(path, bytes);
        try {
            for (const auto& [name, t] : load_torch_bin(path)) {
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
