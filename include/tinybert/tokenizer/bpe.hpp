// tinybert/tokenizer/bpe.hpp: the BPE model (GPT-2 / RoBERTa) over one pre-tokenised word.
// Mirrors tokenizers/src/models/bpe/{model.rs,word.rs} without dropout: merge_word() builds the initial symbols
// (continuing_subword_prefix, end_of_word_suffix, byte_fallback, unk with fuse_unk) and Word::merge_all applies the
// merges from a priority queue ordered by (rank, position), skipping stale entries, exactly as tokenizers does
// (its cache only memoises this result). ignore_merges returns a whole word found in the vocabulary as is.
#pragma once

#include <cstdint>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "tinybert/tokenizer/vocab.hpp"

namespace tinybert::detail {

// One model token of a word: id and the char range [begin, end) of the word it covers.
struct ModelToken {
    std::int64_t id;
    std::uint32_t begin, end;
};

struct BpeModel {
    Vocab vocab;  // the model's vocabulary (no continuation-prefix index)
    std::unordered_map<std::uint64_t, std::pair<std::uint32_t, std::uint32_t>> merges;  // (a,b) -> (rank, new id)
    std::int64_t unk_id = -1;
    std::string unk_token, continuing_subword_prefix, end_of_word_suffix;
    bool fuse_unk = false, byte_fallback = false, ignore_merges = false;
    std::array<std::int64_t, 256> byte_ids{};  // <0xXX> ids for byte_fallback (-1 when absent)

    static std::uint64_t key(std::int64_t a, std::int64_t b) {
        return (static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint64_t>(b);
    }

    // The tokens of one word given as UTF-8 with the byte end of each char. Appends to out.
    void tokenize(const std::string& word, const std::vector<std::uint32_t>& char_end,
                  std::vector<ModelToken>& out) const {
        const auto n = static_cast<std::uint32_t>(char_end.size());
        if (n == 0) return;
        if (ignore_merges)
            if (const std::int64_t id = vocab.find(word); id >= 0) {
                out.push_back({id, 0, n});
                return;
            }
        struct Symbol {
            std::int64_t id;
            std::int64_t prev, next;
            std::uint32_t begin, end;  // chars
            bool removed;
        };
        thread_local std::vector<Symbol> sym;
        thread_local std::string piece;
        sym.clear();
        const auto add = [&](std::int64_t id, std::uint32_t b, std::uint32_t e) {
            const auto k = static_cast<std::int64_t>(sym.size());
            sym.push_back({id, k - 1, k + 1, b, e, false});
        };
        std::int64_t unk_open = -1;  // pending unknown: begin char, or -1
        std::uint32_t unk_end = 0;
        const auto flush_unk = [&] {
            if (unk_open >= 0) add(unk_id, static_cast<std::uint32_t>(unk_open), unk_end);
            unk_open = -1;
        };
        for (std::uint32_t c = 0; c < n; ++c) {
            const std::uint32_t b0 = c == 0 ? 0 : char_end[c - 1], b1 = char_end[c];
            piece.clear();
            if (c > 0) piece += continuing_subword_prefix;
            piece.append(word, b0, b1 - b0);
            if (c + 1 == n) piece += end_of_word_suffix;
            if (const std::int64_t id = vocab.find(piece); id >= 0) {
                flush_unk();
                add(id, c, c + 1);
                continue;
            }
            if (byte_fallback) {
                bool all = true;
                for (const char ch : piece) all = all && byte_ids[static_cast<unsigned char>(ch)] >= 0;
                if (all) {  // tokenizers: byte tokens do not flush a pending unknown
                    for (const char ch : piece) add(byte_ids[static_cast<unsigned char>(ch)], c, c + 1);
                    continue;
                }
            }
            if (unk_id < 0) continue;  // no unk token: the char is dropped, as tokenizers does
            if (unk_open >= 0 && fuse_unk) {
                unk_end = c + 1;
            } else {
                flush_unk();
                unk_open = c;
                unk_end = c + 1;
            }
        }
        flush_unk();
        if (!sym.empty()) sym.back().next = -1;
        merge_all(sym);
        for (const Symbol& s : sym)
            if (!s.removed) out.push_back({s.id, s.begin, s.end});
    }

private:
    template <class Symbols>
    void merge_all(Symbols& sym) const {
        struct Merge {
            std::uint32_t rank;
            std::size_t pos;
            std::uint32_t new_id;
            bool operator<(const Merge& o) const {  // max-heap => smallest rank, then smallest position, first
                return rank != o.rank ? rank > o.rank : pos > o.pos;
            }
        };
        thread_local std::vector<Merge> heap_storage;
        heap_storage.clear();
        std::priority_queue<Merge, std::vector<Merge>> queue(std::less<Merge>(), std::move(heap_storage));
        const auto lookup = [&](std::int64_t a, std::int64_t b) -> const std::pair<std::uint32_t, std::uint32_t>* {
            const auto it = merges.find(key(a, b));
            return it == merges.end() ? nullptr : &it->second;
        };
        for (std::size_t i = 0; i + 1 < sym.size(); ++i)
            if (const auto* m = lookup(sym[i].id, sym[i + 1].id)) queue.push({m->first, i, m->second});
        while (!queue.empty()) {
            const Merge top = queue.top();
            queue.pop();
            auto& cur = sym[top.pos];
            if (cur.removed || cur.next < 0) continue;
            const auto next_pos = static_cast<std::size_t>(cur.next);
            const auto right = sym[next_pos];
            const auto* m = lookup(cur.id, right.id);
            if (!m || m->second != top.new_id) continue;  // stale entry
            cur.id = top.new_id;
            cur.end = right.end;
            cur.next = right.next;
            sym[next_pos].removed = true;
            if (right.next >= 0 && static_cast<std::size_t>(right.next) < sym.size())
                sym[static_cast<std::size_t>(right.next)].prev = static_cast<std::int64_t>(top.pos);
            if (cur.prev >= 0) {
                const auto& p = sym[static_cast<std::size_t>(cur.prev)];
                if (const auto* pm = lookup(p.id, cur.id))
                    queue.push({pm->first, static_cast<std::size_t>(cur.prev), pm->second});
            }
            if (cur.next >= 0 && static_cast<std::size_t>(cur.next) < sym.size()) {
                const auto& nx = sym[static_cast<std::size_t>(cur.next)];
                if (const auto* nm = lookup(cur.id, nx.id)) queue.push({nm->first, top.pos, nm->second});
            }
        }
    }
};

}  // namespace tinybert::detail
