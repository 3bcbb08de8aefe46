// The Precompiled normalizer (SentencePiece charsmaps) and the other pieces of SentencePiece-converted tokenizer.json
// files: base64, the charsmap trie, spm_precompiled's grapheme rule and tokenizers' alignments on the spm_xlmr
// fixture (tools/tokenizer/make_spm_fixtures.py), Replace with a run regex, StripAccents, Prepend, the
// transformers 5 class rebuild, and corrupt or truncated charsmaps refused with an Error naming the file.
#include <catch2/catch.hpp>

#include <random>

#include "json_support.hpp"
#include "tinybert/tokenizer/precompiled.hpp"

using namespace tok_test;

namespace {

std::string base64_encode(const std::string& in) {
    static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
        if (i + 1 < in.size()) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
        if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
        out += a[(v >> 18) & 63];
        out += a[(v >> 12) & 63];
        out += i + 1 < in.size() ? a[(v >> 6) & 63] : '=';
        out += i + 2 < in.size() ? a[v & 63] : '=';
    }
    return out;
}

// spm_xlmr/tokenizer.json as compact JSON, and its charsmap (decoded).
struct SpmDoc {
    std::string doc, b64;
    std::size_t at = 0;  // where b64 starts in doc
    SpmDoc() {
        doc = json::parse_file(fixture_dir + "/spm_xlmr/tokenizer.json").dump();
        const std::string key = R"("precompiled_charsmap":")";
        at = doc.find(key) + key.size();
        b64 = doc.substr(at, doc.find('"', at) - at);
    }
    std::string with_charsmap(const std::string& b) const { return doc.substr(0, at) + b + doc.substr(at + b64.size()); }
};

const SpmDoc& spm_doc() {
    static const SpmDoc d;
    return d;
}

detail::NString nstring(const std::u32string& s) {
    detail::NString out;
    for (std::size_t i = 0; i < s.size(); ++i) out.push_back({s[i], {i, i, i + 1}});
    return out;
}

std::u32string text_of(const detail::NString& s) {
    std::u32string out;
    for (const auto& x : s) out += x.c;
    return out;
}

std::vector<std::size_t> sources(const detail::NString& s) {
    std::vector<std::size_t> out;
    for (const auto& x : s) out.push_back(x.src.cp);
    return out;
}

}  // namespace

TEST_CASE("precompiled: base64 as the Rust STANDARD engine decodes it") {
    for (const std::string& s : {std::string(), std::string("a"), std::string("ab"), std::string("abc"),
                                std::string("abcd"), std::string("\0\xff\x10", 3)})
        CHECK(detail::base64_decode(base64_encode(s), "x") == s);
    CHECK_THROWS_WITH(detail::base64_decode("abc", "f.json"), Catch::Contains("f.json: invalid base64"));
    CHECK_THROWS_WITH(detail::base64_decode("ab$d", "f.json"), Catch::Contains("invalid base64 character"));
    CHECK_THROWS_WITH(detail::base64_decode("ab==cdef", "f.json"), Catch::Contains("invalid base64 character"));
    CHECK_THROWS_WITH(detail::base64_decode("QR==", "f.json"), Catch::Contains("non-zero trailing bits"));
}

