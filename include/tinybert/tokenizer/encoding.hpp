// tinybert/tokenizer/encoding.hpp: encodings, truncation (with overflow windows), special tokens and padding.
// Mirrors tokenizers' utils/truncation.rs, Encoding::truncate/merge_with/pad and the post-processors
// (TemplateProcessing, BertProcessing `[CLS] A [SEP] (B [SEP])`, RobertaProcessing `<s> A </s></s> B </s>` with
// ByteLevel offset trimming); window order follows merge_with so overflow output matches transformers.
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
    // Per token, leading << 8 | trailing spaces of its string (ByteLevel offset trimming); empty: never trimmed.
    std::vector<std::uint16_t> spaces;
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

// One element of a post-processing template (TemplateProcessing's "$A", "$B" or a special token).
struct TemplateItem {
    std::int64_t id;       // special token id (unused for a sequence)
    int sequence;          // -1: special token, 0: sequence A, 1: sequence B
    std::int64_t type_id;  // token type id of the item's tokens
};

// The post-processor: special-token layout of single and pair inputs, plus ByteLevel offset trimming
// (RobertaProcessing / ByteLevel trim_offsets, tokenizers' process_offsets).
struct PostProcessor {
    std::vector<TemplateItem> single, pair;
    std::int64_t pad_id = 0;
    bool trim_offsets = false, add_prefix_space = false;
    // TemplateProcessing sets the template's type ids on the first window of each sequence only; its overflow
    // windows keep the encode-time type ids (0 for A, 1 for B), as tokenizers' apply_template does.
    bool template_types_first_window_only = false;

    // BertProcessing: [CLS] A [SEP] (B [SEP]) with type ids 0 (A) and 1 (B).
    static PostProcessor bert(const SpecialIds& sp) {
        PostProcessor p;
        p.pad_id = sp.pad;
        p.single = {{sp.cls, -1, 0}, {0, 0, 0}, {sp.sep, -1, 0}};
        p.pair = {{sp.cls, -1, 0}, {0, 0, 0}, {sp.sep, -1, 0}, {0, 1, 1}, {sp.sep, -1, 1}};
        return p;
    }
    std::size_t added_tokens(bool is_pair) const {
        std::size_t n = 0;
        for (const TemplateItem& t : is_pair ? pair : single) n += t.sequence < 0 ? 1u : 0u;
        return n;
    }
};

// A (B) with the template's special tokens (or none), without padding. first_a / first_b: wa / wb is the first
// window of its sequence.
inline Encoding assemble(const TokenSequence& a, Window wa, const TokenSequence* b, Window wb,
                         const PostProcessor& pp, bool add_special, bool first_a = true, bool first_b = true) {
    Encoding e;
    const std::size_t n =
        (wa.second - wa.first) + (b ? wb.second - wb.first : 0) + (add_special ? pp.added_tokens(b) : 0);
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
    const auto tokens = [&](const TokenSequence& s, Window w, std::int64_t seq, std::int64_t type) {
        for (std::size_t i = w.first; i < w.second; ++i) {
            e.input_ids.push_back(s.ids[i]);
            e.token_type_ids.push_back(type);
            e.attention_mask.push_back(1);
            e.special_tokens_mask.push_back(0);
            auto off = s.offsets[i];
            auto bytes = s.byte_offsets[i];
            if (pp.trim_offsets && i < s.spaces.size()) {  // process_offsets, per truncation window
                std::size_t lead = s.spaces[i] >> 8;
                const std::size_t trail = s.spaces[i] & 0xFFu;
                if (lead > 0 && (i == w.first || off.first == 0) && pp.add_prefix_space && lead == 1) lead = 0;
                if (lead > 0) {
                    off.first = std::min(off.first + lead, off.second);
                    bytes.first = std::min(bytes.first + lead, bytes.second);
                }
                if (trail > 0 && off.second >= trail) off.second = std::max(off.second - trail, off.first);
                if (trail > 0 && bytes.second >= trail) bytes.second = std::max(bytes.second - trail, bytes.first);
            }
            e.offsets.push_back(off);
            e.byte_offsets.push_back(bytes);
            e.word_ids.push_back(s.word_ids[i]);
            e.sequence_ids.push_back(seq);
        }
    };
    if (!add_special) {
        tokens(a, wa, 0, 0);
        if (b) tokens(*b, wb, 1, 1);
    } else {
        for (const TemplateItem& t : b ? pp.pair : pp.single) {
            if (t.sequence < 0)
                special(t.id, t.type_id);
            else if (t.sequence == 0)
                tokens(a, wa, 0, first_a || !pp.template_types_first_window_only ? t.type_id : 0);
            else
                tokens(*b, wb, 1, first_b || !pp.template_types_first_window_only ? t.type_id : 1);
        }
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
                                          std::size_t max_length, const PostProcessor& pp) {
    const std::size_t n_added = o.add_special_tokens ? pp.added_tokens(b != nullptr) : 0;
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
    const auto add = [&](std::size_t i, std::size_t j) {
        out.push_back(assemble(a, wa[i], b, wb[j], pp, o.add_special_tokens, i == 0, j == 0));
    };
    add(0, 0);
    if (o.return_overflowing) {  // Encoding::merge_with order: (Ai,B0),(Ai,Bj..) for i>0, then (A0,Bj) for j>0
        for (std::size_t i = 1; i < wa.size(); ++i)
            for (std::size_t j = 0; j < wb.size(); ++j) add(i, j);
        for (std::size_t j = 1; j < wb.size(); ++j) add(0, j);
    }
    if (o.padding == Padding::max_length && max_length > 0)
        for (Encoding& e : out) pad(e, max_length, pp.pad_id);
    else if (o.padding == Padding::longest) {
        std::size_t longest = 0;
        for (const Encoding& e : out) longest = std::max(longest, e.size());
        for (Encoding& e : out) pad(e, longest, pp.pad_id);
    }
    return out;
}
inline std::vector<Encoding> post_process(const TokenSequence& a, const TokenSequence* b, const EncodeOptions& o,
                                          std::size_t max_length, const SpecialIds& sp) {
    return post_process(a, b, o, max_length, PostProcessor::bert(sp));
}

}  // namespace detail
}  // namespace tinybert
