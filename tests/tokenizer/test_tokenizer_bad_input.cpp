// Bad input never crashes or hangs: ill-formed UTF-8 (read as U+FFFD per maximal subpart, like Python's
// errors="replace", and counted), NUL bytes, a 10 MB word, random bytes, broken vocabularies and tokenizer folders,
// and truncation requests that cannot be met (spec §1.7) all give results or a clear tinybert::Error.
#include <catch2/catch.hpp>

#include <functional>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "tinybert/tokenizer/tokenizer.hpp"

using namespace tinybert;

namespace {

const Tokenizer& tiny() {
    static const Tokenizer t = Tokenizer::from_vocab(TINYBERT_TEST_DATA_DIR "/tokenizer/tiny_vocab.txt");
    return t;
}

std::filesystem::path temp_file(const std::string& name, const std::string& content) {
    const auto p = std::filesystem::temp_directory_path() / ("tinybert_tok_" + name);
    std::ofstream(p, std::ios::binary) << content;
    return p;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("bad input: ill-formed UTF-8 becomes U+FFFD per maximal subpart, is counted and then deleted") {
    struct Case {
        std::string bytes;
        std::size_t code_points, replaced;  // as Python's bytes.decode("utf-8", errors="replace")
    };
    const Case cases[] = {{"a\xff" "b", 3, 1},          {"\xe2\x82", 1, 1},         {"\xf0\x9f\x98x", 2, 1},
                          {"\xc0\xaf", 2, 2},           {"\xed\xa0\x80", 3, 3},     {"\xf4\x90\x80\x80", 4, 4},
                          {"\x80\x80", 2, 2},           {"\xe2\x82\xac\xe2", 2, 1}, {"\xf8\x88\x80\x80\x80", 5, 5}};
    for (const Case& c : cases) {
        CHECK(detail::count_code_points(c.bytes) == c.code_points);
        const Encoding e = tiny().encode(c.bytes).at(0);
        CHECK(e.invalid_utf8 == c.replaced);
    }
    const Encoding ab = tiny().encode("a\xff" "b x").at(0);
    CHECK(ab.input_ids == std::vector<std::int64_t>{2, 44, 45, 47, 3});  // [CLS] a ##b x [SEP]: U+FFFD is deleted
    CHECK(ab.offsets[2] == std::pair<std::size_t, std::size_t>{2, 3});
    CHECK(ab.offsets[3] == std::pair<std::size_t, std::size_t>{4, 5});
    CHECK(ab.byte_offsets[3] == std::pair<std::size_t, std::size_t>{4, 5});
}

TEST_CASE("bad input: NUL bytes are deleted like other controls") {
    const Encoding e = tiny().encode(std::string("a\0b\0\0 x", 7)).at(0);
    CHECK(e.input_ids == std::vector<std::int64_t>{2, 44, 45, 47, 3});
    CHECK(tiny().encode(std::string(1000, '\0')).at(0).size() == 2);
}

// A quadratic WordPiece scan would not finish on these inputs; ctest's per-test TIMEOUT (30 min, tests/CMakeLists.txt)
// turns such a hang into a failure, without a wall-clock check in the test itself.
TEST_CASE("bad input: a 10 MB single word is one [UNK] spanning it") {
    const std::string word(10u << 20, 'x');
    const Encoding e = tiny().encode(word).at(0);
    CHECK(e.input_ids == std::vector<std::int64_t>{2, tiny().unk_id(), 3});
    CHECK(e.offsets[1] == std::pair<std::size_t, std::size_t>{0, word.size()});
    std::string many;  // 2 MB of short words also works
    while (many.size() < (2u << 20)) many += "hello world ";
    CHECK(tiny().encode(many).at(0).size() == 2 + 2 * (many.size() / 12));
}

TEST_CASE("bad input: random bytes never crash and offsets stay inside the input") {
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {
        std::string s(rng() % 64, '\0');
        for (char& c : s) c = static_cast<char>(rng() % 256);
        const auto encs = tiny().encode_pair(s, s.substr(s.size() / 2));
        for (const auto& [b, e] : encs.at(0).byte_offsets) {
            CHECK(b <= e);
            CHECK(e <= s.size());
        }
    }
}

TEST_CASE("bad input: empty or incomplete vocabularies are clear errors") {
    const auto empty = temp_file("empty_vocab.txt", "");
    CHECK_THAT(error_of([&] { Tokenizer::from_vocab(empty.string()); }), Catch::Contains("empty vocabulary"));
    const auto no_unk = temp_file("no_unk.txt", "[PAD]\n[CLS]\n[SEP]\nhello\n");
    CHECK_THAT(error_of([&] { Tokenizer::from_vocab(no_unk.string()); }), Catch::Contains("\"[UNK]\""));
    const auto no_cls = temp_file("no_cls.txt", "[PAD]\n[UNK]\n[SEP]\n");
    CHECK_THAT(error_of([&] { Tokenizer::from_vocab(no_cls.string()); }), Catch::Contains("\"[CLS]\""));
    const auto no_sep = temp_file("no_sep.txt", "[PAD]\n[UNK]\n[CLS]\n");
    CHECK_THAT(error_of([&] { Tokenizer::from_vocab(no_sep.string()); }), Catch::Contains("\"[SEP]\""));
    const auto no_pad = temp_file("no_pad.txt", "[UNK]\n[CLS]\n[SEP]\n");
    CHECK_THAT(error_of([&] { Tokenizer::from_vocab(no_pad.string()); }), Catch::Contains("\"[PAD]\""));
    const auto no_mask = temp_file("no_mask.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
    CHECK_THAT(error_of([&] { Tokenizer::from_vocab(no_mask.string()).mask_id(); }), Catch::Contains("\"[MASK]\""));
    const auto crlf = temp_file("crlf.txt", "[PAD]\n[UNK]\r\n[CLS]\n[SEP]\n");
    CHECK_THAT(error_of([&] { Tokenizer::from_vocab(crlf.string()); }), Catch::Contains("crlf.txt:2"));
    CHECK_THAT(error_of([] { Tokenizer::from_vocab("/nonexistent/vocab.txt"); }), Catch::Contains("/nonexistent"));
    for (const auto& p : {empty, no_unk, no_cls, no_sep, no_pad, no_mask, crlf}) std::filesystem::remove(p);
}

TEST_CASE("bad input: broken tokenizer folders name the file") {
    const auto dir = std::filesystem::temp_directory_path() / "tinybert_tok_bad_dir";
    std::filesystem::create_directories(dir);
    CHECK_THAT(error_of([&] { Tokenizer::from_pretrained(dir.string()); }), Catch::Contains("neither"));
    std::filesystem::copy_file(TINYBERT_TEST_DATA_DIR "/tokenizer/tiny_vocab.txt", dir / "vocab.txt");
    std::ofstream(dir / "tokenizer_config.json") << "{\"do_lower_case\": tru}";
    CHECK_THAT(error_of([&] { Tokenizer::from_pretrained(dir.string()); }), Catch::Contains("tokenizer_config.json"));
    std::ofstream(dir / "tokenizer_config.json") << "{\"do_lower_case\": \"yes\"}";  // valid JSON, wrong type
    CHECK_THAT(error_of([&] { Tokenizer::from_pretrained(dir.string()); }),
               Catch::Contains("tokenizer_config.json: \"do_lower_case\" must be true or false"));
    std::ofstream(dir / "tokenizer_config.json") << "{\"strip_accents\": 1}";
    CHECK_THAT(error_of([&] { Tokenizer::from_pretrained(dir.string()); }),
               Catch::Contains("tokenizer_config.json: \"strip_accents\" must be true or false"));
    std::ofstream(dir / "tokenizer_config.json") << "{\"do_lower_case\": false, \"unk_token\": \"<unk>\"}";
    CHECK_THAT(error_of([&] { Tokenizer::from_pretrained(dir.string()); }), Catch::Contains("\"<unk>\""));
    std::filesystem::remove_all(dir);
}

TEST_CASE("bad input: truncation that cannot be satisfied is an error (spec §1.7, §9 #14)") {
    const Tokenizer& t = tiny();
    EncodeOptions o;
    o.truncation = Truncation::only_second;
    o.max_length = 8;
    const std::string long_question = "a b x y z a b";  // 7 tokens: 8 - 3 specials leaves no room
    CHECK_THAT(error_of([&] { t.encode_pair(long_question, "x y z x y z", o); }),
               Catch::Contains("only_second"));
    o.max_length = 10;
    CHECK_NOTHROW(t.encode_pair(long_question, "", o));  // 7 + 0 + 3 fits without truncation: no error
    o.max_length = 8;
    CHECK_THAT(error_of([&] { t.encode("a b x y z a b", o); }), Catch::Contains("needs a pair"));
    o.truncation = Truncation::longest_first;
    o.stride = 6;  // 8 - 2 specials keeps 6 tokens: the stride must be smaller
    o.return_overflowing = true;
    CHECK_THAT(error_of([&] { t.encode("a b x y z a b x y z", o); }), Catch::Contains("stride 6"));
    o.max_length = 1;
    CHECK_THAT(error_of([&] { t.encode("a", o); }), Catch::Contains("special tokens"));
    EncodeOptions pad;
    pad.padding = Padding::max_length;
    TokenizerOptions unlimited;
    unlimited.model_max_length = no_max_length;
    const Tokenizer u = Tokenizer::from_vocab(TINYBERT_TEST_DATA_DIR "/tokenizer/tiny_vocab.txt", unlimited);
    CHECK_THAT(error_of([&] { u.encode("a", pad); }), Catch::Contains("max_length"));
    CHECK_THAT(error_of([&] { t.encode_batch({"a", "b x y z a b x y z"}, o); }), Catch::Contains("batch input"));
}
