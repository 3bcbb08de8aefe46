// tinybert/tokenizer/byte_level.hpp: GPT-2's byte-level alphabet and pre-tokenisation regex.
// Mirrors tokenizers/src/pre_tokenizers/byte_level.rs: bytes_char() (every byte maps to one printable code point),
// and the split regex 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ evaluated by hand
// (leftmost alternative first, as Oniguruma does) over Unicode categories from utf8proc.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tinybert/tokenizer/unicode.hpp"

namespace tinybert::detail {

// bytes_char(): printable bytes '!'..'~', 0xA1..0xAC, 0xAE..0xFF map to themselves, the other 68 bytes to
// U+0100, U+0101, ... in byte order.
inline const std::array<char32_t, 256>& byte_to_char() {
    static const std::array<char32_t, 256> table = [] {
        std::array<char32_t, 256> t{};
        char32_t next = 256;
        for (std::uint32_t b = 0; b < 256; ++b) {
            const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            t[b] = printable ? static_cast<char32_t>(b) : next++;
        }
        return t;
    }();
    return table;
}

// Inverse of byte_to_char(); -1 for code points that are not in the alphabet.
inline int char_to_byte(char32_t c) {
    static const std::array<std::int16_t, 324> table = [] {
        std::array<std::int16_t, 324> t{};
        t.fill(-1);
        for (std::uint32_t b = 0; b < 256; ++b) t[byte_to_char()[b]] = static_cast<std::int16_t>(b);
        return t;
    }();
    return c < table.size() ? table[c] : -1;
}

inline bool is_letter(char32_t c) {
    if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    switch (category(c)) {
        case UTF8PROC_CATEGORY_LU:
        case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO: return true;
        default: return false;
    }
}

inline bool is_number(char32_t c) {
    if (c < 0x80) return c >= '0' && c <= '9';
    switch (category(c)) {
        case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL:
        case UTF8PROC_CATEGORY_NO: return true;
        default: return false;
    }
}

// The GPT-2 regex over code points: appends [begin, end) of every match to out (the matches tile the input).
inline void gpt2_split(const std::vector<char32_t>& s, std::vector<std::pair<std::size_t, std::size_t>>& out) {
    const std::size_t n = s.size();
    enum Class : std::uint8_t { letter, number, space, other };
    thread_local std::vector<Class> cls;
    cls.resize(n);
    for (std::size_t i = 0; i < n; ++i)
        cls[i] = is_whitespace(s[i]) ? space : is_letter(s[i]) ? letter : is_number(s[i]) ? number : other;
    const auto run = [&](std::size_t i, Class c) {
        while (i < n && cls[i] == c) ++i;
        return i;
    };
    std::size_t i = 0;
    while (i < n) {
        std::size_t end = 0;
        if (s[i] == '\'' && i + 1 < n) {  // 's|'t|'re|'ve|'m|'ll|'d
            const char32_t a = s[i + 1], b = i + 2 < n ? s[i + 2] : 0;
            if (a == 's' || a == 't' || a == 'm' || a == 'd')
                end = i + 2;
            else if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
                end = i + 3;
        }
        if (end == 0) {
            const std::size_t j = s[i] == ' ' && i + 1 < n && cls[i + 1] != space ? i + 1 : i;  // " ?"
            if (cls[j] != space) {
                end = run(j, cls[j]);  // ?\p{L}+ | ?\p{N}+ | ?[^\s\p{L}\p{N}]+
            } else {
                const std::size_t k = run(i, space);  // \s+(?!\S) backtracks one char before a non-space
                end = (k == n || k - i == 1) ? k : k - 1;
            }
        }
        out.push_back({i, end});
        i = end;
    }
}

}  // namespace tinybert::detail
