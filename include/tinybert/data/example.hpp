// tinybert/data/example.hpp: the typed examples the dataset readers produce and the collators consume:
// text classification (IMDb, GLUE-style pairs), token classification (NER) and extractive QA (SQuAD).
// Strings are UTF-8; QA answer offsets are code-point indices into the context, as SQuAD (a Python str) gives them.
#pragma once

#include <utf8proc.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/core/problem_type.hpp"

namespace tinybert {

// One sequence (or pair) classification example. Which target counts is the dataset's problem type
// (core/problem_type.hpp): single-label `label`, a class id in [0, num_labels); multi-label `label_ids`, the ids of
// every class that applies (any number, none included); regression `value`.
struct TextExample {
    std::string text;
    std::optional<std::string> text_pair;
    std::int64_t label = 0;
    std::vector<std::int64_t> label_ids{};
    double value = 0;
};

// One NER sentence: words and their tag strings (same length); a label list maps tags to ids.
struct TokenExample {
    std::vector<std::string> words;
    std::vector<std::string> tags;
};

// One SQuAD question. answer_texts[i] starts at code point answer_starts[i] of context. No answers = unanswerable.
struct QaExample {
    std::string id;
    std::string question;
    std::string context;
    std::vector<std::string> answer_texts;
    std::vector<std::size_t> answer_starts;
    std::string title;
};

namespace detail {

// Byte offset of every code point of a UTF-8 string, plus one final entry = s.size(); so result[i] is where code
// point i starts and result.size() - 1 is the length in code points. Invalid UTF-8 is an Error.
inline std::vector<std::size_t> code_point_byte_offsets(std::string_view s) {
    std::vector<std::size_t> out;
    out.reserve(s.size() + 1);
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    for (std::size_t i = 0; i < s.size();) {
        utf8proc_int32_t cp = 0;
        const utf8proc_ssize_t n = utf8proc_iterate(p + i, static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
        TINYBERT_CHECK(n > 0, "invalid UTF-8 at byte ", i);
        out.push_back(i);
        i += static_cast<std::size_t>(n);
    }
    out.push_back(s.size());
    return out;
}

// Byte index of the first invalid UTF-8 sequence in s, or npos when s is valid UTF-8.
inline std::size_t first_invalid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    for (std::size_t i = 0; i < s.size();) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        utf8proc_int32_t cp = 0;
        const utf8proc_ssize_t n = utf8proc_iterate(p + i, static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
        if (n <= 0) return i;
        i += static_cast<std::size_t>(n);
    }
    return std::string_view::npos;
}

}  // namespace detail

}  // namespace tinybert
