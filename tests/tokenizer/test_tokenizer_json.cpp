// BPE / Unigram tokenizers from tokenizer.json: the byte-level alphabet, the BPE merge order, Unigram unknown fusion
// and byte fallback on hand-made models, the API on the fixture tokenizers, save_pretrained round trips, and clear
// errors (naming the file) for malformed or unsupported tokenizer.json / vocab.json / merges.txt.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>
#include <set>

#include "json_support.hpp"

using namespace tok_test;

namespace {

using Strings = std::vector<std::string>;

Strings tokens(const Tokenizer& t, const Encoding& e) {
    Strings out;
    for (const std::int64_t id : e.input_ids) out.push_back(t.id_to_token(id));
    return out;
}

// A folder holding tokenizer.json = `doc` (and nothing else).
Tokenizer from_json_text(const TempDir& d, const std::string& doc) {
    write_text(d.path / "tokenizer.json", doc);
    return Tokenizer::from_pretrained(d.str());
}

// A tiny BPE model over a b c with merges in the given order.
std::string tiny_bpe(const std::string& merges) {
    return R"({"version":"1.0","added_tokens":[{"id":0,"content":"<unk>","special":true}],"normalizer":null,
      "pre_tokenizer":null,"post_processor":null,"decoder":null,
      "model":{"type":"BPE","unk_token":"<unk>","fuse_unk":true,"vocab":{"<unk>":0,"a":1,"b":2,"c":3,"ab":4,"bc":5,
      "abc":6,"ca":7,"cab":8},"merges":)" + merges + "}}";
}

}  // namespace

TEST_CASE("byte level: the 256-byte alphabet is GPT-2's and invertible") {
    const auto& t = detail::byte_to_char();
    CHECK(t[' '] == 0x120);  // 'Ġ'
    CHECK(t['\n'] == 0x10A);
    CHECK(t['a'] == 'a');
    CHECK(t[0xAD] == 0x143);
    std::set<char32_t> seen(t.begin(), t.end());
    CHECK(seen.size() == 256);
    for (int b = 0; b < 256; ++b) CHECK(detail::char_to_byte(t[static_cast<std::size_t>(b)]) == b);
    CHECK(detail::char_to_byte(0x2581) == -1);
}

TEST_CASE("byte level: the GPT-2 split regex") {
    const auto split = [](const std::string& s) {
        std::vector<char32_t> cps;
        for (std::size_t p = 0; p < s.size();) {
            const auto d = detail::decode_utf8(s, p);
            cps.push_back(d.cp);
            p += d.len;
        }
        std::vector<std::pair<std::size_t, std::size_t>> parts;
        detail::gpt2_split(cps, parts);
        Strings out;
        for (const auto& [b, e] : parts) {
            std::string w;
            for (std::size_t k = b; k < e; ++k) detail::append_utf8(w, cps[k]);
            out.push_back(w);
        }
        return out;
    };
    CHECK(split("Hello world") == Strings{"Hello", " world"});
    CHECK(split("don't we'll 'x") == Strings{"don", "'t", " we", "'ll", " '", "x"});
    CHECK(split("a  b   ") == Strings{"a", " ", " b", "   "});
    CHECK(split("x\n\ny 42!!") == Strings{"x", "\n", "\n", "y", " 42", "!!"});  // \s+(?!\S) backtracks
    CHECK(split("naïve 3.5") == Strings{"naïve", " 3", ".", "5"});
}

TEST_CASE("bpe: merges apply by rank, then leftmost position, as tokenizers' merge_all") {
    TempDir d;
    // "abc": rank 0 is (b,c) -> a bc; (a,bc) is no merge, so two tokens.
    const Tokenizer t1 = from_json_text(d, tiny_bpe(R"([["b","c"],["a","b"],["ab","c"]])"));
    CHECK(tokens(t1, t1.encode("abc").at(0)) == Strings{"a", "bc"});
    // rank 0 is (a,b) -> ab c -> abc.
    const Tokenizer t2 = from_json_text(d, tiny_bpe(R"(["a b","ab c","b c"])"));
    CHECK(tokens(t2, t2.encode("abc").at(0)) == Strings{"abc"});
    // equal pairs: the leftmost merges first ("cabc": (c,a)@0 and (a,b)@1 ... rank decides, then position).
    const Tokenizer t3 = from_json_text(d, tiny_bpe(R"([["a","b"],["c","ab"],["b","c"]])"));
    CHECK(tokens(t3, t3.encode("cabc").at(0)) == Strings{"cab", "c"});
    // unknown chars fuse (fuse_unk) and keep their span.
    const Encoding e = t1.encode("axyb").at(0);
    CHECK(tokens(t1, e) == Strings{"a", "<unk>", "b"});
    CHECK(e.offsets[1] == std::pair<std::size_t, std::size_t>{1, 3});
}

