// Helpers shared by the tokenizer conformance tests: the reference configurations (tools/tokenizer/hf_reference.py
// CONFIGS), options and inputs read from JSON, and field-by-field comparison with Hugging Face's output.
#pragma once

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tinybert/io/json.hpp"
#include "tinybert/tokenizer/tokenizer.hpp"

namespace tok_test {

using namespace tinybert;

inline const std::string shared_vocab = TINYBERT_SHARED_DIR "/models/bert-base-uncased/vocab.txt";

inline const Tokenizer& reference_config(const std::string& name) {
    static std::map<std::string, Tokenizer> cache;
    if (auto it = cache.find(name); it != cache.end()) return it->second;
    TokenizerOptions o;
    if (name == "cased") {
        o.do_lower_case = false;
    } else if (name == "cased_strip") {
        o.do_lower_case = false;
        o.strip_accents = true;
    } else if (name == "uncased_keep_accents") {
        o.strip_accents = false;
    } else if (name == "no_cjk") {
        o.tokenize_chinese_chars = false;
    } else if (name != "uncased") {
        throw Error("unknown reference config " + name);
    }
    return cache.emplace(name, Tokenizer::from_vocab(shared_vocab, o)).first->second;
}

inline EncodeOptions options_from_json(const json::Value& j) {
    EncodeOptions o;
    if (const auto* v = j.find("max_length"); v && !v->is_null()) o.max_length = static_cast<std::size_t>(v->as_int());
    if (const auto* v = j.find("truncation"); v && v->is_string()) {
        const std::string& t = v->as_string();
        o.truncation = t == "only_first"    ? Truncation::only_first
                       : t == "only_second" ? Truncation::only_second
                                            : Truncation::longest_first;
    }
    if (const auto* v = j.find("padding"); v && v->is_string())
        o.padding = v->as_string() == "max_length" ? Padding::max_length : Padding::longest;
    if (const auto* v = j.find("stride")) o.stride = static_cast<std::size_t>(v->as_int());
    if (const auto* v = j.find("overflow")) o.return_overflowing = v->as_bool();
    if (const auto* v = j.find("add_special_tokens")) o.add_special_tokens = v->as_bool();
    return o;
}

inline std::vector<std::string> strings(const json::Value& a) {
    std::vector<std::string> out;
    for (const auto& v : a.as_array()) out.push_back(v.as_string());
    return out;
}

// Encode one conformance input: {"text"}, {"text","text_pair"}, {"words"} or {"batch"}.
inline std::vector<Encoding> run(const Tokenizer& t, const json::Value& input, const EncodeOptions& o) {
    if (const auto* b = input.find("batch")) return t.encode_batch(strings(*b), o);
    if (const auto* w = input.find("words")) return t.encode_words_batch({strings(*w)}, o);
    if (const auto* p = input.find("text_pair"))
        return t.encode_pair_batch({{input.at("text").as_string(), p->as_string()}}, o);
    return t.encode_batch({input.at("text").as_string()}, o);
}

inline std::vector<std::int64_t> ints(const json::Value& a) {
    std::vector<std::int64_t> out;
    for (const auto& v : a.as_array()) out.push_back(v.is_null() ? -1 : v.as_int());
    return out;
}

// Empty string when equal, else a description of the first difference.
inline std::string compare(const Encoding& e, const json::Value& x) {
    std::ostringstream os;
    const auto field = [&](const char* name, const std::vector<std::int64_t>& got, const json::Value& want) {
        const std::vector<std::int64_t> w = ints(want);
        if (got == w) return;
        std::size_t i = 0;
        while (i < got.size() && i < w.size() && got[i] == w[i]) ++i;
        os << name << " differs at " << i << " (lengths " << got.size() << " vs " << w.size() << "); ";
    };
    field("input_ids", e.input_ids, x.at("input_ids"));
    field("token_type_ids", e.token_type_ids, x.at("token_type_ids"));
    field("attention_mask", e.attention_mask, x.at("attention_mask"));
    field("special_tokens_mask", e.special_tokens_mask, x.at("special_tokens_mask"));
    field("word_ids", e.word_ids, x.at("word_ids"));
    field("sequence_ids", e.sequence_ids, x.at("sequence_ids"));
    std::vector<std::int64_t> offs;
    for (const auto& [s, f] : e.offsets) {
        offs.push_back(static_cast<std::int64_t>(s));
        offs.push_back(static_cast<std::int64_t>(f));
    }
    std::vector<json::Value> flat;
    for (const auto& p : x.at("offsets").as_array())
        for (const auto& v : p.as_array()) flat.push_back(v);
    field("offsets", offs, json::Value(json::Array(flat)));
    if (static_cast<std::int64_t>(e.overflow_to_sample) != x.at("overflow_to_sample").as_int())
        os << "overflow_to_sample " << e.overflow_to_sample << " vs " << x.at("overflow_to_sample").as_int();
    return os.str();
}

}  // namespace tok_test
