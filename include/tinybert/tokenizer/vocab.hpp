// tinybert/tokenizer/vocab.hpp: the WordPiece vocabulary (token <-> id), read from vocab.txt or tokenizer.json.
// Mirrors transformers' load_vocab (id = line number, a duplicated token maps to its last line) and the vocab of
// tokenizers' WordPiece model. Lookups are exact byte matches through an open-addressing table with no allocation.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/io/limits.hpp"

namespace tinybert {

namespace detail {

inline std::uint64_t hash_bytes(const char* p, std::size_t n) {
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
    while (n >= 8) {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        h = (h ^ v) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    std::uint64_t v = 0;
    std::memcpy(&v, p, n);
    h = (h ^ v) * 0xC4CEB9FE1A85EC53ull;
    return h ^ (h >> 29);
}

// String -> id map over keys stored in one arena (so copies stay valid). Later inserts of a key replace its id.
class StringTable {
public:
    void reserve(std::size_t n) {
        std::size_t cap = 16;
        while (cap < 2 * n) cap *= 2;
        slots_.assign(cap, Slot{});
    }
    void insert(std::string_view key, std::int64_t id) {
        if (2 * (size_ + 1) > slots_.size()) grow();
        const std::uint64_t h = hash_bytes(key.data(), key.size());
        Slot& s = probe(key, h);
        if (s.id < 0) {
            s.hash = h;
            s.off = arena_.size();
            s.len = key.size();
            arena_.append(key);
            ++size_;
            max_len_ = std::max(max_len_, key.size());
        }
        s.id = id;
    }
    // -1 when absent.
    std::int64_t find(const char* p, std::size_t n) const {
        if (n > max_len_ || slots_.empty()) return -1;
        const std::uint64_t h = hash_bytes(p, n);
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = h & mask;; i = (i + 1) & mask) {
            const Slot& s = slots_[i];
            if (s.id < 0) return -1;
            if (s.hash == h && s.len == n && std::memcmp(arena_.data() + s.off, p, n) == 0) return s.id;
        }
    }
    std::size_t max_len() const { return max_len_; }

private:
    struct Slot {
        std::uint64_t hash = 0;
        std::size_t off = 0, len = 0;
        std::int64_t id = -1;
    };
    Slot& probe(std::string_view key, std::uint64_t h) {
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = h & mask;; i = (i + 1) & mask) {
            Slot& s = slots_[i];
            if (s.id < 0) return s;
            if (s.hash == h && s.len == key.size() && arena_.compare(s.off, s.len, key) == 0) return s;
        }
    }
    void grow() {
        std::vector<Slot> old = std::move(slots_);
        slots_.assign(std::max<std::size_t>(16, old.size() * 2), Slot{});
        const std::size_t mask = slots_.size() - 1;
        for (const Slot& s : old) {
            if (s.id < 0) continue;
            std::size_t i = s.hash & mask;
            while (slots_[i].id >= 0) i = (i + 1) & mask;
            slots_[i] = s;
        }
    }
    std::vector<Slot> slots_;
    std::string arena_;
    std::size_t size_ = 0, max_len_ = 0;
};

}  // namespace detail

class Vocab {
public:
    Vocab() = default;

    // ensures: id i <-> tokens[i]; a repeated token maps to its last index.
    explicit Vocab(std::vector<std::string> tokens, std::string continuation_prefix = "##")
        : tokens_(std::move(tokens)), prefix_(std::move(continuation_prefix)) {
        full_.reserve(tokens_.size());
        for (std::size_t i = 0; i < tokens_.size(); ++i) {
            const std::string& t = tokens_[i];
            full_.insert(t, static_cast<std::int64_t>(i));
            if (!prefix_.empty() && t.size() > prefix_.size() && t.compare(0, prefix_.size(), prefix_) == 0)
                continuation_.insert(std::string_view(t).substr(prefix_.size()), static_cast<std::int64_t>(i));
        }
    }

    // vocab.txt: one token per line, `\n` line ends. `\r` is rejected (Python and Rust readers disagree on it).
    static Vocab from_txt(const std::string& path) {
        const std::string text = json::read_file(path);
        std::vector<std::string> tokens;
        std::size_t line = 1;
        for (std::size_t pos = 0; pos < text.size(); ++line) {
            std::size_t end = text.find('\n', pos);
            if (end == std::string::npos) end = text.size();
            detail::check_line_length(end - pos, path, line, pos);
            std::string tok = text.substr(pos, end - pos);
            TINYBERT_CHECK(tok.find('\r') == std::string::npos, path, ":", line,
                           ": carriage return in vocabulary line; vocab.txt must use \\n line ends");
            tokens.push_back(std::move(tok));
            pos = end + 1;
        }
        TINYBERT_CHECK(!tokens.empty(), path, ": empty vocabulary");
        return Vocab(std::move(tokens));
    }

    // tokenizer.json's model.vocab object {token: id}. Ids must be unique; an id missing from the object (a
    // vocab.txt line whose token repeats later) keeps an empty placeholder, as in HF's id_to_token gaps.
    static Vocab from_json_object(const json::Value& vocab, const std::string& source, std::string prefix = "##") {
        TINYBERT_CHECK(vocab.is_object(), source, ": the vocabulary must be an object {token: id}, got ",
                       vocab.kind_name());
        const json::Object& obj = vocab.as_object();
        TINYBERT_CHECK(!obj.empty(), source, ": empty vocabulary");
        std::int64_t max_id = -1;
        for (const auto& [tok, idv] : obj) {
            TINYBERT_CHECK(idv.is_int(), source, ": id of token \"", tok, "\" must be an integer, got ", idv.kind_name());
            const std::int64_t id = idv.as_int();
            TINYBERT_CHECK(id >= 0 && id < static_cast<std::int64_t>(4 * obj.size()), source, ": bad id ", id,
                           " for token \"", tok, "\"");
            max_id = std::max(max_id, id);
        }
        std::vector<std::string> tokens(static_cast<std::size_t>(max_id + 1));
        std::vector<bool> seen(tokens.size(), false);
        for (const auto& [tok, idv] : obj) {
            const auto id = static_cast<std::size_t>(idv.as_int());
            TINYBERT_CHECK(!seen[id], source, ": id ", id, " is used by two tokens");
            seen[id] = true;
            tokens[id] = tok;
        }
        return Vocab(std::move(tokens), std::move(prefix));
    }

    std::size_t size() const { return tokens_.size(); }
    bool empty() const { return tokens_.empty(); }
    const std::string& token(std::size_t id) const { return tokens_[id]; }
    const std::vector<std::string>& tokens() const { return tokens_; }
    const std::string& continuation_prefix() const { return prefix_; }

    // Exact lookup; -1 when absent.
    std::int64_t find(std::string_view s) const { return full_.find(s.data(), s.size()); }
    std::int64_t find(const char* p, std::size_t n) const { return full_.find(p, n); }
    // Length in bytes of the longest token.
    std::size_t max_token_bytes() const { return full_.max_len(); }
    // Lookup of prefix + s (a word-internal piece); -1 when absent.
    std::int64_t find_continuation(const char* p, std::size_t n) const { return continuation_.find(p, n); }

private:
    std::vector<std::string> tokens_;
    std::string prefix_ = "##";
    detail::StringTable full_, continuation_;
};

}  // namespace tinybert
