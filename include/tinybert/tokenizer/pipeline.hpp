// tinybert/tokenizer/pipeline.hpp: the tokenizer.json pipeline for BPE and Unigram models.
// Mirrors tokenizers' Tokenizer::encode for one sequence: added tokens cut from the raw text (leftmost-longest, with
// lstrip/rstrip), each remaining segment normalised (NFC/NFD/NFKC/NFKD, Lowercase, Strip, StripAccents, Replace,
// Prepend, Precompiled, Sequence) with every normalised char remembering its source char (NormalizedString
// alignments), pre-tokenised (ByteLevel, Metaspace, WhitespaceSplit + Metaspace), cut into model tokens (BPE,
// Unigram) and given word ids = index of the pre-tokenised split, and the
// ByteLevel / Metaspace decoders. Reading tokenizer.json into a Pipeline is in tokenizer_json.hpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tinybert/io/json.hpp"
#include "tinybert/tokenizer/bpe.hpp"
#include "tinybert/tokenizer/byte_level.hpp"
#include "tinybert/tokenizer/encoding.hpp"
#include "tinybert/tokenizer/normalizer.hpp"
#include "tinybert/tokenizer/precompiled.hpp"
#include "tinybert/tokenizer/unigram.hpp"

namespace tinybert::detail {

// One normalised char and the source char it is aligned to.
struct NChar {
    char32_t c;
    SourceChar src;
};
using NString = std::vector<NChar>;

// ---- normalizers -----------------------------------------------------------------------------------------------

struct NormStep {
    enum Kind { nfc, nfd, nfkc, nfkd, lower_case, strip, replace, replace_run, strip_accents, prepend, precompiled } kind;
    bool strip_left = true, strip_right = true;
    std::u32string pattern, content;  // replace: literal pattern -> content; prepend: content
    std::size_t run_min = 0;          // replace_run: runs of >= run_min copies of pattern[0] (Regex "x{n,}", "x+")
    std::shared_ptr<const PrecompiledCharsmap> charsmap;  // precompiled
};

inline int combining_class(char32_t c) {
    if (c < 0x300) return 0;
    const utf8proc_property_t* p = utf8proc_get_property(static_cast<utf8proc_int32_t>(c));
    return p ? p->combining_class : 0;
}

// Canonical composition of a pair (primary composites only); 0 when they do not compose.
inline char32_t compose_pair(char32_t a, char32_t b) {
    utf8proc_int32_t buf[2] = {static_cast<utf8proc_int32_t>(a), static_cast<utf8proc_int32_t>(b)};
    const utf8proc_ssize_t n = utf8proc_normalize_utf32(buf, 2, UTF8PROC_COMPOSE);
    return n == 1 ? static_cast<char32_t>(buf[0]) : 0;
}

// Unicode normalisation with alignments: decomposed chars keep their source char, canonical reordering moves the
// sources with the chars, and a composed char keeps its starter's source (unicode-normalization-alignments).
inline void unicode_normalize(NString& s, bool compat, bool compose) {
    NString out;
    out.reserve(s.size());
    for (const NChar& x : s) {
        if (x.c < 0xA0) {
            out.push_back(x);
            continue;
        }
        utf8proc_int32_t buf[32];
        int boundclass = 0;
        const utf8proc_ssize_t n = utf8proc_decompose_char(
            static_cast<utf8proc_int32_t>(x.c), buf, 32,
            static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0)), &boundclass);
        if (n <= 0 || n > 32) {
            out.push_back(x);
            continue;
        }
        for (utf8proc_ssize_t k = 0; k < n; ++k) out.push_back({static_cast<char32_t>(buf[k]), x.src});
    }
    // Canonical ordering: stable sort of each run of non-starters by combining class.
    for (std::size_t i = 0; i < out.size();) {
        if (combining_class(out[i].c) == 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < out.size() && combining_class(out[j].c) != 0) ++j;
        std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(j),
                         [](const NChar& a, const NChar& b) { return combining_class(a.c) < combining_class(b.c); });
        i = j;
    }
    if (compose) {
        NString res;
        res.reserve(out.size());
        std::ptrdiff_t starter = -1;
        int last_cc = -1;  // class of the last char kept after the starter; -1: none yet
        for (const NChar& x : out) {
            const int cc = combining_class(x.c);
            if (starter >= 0 && x.c >= 0x300 && (last_cc < 0 || (last_cc != 0 && last_cc < cc))) {
                if (const char32_t comp = compose_pair(res[static_cast<std::size_t>(starter)].c, x.c)) {
                    res[static_cast<std::size_t>(starter)].c = comp;
                    continue;
                }
            }
            if (cc == 0) {
                starter = static_cast<std::ptrdiff_t>(res.size());
                last_cc = -1;
            } else {
                last_cc = cc;
            }
            res.push_back(x);
        }
        out = std::move(res);
    }
    s = std::move(out);
}

