// tinybert/data/conll.hpp: NER readers giving TokenExample{words, tags}. Token-per-line files (`token<TAB>tag`,
// or space-separated columns with the tag last, as CoNLL-2003), blank lines between sentences, `-DOCSTART-` lines
// skipped, CRLF and a missing final newline tolerated; a `lang:` prefix present on every token (raw PAN-X,
// `en:Paris`) is stripped. Also HF-style JSONL {"tokens": [...], "ner_tags": [...]} with tag names or ids.
#pragma once

#include <algorithm>
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/data/dataset.hpp"
#include "tinybert/data/example.hpp"
#include "tinybert/data/jsonl.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/io/limits.hpp"

namespace tinybert {

// WikiANN / PAN-X tag list in the HF `wikiann` ClassLabel order (ids 0-6).
inline std::vector<std::string> wikiann_label_names() {
    return {"O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"};
}

namespace detail {

// The "xx:" / "xxx:" language prefix of a raw PAN-X token, or "" when it has none.
inline std::string_view conll_lang_prefix(std::string_view token) {
    std::size_t n = 0;
    while (n < token.size() && n < 3 && token[n] >= 'a' && token[n] <= 'z') ++n;
    if (n >= 2 && n < token.size() && token[n] == ':' && n + 1 < token.size()) return token.substr(0, n + 1);
    return {};
}

// Derive the label list as the sorted set of tags when none was given.
inline void conll_derive_labels(const std::vector<TokenExample>& sentences, std::vector<std::string>& label_names) {
    if (!label_names.empty()) return;
    std::set<std::string> all;
    for (const TokenExample& s : sentences) all.insert(s.tags.begin(), s.tags.end());
    label_names.assign(all.begin(), all.end());
}

// `where` parts are only formatted on failure.
template <class... Where>
void conll_check_tag(const std::set<std::string>& known, const std::string& tag, const Where&... where) {
    TINYBERT_CHECK(known.empty() || known.count(tag), where..., ": tag \"", tag, "\" is not in the label list");
}

}  // namespace detail

// Read a token-per-line NER file. `label_names` empty: the sorted set of tags found. Errors name file:line.
inline VectorDataset<TokenExample> read_conll(const std::string& path, std::vector<std::string> label_names = {}) {
    const std::string text = json::read_file(path);
    const std::size_t bad = detail::first_invalid_utf8(text);
    TINYBERT_CHECK(bad == std::string::npos, path, ": invalid UTF-8 at byte ", bad);

    struct Row {
        std::string_view token, tag;
        std::size_t line;
    };
    std::vector<std::vector<Row>> sentences(1);
    std::size_t begin = 0, line = 1;
    while (begin < text.size()) {
        std::size_t end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        detail::check_line_length(end - begin, path, line, begin);
        std::string_view row(text.data() + begin, end - begin);
        while (!row.empty() && (row.back() == '\r' || row.back() == ' ' || row.back() == '\t')) row.remove_suffix(1);
        const bool blank = row.find_first_not_of(" \t") == std::string_view::npos;
        if (blank) {
            if (!sentences.back().empty()) sentences.emplace_back();
        } else {
            const char sep = row.find('\t') != std::string_view::npos ? '\t' : ' ';
            const std::size_t first = row.find(sep), last = row.find_last_of(sep);
            TINYBERT_CHECK(first != std::string_view::npos && last + 1 < row.size() && first > 0, path, ":", line,
                           ": expected \"token<TAB>tag\" (or space-separated columns with the tag last)");
            const Row r{row.substr(0, first), row.substr(last + 1), line};
            if (r.token != "-DOCSTART-") sentences.back().push_back(r);
        }
        begin = end + 1;
        ++line;
    }
    if (sentences.back().empty()) sentences.pop_back();
    TINYBERT_CHECK(!sentences.empty(), path, ": no sentences");

    // Strip a language prefix only when every token carries the same one.
    std::string_view prefix = detail::conll_lang_prefix(sentences[0][0].token);
    for (const auto& s : sentences)
        for (const Row& r : s)
            if (!prefix.empty() && !(r.token.starts_with(prefix) && r.token.size() > prefix.size())) prefix = {};

    const std::set<std::string> known(label_names.begin(), label_names.end());
    std::vector<TokenExample> out;
    for (const auto& s : sentences) {
        TokenExample ex;
        for (const Row& r : s) {
            ex.words.emplace_back(r.token.substr(prefix.size()));
            ex.tags.emplace_back(r.tag);
            detail::conll_check_tag(known, ex.tags.back(), path, ":", r.line);
        }
        out.push_back(std::move(ex));
    }
    detail::conll_derive_labels(out, label_names);
    return VectorDataset<TokenExample>(std::move(out), std::move(label_names));
}

// Read HF-style NER JSONL: {"tokens": [str], "ner_tags": [str | int]}. Integer tags index `label_names` (required
// then); string tags must be in it when given. Errors name file:line.
inline VectorDataset<TokenExample> read_token_jsonl(const std::string& path,
                                                    std::vector<std::string> label_names = {}) {
    const std::set<std::string> known(label_names.begin(), label_names.end());
    std::vector<TokenExample> out;
    for_each_jsonl_record(path, [&](const json::Value& rec, const std::string& at) {
        const json::Value* tokens = rec.find("tokens");
        const json::Value* tags = rec.find("ner_tags");
        TINYBERT_CHECK(tokens && tokens->is_array() && tags && tags->is_array(), at,
                       ": expected arrays \"tokens\" and \"ner_tags\"");
        TINYBERT_CHECK(tokens->as_array().size() == tags->as_array().size(), at, ": ", tokens->as_array().size(),
                       " tokens but ", tags->as_array().size(), " ner_tags");
        TokenExample ex;
        for (const json::Value& t : tokens->as_array()) {
            TINYBERT_CHECK(t.is_string(), at, ": tokens must be strings");
            ex.words.push_back(t.as_string());
        }
        for (const json::Value& t : tags->as_array()) {
            if (t.is_string()) {
                detail::conll_check_tag(known, t.as_string(), at);
                ex.tags.push_back(t.as_string());
                continue;
            }
            TINYBERT_CHECK(t.is_int(), at, ": ner_tags must be strings or integers");
            TINYBERT_CHECK(!label_names.empty(), at, ": integer ner_tags need a label list");
            const std::int64_t id = t.as_int();
            TINYBERT_CHECK(id >= 0 && static_cast<std::size_t>(id) < label_names.size(), at, ": tag id ", id,
                           " is outside the label list (", label_names.size(), " labels)");
            ex.tags.push_back(label_names[static_cast<std::size_t>(id)]);
        }
        out.push_back(std::move(ex));
    });
    TINYBERT_CHECK(!out.empty(), path, ": no records");
    detail::conll_derive_labels(out, label_names);
    return VectorDataset<TokenExample>(std::move(out), std::move(label_names));
}

}  // namespace tinybert
