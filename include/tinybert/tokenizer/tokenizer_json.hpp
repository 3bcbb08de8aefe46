// tinybert/tokenizer/tokenizer_json.hpp: reads a Hugging Face tokenizer.json with a BPE or Unigram model into a
// Pipeline + PostProcessor, and builds the equivalent tokenizer.json for vocab.json + merges.txt (what transformers'
// RobertaTokenizer / GPT2Tokenizer build from those files). Every malformed field is a tinybert::Error naming the
// file and the field; components that are not implemented are refused by their type name.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "tinybert/core/error.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/io/limits.hpp"
#include "tinybert/tokenizer/pipeline.hpp"

namespace tinybert::detail {

// Field access that names the file and the JSON path in its errors.
class JsonReader {
public:
    explicit JsonReader(std::string source) : src_(std::move(source)) {}
    const std::string& source() const { return src_; }

    const json::Value& at(const json::Value& obj, const std::string& path, std::string_view key) const {
        TINYBERT_CHECK(obj.is_object(), src_, ": ", path, " must be an object, got ", obj.kind_name());
        const json::Value* v = obj.find(key);
        TINYBERT_CHECK(v != nullptr, src_, ": ", path, " has no \"", key, "\"");
        return *v;
    }
    const json::Value* opt(const json::Value& obj, std::string_view key) const {
        const json::Value* v = obj.find(key);
        return v && !v->is_null() ? v : nullptr;
    }
    std::string str(const json::Value& v, const std::string& what) const {
        TINYBERT_CHECK(v.is_string(), src_, ": ", what, " must be a string, got ", v.kind_name());
        return v.as_string();
    }
    bool flag(const json::Value& obj, const std::string& path, std::string_view key, bool def) const {
        const json::Value* v = opt(obj, key);
        if (!v) return def;
        TINYBERT_CHECK(v->is_bool(), src_, ": ", path, ".", key, " must be true or false, got ", v->kind_name());
        return v->as_bool();
    }
    std::int64_t integer(const json::Value& v, const std::string& what) const {
        TINYBERT_CHECK(v.is_int(), src_, ": ", what, " must be an integer, got ", v.kind_name());
        return v.as_int();
    }
    const json::Array& array(const json::Value& v, const std::string& what) const {
        TINYBERT_CHECK(v.is_array(), src_, ": ", what, " must be an array, got ", v.kind_name());
        return v.as_array();
    }
    std::string type(const json::Value& v, const std::string& what) const {
        TINYBERT_CHECK(v.is_object(), src_, ": ", what, " must be an object, got ", v.kind_name());
        return str(at(v, what, "type"), what + ".type");
    }

private:
    std::string src_;
};

inline std::u32string to_u32(std::string_view s) {
    std::u32string out;
    for (std::size_t p = 0; p < s.size();) {
        const Utf8Char d = decode_utf8(s, p);
        out += d.cp;
        p += d.len;
    }
    return out;
}

inline char32_t single_char(const JsonReader& r, const json::Value& v, const std::string& what) {
    const std::u32string s = to_u32(r.str(v, what));
    TINYBERT_CHECK(s.size() == 1, r.source(), ": ", what, " must be one character, got \"", v.as_string(), "\"");
    return s[0];
}

// A Replace Regex that is a run of one char: "x{n,}" or "x+" (x literal or backslash-escaped punctuation), what the
// SentencePiece conversions use (" {2,}"). Returns false for any other regex.
inline bool parse_run_regex(const std::u32string& re, char32_t& ch, std::size_t& min) {
    std::size_t i = 0;
    if (re.empty()) return false;
    const std::u32string meta = U".^$*+?()[]{}|\\";
    if (re[0] == '\\') {
        if (re.size() < 2 || re[1] >= 0x80 || !is_ascii_punctuation(re[1])) return false;
        ch = re[1];
        i = 2;
    } else {
        if (meta.find(re[0]) != std::u32string::npos) return false;
        ch = re[0];
        i = 1;
    }
    const std::u32string q = re.substr(i);
    if (q == U"+") {
        min = 1;
        return true;
    }
    if (q.size() < 4 || q.front() != '{' || q.substr(q.size() - 2) != U",}") return false;
    min = 0;
    for (std::size_t k = 1; k + 2 < q.size(); ++k) {
        if (q[k] < '0' || q[k] > '9' || min > 1000000) return false;
        min = min * 10 + (q[k] - '0');
    }
    return min >= 1;
}

inline void read_normalizer(const JsonReader& r, const json::Value& n, const std::string& path,
                            std::vector<NormStep>& out) {
    const std::string t = r.type(n, path);
    if (t == "Sequence") {
        const json::Array& steps = r.array(r.at(n, path, "normalizers"), path + ".normalizers");
        for (std::size_t i = 0; i < steps.size(); ++i)
            read_normalizer(r, steps[i], path + ".normalizers[" + std::to_string(i) + "]", out);
        return;
    }
    NormStep st{};
    if (t == "NFC") st.kind = NormStep::nfc;
    else if (t == "NFD") st.kind = NormStep::nfd;
    else if (t == "NFKC") st.kind = NormStep::nfkc;
    else if (t == "NFKD") st.kind = NormStep::nfkd;
    else if (t == "Lowercase") st.kind = NormStep::lower_case;
    else if (t == "Strip") {
        st.kind = NormStep::strip;
        st.strip_left = r.flag(n, path, "strip_left", true);
        st.strip_right = r.flag(n, path, "strip_right", true);
    } else if (t == "Replace") {
        st.kind = NormStep::replace;
        const json::Value& p = r.at(n, path, "pattern");
        TINYBERT_CHECK(p.is_object(), r.source(), ": ", path, ".pattern must be an object, got ", p.kind_name());
        st.content = to_u32(r.str(r.at(n, path, "content"), path + ".content"));
        if (const json::Value* re = p.find("Regex")) {
            const std::string src = r.str(*re, path + ".pattern.Regex");
            char32_t ch = 0;
            TINYBERT_CHECK(parse_run_regex(to_u32(src), ch, st.run_min), r.source(), ": ", path,
                           ": Replace with the Regex \"", src, "\" is not supported (only runs of one char, such as ",
                           "\" {2,}\" or \"x+\", and String patterns are)");
            st.kind = NormStep::replace_run;
            st.pattern = std::u32string(1, ch);
        } else {
            const json::Value* lit = p.find("String");
            TINYBERT_CHECK(lit != nullptr, r.source(), ": ", path, ".pattern must be {\"String\": ...} or {\"Regex\": ...}");
            st.pattern = to_u32(r.str(*lit, path + ".pattern.String"));
        }
    } else if (t == "Precompiled") {
        st.kind = NormStep::precompiled;
        const std::string what = r.source() + ": " + path + ".precompiled_charsmap";
        const std::string b64 = r.str(r.at(n, path, "precompiled_charsmap"), path + ".precompiled_charsmap");
        st.charsmap = std::make_shared<const PrecompiledCharsmap>(base64_decode(b64, what), what);
    } else if (t == "StripAccents") {
        st.kind = NormStep::strip_accents;
    } else if (t == "Prepend") {
        st.kind = NormStep::prepend;
        st.content = to_u32(r.str(r.at(n, path, "prepend"), path + ".prepend"));
    } else {
        TINYBERT_FAIL(r.source(), ": ", path, ": normalizer type \"", t, "\" is not supported with a BPE or Unigram ",
                      "model (NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Replace, Prepend, Precompiled, ",
                      "Sequence are)");
    }
    out.push_back(std::move(st));
}

inline PreTokenizer read_pre_tokenizer(const JsonReader& r, const json::Value& p, const std::string& path) {
    const std::string t = r.type(p, path);
    if (t == "Sequence") {  // only [WhitespaceSplit, Metaspace], what the SentencePiece classes of transformers build
        const json::Array& a = r.array(r.at(p, path, "pretokenizers"), path + ".pretokenizers");
        if (a.size() == 1) return read_pre_tokenizer(r, a[0], path + ".pretokenizers[0]");
        if (a.size() == 2 && r.type(a[0], path + ".pretokenizers[0]") == "WhitespaceSplit" &&
            r.type(a[1], path + ".pretokenizers[1]") == "Metaspace") {
            PreTokenizer m = read_pre_tokenizer(r, a[1], path + ".pretokenizers[1]");
            std::get<MetaspacePre>(m).whitespace_split = true;
            return m;
        }
        std::string types;
        for (std::size_t i = 0; i < a.size(); ++i) types += (i ? ", " : "") + r.type(a[i], path + ".pretokenizers[]");
        TINYBERT_FAIL(r.source(), ": ", path, ": pre-tokenizer Sequence [", types, "] is not supported (only ",
                      "[WhitespaceSplit, Metaspace] and single-element sequences are)");
    }
    if (t == "ByteLevel") {
        ByteLevelPre b;
        b.add_prefix_space = r.flag(p, path, "add_prefix_space", true);
        b.use_regex = r.flag(p, path, "use_regex", true);
        return b;
    }
    if (t == "Metaspace") {
        MetaspacePre m;
        if (const json::Value* v = r.opt(p, "replacement")) m.replacement = single_char(r, *v, path + ".replacement");
        if (const json::Value* v = r.opt(p, "prepend_scheme")) {
            const std::string s = r.str(*v, path + ".prepend_scheme");
            if (s == "always") m.prepend = MetaspacePre::always;
            else if (s == "first") m.prepend = MetaspacePre::first;
            else if (s == "never") m.prepend = MetaspacePre::never;
            else TINYBERT_FAIL(r.source(), ": ", path, ".prepend_scheme must be always, first or never, got \"", s, "\"");
        } else {  // tokenizers < 0.19: add_prefix_space
            m.prepend = r.flag(p, path, "add_prefix_space", true) ? MetaspacePre::always : MetaspacePre::never;
        }
        m.split = r.flag(p, path, "split", true);
        return m;
    }
    TINYBERT_FAIL(r.source(), ": ", path, ": pre-tokenizer type \"", t, "\" is not supported with a BPE or Unigram ",
                  "model (ByteLevel, Metaspace and Sequence[WhitespaceSplit, Metaspace] are)");
}

inline DecoderSpec read_decoder(const JsonReader& r, const json::Value& d, const std::string& path) {
    const std::string t = r.type(d, path);
    DecoderSpec out;
    if (t == "ByteLevel") {
        out.kind = DecoderSpec::byte_level;
    } else if (t == "Metaspace") {
        out.kind = DecoderSpec::metaspace;
        if (const json::Value* v = r.opt(d, "replacement")) out.replacement = single_char(r, *v, path + ".replacement");
        if (const json::Value* v = r.opt(d, "prepend_scheme"))
            out.strip_first_space = r.str(*v, path + ".prepend_scheme") != "never";
        else
            out.strip_first_space = r.flag(d, path, "add_prefix_space", true);
    } else {
        TINYBERT_FAIL(r.source(), ": ", path, ": decoder type \"", t,
                      "\" is not supported with a BPE or Unigram model (ByteLevel and Metaspace are)");
    }
    return out;
}

// A processor's ["token", id] pair.
inline std::int64_t processor_token(const JsonReader& r, const json::Value& p, const std::string& path,
                                    const char* key, const Pipeline& pipe) {
    const json::Array& a = r.array(r.at(p, path, key), path + "." + key);
    TINYBERT_CHECK(a.size() == 2, r.source(), ": ", path, ".", key, " must be [\"token\", id]");
    const std::string tok = r.str(a[0], path + "." + key + "[0]");
    const std::int64_t id = r.integer(a[1], path + "." + key + "[1]");
    TINYBERT_CHECK(id >= 0 && static_cast<std::size_t>(id) < pipe.tokens.size() && pipe.tokens[static_cast<std::size_t>(id)] == tok,
                   r.source(), ": ", path, ".", key, ": token \"", tok, "\" does not have id ", id);
    return id;
}

inline void read_post_processor(const JsonReader& r, const json::Value* p, const Pipeline& pipe, PostProcessor& pp) {
    const std::string path = "post_processor";
    if (!p) {  // none: A (B) with type ids 0 (1)
        pp.single = {{0, 0, 0}};
        pp.pair = {{0, 0, 0}, {0, 1, 1}};
        return;
    }
    const std::string t = r.type(*p, path);
    if (t == "RobertaProcessing" || t == "BertProcessing") {
        const std::int64_t cls = processor_token(r, *p, path, "cls", pipe), sep = processor_token(r, *p, path, "sep", pipe);
        if (t == "BertProcessing") {
            pp.single = {{cls, -1, 0}, {0, 0, 0}, {sep, -1, 0}};
            pp.pair = {{cls, -1, 0}, {0, 0, 0}, {sep, -1, 0}, {0, 1, 1}, {sep, -1, 1}};
            return;
        }
        pp.single = {{cls, -1, 0}, {0, 0, 0}, {sep, -1, 0}};
        pp.pair = {{cls, -1, 0}, {0, 0, 0}, {sep, -1, 0}, {sep, -1, 0}, {0, 1, 0}, {sep, -1, 0}};
        pp.trim_offsets = r.flag(*p, path, "trim_offsets", true);
        pp.add_prefix_space = r.flag(*p, path, "add_prefix_space", true);
        return;
    }
    if (t == "ByteLevel") {
        pp.single = {{0, 0, 0}};
        pp.pair = {{0, 0, 0}, {0, 1, 1}};
        pp.trim_offsets = r.flag(*p, path, "trim_offsets", true);
        pp.add_prefix_space = r.flag(*p, path, "add_prefix_space", true);
        return;
    }
    if (t == "TemplateProcessing") {
        const json::Value& specials = r.at(*p, path, "special_tokens");
        const auto items = [&](const char* key, bool pair) {
            std::vector<TemplateItem> out;
            const std::string kp = path + "." + key;
            const json::Array& a = r.array(r.at(*p, path, key), kp);
            for (std::size_t i = 0; i < a.size(); ++i) {
                const std::string ip = kp + "[" + std::to_string(i) + "]";
                if (const json::Value* s = a[i].find("Sequence")) {
                    const std::string id = r.str(r.at(*s, ip + ".Sequence", "id"), ip + ".Sequence.id");
                    TINYBERT_CHECK(id == "A" || (pair && id == "B"), r.source(), ": ", ip, ": sequence \"", id,
                                   "\" is not allowed here");
                    out.push_back({0, id == "A" ? 0 : 1, r.integer(r.at(*s, ip, "type_id"), ip + ".type_id")});
                } else if (const json::Value* sp = a[i].find("SpecialToken")) {
                    const std::string name = r.str(r.at(*sp, ip + ".SpecialToken", "id"), ip + ".SpecialToken.id");
                    const std::int64_t type = r.integer(r.at(*sp, ip, "type_id"), ip + ".type_id");
                    const json::Value* def = specials.find(name);
                    TINYBERT_CHECK(def != nullptr, r.source(), ": ", ip, ": special token \"", name,
                                   "\" is not in post_processor.special_tokens");
                    for (const json::Value& id : r.array(r.at(*def, "special_tokens." + name, "ids"),
                                                         path + ".special_tokens." + name + ".ids")) {
                        const std::int64_t v = r.integer(id, "post_processor.special_tokens." + name + ".ids[]");
                        TINYBERT_CHECK(v >= 0 && static_cast<std::size_t>(v) < pipe.tokens.size(), r.source(), ": ",
                                       path, ".special_tokens.", name, ": id ", v, " is outside the vocabulary");
                        out.push_back({v, -1, type});
                    }
                } else {
                    TINYBERT_FAIL(r.source(), ": ", ip, " must be {\"Sequence\": ...} or {\"SpecialToken\": ...}");
                }
            }
            return out;
        };
        pp.single = items("single", false);
        pp.pair = items("pair", true);
        pp.template_types_first_window_only = true;
        return;
    }
    TINYBERT_FAIL(r.source(), ": post-processor type \"", t, "\" is not supported (TemplateProcessing, ",
                  "RobertaProcessing, BertProcessing and ByteLevel are)");
}

inline std::array<std::int64_t, 256> byte_token_ids(const Vocab& v) {
    std::array<std::int64_t, 256> ids{};
    static const char* hex = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
        const char name[7] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>', 0};
        ids[static_cast<std::size_t>(b)] = v.find(std::string_view(name, 6));
    }
    return ids;
}