TEST_CASE("unigram: best path by score, unknown chars fused, byte fallback") {
    TempDir d;
    const auto doc = [](bool byte_fallback) {
        std::string v = R"([["<unk>",0.0],["a",-1.0],["b",-1.0],["ab",-1.5],["abc",-4.0],["c",-1.0])";
        if (byte_fallback) v += R"(,["<0x78>",-5.0],["<0x79>",-5.0])";
        return R"({"version":"1.0","added_tokens":[{"id":0,"content":"<unk>","special":true}],"normalizer":null,
          "pre_tokenizer":null,"post_processor":null,"decoder":null,
          "model":{"type":"Unigram","unk_id":0,"byte_fallback":)" + std::string(byte_fallback ? "true" : "false") +
               R"(,"vocab":)" + v + "]}}";
    };
    const Tokenizer t = from_json_text(d, doc(false));
    CHECK(t.model_type() == "Unigram");
    CHECK(tokens(t, t.encode("abc").at(0)) == Strings{"ab", "c"});  // -2.5 beats abc -4 and a b c -3
    const Encoding e = t.encode("axyb").at(0);
    CHECK(tokens(t, e) == Strings{"a", "<unk>", "b"});
    CHECK(e.offsets[1] == std::pair<std::size_t, std::size_t>{1, 3});
    const Tokenizer tb = from_json_text(d, doc(true));
    const Encoding eb = tb.encode("axyb").at(0);
    CHECK(tokens(tb, eb) == Strings{"a", "<0x78>", "<0x79>", "b"});
    CHECK(eb.offsets[1] == std::pair<std::size_t, std::size_t>{1, 3});
    CHECK(tokens(tb, tb.encode("az").at(0)) == Strings{"a", "<unk>"});  // z has no byte token
}

TEST_CASE("fixtures: special ids, vocab size, model type and decode") {
    const Tokenizer& bpe = fixture("bpe");
    CHECK(bpe.model_type() == "BPE");
    CHECK(bpe.vocab_size() == 2000);
    CHECK(bpe.cls_id() == 0);
    CHECK(bpe.pad_id() == 1);
    CHECK(bpe.sep_id() == 2);
    CHECK(bpe.unk_id() == 3);
    CHECK(bpe.mask_id() == 4);
    CHECK(bpe.token_to_id("<mask>") == 4);
    CHECK(bpe.token_to_id("no such token") == 3);
    const Encoding e = bpe.encode("Hello world!").at(0);
    CHECK(bpe.decode(e.input_ids) == "Hello world!");
    CHECK(bpe.decode(e.input_ids, false) == "<s>Hello world!</s>");
    const Tokenizer& uni = fixture("unigram");
    CHECK(uni.model_type() == "Unigram");
    CHECK(uni.decode(uni.encode("Hello   World").at(0).input_ids) == "hello   world");
    CHECK(fixture("bpe_files").model_type() == "BPE");
    CHECK(tokens(bpe, bpe.encode("Hello world").at(0)) == tokens(fixture("bpe_files"), fixture("bpe_files").encode("Hello world").at(0)));
}

TEST_CASE("fixtures: pair layouts, sequence ids and type ids follow the post-processor") {
    const Encoding r = fixture("bpe").encode_pair("a b", "c").at(0);
    // <s> A </s></s> B </s>, all type 0
    CHECK(r.special_tokens_mask == std::vector<std::int64_t>{1, 0, 0, 1, 1, 0, 1});
    CHECK(r.sequence_ids == std::vector<std::int64_t>{-1, 0, 0, -1, -1, 1, -1});
    CHECK(r.token_type_ids == std::vector<std::int64_t>(7, 0));
    const Encoding u = fixture("unigram").encode_pair("a", "b").at(0);
    CHECK(u.input_ids.front() == 0);
    CHECK(u.input_ids.back() == 2);
    CHECK(std::count(u.sequence_ids.begin(), u.sequence_ids.end(), 1) >= 1);
}

TEST_CASE("tokenizer_config.json add_prefix_space of a RobertaTokenizer applies to tokenizer.json as in transformers") {
    TempDir d;
    std::filesystem::copy_file(fixture_dir + "/bpe/tokenizer.json", d.path / "tokenizer.json");
    write_text(d.path / "tokenizer_config.json",
               R"({"tokenizer_class": "RobertaTokenizer", "add_prefix_space": true, "model_max_length": 512})");
    const Tokenizer t = Tokenizer::from_pretrained(d.str());
    const Tokenizer& want = fixture("bpe_prefix");  // what AutoTokenizer builds for this folder (checked in Python)
    for (const std::string s : {"Hello world", "  two  spaces", "<mask> x", ""}) {
        CHECK(t.encode(s).at(0).input_ids == want.encode(s).at(0).input_ids);
        CHECK(t.encode(s).at(0).offsets == want.encode(s).at(0).offsets);
    }
    const Encoding w = t.encode_words({"New", "York"}).at(0), ww = want.encode_words({"New", "York"}).at(0);
    CHECK(w.input_ids == ww.input_ids);
    CHECK(w.offsets == ww.offsets);
    CHECK(w.input_ids != fixture("bpe").encode_words({"New", "York"}).at(0).input_ids);
}