// NormalizedString::transform over a list of changes (see CharChange): a replacing char keeps the source of the
// char it replaces, an inserted one the source of the char before it.
inline void apply_changes(NString& s, const std::vector<CharChange>& changes) {
    NString out;
    out.reserve(changes.size());
    std::size_t pos = 0;
    for (const CharChange& x : changes) {
        if (x.change > 0) {
            out.push_back({x.c, s[pos > 0 ? pos - 1 : 0].src});
            continue;
        }
        TINYBERT_CHECK(pos < s.size(), "Precompiled normalizer: the changes consume more chars than the text has");
        out.push_back({x.c, s[pos].src});
        pos += 1 + static_cast<std::size_t>(-x.change);
    }
    s = std::move(out);
}

// normalizers::Precompiled: each grapheme of under 6 bytes whose shortest prefix is a charsmap key becomes that
// key's string (the rest of the grapheme is dropped, as spm_precompiled does); other graphemes go char by char.
inline void precompiled_normalize(const PrecompiledCharsmap& map, NString& s) {
    if (s.empty()) return;
    thread_local std::vector<char32_t> cps;
    thread_local std::vector<std::pair<std::size_t, std::size_t>> gs;
    thread_local std::vector<CharChange> tr;
    cps.clear();
    tr.clear();
    for (const NChar& x : s) cps.push_back(x.c);
    graphemes(cps, gs);
    bool modified = false;
    std::string key;
    std::string_view norm;
    for (const auto& [gb, ge] : gs) {
        key.clear();
        for (std::size_t k = gb; k < ge; ++k) append_utf8(key, cps[k]);
        if (key.size() < 6 && map.transform(key, norm)) {
            modified = true;
            push_replacement(tr, ge - gb, norm);
            continue;
        }
        for (std::size_t k = gb; k < ge; ++k) {
            key.clear();
            append_utf8(key, cps[k]);
            if (map.transform(key, norm)) {
                modified = true;
                push_replacement(tr, 1, norm);
            } else {
                tr.push_back({cps[k], 0});
            }
        }
    }
    if (modified) apply_changes(s, tr);
}

// General_Category Mark (Mn, Mc, Me) in tokenizers' older Unicode tables: what normalizers::StripAccents removes.
inline bool is_combining_mark(char32_t c) {
    if (c < 0x300) return false;
    const auto cat = category(c);
    if (cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ME)
        return !in_ranges(unicode_compat::not_mark, c);
    return in_ranges(unicode_compat::extra_mark, c);
}