inline BpeModel read_bpe(const JsonReader& r, const json::Value& m) {
    BpeModel b;
    if (const json::Value* d = r.opt(m, "dropout")) {
        TINYBERT_CHECK(d->is_number(), r.source(), ": model.dropout must be a number or null");
        TINYBERT_CHECK(d->as_double() == 0.0, r.source(), ": model.dropout ", d->as_double(),
                       " is not supported (BPE dropout is random; use null)");
    }
    const json::Value& vocab = r.at(m, "model", "vocab");
    b.vocab = Vocab::from_json_object(vocab, r.source() + " (model.vocab)", "");
    if (const json::Value* u = r.opt(m, "unk_token")) {
        b.unk_token = r.str(*u, "model.unk_token");
        b.unk_id = b.vocab.find(b.unk_token);
        TINYBERT_CHECK(b.unk_id >= 0, r.source(), ": model.unk_token \"", b.unk_token, "\" is not in model.vocab");
    }
    if (const json::Value* v = r.opt(m, "continuing_subword_prefix"))
        b.continuing_subword_prefix = r.str(*v, "model.continuing_subword_prefix");
    if (const json::Value* v = r.opt(m, "end_of_word_suffix")) b.end_of_word_suffix = r.str(*v, "model.end_of_word_suffix");
    b.fuse_unk = r.flag(m, "model", "fuse_unk", false);
    b.byte_fallback = r.flag(m, "model", "byte_fallback", false);
    b.ignore_merges = r.flag(m, "model", "ignore_merges", false);
    b.byte_ids = byte_token_ids(b.vocab);
    const json::Array& merges = r.array(r.at(m, "model", "merges"), "model.merges");
    b.merges.reserve(merges.size());
    const std::size_t plen = b.continuing_subword_prefix.size();
    for (std::size_t i = 0; i < merges.size(); ++i) {
        std::string a, c;
        const std::string where = "model.merges[" + std::to_string(i) + "]";
        if (merges[i].is_string()) {  // "a b"
            const std::string& s = merges[i].as_string();
            const std::size_t sp = s.find(' ');
            TINYBERT_CHECK(sp != std::string::npos && s.find(' ', sp + 1) == std::string::npos, r.source(), ": ", where,
                           " must be two tokens separated by one space, got \"", s, "\"");
            a = s.substr(0, sp);
            c = s.substr(sp + 1);
        } else {
            const json::Array& pair = r.array(merges[i], where);
            TINYBERT_CHECK(pair.size() == 2, r.source(), ": ", where, " must hold two tokens");
            a = r.str(pair[0], where + "[0]");
            c = r.str(pair[1], where + "[1]");
        }
        const std::int64_t ia = b.vocab.find(a), ic = b.vocab.find(c);
        TINYBERT_CHECK(ia >= 0 && ic >= 0, r.source(), ": ", where, ": token \"", ia < 0 ? a : c,
                       "\" is not in model.vocab");
        TINYBERT_CHECK(c.size() >= plen, r.source(), ": ", where, ": \"", c, "\" lacks the continuing prefix");
        const std::string merged = a + c.substr(plen);
        const std::int64_t im = b.vocab.find(merged);
        TINYBERT_CHECK(im >= 0, r.source(), ": ", where, ": the merged token \"", merged, "\" is not in model.vocab");
        b.merges[BpeModel::key(ia, ic)] = {static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(im)};
    }
    return b;
}

