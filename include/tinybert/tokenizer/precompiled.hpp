// tinybert/tokenizer/precompiled.hpp: the Precompiled normalizer of SentencePiece-converted tokenizer.json files
// (XLM-R, CamemBERT, ALBERT, T5, multilingual-e5...). Mirrors tokenizers' normalizers/precompiled.rs over the
// spm_precompiled crate: the charsmap is SentencePiece's darts-clone double-array trie (u32 little-endian units)
// followed by a blob of NUL-terminated normalised strings; text is rewritten grapheme by grapheme, and every
// output char is aligned to a source char by the same rules as NormalizedString::transform.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/tokenizer/unicode.hpp"

namespace tinybert::detail {

// Standard base64 with padding (what the Rust base64 crate's STANDARD engine accepts).
inline std::string base64_decode(std::string_view in, const std::string& what) {
    const auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    TINYBERT_CHECK(in.size() % 4 == 0, what, ": invalid base64 (length ", in.size(), " is not a multiple of 4)");
    std::string out;
    out.reserve(in.size() / 4 * 3);
    for (std::size_t i = 0; i < in.size(); i += 4) {
        const bool last = i + 4 == in.size();
        const std::size_t pad = last ? static_cast<std::size_t>(in[i + 3] == '=') + (in[i + 2] == '=' && in[i + 3] == '=') : 0;
        std::uint32_t v = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            const int d = k >= 4 - pad ? 0 : value(in[i + k]);
            TINYBERT_CHECK(d >= 0, what, ": invalid base64 character at offset ", i + k);
            v = (v << 6) | static_cast<std::uint32_t>(d);
        }
        TINYBERT_CHECK(pad == 0 || (v & ((1u << (8 * pad)) - 1)) == 0, what, ": invalid base64 (non-zero trailing bits)");
        out += static_cast<char>(v >> 16);
        if (pad < 2) out += static_cast<char>((v >> 8) & 0xFF);
        if (pad < 1) out += static_cast<char>(v & 0xFF);
    }
    return out;
}

// A SentencePiece precompiled_charsmap: [u32 trie byte size][trie units][normalised strings, NUL-separated].
class PrecompiledCharsmap {
public:
    PrecompiledCharsmap() = default;

    // Parses and checks the charsmap: a truncated blob, invalid UTF-8 in the strings, or a trie that a lookup of up
    // to max_key bytes would read outside of (or that points outside the strings) is a tinybert::Error naming `what`.
    PrecompiledCharsmap(std::string_view blob, const std::string& what) : what_(what) {
        TINYBERT_CHECK(blob.size() >= 4, what, ": precompiled_charsmap is truncated (", blob.size(), " bytes)");
        const std::uint32_t trie_bytes = read_u32(blob, 0);
        const std::size_t units = trie_bytes / 4;  // spm_precompiled reads trie_size / 4 units; the rest is text
        TINYBERT_CHECK(units <= (blob.size() - 4) / 4, what, ": precompiled_charsmap is truncated (the trie needs ",
                       units * 4, " bytes, ", blob.size() - 4, " are left)");
        TINYBERT_CHECK(units > 0, what, ": precompiled_charsmap has an empty trie");
        array_.resize(units);
        for (std::size_t i = 0; i < units; ++i) array_[i] = read_u32(blob, 4 + 4 * i);
        normalized_ = std::string(blob.substr(4 + 4 * units));
        for (std::size_t p = 0; p < normalized_.size();) {
            const Utf8Char d = decode_utf8(normalized_, p);
            TINYBERT_CHECK(d.valid, what, ": precompiled_charsmap: the normalised strings are not valid UTF-8 (byte ", p, ")");
            p += d.len;
        }
        validate();
    }

    bool empty() const { return array_.empty(); }

    // spm_precompiled's transform: the value of the shortest key prefix in the trie (the search stops at a NUL
    // byte), i.e. the normalised string it points to up to the next NUL. false: no prefix is in the trie.
    bool transform(std::string_view key, std::string_view& out) const {
        std::size_t node = offset(unit(0));
        for (const char ch : key) {
            const auto c = static_cast<unsigned char>(ch);
            if (c == 0) break;
            node ^= c;
            const std::uint32_t u = unit(node);
            if (label(u) != c) return false;
            node ^= offset(u);
            if (has_leaf(u)) {
                const std::size_t b = value(unit(node));
                TINYBERT_CHECK(b <= normalized_.size(), what_, ": precompiled_charsmap: a value points outside the strings");
                std::size_t e = b;
                while (e < normalized_.size() && normalized_[e] != 0) ++e;
                out = std::string_view(normalized_).substr(b, e - b);
                return true;
            }
        }
        return false;
    }