inline void apply_normalizer(const NormStep& st, NString& s) {
    switch (st.kind) {
        case NormStep::nfc: unicode_normalize(s, false, true); return;
        case NormStep::nfd: unicode_normalize(s, false, false); return;
        case NormStep::nfkc: unicode_normalize(s, true, true); return;
        case NormStep::nfkd: unicode_normalize(s, true, false); return;
        case NormStep::lower_case: {
            NString out;
            out.reserve(s.size());
            char32_t buf[4];
            for (const NChar& x : s) {
                const std::size_t n = lowercase(x.c, buf);
                for (std::size_t k = 0; k < n; ++k) out.push_back({buf[k], x.src});
            }
            s = std::move(out);
            return;
        }
        case NormStep::strip: {
            std::size_t b = 0, e = s.size();
            if (st.strip_left)
                while (b < e && is_whitespace(s[b].c)) ++b;
            if (st.strip_right)
                while (e > b && is_whitespace(s[e - 1].c)) --e;
            s = NString(s.begin() + static_cast<std::ptrdiff_t>(b), s.begin() + static_cast<std::ptrdiff_t>(e));
            return;
        }
        case NormStep::precompiled: precompiled_normalize(*st.charsmap, s); return;
        case NormStep::strip_accents:
            s.erase(std::remove_if(s.begin(), s.end(), [](const NChar& x) { return is_combining_mark(x.c); }), s.end());
            return;
        case NormStep::prepend:
            if (!s.empty()) {
                const SourceChar first = s.front().src;
                NString pre;
                for (const char32_t c : st.content) pre.push_back({c, first});
                s.insert(s.begin(), pre.begin(), pre.end());
            }
            return;
        case NormStep::replace_run: {  // leftmost-longest runs of >= run_min pattern[0]; content aligned to the last
            NString out;
            out.reserve(s.size());
            for (std::size_t i = 0; i < s.size();) {
                std::size_t j = i;
                while (j < s.size() && s[j].c == st.pattern[0]) ++j;
                if (j == i || j - i < st.run_min) {
                    for (std::size_t k = i; k < std::max(j, i + 1); ++k) out.push_back(s[k]);
                    i = std::max(j, i + 1);
                    continue;
                }
                for (const char32_t c : st.content) out.push_back({c, s[j - 1].src});
                i = j;
            }
            s = std::move(out);
            return;
        }
        case NormStep::replace: {
            const std::size_t m = st.pattern.size();
            if (m == 0) return;
            NString out;
            out.reserve(s.size());
            for (std::size_t i = 0; i < s.size();) {
                bool hit = i + m <= s.size();
                for (std::size_t k = 0; hit && k < m; ++k) hit = s[i + k].c == st.pattern[k];
                if (!hit) {
                    out.push_back(s[i++]);
                    continue;
                }
                for (const char32_t c : st.content) out.push_back({c, s[i + m - 1].src});  // aligned to the last char
                i += m;
            }
            s = std::move(out);
            return;
        }
    }
}

// ---- pre-tokenizers, decoders, added tokens ----------------------------------------------------------------------

struct ByteLevelPre {
    bool add_prefix_space = false, use_regex = true;
};
struct MetaspacePre {
    char32_t replacement = 0x2581;
    enum Scheme { always, first, never } prepend = always;
    bool split = true;
    bool whitespace_split = false;  // Sequence[WhitespaceSplit, Metaspace]: Metaspace runs on each whitespace-free word
};
using PreTokenizer = std::variant<std::monostate, ByteLevelPre, MetaspacePre>;

struct DecoderSpec {
    enum Kind { none, byte_level, metaspace } kind = none;
    char32_t replacement = 0x2581;
    bool strip_first_space = true;  // metaspace: prepend_scheme != never
};

// Leading << 8 | trailing chars of a token string that are spaces or 'Ġ' (the byte-level space), each capped at 255:
// what tokenizers' process_offsets trims.
inline std::uint16_t space_counts(std::string_view s) {
    std::vector<char32_t> cps;
    for (std::size_t p = 0; p < s.size();) {
        const Utf8Char d = decode_utf8(s, p);
        cps.push_back(d.cp);
        p += d.len;
    }
    const auto ws = [](char32_t c) { return c == 0x120 || is_whitespace(c); };
    std::size_t lead = 0, trail = 0;
    while (lead < cps.size() && ws(cps[lead])) ++lead;
    while (trail < cps.size() && ws(cps[cps.size() - 1 - trail])) ++trail;
    return static_cast<std::uint16_t>((std::min<std::size_t>(lead, 255) << 8) | std::min<std::size_t>(trail, 255));
}

struct AddedToken {
    std::string content;
    std::int64_t id;
    std::size_t chars;
    bool lstrip = false, rstrip = false, special = true;
};