inline UnigramModel read_unigram(const JsonReader& r, const json::Value& m) {
    UnigramModel u;
    const json::Array& vocab = r.array(r.at(m, "model", "vocab"), "model.vocab");
    TINYBERT_CHECK(!vocab.empty(), r.source(), ": model.vocab is empty");
    std::vector<std::string> toks;
    toks.reserve(vocab.size());
    u.scores.reserve(vocab.size());
    u.min_score = 0;
    for (std::size_t i = 0; i < vocab.size(); ++i) {
        const std::string where = "model.vocab[" + std::to_string(i) + "]";
        const json::Array& e = r.array(vocab[i], where);
        TINYBERT_CHECK(e.size() == 2 && e[1].is_number(), r.source(), ": ", where, " must be [\"piece\", score]");
        toks.push_back(r.str(e[0], where + "[0]"));
        u.scores.push_back(e[1].as_double());
        u.min_score = i == 0 ? u.scores.back() : std::min(u.min_score, u.scores.back());
    }
    u.vocab = Vocab(std::move(toks), "");
    if (const json::Value* v = r.opt(m, "unk_id")) {
        u.unk_id = r.integer(*v, "model.unk_id");
        TINYBERT_CHECK(u.unk_id >= 0 && static_cast<std::size_t>(u.unk_id) < vocab.size(), r.source(),
                       ": model.unk_id ", u.unk_id, " is outside model.vocab");
    }
    u.byte_fallback = r.flag(m, "model", "byte_fallback", false);
    u.byte_ids = byte_token_ids(u.vocab);
    return u;
}