    // The longest key transform() is asked about: a grapheme of under 6 bytes.
    static constexpr std::size_t max_key = 5;

private:
    static std::uint32_t read_u32(std::string_view b, std::size_t at) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) |
               static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8 |
               static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16 |
               static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24;
    }
    static bool has_leaf(std::uint32_t u) { return (u >> 8) & 1; }
    static std::size_t value(std::uint32_t u) { return u & ((1u << 31) - 1); }
    static std::uint32_t label(std::uint32_t u) { return u & ((1u << 31) | 0xFF); }
    static std::size_t offset(std::uint32_t u) { return static_cast<std::size_t>(u >> 10) << ((u & (1u << 9)) >> 6); }

    std::uint32_t unit(std::size_t i) const {
        TINYBERT_CHECK(i < array_.size(), what_, ": precompiled_charsmap: the trie reads unit ", i, " of ",
                       array_.size());
        return array_[i];
    }

    // Walks every trie path of up to max_key bytes (breadth first, each node once) with the reads transform()
    // makes, so that a corrupt trie fails here and not in the middle of an encode.
    void validate() const {
        std::vector<std::uint8_t> seen(array_.size(), 0);
        std::vector<std::size_t> level{offset(unit(0))}, next;
        for (std::size_t depth = 0; depth < max_key && !level.empty(); ++depth) {
            next.clear();
            for (const std::size_t node : level)
                for (std::size_t c = 1; c < 256; ++c) {
                    const std::size_t child = node ^ c;
                    const std::uint32_t u = unit(child);
                    if (label(u) != c) continue;
                    const std::size_t n2 = child ^ offset(u);
                    if (has_leaf(u)) {
                        const std::size_t b = value(unit(n2));
                        TINYBERT_CHECK(b <= normalized_.size() &&
                                           (b == normalized_.size() ||
                                            (static_cast<unsigned char>(normalized_[b]) & 0xC0) != 0x80),
                                       what_, ": precompiled_charsmap: a trie value (", b,
                                       ") does not point at a string of the ", normalized_.size(), "-byte blob");
                    }
                    if (n2 < seen.size() && !seen[n2]) {
                        seen[n2] = 1;
                        next.push_back(n2);
                    }
                }
            std::swap(level, next);
        }
    }

    std::vector<std::uint32_t> array_;
    std::string normalized_;
    std::string what_;
};

// One entry of tokenizers' transformation list: an output char and its change (0 replaces the next source char,
// 1 is inserted, -n replaces the next char and removes the n after it).
struct CharChange {
    char32_t c;
    std::ptrdiff_t change;
};

// precompiled.rs's replace(): `old_chars` source chars become `norm`.
inline void push_replacement(std::vector<CharChange>& tr, std::size_t old_chars, std::string_view norm) {
    const std::size_t first = tr.size();
    for (std::size_t p = 0; p < norm.size();) {
        const Utf8Char d = decode_utf8(norm, p);
        tr.push_back({d.cp, 0});
        p += d.len;
    }
    const auto diff = static_cast<std::ptrdiff_t>(tr.size() - first) - static_cast<std::ptrdiff_t>(old_chars);
    if (diff > 0) {
        for (std::size_t k = 0; k < static_cast<std::size_t>(diff); ++k) tr[tr.size() - 1 - k].change = 1;
    } else if (diff < 0 && !tr.empty()) {
        tr.back().change += diff;  // may be an earlier grapheme's char; a removal at the very start is lost
    }
}

// The graphemes (extended clusters, UAX #29; utf8proc's state runs through the whole string) of `cps`, as
// [begin, end) indices.
inline void graphemes(const std::vector<char32_t>& cps, std::vector<std::pair<std::size_t, std::size_t>>& out) {
    out.clear();
    utf8proc_int32_t state = 0;
    std::size_t b = 0;
    for (std::size_t i = 1; i <= cps.size(); ++i) {
        if (i < cps.size() && !utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(cps[i - 1]),
                                                                 static_cast<utf8proc_int32_t>(cps[i]), &state))
            continue;
        if (b < i) out.push_back({b, i});
        b = i;
    }
}

}  // namespace tinybert::detail