TEST_CASE("precompiled: the nmt_nfkc charsmap, the grapheme rule and tokenizers' alignments") {
    const detail::PrecompiledCharsmap map(detail::base64_decode(spm_doc().b64, "spm"), "spm");
    std::string_view out;
    CHECK((map.transform("\xEF\xBC\xA1", out) && out == "A"));  // U+FF21 FULLWIDTH A
    CHECK(!map.transform("a", out));
    CHECK(!map.transform(std::string_view("\0\xEF\xBC\xA1", 4), out));  // the search stops at NUL
    const auto run = [&](const std::u32string& s) {
        detail::NString n = nstring(s);
        detail::precompiled_normalize(map, n);
        return n;
    };
    // an expansion followed by a removal (tokenizers' expansion_followed_by_removal): the removal shortens the
    // last char of the expansion, which then replaces the removed char
    detail::NString n = run(U"\u2122\x1eg");
    CHECK(text_of(n) == U"TMg");
    CHECK(sources(n) == std::vector<std::size_t>{0, 1, 2});
    // a removal at the very start is lost: later chars take the sources of the chars before them
    n = run(U"\x01" U"ab\uFF21");
    CHECK(text_of(n) == U"abA");
    CHECK(sources(n) == std::vector<std::size_t>{0, 1, 2});
    // a grapheme of under 6 bytes whose first char is a key becomes that key's string, marks included
    n = run(U"\uFF21\u0301x");
    CHECK(text_of(n) == U"Ax");
    CHECK(sources(n) == std::vector<std::size_t>{0, 2});
    // an expansion: the added chars share the source of the replaced char
    n = run(U"a\u2474");  // PARENTHESIZED DIGIT ONE -> "(1)"
    CHECK(text_of(n) == U"a(1)");
    CHECK(sources(n) == std::vector<std::size_t>{0, 1, 1, 1});
}

TEST_CASE("precompiled: the tokenizer offsets point at the source characters") {
    const Tokenizer& t = fixture("spm_xlmr");
    const Encoding e = t.encode("\uFF21\uFF22\uFF23 \u2474", {.add_special_tokens = false}).at(0);
    REQUIRE(!e.offsets.empty());
    CHECK(e.offsets.front().first == 0);
    CHECK(e.offsets.back().second == 5);
}

TEST_CASE("replace regex, StripAccents, Prepend and pre-tokenizer sequences from tokenizer.json") {
    const std::string base = R"({"version":"1.0","added_tokens":[],"pre_tokenizer":{"type":"Metaspace"},
      "post_processor":null,"decoder":null,"model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0],["a",-1],
      ["b",-1],["\u2581",-1],["x",-1],["\u2581a",-2]]},"normalizer":)";
    const auto tokens = [&](const std::string& normalizer, const std::string& text) {
        TempDir d;
        write_text(d.path / "tokenizer.json", base + normalizer + "}");
        const Tokenizer t = Tokenizer::from_pretrained(d.str());
        std::string out;
        const Encoding e = t.encode(text, {.add_special_tokens = false}).at(0);
        for (const std::int64_t id : e.input_ids)
            out += (out.empty() ? "" : " ") + t.id_to_token(id);
        return out;
    };
    CHECK(tokens(R"({"type":"Replace","pattern":{"Regex":" {2,}"},"content":"x"})", "a b  a   b") ==
          "\u2581a \u2581 b x a x b");
    CHECK(tokens(R"({"type":"Replace","pattern":{"Regex":"b+"},"content":"a"})", "abbb") == "\u2581a a");
    CHECK(tokens(R"({"type":"StripAccents"})", "a\u0301b\u0308") == "\u2581a b");
    CHECK(tokens(R"({"type":"Prepend","prepend":"x"})", "ab") == "\u2581 x a b");
    for (const std::string re : {"\\\\s+", " {2}", "a|b", "(a)+", "[ab]+", " {2,3}", "x{0,}"}) {
        TempDir d;
        write_text(d.path / "tokenizer.json",
                   base + R"({"type":"Replace","pattern":{"Regex":")" + re + R"("},"content":"x"})" + "}");
        const std::string msg = error_of([&] { Tokenizer::from_pretrained(d.str()); });
        INFO(re << ": " << msg);
        CHECK(msg.find("tokenizer.json: normalizer: Replace with the Regex") != std::string::npos);
    }
    TempDir d;
    std::string doc = base + "null}";
    doc.replace(doc.find(R"({"type":"Metaspace"})"), 20,
                R"({"type":"Sequence","pretokenizers":[{"type":"Metaspace"},{"type":"WhitespaceSplit"}]})");
    write_text(d.path / "tokenizer.json", doc);
    CHECK_THROWS_WITH(Tokenizer::from_pretrained(d.str()),
                      Catch::Contains("pre-tokenizer Sequence [Metaspace, WhitespaceSplit] is not supported"));
}

