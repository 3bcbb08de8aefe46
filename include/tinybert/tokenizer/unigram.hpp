// tinybert/tokenizer/unigram.hpp: the Unigram model (SentencePiece / XLM-R) over one pre-tokenised word.
// Mirrors tokenizers/src/models/unigram/model.rs encode_optimized(): Viterbi over byte positions with the vocabulary's
// log-probabilities (f64), candidates visited shortest first, strict `>` so the first best path wins ties; a char with
// no single-char piece gets the unknown score min_score - 10; consecutive unknowns are fused into one <unk>; a piece
// that is not in the vocabulary becomes <0xXX> byte tokens when byte_fallback is on (all with the piece's span).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tinybert/tokenizer/bpe.hpp"
#include "tinybert/tokenizer/vocab.hpp"

namespace tinybert::detail {

struct UnigramModel {
    Vocab vocab;
    std::vector<double> scores;
    std::int64_t unk_id = -1;
    bool byte_fallback = false;
    double min_score = 0;
    std::array<std::int64_t, 256> byte_ids{};

    static constexpr double unk_penalty = 10.0;

    // requires: char_end is the byte end of each char of word.
    void tokenize(const std::string& word, const std::vector<std::uint32_t>& char_end,
                  std::vector<ModelToken>& out) const {
        const std::size_t n = char_end.size();
        if (n == 0) return;
        struct Node {
            std::int64_t id = -1;
            double score = 0;
            std::int64_t start = -1;  // char index where the best piece ending here starts; -1: not reached
        };
        thread_local std::vector<Node> best;
        best.assign(n + 1, Node{});
        const std::size_t max_len = vocab.max_token_bytes();
        const double unk_score = min_score - unk_penalty;
        for (std::size_t s = 0; s < n; ++s) {
            const double here = best[s].score;
            const std::uint32_t b0 = s == 0 ? 0 : char_end[s - 1];
            bool has_single = false;
            for (std::size_t e = s + 1; e <= n && char_end[e - 1] - b0 <= max_len; ++e) {
                const std::int64_t id = vocab.find(word.data() + b0, char_end[e - 1] - b0);
                if (id < 0) continue;
                const double cand = scores[static_cast<std::size_t>(id)] + here;
                Node& t = best[e];
                if (t.start < 0 || cand > t.score) t = {id, cand, static_cast<std::int64_t>(s)};
                if (e == s + 1) has_single = true;
            }
            if (!has_single) {
                TINYBERT_CHECK(unk_id >= 0, "unigram: a character has no piece and the model has no unk_id");
                Node& t = best[s + 1];
                const double cand = unk_score + here;
                if (t.start < 0 || cand > t.score) t = {unk_id, cand, static_cast<std::int64_t>(s)};
            }
        }
        // Back-track; consecutive unknown pieces fuse into one.
        thread_local std::vector<ModelToken> rev;
        rev.clear();
        std::size_t e = n;
        std::int64_t unk_end = -1;
        while (e > 0) {
            const Node& node = best[e];
            const auto s = static_cast<std::size_t>(node.start);
            if (unk_id >= 0 && node.id == unk_id) {
                if (unk_end < 0) unk_end = static_cast<std::int64_t>(e);
            } else {
                if (unk_end >= 0) rev.push_back({unk_id, static_cast<std::uint32_t>(e), static_cast<std::uint32_t>(unk_end)});
                unk_end = -1;
                rev.push_back({node.id, static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(e)});
            }
            e = s;
        }
        if (unk_end >= 0) rev.push_back({unk_id, 0, static_cast<std::uint32_t>(unk_end)});
        for (auto it = rev.rbegin(); it != rev.rend(); ++it) {
            if (it->id == unk_id && byte_fallback) {  // the fused string is not in the vocabulary
                const std::uint32_t b0 = it->begin == 0 ? 0 : char_end[it->begin - 1], b1 = char_end[it->end - 1];
                bool all = true;
                for (std::uint32_t b = b0; b < b1; ++b) all = all && byte_ids[static_cast<unsigned char>(word[b])] >= 0;
                if (all) {
                    for (std::uint32_t b = b0; b < b1; ++b)
                        out.push_back({byte_ids[static_cast<unsigned char>(word[b])], it->begin, it->end});
                    continue;
                }
            }
            out.push_back(*it);
        }
    }
};

}  // namespace tinybert::detail
