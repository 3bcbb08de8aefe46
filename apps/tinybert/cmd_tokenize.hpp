// `tinybert tokenize`: JSONL in ({"text"}, {"text","text_pair"} or {"words"} per line) -> one JSONL line per encoding
// (per window with --overflow) with input_ids, token_type_ids, attention_mask, offsets (code points, as Hugging Face's
// offset_mapping), word_ids and overflow_to_sample; other input fields are copied. Records are split on '\n' only.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "args.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/io/limits.hpp"
#include "tinybert/tokenizer/tokenizer.hpp"

namespace tinybert::cli {

namespace detail {

inline const char* tokenize_usage =
    "tinybert tokenize (--vocab FILE | --model DIR) [--max-length N]\n"
    "                         [--truncation longest_first|only_first|only_second] [--stride K]\n"
    "                         [--padding longest|max_length] [--overflow] < in.jsonl > out.jsonl\n"
    "Each input line is {\"text\": ...}, {\"text\": ..., \"text_pair\": ...} or {\"words\": [...]}.\n"
    "--max-length alone truncates longest_first; without it nothing is truncated or padded.\n";

// Replaces ill-formed UTF-8 by U+FFFD (EF BF BD); returns how many sequences were replaced.
inline std::size_t sanitize_utf8(std::string& s) {
    std::size_t bad = 0, i = 0;
    while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
    if (i == s.size()) return 0;
    std::string out = s.substr(0, i);
    while (i < s.size()) {
        const tinybert::detail::Utf8Char d = tinybert::detail::decode_utf8(s, i);
        if (d.valid) {
            out.append(s, i, d.len);
        } else {
            out += "\xEF\xBF\xBD";
            ++bad;
        }
        i += d.len;
    }
    s.swap(out);
    return bad;
}

struct Record {
    std::size_t line = 0;
    json::Value value;
    std::vector<Encoding> encodings;
    std::string error;
};

inline void append_ints(std::string& out, const std::vector<std::int64_t>& v, bool minus_one_is_null) {
    out += '[';
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out += ',';
        if (minus_one_is_null && v[i] < 0)
            out += "null";
        else
            out += std::to_string(v[i]);
    }
    out += ']';
}

inline void write_encoding(std::string& out, const json::Value& in, const Encoding& e) {
    out += '{';
    for (const auto& [key, value] : in.as_object()) {
        if (key == "text" || key == "text_pair" || key == "words") continue;
        json::write_string(out, key);
        out += ':';
        out += value.dump();
        out += ',';
    }
    out += "\"input_ids\":";
    append_ints(out, e.input_ids, false);
    out += ",\"token_type_ids\":";
    append_ints(out, e.token_type_ids, false);
    out += ",\"attention_mask\":";
    append_ints(out, e.attention_mask, false);
    out += ",\"offsets\":[";
    for (std::size_t i = 0; i < e.offsets.size(); ++i) {
        if (i) out += ',';
        out += '[' + std::to_string(e.offsets[i].first) + ',' + std::to_string(e.offsets[i].second) + ']';
    }
    out += "],\"word_ids\":";
    append_ints(out, e.word_ids, true);
    out += ",\"overflow_to_sample\":" + std::to_string(e.overflow_to_sample) + "}\n";
}

inline std::vector<Encoding> encode_record(const Tokenizer& t, const json::Value& v, const EncodeOptions& o) {
    TINYBERT_CHECK(v.is_object(), "expected a JSON object, got ", v.kind_name());
    if (const json::Value* words = v.find("words")) {
        TINYBERT_CHECK(words->is_array(), "\"words\" must be an array of strings");
        std::vector<std::string> w;
        for (const json::Value& x : words->as_array()) {
            TINYBERT_CHECK(x.is_string(), "\"words\" must be an array of strings");
            w.push_back(x.as_string());
        }
        return t.encode_words(w, o);
    }
    const json::Value* text = v.find("text");
    TINYBERT_CHECK(text && text->is_string(), "expected a string field \"text\" (or \"words\")");
    if (const json::Value* pair = v.find("text_pair")) {
        TINYBERT_CHECK(pair->is_string(), "\"text_pair\" must be a string");
        return t.encode_pair(text->as_string(), pair->as_string(), o);
    }
    return t.encode(text->as_string(), o);
}

}  // namespace detail