TEST_CASE("transformers 5 rebuilds the XLM-R and ALBERT pipelines from tokenizer_config.json's class") {
    // spm_xlmr's file has Replace " {2,}" and a plain Metaspace; XLMRobertaTokenizer runs Precompiled ->
    // WhitespaceSplit -> Metaspace, so the space before a word is not part of its first token
    const Encoding rebuilt = fixture("spm_xlmr").encode("ab   cd", {.add_special_tokens = false}).at(0);
    const Encoding file = fixture("spm_xlmr_file").encode("ab   cd", {.add_special_tokens = false}).at(0);
    REQUIRE(!rebuilt.offsets.empty());
    CHECK(rebuilt.offsets.back().second == 7);
    CHECK(file.offsets != rebuilt.offsets);
}

TEST_CASE("bad input: corrupt or truncated precompiled charsmaps are refused naming the file") {
    const SpmDoc& s = spm_doc();
    const std::string blob = detail::base64_decode(s.b64, "spm");
    const auto load = [&](const std::string& b64) {
        TempDir d;
        write_text(d.path / "tokenizer.json", s.with_charsmap(b64));
        return error_of([&] {
            const Tokenizer t = Tokenizer::from_pretrained(d.str());
            (void)t.encode("Ｈｅｌｌｏ ﬁ ① \x01 e\u0301 한국어 👨\u200d👩\u200d👧 \u00a0x", {});
        });
    };
    CHECK(load(s.b64) == "no error");
    const std::vector<std::pair<std::string, std::string>> cases{
        {"", "precompiled_charsmap is truncated (0 bytes)"},
        {"AAE=", "precompiled_charsmap is truncated (2 bytes)"},
        {base64_encode(blob.substr(0, blob.size() / 3)), "precompiled_charsmap is truncated (the trie needs"},
        {base64_encode(std::string(4, '\0')), "precompiled_charsmap has an empty trie"},
        {base64_encode(blob + "\xff"), "not valid UTF-8"},
        {s.b64.substr(0, s.b64.size() - 1), "invalid base64"},
        {"@" + s.b64.substr(1), "invalid base64 character"},
    };
    for (const auto& [b64, why] : cases) {
        const std::string msg = load(b64);
        INFO(msg);
        CHECK(msg.find(why) != std::string::npos);
        CHECK(msg.find("tokenizer.json: normalizer.normalizers[0].precompiled_charsmap") != std::string::npos);
    }
    // Random byte flips in the trie and the strings, and cuts that keep the trie: an Error or a result, no crash.
    std::mt19937 rng(7);
    std::size_t loaded = 0, refused = 0;
    for (int round = 0; round < 200; ++round) {
        std::string b = blob;
        if (round % 4 == 3) {
            b.resize(b.size() - 1 - rng() % 2000);
        } else {
            for (int k = 0; k < 1 + round % 5; ++k) {
                const std::size_t trie = 4 + static_cast<unsigned char>(b[0]) + 256u * static_cast<unsigned char>(b[1]) +
                                         65536u * static_cast<unsigned char>(b[2]);
                const std::size_t pos = round % 2 ? rng() % std::min(trie, b.size()) : rng() % b.size();
                b[pos] = static_cast<char>(rng());
            }
        }
        const std::string msg = load(base64_encode(b));
        INFO("round " << round << ": " << msg);
        CHECK(msg.find("non-tinybert exception") == std::string::npos);
        if (msg != "no error") CHECK(msg.find("tokenizer.json") != std::string::npos);
        (msg == "no error" ? loaded : refused) += 1;
    }
    WARN("mutated charsmaps: " << loaded << " loaded, " << refused << " refused with an Error");
}

TEST_CASE("the tokenizer_json fuzz seed with a small charsmap loads and normalizes") {
    TempDir d;
    std::filesystem::copy_file(TINYBERT_TEST_DATA_DIR "/../fuzz/corpus/tokenizer_json/spm_precompiled.json",
                               d.path / "tokenizer.json");
    const Tokenizer t = Tokenizer::from_pretrained(d.str());
    CHECK(t.decode(t.encode("\uFF21 \u2122\x1e hello", {}).at(0).input_ids) == "A TM hello");
}
