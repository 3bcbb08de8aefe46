// tinybert/tokenizer/tokenizer.hpp: one tokenizer class for BERT WordPiece, byte-level BPE (GPT-2 / RoBERTa) and
// Unigram (SentencePiece / XLM-R), identical to Hugging Face's fast tokenizers.
// WordPiece mirrors tokenizers' Tokenizer::encode with BertNormalizer + BertPreTokenizer fused (normalizer.hpp) and
// decoders::WordPiece; BPE and Unigram run the tokenizer.json pipeline of pipeline.hpp. All share truncation, overflow
// windows, post-processing and padding (encoding.hpp). Loading/saving of tokenizer files is in pretrained.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/tokenizer/encoding.hpp"
#include "tinybert/tokenizer/normalizer.hpp"
#include "tinybert/tokenizer/pipeline.hpp"
#include "tinybert/tokenizer/vocab.hpp"
#include "tinybert/tokenizer/wordpiece.hpp"

namespace tinybert {

inline constexpr std::size_t no_max_length = std::numeric_limits<std::size_t>::max();

struct TokenizerOptions {
    bool do_lower_case = true;
    std::optional<bool> strip_accents;  // nullopt: follows do_lower_case
    bool tokenize_chinese_chars = true;
    std::size_t model_max_length = 512;  // no_max_length: never truncate "to the model maximum"
    std::size_t max_input_chars_per_word = 100;
    std::string unk_token = "[UNK]", sep_token = "[SEP]", pad_token = "[PAD]", cls_token = "[CLS]",
                mask_token = "[MASK]";
    std::vector<std::string> additional_special_tokens;  // also cut from raw text as whole tokens
    // transformers' model_input_names has "token_type_ids": false for the RoBERTa, XLM-R, GPT-2 and DistilBERT
    // tokenizer classes, whose models then get no token types (all 0); the encodings still carry the post-processor's
    bool token_type_ids_input = true;
};

class Tokenizer {
public:
    // requires: vocab contains unk/sep/pad/cls tokens (looked up by string); otherwise throws tinybert::Error.
    Tokenizer(Vocab vocab, TokenizerOptions opts = {})
        : vocab_(std::move(vocab)),
          opts_(std::move(opts)),
          normalizer_({opts_.do_lower_case, opts_.strip_accents.value_or(opts_.do_lower_case),
                       opts_.tokenize_chinese_chars}) {
        TINYBERT_CHECK(!vocab_.empty(), "tokenizer: empty vocabulary");
        const auto require = [&](const std::string& tok, const char* role) {
            const std::int64_t id = vocab_.find(tok);
            TINYBERT_CHECK(id >= 0, "tokenizer: the vocabulary (", vocab_.size(), " tokens) has no ", role, " token \"",
                           tok, "\"");
            return id;
        };
        unk_id_ = require(opts_.unk_token, "unknown");
        sep_id_ = require(opts_.sep_token, "separator");
        pad_id_ = require(opts_.pad_token, "padding");
        cls_id_ = require(opts_.cls_token, "classifier");
        mask_id_ = vocab_.find(opts_.mask_token);
        std::vector<std::string> specials{opts_.unk_token, opts_.sep_token, opts_.pad_token, opts_.cls_token};
        if (mask_id_ >= 0) specials.push_back(opts_.mask_token);
        for (const std::string& s : opts_.additional_special_tokens) specials.push_back(s);
        for (const std::string& s : specials) {
            if (s.empty() || is_special_string(s)) continue;
            const std::int64_t id = require(s, "additional special");
            specials_.push_back({s, id, detail::count_code_points(s)});
            first_byte_[static_cast<unsigned char>(s[0])] = true;
        }
        post_ = detail::PostProcessor::bert({cls_id_, sep_id_, pad_id_});
    }