struct Pipeline {
    std::variant<BpeModel, UnigramModel> model;
    std::vector<NormStep> normalizer;
    PreTokenizer pre;
    DecoderSpec decoder;
    std::vector<AddedToken> added;
    std::vector<std::string> tokens;  // id -> string over the model vocabulary and the added tokens
    std::vector<std::uint16_t> spaces;  // id -> space_counts(tokens[id])
    json::Value doc;                  // the tokenizer.json this pipeline was read from (or built as)
    std::string kind;                 // "BPE" or "Unigram"

    // Appends the tokens of `text`. word_id >= 0: every token gets it (split-into-words input); otherwise word ids
    // number the pre-tokenised splits, added tokens found in the text included.
    void tokenize_into(std::string_view text, std::int64_t word_id, TokenSequence& out) const {
        thread_local NString chars;
        chars.clear();
        for (std::size_t pos = 0, cp = 0; pos < text.size(); ++cp) {
            const Utf8Char d = decode_utf8(text, pos);
            if (!d.valid) ++out.invalid_utf8;
            chars.push_back({d.cp, {cp, pos, pos + d.len}});
            pos += d.len;
        }
        std::int64_t word_index = 0;
        const auto push = [&](std::int64_t id, const SourceChar& a, const SourceChar& b) {
            out.spaces.push_back(spaces[static_cast<std::size_t>(id)]);
            out.ids.push_back(id);
            out.offsets.push_back({a.cp, b.cp + 1});
            out.byte_offsets.push_back({a.byte_begin, b.byte_end});
            out.word_ids.push_back(word_id >= 0 ? word_id : word_index);
        };
        std::size_t seg = 0;  // start (char index) of the pending text segment
        const auto text_segment = [&](std::size_t b, std::size_t e) {
            if (b < e) segment(chars, b, e, word_index, push);
        };
        for (std::size_t i = 0; i < chars.size();) {
            const AddedToken* hit = nullptr;
            for (const AddedToken& t : added)
                if (t.chars <= chars.size() - i && (!hit || t.content.size() > hit->content.size()) &&
                    text.compare(chars[i].src.byte_begin, t.content.size(), t.content) == 0)
                    hit = &t;
            if (!hit) {
                ++i;
                continue;
            }
            std::size_t b = i, e = i + hit->chars;
            if (hit->lstrip)
                while (b > seg && is_whitespace(chars[b - 1].c)) --b;
            if (hit->rstrip)
                while (e < chars.size() && is_whitespace(chars[e].c)) ++e;
            text_segment(seg, b);
            push(hit->id, chars[b].src, chars[e - 1].src);
            out.spaces.back() = space_counts(text.substr(chars[b].src.byte_begin,
                                                         chars[e - 1].src.byte_end - chars[b].src.byte_begin));
            ++word_index;
            seg = i = e;
        }
        text_segment(seg, chars.size());
    }

