// tinybert/tokenizer/normalizer.hpp: BERT normalisation and pre-tokenisation fused into one pass over code points.
// Mirrors tokenizers' BertNormalizer (clean text, isolate CJK, NFD + drop Mn, lowercase) followed by
// BertPreTokenizer (split on whitespace, isolate punctuation). Every normalised char remembers its source char.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tinybert/tokenizer/unicode.hpp"

namespace tinybert {

struct NormalizerOptions {
    bool lowercase = true;      // do_lower_case
    bool strip_accents = true;  // tokenizer_config's strip_accents, or lowercase when that is null
    bool chinese_chars = true;  // tokenize_chinese_chars
};

namespace detail {

// The original character a normalised character came from: code-point index and byte range in the input.
struct SourceChar {
    std::size_t cp, byte_begin, byte_end;
};

// One pre-tokenised word: its normalised UTF-8, the byte end of each char and each char's source.
struct WordBuffer {
    std::string bytes;
    std::vector<std::uint32_t> char_end;
    std::vector<SourceChar> src;

    bool empty() const { return src.empty(); }
    std::size_t chars() const { return src.size(); }
    void clear() {
        bytes.clear();
        char_end.clear();
        src.clear();
    }
    void push(char32_t c, const SourceChar& s) {
        if (c < 0x80)
            bytes += static_cast<char>(c);
        else
            append_utf8(bytes, c);
        char_end.push_back(static_cast<std::uint32_t>(bytes.size()));
        src.push_back(s);
    }
};

class Normalizer {
public:
    explicit Normalizer(NormalizerOptions opts = {}) : opts_(opts) {
        for (char32_t c = 0; c < 128; ++c) {
            Ascii& a = ascii_[c];
            if (c == '\t' || c == '\n' || c == '\r' || c == ' ')
                a.kind = space;
            else if (c < 0x20 || c == 0x7F)
                a.kind = drop;
            else if (is_ascii_punctuation(c))
                a.kind = punct;
            else
                a.kind = text;
            a.out = static_cast<char>(opts.lowercase && c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
    }

    const NormalizerOptions& options() const { return opts_; }

    // Feed one source code point. Completed words are passed to on_word(WordBuffer&), which must not keep it.
    template <class OnWord>
    void feed(char32_t cp, const SourceChar& s, WordBuffer& w, OnWord&& on_word) const {
        if (cp < 0x80) {
            const Ascii a = ascii_[cp];
            switch (a.kind) {
                case drop: return;
                case space: flush(w, on_word); return;
                case punct: isolate(static_cast<char32_t>(a.out), s, w, on_word); return;
                default:
                    w.bytes += a.out;
                    w.char_end.push_back(static_cast<std::uint32_t>(w.bytes.size()));
                    w.src.push_back(s);
                    return;
            }
        }
        if (is_removed_control(cp)) return;
        if (is_whitespace(cp)) {
            flush(w, on_word);
            return;
        }
        std::array<char32_t, 64> out{};
        const std::size_t n = map(cp, out);
        if (opts_.chinese_chars && is_cjk(cp)) {  // surrounded by spaces: a word of its own
            flush(w, on_word);
            for (std::size_t k = 0; k < n; ++k) w.push(out[k], s);
            flush(w, on_word);
            return;
        }
        for (std::size_t k = 0; k < n; ++k) {
            if (is_whitespace(out[k]))
                flush(w, on_word);
            else if (is_punctuation(out[k]))
                isolate(out[k], s, w, on_word);
            else
                w.push(out[k], s);
        }
    }

    template <class OnWord>
    void flush(WordBuffer& w, OnWord&& on_word) const {
        if (w.empty()) return;
        on_word(w);
        w.clear();
    }

    // The normalised chars of one (non-control, non-space) code point: NFD minus Mn, then lowercase, as enabled.
    std::size_t map(char32_t cp, std::array<char32_t, 64>& out) const {
        std::array<char32_t, 16> dec{};
        std::size_t n = 0;
        if (opts_.strip_accents) {
            const std::size_t nd = decompose(cp, dec.data(), dec.size());
            for (std::size_t k = 0; k < nd; ++k)
                if (!is_nonspacing_mark(dec[k])) dec[n++] = dec[k];
        } else {
            dec[n++] = cp;
        }
        if (!opts_.lowercase) {
            for (std::size_t k = 0; k < n; ++k) out[k] = dec[k];
            return n;
        }
        std::size_t m = 0;
        for (std::size_t k = 0; k < n; ++k) m += lowercase(dec[k], out.data() + m);
        return m;
    }

private:
    enum Kind : std::uint8_t { drop, space, punct, text };
    struct Ascii {
        Kind kind = drop;
        char out = 0;
    };

    template <class OnWord>
    void isolate(char32_t c, const SourceChar& s, WordBuffer& w, OnWord&& on_word) const {
        flush(w, on_word);
        w.push(c, s);
        flush(w, on_word);
    }

    NormalizerOptions opts_;
    std::array<Ascii, 128> ascii_{};
};

}  // namespace detail
}  // namespace tinybert
