// tinybert/tokenizer/unicode.hpp: UTF-8 decoding and the per-character Unicode facts BERT's normalizer needs.
// Categories, canonical decomposition (NFD) and lowercase come from utf8proc; unicode_compat.hpp (generated)
// corrects the code points where Hugging Face tokenizers' own, older Unicode tables disagree (mirrors
// tokenizers/src/normalizers/bert.rs and pre_tokenizers/bert.rs).
#pragma once

#include <utf8proc.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tinybert/tokenizer/unicode_compat.hpp"

namespace tinybert::detail {

inline constexpr char32_t replacement_char = 0xFFFD;

// One decoded code point: `len` bytes were consumed; `valid` is false when they were an ill-formed sequence
// (a maximal subpart, replaced by U+FFFD as Python's bytes.decode(errors="replace") does).
struct Utf8Char {
    char32_t cp;
    std::uint32_t len;
    bool valid;
};

// requires: i < s.size().
inline Utf8Char decode_utf8(std::string_view s, std::size_t i) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c0 = at(i);
    if (c0 < 0x80) return {c0, 1, true};
    std::uint32_t need = 0;
    char32_t cp = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c0 >= 0xC2 && c0 <= 0xDF) {
        need = 1;
        cp = c0 & 0x1Fu;
    } else if (c0 >= 0xE0 && c0 <= 0xEF) {
        need = 2;
        cp = c0 & 0x0Fu;
        if (c0 == 0xE0) lo = 0xA0;
        if (c0 == 0xED) hi = 0x9F;  // no surrogates
    } else if (c0 >= 0xF0 && c0 <= 0xF4) {
        need = 3;
        cp = c0 & 0x07u;
        if (c0 == 0xF0) lo = 0x90;
        if (c0 == 0xF4) hi = 0x8F;
    } else {
        return {replacement_char, 1, false};
    }
    std::uint32_t len = 1;
    for (std::uint32_t k = 0; k < need; ++k) {
        if (i + len >= s.size()) return {replacement_char, len, false};
        const unsigned char c = at(i + len);
        const unsigned char l = k == 0 ? lo : 0x80, h = k == 0 ? hi : 0xBF;
        if (c < l || c > h) return {replacement_char, len, false};
        cp = (cp << 6) | (c & 0x3Fu);
        ++len;
    }
    return {cp, len, true};
}

inline void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Number of code points in valid or invalid UTF-8 (each ill-formed subpart counts as one U+FFFD).
inline std::size_t count_code_points(std::string_view s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); i += decode_utf8(s, i).len) ++n;
    return n;
}

template <class R, std::size_t N>
bool in_ranges(const R (&table)[N], char32_t cp) {
    const R* it = std::upper_bound(table, table + N, cp, [](char32_t c, const R& r) { return c < r.first; });
    return it != table && cp <= (it - 1)->last;
}

inline utf8proc_category_t category(char32_t cp) { return utf8proc_category(static_cast<utf8proc_int32_t>(cp)); }

// Deleted by clean_text: NUL, U+FFFD and the "Other" categories Cc Cf Co Cs except \t \n \r. Unassigned (Cn)
// code points are kept, as tokenizers does.
inline bool is_removed_control(char32_t cp) {
    if (cp == 0 || cp == replacement_char) return true;
    if (cp == '\t' || cp == '\n' || cp == '\r') return false;
    switch (category(cp)) {
        case UTF8PROC_CATEGORY_CC:
        case UTF8PROC_CATEGORY_CO:
        case UTF8PROC_CATEGORY_CS: return true;
        case UTF8PROC_CATEGORY_CF: return !in_ranges(unicode_compat::kept_format, cp);
        default: return false;
    }
}

// Rust char::is_whitespace (the White_Space property) plus \t \n \r.
inline bool is_whitespace(char32_t cp) {
    if (cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x85) return true;
    if (cp < 0x80) return false;
    const auto c = category(cp);
    return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

inline bool is_ascii_punctuation(char32_t cp) {
    return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
}

// BertPreTokenizer's punctuation: ASCII punctuation or any P* category (Pc Pd Ps Pe Pi Pf Po).
inline bool is_punctuation(char32_t cp) {
    if (cp < 0x80) return is_ascii_punctuation(cp);
    switch (category(cp)) {
        case UTF8PROC_CATEGORY_PC:
        case UTF8PROC_CATEGORY_PD:
        case UTF8PROC_CATEGORY_PS:
        case UTF8PROC_CATEGORY_PE:
        case UTF8PROC_CATEGORY_PI:
        case UTF8PROC_CATEGORY_PF:
        case UTF8PROC_CATEGORY_PO: return !in_ranges(unicode_compat::not_punct, cp);
        default: return in_ranges(unicode_compat::extra_punct, cp);
    }
}

// The CJK Unified Ideograph blocks that BertNormalizer surrounds with spaces.
inline bool is_cjk(char32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
           (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// Nonspacing mark (Mn), the category strip_accents deletes.
inline bool is_nonspacing_mark(char32_t cp) {
    if (cp < 0x300) return false;
    if (category(cp) == UTF8PROC_CATEGORY_MN) return !in_ranges(unicode_compat::not_mn, cp);
    return in_ranges(unicode_compat::extra_mn, cp);
}

// Full canonical decomposition of one code point (NFD without reordering); returns the count written to out.
inline std::size_t decompose(char32_t cp, char32_t* out, std::size_t cap) {
    if (cp < 0xC0 || in_ranges(unicode_compat::no_decomposition, cp)) {
        out[0] = cp;
        return 1;
    }
    utf8proc_int32_t buf[16];
    int last_boundclass = 0;
    const utf8proc_ssize_t n =
        utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), buf, 16, UTF8PROC_DECOMPOSE, &last_boundclass);
    if (n <= 0 || static_cast<std::size_t>(n) > cap) {
        out[0] = cp;
        return 1;
    }
    for (utf8proc_ssize_t k = 0; k < n; ++k) out[k] = static_cast<char32_t>(buf[k]);
    return static_cast<std::size_t>(n);
}

// Rust char::to_lowercase (full, unconditional mapping: U+0130 is the only one that yields two code points).
inline std::size_t lowercase(char32_t cp, char32_t* out) {
    if (cp < 0x80) {
        out[0] = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
        return 1;
    }
    if (cp == 0x130) {
        out[0] = 'i';
        out[1] = 0x307;
        return 2;
    }
    const auto* it = std::upper_bound(std::begin(unicode_compat::extra_lower), std::end(unicode_compat::extra_lower),
                                      cp, [](char32_t c, const unicode_compat::DeltaRange& r) { return c < r.first; });
    if (it != std::begin(unicode_compat::extra_lower) && cp <= (it - 1)->last) {
        out[0] = static_cast<char32_t>(static_cast<std::int64_t>(cp) + (it - 1)->delta);
        return 1;
    }
    out[0] = static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
    return 1;
}

}  // namespace tinybert::detail