    // A BPE or Unigram tokenizer.json pipeline (see tokenizer_json.hpp; from_pretrained builds it). Special tokens
    // are looked up by the strings in opts; a missing one gives id -1 (mask_id() and padding then throw).
    Tokenizer(std::shared_ptr<const detail::Pipeline> pipe, detail::PostProcessor post, TokenizerOptions opts)
        : vocab_(pipe->tokens, ""), opts_(std::move(opts)), pipe_(std::move(pipe)), post_(std::move(post)) {
        TINYBERT_CHECK(!vocab_.empty(), "tokenizer: empty vocabulary");
        unk_id_ = vocab_.find(opts_.unk_token);
        sep_id_ = vocab_.find(opts_.sep_token);
        pad_id_ = vocab_.find(opts_.pad_token);
        cls_id_ = vocab_.find(opts_.cls_token);
        mask_id_ = vocab_.find(opts_.mask_token);
        post_.pad_id = pad_id_;
        for (const detail::AddedToken& t : pipe_->added)
            if (t.special) specials_.push_back({t.content, t.id, t.chars});
    }

    static Tokenizer from_vocab(const std::string& vocab_path, TokenizerOptions opts = {}) {
        return Tokenizer(Vocab::from_txt(vocab_path), std::move(opts));
    }
    // Directory with tokenizer.json or vocab.txt, plus optional tokenizer_config.json (see pretrained.hpp).
    static Tokenizer from_pretrained(const std::string& dir);
    // Writes vocab.txt, tokenizer_config.json and special_tokens_map.json (loadable by transformers' AutoTokenizer).
    void save_pretrained(const std::string& dir) const;

    // One text. Returns one encoding, plus its overflow windows when o.return_overflowing.
    std::vector<Encoding> encode(std::string_view text, const EncodeOptions& o = {}) const {
        return detail::post_process(tokenize(text), nullptr, o, effective_max_length(o), post_);
    }
    std::vector<Encoding> encode_pair(std::string_view a, std::string_view b, const EncodeOptions& o = {}) const {
        const detail::TokenSequence sa = tokenize(a), sb = tokenize(b);
        return detail::post_process(sa, &sb, o, effective_max_length(o), post_);
    }
    // Pre-split words (is_split_into_words): word ids are indices into `words`, offsets are relative to each word.
    // Each word is tokenised on its own (a ByteLevel add_prefix_space adds its space to every word, as HF does).
    std::vector<Encoding> encode_words(const std::vector<std::string>& words, const EncodeOptions& o = {}) const {
        return detail::post_process(tokenize_words(words), nullptr, o, effective_max_length(o), post_);
    }

    // Batch versions: parallel over all cores (OpenMP; serial with TINYBERT_OPENMP=OFF), results in input order with
    // overflow_to_sample set; Padding::longest pads to the longest encoding of the whole batch.
    std::vector<Encoding> encode_batch(const std::vector<std::string>& texts, const EncodeOptions& o = {}) const {
        return run_batch(texts.size(), o, [&](std::size_t i, const EncodeOptions& io) { return encode(texts[i], io); });
    }
    std::vector<Encoding> encode_pair_batch(const std::vector<std::pair<std::string, std::string>>& pairs,
                                            const EncodeOptions& o = {}) const {
        return run_batch(pairs.size(), o, [&](std::size_t i, const EncodeOptions& io) {
            return encode_pair(pairs[i].first, pairs[i].second, io);
        });
    }
    std::vector<Encoding> encode_words_batch(const std::vector<std::vector<std::string>>& batch,
                                             const EncodeOptions& o = {}) const {
        return run_batch(batch.size(), o,
                         [&](std::size_t i, const EncodeOptions& io) { return encode_words(batch[i], io); });
    }