    // decoders::ByteLevel / Metaspace over token strings.
    std::string decode(const std::vector<std::string_view>& toks) const {
        std::string out;
        if (decoder.kind == DecoderSpec::byte_level) {
            std::string bytes;
            for (const std::string_view t : toks)
                for (std::size_t p = 0; p < t.size();) {
                    const Utf8Char d = decode_utf8(t, p);
                    const int b = char_to_byte(d.cp);
                    if (b >= 0)
                        bytes += static_cast<char>(b);
                    else
                        bytes.append(t.substr(p, d.len));
                    p += d.len;
                }
            for (std::size_t p = 0; p < bytes.size();) {  // String::from_utf8_lossy
                const Utf8Char d = decode_utf8(bytes, p);
                append_utf8(out, d.cp);
                p += d.len;
            }
            return out;
        }
        for (std::size_t i = 0; i < toks.size(); ++i) {
            std::string piece;
            for (std::size_t p = 0; p < toks[i].size();) {
                const Utf8Char d = decode_utf8(toks[i], p);
                if (decoder.kind == DecoderSpec::metaspace && d.cp == decoder.replacement)
                    piece += ' ';
                else
                    piece.append(toks[i].substr(p, d.len));
                p += d.len;
            }
            if (decoder.kind == DecoderSpec::metaspace && i == 0 && decoder.strip_first_space && !piece.empty() &&
                piece[0] == ' ')
                piece.erase(0, 1);
            out += piece;
        }
        return out;
    }

private:
    // Normalise, pre-tokenise and tokenise chars[b, e) (a segment between added tokens).
    template <class Push>
    void segment(const NString& chars, std::size_t b, std::size_t e, std::int64_t& word_index, Push&& push) const {
        thread_local NString s;
        s.assign(chars.begin() + static_cast<std::ptrdiff_t>(b), chars.begin() + static_cast<std::ptrdiff_t>(e));
        for (const NormStep& st : normalizer) apply_normalizer(st, s);
        if (s.empty()) return;
        thread_local WordBuffer w;
        thread_local std::vector<ModelToken> toks;
        const auto word = [&](const WordBuffer& wb) {
            if (wb.empty()) return;
            toks.clear();
            std::visit([&](const auto& m) { m.tokenize(wb.bytes, wb.char_end, toks); }, model);
            for (const ModelToken& t : toks) {
                SourceChar lo = wb.src[t.begin], hi = wb.src[t.begin];
                for (std::uint32_t k = t.begin; k < t.end; ++k) {
                    if (wb.src[k].cp < lo.cp) lo = wb.src[k];
                    if (wb.src[k].cp > hi.cp) hi = wb.src[k];
                }
                push(t.id, lo, hi);
            }
            ++word_index;
        };
        if (const auto* bl = std::get_if<ByteLevelPre>(&pre)) {
            if (bl->add_prefix_space && s.front().c != ' ') s.insert(s.begin(), NChar{' ', s.front().src});
            thread_local std::vector<char32_t> cps;
            thread_local std::vector<std::pair<std::size_t, std::size_t>> parts;
            cps.clear();
            parts.clear();
            for (const NChar& x : s) cps.push_back(x.c);
            if (bl->use_regex)
                gpt2_split(cps, parts);
            else
                parts.push_back({0, s.size()});
            const auto& table = byte_to_char();
            for (const auto& [pb, pe] : parts) {
                w.clear();
                for (std::size_t k = pb; k < pe; ++k) {
                    std::string u;
                    append_utf8(u, s[k].c);
                    for (const char ch : u) w.push(table[static_cast<unsigned char>(ch)], s[k].src);
                }
                word(w);
            }
        } else if (const auto* ms = std::get_if<MetaspacePre>(&pre)) {
            // One Metaspace split: ' ' -> replacement, the prefix (aligned to the first char), split before each
            // replacement char. `at_start`: the split begins the input (prepend_scheme "first").
            const auto metaspace = [&](NString::iterator pb, NString::iterator pe, bool at_start) {
                w.clear();
                const bool prepend = ms->prepend == MetaspacePre::always || (ms->prepend == MetaspacePre::first && at_start);
                if (prepend && pb->c != ms->replacement && pb->c != ' ') w.push(ms->replacement, pb->src);
                for (auto it = pb; it != pe; ++it) {
                    const char32_t c = it->c == ' ' ? ms->replacement : it->c;
                    if (ms->split && c == ms->replacement) {
                        word(w);
                        w.clear();
                    }
                    w.push(c, it->src);
                }
                word(w);
            };
            if (!ms->whitespace_split) {
                metaspace(s.begin(), s.end(), chars[b].src.byte_begin == 0);
            } else {
                for (auto it = s.begin(); it != s.end();) {
                    if (is_whitespace(it->c)) {
                        ++it;
                        continue;
                    }
                    auto end = it;
                    while (end != s.end() && !is_whitespace(end->c)) ++end;
                    metaspace(it, end, it->src.byte_begin == 0);
                    it = end;
                }
            }
        } else {
            w.clear();
            for (const NChar& x : s) w.push(x.c, x.src);
            word(w);
        }
    }
};

}  // namespace tinybert::detail
