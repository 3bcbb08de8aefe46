// tinybert/tokenizer/wordpiece.hpp: greedy longest-match-first WordPiece over one pre-tokenised word.
// Mirrors tokenizers/src/models/wordpiece/mod.rs: words longer than max_chars code points, or with a position where
// no piece matches, become a single unknown token spanning the whole word.
#pragma once

#include <cstdint>
#include <vector>

#include "tinybert/tokenizer/normalizer.hpp"
#include "tinybert/tokenizer/vocab.hpp"

namespace tinybert::detail {

// One WordPiece token: vocabulary id and its char range [begin, end) within the word.
struct Piece {
    std::int64_t id;
    std::uint32_t begin, end;
};

// Appends the pieces of w to out. requires: !w.empty().
inline void wordpiece(const Vocab& vocab, const WordBuffer& w, std::int64_t unk_id, std::size_t max_chars,
                      std::vector<Piece>& out) {
    const auto n = static_cast<std::uint32_t>(w.chars());
    const std::size_t first = out.size();
    const auto unknown = [&] {
        out.resize(first);
        out.push_back({unk_id, 0, n});
    };
    if (n > max_chars) return unknown();
    const char* bytes = w.bytes.data();
    std::uint32_t start = 0;
    while (start < n) {
        const std::uint32_t byte_start = start == 0 ? 0 : w.char_end[start - 1];
        std::int64_t id = -1;
        std::uint32_t end = n;
        for (; end > start; --end) {
            const std::size_t len = w.char_end[end - 1] - byte_start;
            id = start == 0 ? vocab.find(bytes, len) : vocab.find_continuation(bytes + byte_start, len);
            if (id >= 0) break;
        }
        if (id < 0) return unknown();
        out.push_back({id, start, end});
        start = end;
    }
}

}  // namespace tinybert::detail