    // decoders::WordPiece: "##" pieces glue to the previous one, others are space-joined; per-token cleanup of
    // " ." " ?" " !" " ," " ' " " n't" " 'm" " do not" " 's" " 've" " 're". Out-of-range ids are skipped.
    // BPE / Unigram: the tokenizer.json decoder (ByteLevel or Metaspace), without clean-up.
    std::string decode(const std::vector<std::int64_t>& ids, bool skip_special_tokens = true) const {
        if (pipe_) {
            std::vector<std::string_view> toks;
            for (const std::int64_t id : ids)
                if (id >= 0 && static_cast<std::size_t>(id) < vocab_.size() && !(skip_special_tokens && is_special_id(id)))
                    toks.push_back(vocab_.token(static_cast<std::size_t>(id)));
            return pipe_->decode(toks);
        }
        std::string out, piece;
        bool first = true;
        const std::string& prefix = vocab_.continuation_prefix();
        for (const std::int64_t id : ids) {
            if (id < 0 || static_cast<std::size_t>(id) >= vocab_.size()) continue;
            if (skip_special_tokens && is_special_id(id)) continue;
            const std::string& tok = vocab_.token(static_cast<std::size_t>(id));
            if (first)
                piece = tok;
            else if (!prefix.empty() && tok.compare(0, prefix.size(), prefix) == 0)
                piece = tok.substr(prefix.size());
            else
                piece = " " + tok;
            first = false;
            static constexpr std::array<std::pair<std::string_view, std::string_view>, 11> cleanup{{
                {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"}, {" 'm", "'m"},
                {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}}};
            for (const auto& [from, to] : cleanup)
                for (std::size_t p = piece.find(from); p != std::string::npos; p = piece.find(from, p + to.size()))
                    piece.replace(p, from.size(), to);
            out += piece;
        }
        return out;
    }

    // Unknown string -> [UNK]'s id; unknown id -> the [UNK] string.
    std::int64_t token_to_id(std::string_view tok) const {
        const std::int64_t id = vocab_.find(tok);
        return id >= 0 ? id : unk_id_;
    }
    const std::string& id_to_token(std::int64_t id) const {
        if (id < 0 || static_cast<std::size_t>(id) >= vocab_.size()) return opts_.unk_token;
        return vocab_.token(static_cast<std::size_t>(id));
    }
    std::int64_t pad_id() const { return pad_id_; }
    std::int64_t cls_id() const { return cls_id_; }
    std::int64_t sep_id() const { return sep_id_; }
    std::int64_t unk_id() const { return unk_id_; }
    std::int64_t mask_id() const {
        TINYBERT_CHECK(mask_id_ >= 0, "tokenizer: the vocabulary has no mask token \"", opts_.mask_token, "\"");
        return mask_id_;
    }
    std::size_t vocab_size() const { return vocab_.size(); }
    std::size_t model_max_length() const { return opts_.model_max_length; }
    // Whether models get this tokenizer's token_type_ids (TokenizerOptions::token_type_ids_input).
    bool returns_token_type_ids() const { return opts_.token_type_ids_input; }
    const TokenizerOptions& options() const { return opts_; }
    const Vocab& vocab() const { return vocab_; }
    // "WordPiece", "BPE" or "Unigram".
    std::string_view model_type() const { return pipe_ ? std::string_view(pipe_->kind) : "WordPiece"; }

private:
    struct Special {
        std::string text;
        std::int64_t id;
        std::size_t chars;
    };

    bool is_special_string(const std::string& s) const {
        for (const Special& sp : specials_)
            if (sp.text == s) return true;
        return false;
    }
    bool is_special_id(std::int64_t id) const {
        for (const Special& sp : specials_)
            if (sp.id == id) return true;
        return false;
    }
    std::size_t effective_max_length(const EncodeOptions& o) const {
        TINYBERT_CHECK(o.padding == Padding::none || pad_id_ >= 0, "padding needs a pad token; the vocabulary has no \"",
                       opts_.pad_token, "\"");
        if (o.max_length > 0) return o.max_length;
        const bool needs = o.truncation != Truncation::none || o.padding == Padding::max_length;
        if (!needs || opts_.model_max_length == no_max_length) {
            TINYBERT_CHECK(o.padding != Padding::max_length, "padding=max_length needs max_length (the tokenizer has ",
                           "no model_max_length)");
            return 0;
        }
        return opts_.model_max_length;
    }

    // Longest special token starting at text[pos], or nullptr.
    const Special* match_special(std::string_view text, std::size_t pos) const {
        const Special* best = nullptr;
        for (const Special& sp : specials_)
            if (text.compare(pos, sp.text.size(), sp.text) == 0 && (!best || sp.text.size() > best->text.size()))
                best = &sp;
        return best;
    }

    // Appends the tokens of `text` to out. word_id >= 0: every token gets that word id (split-into-words input);
    // otherwise word ids count the pre-tokenised words (special tokens found in the text count as words).
    void tokenize_into(std::string_view text, std::int64_t word_id, detail::TokenSequence& out) const {
        if (pipe_) return pipe_->tokenize_into(text, word_id, out);
        thread_local detail::WordBuffer w;
        thread_local std::vector<detail::Piece> pieces;
        w.clear();
        std::int64_t word_index = 0;
        const auto push = [&](std::int64_t id, std::pair<std::size_t, std::size_t> cps,
                              std::pair<std::size_t, std::size_t> bytes) {
            out.ids.push_back(id);
            out.offsets.push_back(cps);
            out.byte_offsets.push_back(bytes);
            out.word_ids.push_back(word_id >= 0 ? word_id : word_index);
        };
        const auto on_word = [&](const detail::WordBuffer& word) {
            pieces.clear();
            detail::wordpiece(vocab_, word, unk_id_, opts_.max_input_chars_per_word, pieces);
            for (const detail::Piece& p : pieces) {
                const detail::SourceChar& s0 = word.src[p.begin];
                const detail::SourceChar& s1 = word.src[p.end - 1];
                push(p.id, {s0.cp, s1.cp + 1}, {s0.byte_begin, s1.byte_end});
            }
            ++word_index;
        };
        std::size_t pos = 0, cp = 0;
        while (pos < text.size()) {
            const auto c = static_cast<unsigned char>(text[pos]);
            if (first_byte_[c]) {
                if (const Special* sp = match_special(text, pos)) {
                    normalizer_.flush(w, on_word);
                    push(sp->id, {cp, cp + sp->chars}, {pos, pos + sp->text.size()});
                    ++word_index;
                    pos += sp->text.size();
                    cp += sp->chars;
                    continue;
                }
            }
            if (c < 0x80) {
                normalizer_.feed(c, {cp, pos, pos + 1}, w, on_word);
                ++pos;
            } else {
                const detail::Utf8Char d = detail::decode_utf8(text, pos);
                if (!d.valid) ++out.invalid_utf8;
                normalizer_.feed(d.cp, {cp, pos, pos + d.len}, w, on_word);
                pos += d.len;
            }
            ++cp;
        }
        normalizer_.flush(w, on_word);
    }

    detail::TokenSequence tokenize(std::string_view text) const {
        detail::TokenSequence s;
        s.ids.reserve(text.size() / 4 + 4);
        s.offsets.reserve(text.size() / 4 + 4);
        s.byte_offsets.reserve(text.size() / 4 + 4);
        s.word_ids.reserve(text.size() / 4 + 4);
        tokenize_into(text, -1, s);
        return s;
    }
    detail::TokenSequence tokenize_words(const std::vector<std::string>& words) const {
        detail::TokenSequence s;
        for (std::size_t i = 0; i < words.size(); ++i) tokenize_into(words[i], static_cast<std::int64_t>(i), s);
        return s;
    }

    template <class EncodeOne>
    std::vector<Encoding> run_batch(std::size_t n, const EncodeOptions& o, EncodeOne&& encode_one) const {
        EncodeOptions inner = o;
        if (o.padding == Padding::longest) inner.padding = Padding::none;
        std::vector<std::vector<Encoding>> results(n);
        std::vector<std::exception_ptr> errors(n);
        const auto count = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for schedule(dynamic, 16)
        for (std::ptrdiff_t i = 0; i < count; ++i) {
            const auto k = static_cast<std::size_t>(i);
            try {
                results[k] = encode_one(k, inner);
            } catch (...) {
                errors[k] = std::current_exception();
            }
        }
        std::vector<Encoding> out;
        std::size_t longest = 0;
        for (std::size_t k = 0; k < n; ++k) {
            if (errors[k]) {
                try {
                    std::rethrow_exception(errors[k]);
                } catch (const std::exception& e) {
                    throw Error(detail::concat("batch input ", k, ": ", e.what()));
                }
            }
            for (Encoding& e : results[k]) {
                e.overflow_to_sample = k;
                longest = std::max(longest, e.size());
                out.push_back(std::move(e));
            }
        }
        if (o.padding == Padding::longest)
            for (Encoding& e : out) detail::pad(e, longest, pad_id_);
        return out;
    }

    Vocab vocab_;
    TokenizerOptions opts_;
    std::shared_ptr<const detail::Pipeline> pipe_;  // BPE / Unigram; null for WordPiece
    detail::PostProcessor post_;
    detail::Normalizer normalizer_;
    std::vector<Special> specials_;
    std::array<bool, 256> first_byte_{};
    std::int64_t unk_id_ = -1, sep_id_ = -1, pad_id_ = -1, cls_id_ = -1, mask_id_ = -1;
};

}  // namespace tinybert

#include "tinybert/tokenizer/pretrained.hpp"
