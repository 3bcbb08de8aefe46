// tinybert/tokenizer/encoding.hpp: encodings, truncation (with overflow windows), special tokens and padding.
// Mirrors tokenizers' utils/truncation.rs, Encoding::truncate/merge_with/pad and TemplateProcessing for
// `[CLS] A [SEP] (B [SEP])`; window order follows merge_with so overflow output matches transformers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "tinybert/core/error.hpp"

namespace tinybert {

// One encoded sequence (or one overflow window).
struct Encoding {
    std::vector<std::int64_t> input_ids, token_type_ids, attention_mask, special_tokens_mask;
    std::vector<std::pair<std::size_t, std::size_t>> offsets;       // code-point [start,end) in the source, (0,0) specials
    std::vector<std::pair<std::size_t, std::size_t>> byte_offsets;  // the same in UTF-8 bytes
    std::vector<std::int64_t> word_ids;                             // -1 for specials/padding
    std::vector<std::int64_t> sequence_ids;                         // -1 specials/padding, 0 first, 1 second
    std::size_t overflow_to_sample = 0;  // index of the input this window came from (batch calls)
    std::size_t invalid_utf8 = 0;        // ill-formed UTF-8 sequences in the input(s), each read as U+FFFD

    std::size_t size() const { return input_ids.size(); }
};

enum class Truncation { none, longest_first, only_first, only_second };
enum class Padding { none, longest, max_length };

struct EncodeOptions {
    std::size_t max_length = 0;  // 0: none (with truncation set, the tokenizer's model_max_length is used)
    Truncation truncation = Truncation::none;
    Padding padding = Padding::none;
    std::size_t stride = 0;  // overlap between consecutive overflow windows
    bool return_overflowing = false;
    bool add_special_tokens = true;
};

namespace detail {

// The tokens of one input sequence, before special tokens.
struct TokenSequence {
    std::vector<std::int64_t> ids, word_ids;
    std::vector<std::pair<std::size_t, std::size_t>> offsets, byte_offsets;
    std::size_t invalid_utf8 = 0;
    std::size_t size() const { return ids.size(); }
};

using Window = std::pair<std::size_t, std::size_t>;  // [begin, end) into a TokenSequence

// Encoding::truncate(keep, stride): windows [k*(keep-stride), min(that+keep, len)) until one reaches len.
inline std::vector<Window> windows(std::size_t len, std::size_t keep, std::size_t stride, const char* which) {
    if (keep >= len) return {{0, len}};
    TINYBERT_CHECK(keep > 0, "truncation leaves no room for the ", which, " sequence (", len,
                   " tokens); raise max_length");
    TINYBERT_CHECK(stride < keep, "stride ", stride, " must be smaller than the ", keep,
                   " tokens kept of the truncated ", which, " sequence (max_length minus special tokens)");
    std::vector<Window> out;
    for (std::size_t start = 0;; start += keep - stride) {
        const std::size_t stop = std::min(start + keep, len);
        out.push_back({start, stop});
        if (stop == len) break;
    }
    return out;
}

// Kept lengths of A and B (pair: b_len given) per truncation.rs, for a budget of max_length minus specials.
inline std::pair<std::size_t, std::size_t> truncation_targets(std::size_t a, std::size_t b, bool pair,
                                                              std::size_t budget, Truncation t) {
    if (a + b <= budget || t == Truncation::none) return {a, b};
    const std::size_t remove = a + b - budget;
    switch (t) {
        case Truncation::longest_first: {
            if (!pair) return {budget, 0};
            std::size_t n1 = std::min(a, b), n2 = std::max(a, b);
            n2 = n1 > budget ? n1 : std::max(n1, budget - n1);
            if (n1 + n2 > budget) {
                n1 = budget / 2;
                n2 = n1 + budget % 2;
            }
            return a > b ? std::pair{n2, n1} : std::pair{n1, n2};
        }
        case Truncation::only_first:
            TINYBERT_CHECK(a > remove, "truncation only_first: the first sequence has ", a, " tokens but ", remove,
                           " must be removed to fit max_length; use longest_first or a larger max_length");
            return {a - remove, b};
        default:
            TINYBERT_CHECK(pair, "truncation only_second needs a pair of sequences");
            TINYBERT_CHECK(b > remove, "truncation only_second: the second sequence has ", b, " tokens but ", remove,
                           " must be removed to fit max_length (the first sequence is too long)");
            return {a, b - remove};
    }
}

struct SpecialIds {
    std::int64_t cls, sep, pad;
};

// [CLS] A[wa] [SEP] (B[wb] [SEP]) without padding.
inline Encoding assemble(const TokenSequence& a, Window wa, const TokenSequence* b, Window wb, const SpecialIds& sp,
                         bool add_special) {
    Encoding e;
    const std::size_t n = (wa.second - wa.first) + (b ? wb.second - wb.first : 0) + (add_special ? (b ? 3 : 2) : 0);
    e.input_ids.reserve(n);
    const auto special = [&](std::int64_t id, std::int64_t type) {
        e.input_ids.push_back(id);
        e.token_type_ids.push_back(type);
        e.attention_mask.push_back(1);
        e.special_tokens_mask.push_back(1);
        e.offsets.push_back({0, 0});
        e.byte_offsets.push_back({0, 0});
        e.word_ids.push_back(-1);
        e.sequence_ids.push_back(-1);
    };
    const auto tokens = [&](const TokenSequence& s, Window w, std::int64_t seq) {
        for (std::size_t i = w.first; i < w.second; ++i) {
            e.input_ids.push_back(s.ids[i]);
            e.token_type_ids.push_back(seq);
            e.attention_mask.push_back(1);
            e.special_tokens_mask.push_back(0);
            e.offsets.push_back(s.offsets[i]);
            e.byte_offsets.push_back(s.byte_offsets[i]);
            e.word_ids.push_back(s.word_ids[i]);
            e.sequence_ids.push_back(seq);
        }
    };
    if (add_special) special(sp.cls, 0);
    tokens(a, wa, 0);
    if (add_special) special(sp.sep, 0);
    if (b) {
        tokens(*b, wb, 1);
        if (add_special) special(sp.sep, 1);
    }
    e.invalid_utf8 = a.invalid_utf8 + (b ? b->invalid_utf8 : 0);
    return e;
}

// Right padding to `length` (no-op when already that long or longer).
inline void pad(Encoding& e, std::size_t length, std::int64_t pad_id) {
    if (e.size() >= length) return;
    e.input_ids.resize(length, pad_id);
    e.token_type_ids.resize(length, 0);
    e.attention_mask.resize(length, 0);
    e.special_tokens_mask.resize(length, 1);
    e.offsets.resize(length, {0, 0});
    e.byte_offsets.resize(length, {0, 0});
    e.word_ids.resize(length, -1);
    e.sequence_ids.resize(length, -1);
}

// Truncate, window, add specials and pad one input (b == nullptr: single sequence). max_length 0 = no limit.
// The first element is the main encoding; the rest (only with return_overflowing) are overflow windows.
inline std::vector<Encoding> post_process(const TokenSequence& a, const TokenSequence* b, const EncodeOptions& o,
                                          std::size_t max_length, const SpecialIds& sp) {
    const std::size_t n_added = o.add_special_tokens ? (b ? 3 : 2) : 0;
    std::vector<Window> wa{{0, a.size()}}, wb{{0, b ? b->size() : 0}};
    if (o.truncation != Truncation::none && max_length > 0) {
        TINYBERT_CHECK(max_length >= n_added, "max_length ", max_length, " is smaller than the ", n_added,
                       " special tokens");
        const auto [ka, kb] = truncation_targets(a.size(), b ? b->size() : 0, b != nullptr, max_length - n_added,
                                                 o.truncation);
        wa = windows(a.size(), ka, o.stride, "first");
        if (b) wb = windows(b->size(), kb, o.stride, "second");
    }
    std::vector<Encoding> out;
    const auto add = [&](Window x, Window y) { out.push_back(assemble(a, x, b, y, sp, o.add_special_tokens)); };
    add(wa[0], wb[0]);
    if (o.return_overflowing) {  // Encoding::merge_with order: (Ai,B0),(Ai,Bj..) for i>0, then (A0,Bj) for j>0
        for (std::size_t i = 1; i < wa.size(); ++i)
            for (std::size_t j = 0; j < wb.size(); ++j) add(wa[i], wb[j]);
        for (std::size_t j = 1; j < wb.size(); ++j) add(wa[0], wb[j]);
    }
    if (o.padding == Padding::max_length && max_length > 0)
        for (Encoding& e : out) pad(e, max_length, sp.pad);
    else if (o.padding == Padding::longest) {
        std::size_t longest = 0;
        for (const Encoding& e : out) longest = std::max(longest, e.size());
        for (Encoding& e : out) pad(e, longest, sp.pad);
    }
    return out;
}

}  // namespace detail
}  // namespace tinybert