TEST_CASE("save_pretrained: BPE and Unigram round-trip through tokenizer.json") {
    const Strings texts{"Hello world, don't <mask> it!", "  naïve ﬁnance ``quoted''  ", "", "x\ty\nz 3.14 😀"};
    for (const std::string kind : {"bpe", "bpe_prefix", "bpe_files", "unigram"}) {
        INFO(kind);
        const Tokenizer& t = fixture(kind);
        TempDir d;
        t.save_pretrained(d.str());
        for (const char* f : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"})
            CHECK(std::filesystem::exists(d.path / f));
        const json::Value cfg = json::parse_file((d.path / "tokenizer_config.json").string());
        CHECK(cfg.at("tokenizer_class").as_string() == "PreTrainedTokenizerFast");
        // For tools/tokenizer/make_bpe_unigram_fixtures.py --check-saved DIR (transformers loads them back).
        if (const char* keep = std::getenv("TINYBERT_SAVE_TOKENIZERS")) t.save_pretrained(std::string(keep) + "/" + kind);
        const Tokenizer back = Tokenizer::from_pretrained(d.str());
        CHECK(back.vocab_size() == t.vocab_size());
        CHECK(back.pad_id() == t.pad_id());
        for (const std::string& s : texts) {
            const Encoding a = t.encode_pair(s, "second part").at(0), b = back.encode_pair(s, "second part").at(0);
            CHECK(a.input_ids == b.input_ids);
            CHECK(a.offsets == b.offsets);
            CHECK(a.token_type_ids == b.token_type_ids);
        }
    }
}

TEST_CASE("bad input: malformed or unsupported tokenizer.json is refused with the file and the reason") {
    // Compact JSON (json::Value::dump) so that the edits below match one place each.
    const std::string good = json::parse_file(fixture_dir + "/unigram/tokenizer.json").dump();
    const std::string bpe = json::parse_file(fixture_dir + "/bpe/tokenizer.json").dump();
    const auto replace = [](std::string s, const std::string& from, const std::string& to) {
        const std::size_t p = s.find(from);
        REQUIRE(p != std::string::npos);
        return s.replace(p, from.size(), to);
    };
    const std::vector<std::pair<std::string, std::string>> cases{
        {"{", "invalid JSON"},
        {"[1,2]", "expected a JSON object"},
        {R"({"version":"1.0"})", "no \"model\" object"},
        {replace(good, R"("type":"Unigram")", R"("type":"WordLevel")"), "model type \"WordLevel\" is not supported"},
        {replace(good, R"({"type":"NFKC"})", R"({"type":"Precompiled","precompiled_charsmap":"AAAA"})"),
         "precompiled_charsmap is truncated"},
        {replace(good, R"({"type":"Lowercase"})", R"({"type":"BertNormalizer"})"), "normalizer type \"BertNormalizer\""},
        {replace(good, R"("pre_tokenizer":{"type":"Metaspace")", R"("pre_tokenizer":{"type":"Whitespace")"),
         "pre-tokenizer type \"Whitespace\""},
        {replace(good, R"("type":"TemplateProcessing")", R"("type":"Sequence")"), "post-processor type \"Sequence\""},
        {replace(good, R"({"SpecialToken":{"id":"<s>")", R"({"SpecialToken":{"id":"<x>")"), "\"<x>\" is not in"},
        {replace(good, R"("unk_id":3)", R"("unk_id":99999)"), "unk_id 99999 is outside"},
        {replace(good, R"("unk_id":3)", R"("unk_id":"3")"), "model.unk_id must be an integer"},
        {replace(good, R"("vocab":[)", R"("vocab":[["x"],)"), "model.vocab[0] must be [\"piece\", score]"},
        {replace(good, R"("single_word":false)", R"("single_word":true)"), "single_word=true is not supported"},
        {replace(good, R"("prepend_scheme":"always")", R"("prepend_scheme":"sometimes")"),
         "prepend_scheme must be always"},
        {replace(good, R"({"String":"``"})", R"({"Regex":"\\s+"})"), "Replace with the Regex \"\\s+\" is not supported"},
        {replace(bpe, R"("merges":[)", R"("merges":[["Ġ","zzz"],)"), "token \"zzz\" is not in model.vocab"},
        {replace(bpe, R"("merges":[)", R"("merges":["a b c",)"), "must be two tokens separated by one space"},
        {replace(bpe, R"("merges":[)", R"("merges":[7,)"), "model.merges[0] must be an array"},
        {replace(bpe, R"("dropout":null)", R"("dropout":0.1)"), "dropout 0.1 is not supported"},
        {replace(bpe, R"("vocab":{)", R"("vocab":{"zz":"x",)"), "must be an integer"},
        {replace(bpe, R"("decoder":{"type":"ByteLevel")", R"("decoder":{"type":"Fuse")"), "decoder type \"Fuse\""},
        {replace(bpe, R"("sep":["</s>",2])", R"("sep":["</s>",7])"), "token \"</s>\" does not have id 7"},
    };
    for (const auto& [doc_text, why] : cases) {
        TempDir d;
        const std::string& doc = doc_text;  // clang 14 cannot capture a structured binding
        const std::string msg = error_of([&] { from_json_text(d, doc); });
        INFO(msg);
        CHECK(msg.find(why) != std::string::npos);
        CHECK(msg.find("tokenizer.json") != std::string::npos);
    }
    // Truncated files never crash: every cut is an Error.
    for (std::size_t cut : {std::size_t{1}, good.size() / 7, good.size() / 2, good.size() - 2}) {
        TempDir d;
        const std::string msg = error_of([&] { from_json_text(d, good.substr(0, cut)); });
        CHECK(msg.find("tokenizer.json") != std::string::npos);
    }
}

TEST_CASE("bad input: malformed vocab.json or merges.txt is refused with the file and the reason") {
    const std::string vocab = json::read_file(fixture_dir + "/bpe_files/vocab.json");
    const std::string merges = json::read_file(fixture_dir + "/bpe_files/merges.txt");
    const auto load = [&](const std::string& v, const std::string& m, const std::string& cfg = "") {
        TempDir d;
        write_text(d.path / "vocab.json", v);
        write_text(d.path / "merges.txt", m);
        if (!cfg.empty()) write_text(d.path / "tokenizer_config.json", cfg);
        return error_of([&] { Tokenizer::from_pretrained(d.str()); });
    };
    CHECK(load(vocab, merges) == "no error");
    std::string msg = load("[]", merges);
    CHECK(msg.find("vocab.json: expected an object") != std::string::npos);
    msg = load(vocab, merges + "only_one_token\n");
    CHECK(msg.find("merges.txt:1741: a merge must be two tokens") != std::string::npos);
    msg = load(vocab, "#version: 0.2\nzzz qqq\n");
    CHECK(msg.find("is not in model.vocab") != std::string::npos);
    msg = load(vocab, merges, R"({"tokenizer_class": "BartTokenizer"})");
    CHECK(msg.find("tokenizer_class \"BartTokenizer\"") != std::string::npos);
    msg = load("{\"a\": -1}", merges);
    CHECK(msg.find("must be a non-negative integer") != std::string::npos);
}

TEST_CASE("bad input: randomly mutated BPE and Unigram tokenizer.json load and encode or throw Error") {
    std::mt19937 rng(1234);
    std::size_t loaded = 0, refused = 0;
    for (const std::string kind : {"bpe", "unigram"}) {
        const std::string good = json::parse_file(fixture_dir + "/" + kind + "/tokenizer.json").dump();
        // Mutate the structure, not the 2,000-token vocabulary: pick positions in the first and last 3 KB.
        for (int round = 0; round < 150; ++round) {
            std::string doc = good;
            for (int k = 0; k < 1 + round % 3; ++k) {
                const std::size_t span = std::min<std::size_t>(3000, doc.size() / 2);
                std::size_t pos = rng() % span;
                if (rng() % 2) pos = doc.size() - 1 - pos;
                static const char alphabet[] = "0123456789-\"{}[],: aBtnfl.e\\";
                doc[pos] = alphabet[rng() % (sizeof alphabet - 1)];
            }
            TempDir d;
            const std::string msg = error_of([&] {
                const Tokenizer t = from_json_text(d, doc);
                const EncodeOptions o{.max_length = 12, .truncation = Truncation::longest_first, .stride = 3,
                                      .return_overflowing = true};
                (void)t.encode("Hello <mask> world, naïve ﬁ 😀!", o);
                (void)t.encode_pair("q", "some context here", o);
                (void)t.encode_words({"a", "", "<s>"}, o);
                (void)t.decode(t.encode("x y").at(0).input_ids);
            });
            INFO(kind << " round " << round << ": " << msg);
            CHECK(msg.find("non-tinybert exception") == std::string::npos);
            (msg == "no error" ? loaded : refused) += 1;
        }
    }
    WARN("mutated tokenizer.json: " << loaded << " loaded, " << refused << " refused with an Error");
}