// Parses a tokenizer.json document whose model is BPE or Unigram.
inline std::shared_ptr<Pipeline> read_pipeline(const json::Value& doc, const std::string& source, PostProcessor& pp) {
    const JsonReader r(source);
    TINYBERT_CHECK(doc.is_object(), source, ": expected a JSON object, got ", doc.kind_name());
    auto pipe = std::make_shared<Pipeline>();
    pipe->doc = doc;
    const json::Value& model = r.at(doc, "the document", "model");
    pipe->kind = r.type(model, "model");
    const Vocab* mv = nullptr;
    if (pipe->kind == "BPE") {
        pipe->model = read_bpe(r, model);
        mv = &std::get<BpeModel>(pipe->model).vocab;
    } else if (pipe->kind == "Unigram") {
        pipe->model = read_unigram(r, model);
        mv = &std::get<UnigramModel>(pipe->model).vocab;
    } else {
        TINYBERT_FAIL(source, ": model type \"", pipe->kind, "\" is not supported (WordPiece, BPE and Unigram are)");
    }
    for (const char* key : {"truncation", "padding"})
        if (r.opt(doc, key))
            TINYBERT_FAIL(source, ": \"", key, "\" set in tokenizer.json is not supported (pass EncodeOptions instead)");
    if (const json::Value* n = r.opt(doc, "normalizer")) read_normalizer(r, *n, "normalizer", pipe->normalizer);
    if (const json::Value* p = r.opt(doc, "pre_tokenizer")) pipe->pre = read_pre_tokenizer(r, *p, "pre_tokenizer");
    if (const json::Value* d = r.opt(doc, "decoder")) pipe->decoder = read_decoder(r, *d, "decoder");
    pipe->tokens = mv->tokens();
    if (const json::Value* added = r.opt(doc, "added_tokens")) {
        const json::Array& a = r.array(*added, "added_tokens");
        for (std::size_t i = 0; i < a.size(); ++i) {
            const std::string where = "added_tokens[" + std::to_string(i) + "]";
            AddedToken t;
            t.content = r.str(r.at(a[i], where, "content"), where + ".content");
            t.id = r.integer(r.at(a[i], where, "id"), where + ".id");
            TINYBERT_CHECK(!t.content.empty(), source, ": ", where, ": empty token");
            TINYBERT_CHECK(t.id >= 0 && t.id < static_cast<std::int64_t>(mv->size() + a.size()), source, ": ", where,
                           ": id ", t.id, " is out of range");
            t.chars = count_code_points(t.content);
            t.lstrip = r.flag(a[i], where, "lstrip", false);
            t.rstrip = r.flag(a[i], where, "rstrip", false);
            t.special = r.flag(a[i], where, "special", false);
            TINYBERT_CHECK(!r.flag(a[i], where, "single_word", false), source, ": ", where, ": added token \"",
                           t.content, "\" with single_word=true is not supported");
            TINYBERT_CHECK(!r.flag(a[i], where, "normalized", false) || pipe->normalizer.empty(), source, ": ", where,
                           ": added token \"", t.content, "\" with normalized=true and a normalizer is not supported");
            const auto id = static_cast<std::size_t>(t.id);
            if (id < pipe->tokens.size()) {
                TINYBERT_CHECK(pipe->tokens[id] == t.content, source, ": ", where, ": id ", t.id, " is \"",
                               pipe->tokens[id], "\" in model.vocab, not \"", t.content, "\"");
            } else {
                pipe->tokens.resize(id + 1);
                pipe->tokens[id] = t.content;
            }
            pipe->added.push_back(std::move(t));
        }
    }
    read_post_processor(r, r.opt(doc, "post_processor"), *pipe, pp);
    pipe->spaces.reserve(pipe->tokens.size());
    for (const std::string& t : pipe->tokens) pipe->spaces.push_back(space_counts(t));
    return pipe;
}