inline int run_tokenize(int argc, char** argv) {
    Args args(argc, argv, detail::tokenize_usage);
    if (args.flag("--help")) {
        std::cout << "usage: " << detail::tokenize_usage;
        return 0;
    }
    const std::string vocab = args.value("--vocab", ""), model = args.value("--model", "");
    EncodeOptions o;
    if (!args.value("--max-length", "").empty()) {
        o.max_length = args.count("--max-length", 0);
        TINYBERT_CHECK(o.max_length > 0, "--max-length must be positive");
    }
    o.stride = args.count("--stride", 0);
    // --max-length alone truncates longest_first, as Hugging Face's truncation=True does
    const std::string truncation = args.value("--truncation", o.max_length > 0 ? "longest_first" : "");
    if (truncation == "longest_first") o.truncation = Truncation::longest_first;
    else if (truncation == "only_first") o.truncation = Truncation::only_first;
    else if (truncation == "only_second") o.truncation = Truncation::only_second;
    else TINYBERT_CHECK(truncation.empty(), "--truncation: unknown strategy \"", truncation, "\"\nusage: ",
                        detail::tokenize_usage);
    const std::string padding = args.value("--padding", "");
    if (padding == "longest") o.padding = Padding::longest;
    else if (padding == "max_length") o.padding = Padding::max_length;
    else TINYBERT_CHECK(padding.empty(), "--padding: unknown mode \"", padding, "\"\nusage: ", detail::tokenize_usage);
    o.return_overflowing = args.flag("--overflow");
    args.finish();
    TINYBERT_CHECK(vocab.empty() != model.empty(), "give exactly one of --vocab FILE or --model DIR\nusage: ",
                   detail::tokenize_usage);
    TINYBERT_CHECK(o.max_length > 0 || (truncation.empty() && o.padding != Padding::max_length && !o.return_overflowing),
                   "--truncation, --padding max_length and --overflow need --max-length");
    const Tokenizer tok = vocab.empty() ? Tokenizer::from_pretrained(model) : Tokenizer::from_vocab(vocab);

    std::ios::sync_with_stdio(false);
    const std::string input{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    std::vector<detail::Record> records;
    std::size_t replaced = 0, line = 1;
    for (std::size_t pos = 0; pos < input.size(); ++line) {
        std::size_t end = input.find('\n', pos);
        if (end == std::string::npos) end = input.size();
        tinybert::detail::check_line_length(end - pos, "stdin", line, pos);
        std::string text = input.substr(pos, end - pos);
        pos = end + 1;
        if (text.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank line
        replaced += detail::sanitize_utf8(text);
        records.push_back({line, json::parse(text, "stdin line " + std::to_string(line)), {}, {}});
    }
    const auto n = static_cast<std::ptrdiff_t>(records.size());
    EncodeOptions inner = o;
    if (o.padding == Padding::longest) inner.padding = Padding::none;
#pragma omp parallel for schedule(dynamic, 16)
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        detail::Record& r = records[static_cast<std::size_t>(i)];
        try {
            r.encodings = detail::encode_record(tok, r.value, inner);
        } catch (const std::exception& e) {
            r.error = e.what();
        }
    }
    std::size_t longest = 0;
    for (std::size_t k = 0; k < records.size(); ++k) {
        TINYBERT_CHECK(records[k].error.empty(), "stdin line ", records[k].line, ": ", records[k].error);
        for (Encoding& e : records[k].encodings) {
            e.overflow_to_sample = k;
            longest = std::max(longest, e.size());
        }
    }
    std::string out;
    for (detail::Record& r : records) {
        for (Encoding& e : r.encodings) {
            if (o.padding == Padding::longest) tinybert::detail::pad(e, longest, tok.pad_id());
            detail::write_encoding(out, r.value, e);
        }
        if (out.size() > (1u << 20)) {
            std::cout << out;
            out.clear();
        }
    }
    std::cout << out << std::flush;
    if (replaced > 0)
        std::cerr << "tinybert tokenize: replaced " << replaced << " ill-formed UTF-8 sequence(s) with U+FFFD\n";
    return std::cout.good() ? 0 : 1;
}

}  // namespace tinybert::cli
