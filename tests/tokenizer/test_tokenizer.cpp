// Tokenizer unit tests on tests/fixtures/tokenizer/tiny_vocab.txt (always run): normalisation, WordPiece, offsets,
// word ids, specials in text, truncation arithmetic (spec §1.7, §9 #13), overflow windows, padding, batch, decode
// and save_pretrained round trip.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tinybert/tokenizer/pretrained.hpp"
#include "tinybert/tokenizer/tokenizer.hpp"

using namespace tinybert;
using Offsets = std::vector<std::pair<std::size_t, std::size_t>>;

namespace {

const std::string vocab_path = TINYBERT_TEST_DATA_DIR "/tokenizer/tiny_vocab.txt";

const Tokenizer& uncased() {
    static const Tokenizer t = Tokenizer::from_vocab(vocab_path);
    return t;
}

std::vector<std::string> tokens(const Tokenizer& t, const Encoding& e) {
    std::vector<std::string> out;
    for (const auto id : e.input_ids) out.push_back(t.id_to_token(id));
    return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("wordpiece: greedy longest match with ## pieces, offsets and word ids") {
    const Encoding e = uncased().encode("UNwant\xC3\xA9" "d,running").at(0);
    CHECK(tokens(uncased(), e) == Strings{"[CLS]", "un", "##want", "##ed", ",", "runn", "##ing", "[SEP]"});
    CHECK(e.offsets == Offsets{{0, 0}, {0, 2}, {2, 6}, {6, 8}, {8, 9}, {9, 13}, {13, 16}, {0, 0}});
    CHECK(e.byte_offsets == Offsets{{0, 0}, {0, 2}, {2, 6}, {6, 9}, {9, 10}, {10, 14}, {14, 17}, {0, 0}});
    CHECK(e.word_ids == std::vector<std::int64_t>{-1, 0, 0, 0, 1, 2, 2, -1});
    CHECK(e.sequence_ids == std::vector<std::int64_t>{-1, 0, 0, 0, 0, 0, 0, -1});
    CHECK(e.special_tokens_mask == std::vector<std::int64_t>{1, 0, 0, 0, 0, 0, 0, 1});
    CHECK(tokens(uncased(), uncased().encode("unaffable").at(0)) == Strings{"[CLS]", "un", "##aff", "##able", "[SEP]"});
}

TEST_CASE("wordpiece: a failing position makes the whole word [UNK], 101 chars is [UNK], 100 is split") {
    CHECK(tokens(uncased(), uncased().encode("wantq").at(0)) == Strings{"[CLS]", "[UNK]", "[SEP]"});
    const std::string w100 = "a" + std::string(99, 'b');  // a ##b ##b ... (100 chars)
    const Encoding e100 = uncased().encode(w100).at(0);
    CHECK(e100.size() == 102);
    const Encoding e101 = uncased().encode(w100 + "b").at(0);
    CHECK(tokens(uncased(), e101) == Strings{"[CLS]", "[UNK]", "[SEP]"});
    CHECK(e101.offsets[1] == std::pair<std::size_t, std::size_t>{0, 101});
}

TEST_CASE("normalizer: controls, zero-width, whitespace, accents, CJK, punctuation (spec §9 #1-#11)") {
    const Tokenizer& t = uncased();
    CHECK(t.encode("").at(0).input_ids == std::vector<std::int64_t>{t.cls_id(), t.sep_id()});
    CHECK(t.encode("  \t\n\xE2\x80\x8B").at(0).size() == 2);
    CHECK(t.encode(std::string("\0\0", 2)).at(0).size() == 2);
    CHECK(tokens(t, t.encode("a\xE2\x80\x8B" "b").at(0)) == Strings{"[CLS]", "a", "##b", "[SEP]"});  // ZWSP deleted
    CHECK(tokens(t, t.encode("a\xC2\xA0" "b").at(0)) == Strings{"[CLS]", "a", "b", "[SEP]"});       // NBSP splits
    const Encoding cafe = t.encode("Caf\xC3\xA9 D\xC3\xA9j\xC3\xA0").at(0);
    CHECK(tokens(t, cafe) == Strings{"[CLS]", "cafe", "deja", "[SEP]"});
    CHECK(cafe.offsets[1] == std::pair<std::size_t, std::size_t>{0, 4});
    CHECK(cafe.byte_offsets[1] == std::pair<std::size_t, std::size_t>{0, 5});
    const Encoding nlp = t.encode("\xE6\x88\x91\xE7\x88\xB1NLP").at(0);  // 我爱NLP
    CHECK(tokens(t, nlp) == Strings{"[CLS]", "我", "爱", "nlp", "[SEP]"});
    CHECK(nlp.offsets == Offsets{{0, 0}, {0, 1}, {1, 2}, {2, 5}, {0, 0}});
    CHECK(tokens(t, t.encode("don't e-mail $5.00").at(0)) ==
          Strings{"[CLS]", "don", "'", "t", "e", "-", "mail", "$", "5", ".", "00", "[SEP]"});
    CHECK(tokens(t, t.encode("5\xE2\x82\xAC").at(0)) == Strings{"[CLS]", "[UNK]", "[SEP]"});  // 5€ is one word
    const Encoding sigma = t.encode("\xCE\xA3\xCE\x9F\xCE\xA6\xCE\x9F\xCE\xA3").at(0);     // ΣΟΦΟΣ -> σοφοσ
    CHECK(tokens(t, sigma) == Strings{"[CLS]", "σ", "##ο", "##φ", "##ο", "##σ", "[SEP]"});
    const Encoding ist = t.encode("\xC4\xB0stanbul").at(0);  // İstanbul
    CHECK(tokens(t, ist) == Strings{"[CLS]", "i", "##stan", "##bul", "[SEP]"});
    CHECK(ist.offsets[1] == std::pair<std::size_t, std::size_t>{0, 1});
}

TEST_CASE("cased: no lowercasing and accents kept unless strip_accents is set") {
    TokenizerOptions o;
    o.do_lower_case = false;
    const Tokenizer t = Tokenizer::from_vocab(vocab_path, o);
    CHECK(tokens(t, t.encode("caf\xC3\xA9 Hello").at(0)) == Strings{"[CLS]", "caf", "##é", "[UNK]", "[SEP]"});
    o.strip_accents = true;
    const Tokenizer s = Tokenizer::from_vocab(vocab_path, o);
    CHECK(tokens(s, s.encode("caf\xC3\xA9").at(0)) == Strings{"[CLS]", "cafe", "[SEP]"});
}

TEST_CASE("special tokens in raw text are cut out case-sensitively and count as words") {
    const Tokenizer& t = uncased();
    const Encoding e = t.encode("hello [SEP] world [sep]").at(0);
    CHECK(tokens(t, e) == Strings{"[CLS]", "hello", "[SEP]", "world", "[", "sep", "]", "[SEP]"});
    CHECK(e.offsets[2] == std::pair<std::size_t, std::size_t>{6, 11});
    CHECK(e.word_ids == std::vector<std::int64_t>{-1, 0, 1, 2, 3, 4, 5, -1});
    CHECK(e.special_tokens_mask[2] == 0);
}

TEST_CASE("pairs, split words, truncation targets and overflow windows") {
    const Tokenizer& t = uncased();
    const Encoding p = t.encode_pair("", "").at(0);
    CHECK(p.input_ids == std::vector<std::int64_t>{t.cls_id(), t.sep_id(), t.sep_id()});
    CHECK(p.token_type_ids == std::vector<std::int64_t>{0, 0, 1});
    const auto targets = [](std::size_t a, std::size_t b) {
        return detail::truncation_targets(a, b, true, 7, Truncation::longest_first);
    };
    using P = std::pair<std::size_t, std::size_t>;
    CHECK(targets(4, 4) == P{3, 4});
    CHECK(targets(2, 8) == P{2, 5});
    CHECK(targets(8, 2) == P{5, 2});
    CHECK(targets(10, 10) == P{3, 4});
    const Encoding w = t.encode_words({"U.S.", "hello", "\xE2\x80\x8B", "[SEP]", "x"}).at(0);
    CHECK(tokens(t, w) == Strings{"[CLS]", "u", ".", "s", ".", "hello", "[SEP]", "x", "[SEP]"});
    CHECK(w.word_ids == std::vector<std::int64_t>{-1, 0, 0, 0, 0, 1, 3, 4, -1});
    CHECK(w.offsets[5] == std::pair<std::size_t, std::size_t>{0, 5});

    EncodeOptions o;
    o.max_length = 9;
    o.truncation = Truncation::only_second;
    o.stride = 1;
    o.return_overflowing = true;
    o.padding = Padding::max_length;
    const auto enc = t.encode_pair("a b x", "a b x y z a b x y z");  // no truncation without options
    CHECK(enc.size() == 1);
    const auto win = t.encode_pair("a b x", "a b x y z a b x y z", o);
    REQUIRE(win.size() == 5);  // 10 tokens, window 3, step 2
    CHECK(win[1].offsets[5] == std::pair<std::size_t, std::size_t>{4, 5});
    CHECK(win[4].input_ids.back() == t.pad_id());
    for (const auto& e : win) CHECK(e.size() == 9);
}

TEST_CASE("batch encoding equals one-by-one encoding, in order, padded to the batch's longest") {
    const Tokenizer& t = uncased();
    std::vector<std::string> texts;
    for (int i = 0; i < 200; ++i) texts.push_back(std::string(static_cast<std::size_t>(i % 7), 'a') + " hello world");
    EncodeOptions o;
    o.padding = Padding::longest;
    const auto batch = t.encode_batch(texts, o);
    REQUIRE(batch.size() == texts.size());
    std::size_t longest = 0;
    for (const auto& s : texts) longest = std::max(longest, t.encode(s).at(0).size());
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const Encoding one = t.encode(texts[i]).at(0);
        CHECK(batch[i].overflow_to_sample == i);
        CHECK(batch[i].size() == longest);
        CHECK(std::equal(one.input_ids.begin(), one.input_ids.end(), batch[i].input_ids.begin()));
    }
}

TEST_CASE("decode glues ## pieces and cleans up punctuation spaces") {
    const Tokenizer& t = uncased();
    // HF keeps "don ' t": the cleanup runs per token, and the token "'" becomes " '" (no trailing space)
    CHECK(t.decode(t.encode("Unaffable, running. don't").at(0).input_ids) == "unaffable, running. don ' t");
    CHECK(t.decode(t.encode("hello").at(0).input_ids, false) == "[CLS] hello [SEP]");
    CHECK(t.decode({5, 100000, 6}) == "unaff");
}

TEST_CASE("save_pretrained writes files that from_pretrained reads back") {
    const auto dir = std::filesystem::temp_directory_path() / "tinybert_tok_roundtrip";
    TokenizerOptions o;
    o.do_lower_case = false;
    Tokenizer::from_vocab(vocab_path, o).save_pretrained(dir.string());
    const Tokenizer back = Tokenizer::from_pretrained(dir.string());
    CHECK_FALSE(back.options().do_lower_case);
    CHECK(back.model_max_length() == 512);
    CHECK(back.vocab_size() == uncased().vocab_size());
    CHECK(back.mask_id() == 4);
    std::filesystem::remove_all(dir);
}

TEST_CASE("from_pretrained reads a transformers-saved tokenizer.json folder like the vocab.txt it came from") {
    const Tokenizer t = Tokenizer::from_pretrained(TINYBERT_TEST_DATA_DIR "/tokenizer/tiny_model");
    TokenizerOptions o;
    o.do_lower_case = false;
    const Tokenizer v = Tokenizer::from_vocab(vocab_path, o);
    CHECK_FALSE(t.options().do_lower_case);
    CHECK(t.model_max_length() == 512);
    CHECK(t.token_to_id("##ο") == 42);  // a repeated vocab.txt token maps to its last line
    CHECK(v.token_to_id("##ο") == 42);
    for (const char* s : {"UNwanted, running caf\xC3\xA9", "hello [SEP] world", "ΣΟΦΟΣ \xE6\x88\x91"}) {
        CHECK(t.encode(s).at(0).input_ids == v.encode(s).at(0).input_ids);
        CHECK(t.encode(s).at(0).offsets == v.encode(s).at(0).offsets);
    }
}

TEST_CASE("model_input_names: the RoBERTa, XLM-R and DistilBERT classes take no token types, a file may say so too",
          "[tokenizer][pretrained]") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "tinybert_test_tokenizer_input_names";
    const auto with_config = [&](const std::string& config) {
        fs::remove_all(dir);
        fs::create_directories(dir);
        fs::copy_file(vocab_path, dir / "vocab.txt");
        std::ofstream(dir / "tokenizer_config.json") << config;
        return Tokenizer::from_pretrained(dir.string());
    };
    CHECK(with_config(R"({"tokenizer_class": "BertTokenizer"})").returns_token_type_ids());
    CHECK(with_config(R"({"tokenizer_class": "ElectraTokenizerFast"})").returns_token_type_ids());
    CHECK_FALSE(with_config(R"({"tokenizer_class": "DistilBertTokenizerFast"})").returns_token_type_ids());
    CHECK_FALSE(with_config(R"({"model_input_names": ["input_ids", "attention_mask"]})").returns_token_type_ids());
    CHECK(with_config(R"({"tokenizer_class": "DistilBertTokenizer",
                          "model_input_names": ["input_ids", "token_type_ids", "attention_mask"]})")
              .returns_token_type_ids());
    // saved and loaded back: the setting survives (transformers reads model_input_names from tokenizer_config.json)
    const Tokenizer distil = with_config(R"({"tokenizer_class": "DistilBertTokenizer"})");
    const fs::path saved = dir / "saved";
    distil.save_pretrained(saved.string());
    CHECK_FALSE(Tokenizer::from_pretrained(saved.string()).returns_token_type_ids());
    // the encodings keep the post-processor's type ids either way; model inputs (data/features.hpp) zero them
    CHECK(distil.encode_pair("a", "b").front().token_type_ids.back() == 1);
    fs::remove_all(dir);
}