// The tokenizer.json transformers builds from vocab.json + merges.txt for tokenizer_class RobertaTokenizer
// (RobertaProcessing) or GPT2Tokenizer (no special tokens added). `specials` are the special token strings of
// tokenizer_config.json in transformers' order (bos, eos, unk, sep, pad, cls, mask, additional).
inline json::Value tokenizer_json_from_bpe_files(const std::string& vocab_path, const std::string& merges_path,
                                                 const std::vector<std::string>& specials, bool roberta,
                                                 bool add_prefix_space, bool trim_offsets, const std::string& cls,
                                                 const std::string& sep) {
    const json::Value vocab = json::parse_file(vocab_path);
    TINYBERT_CHECK(vocab.is_object(), vocab_path, ": expected an object {token: id}, got ", vocab.kind_name());
    TINYBERT_CHECK(!vocab.as_object().empty(), vocab_path, ": empty vocabulary");
    std::int64_t next_id = 0;
    for (const auto& [tok, id] : vocab.as_object()) {
        TINYBERT_CHECK(id.is_int() && id.as_int() >= 0, vocab_path, ": id of token \"", tok,
                       "\" must be a non-negative integer, got ", id.kind_name());
        next_id = std::max(next_id, id.as_int() + 1);
    }
    const std::string text = json::read_file(merges_path, max_json_document_bytes, "merges.txt");
    json::Array merges;
    std::size_t line = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        ++line;
        std::string l = text.substr(pos, end - pos);
        pos = end + 1;
        if (!l.empty() && l.back() == '\r') l.pop_back();
        if (l.empty() || (line == 1 && l.rfind("#version", 0) == 0)) continue;
        const std::size_t sp = l.find(' ');
        TINYBERT_CHECK(sp != std::string::npos && sp > 0 && sp + 1 < l.size() && l.find(' ', sp + 1) == std::string::npos,
                       merges_path, ":", line, ": a merge must be two tokens separated by one space, got \"", l, "\"");
        merges.push_back(json::Array{l.substr(0, sp), l.substr(sp + 1)});
    }
    json::Array added;
    std::vector<std::pair<std::int64_t, std::string>> ids;
    for (const std::string& s : specials) {
        if (s.empty()) continue;
        bool seen = false;
        for (const auto& [i, t] : ids) seen = seen || t == s;
        if (seen) continue;
        const json::Value* id = vocab.find(s);
        ids.push_back({id ? id->as_int() : next_id++, s});
    }
    std::sort(ids.begin(), ids.end());
    json::Object extra;
    for (const auto& [i, s] : ids) {
        added.push_back(json::Object{{"id", i}, {"content", s}, {"single_word", false}, {"lstrip", false},
                                     {"rstrip", false}, {"normalized", false}, {"special", true}});
        if (!vocab.find(s)) extra.push_back({s, i});
    }
    json::Object v = vocab.as_object();
    for (auto& kv : extra) v.push_back(kv);  // tokens missing from vocab.json become added tokens after it
    const auto id_of = [&](const std::string& s) -> std::int64_t {
        for (const auto& [i, t] : ids)
            if (t == s) return i;
        TINYBERT_FAIL(vocab_path, ": special token \"", s, "\" has no id");
    };
    json::Value post;
    if (roberta)
        post = json::Object{{"type", "RobertaProcessing"}, {"sep", json::Array{sep, id_of(sep)}},
                            {"cls", json::Array{cls, id_of(cls)}}, {"trim_offsets", trim_offsets},
                            {"add_prefix_space", add_prefix_space}};
    const json::Object byte_level{{"type", "ByteLevel"}, {"add_prefix_space", add_prefix_space},
                                  {"trim_offsets", true}, {"use_regex", true}};
    const json::Object decoder{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true},
                               {"use_regex", true}};
    return json::Object{
        {"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr}, {"added_tokens", std::move(added)},
        {"normalizer", nullptr}, {"pre_tokenizer", byte_level}, {"post_processor", std::move(post)},
        {"decoder", decoder},
        {"model", json::Object{{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr},
                               {"continuing_subword_prefix", ""}, {"end_of_word_suffix", ""}, {"fuse_unk", false},
                               {"byte_fallback", false}, {"ignore_merges", false}, {"vocab", std::move(v)},
                               {"merges", std::move(merges)}}}};
}

}  // namespace tinybert::detail
