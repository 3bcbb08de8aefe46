// The ../shared/data tokenizer corpus (read exactly as tools/tokenizer/corpus.py reads it) and the per-sample digest
// of corpus.py: shared by test_tokenizer_corpus.cpp (WordPiece) and test_tokenizer_json_corpus.cpp (BPE, Unigram).
#pragma once

#include <cstdio>
#include <filesystem>
#include <map>
#include <utility>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "conformance_support.hpp"

namespace tok_test {

inline const std::string data_dir = TINYBERT_SHARED_DIR "/data";

struct Fnv {
    std::uint64_t h = 0xCBF29CE484222325ull;
    void add(std::int64_t v) {
        auto u = static_cast<std::uint64_t>(v);
        for (int k = 0; k < 8; ++k, u >>= 8) {
            h ^= u & 0xFF;
            h *= 0x100000001B3ull;
        }
    }
    std::string hex() const {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>((h >> 32) ^ (h & 0xFFFFFFFFull)));
        return buf;
    }
};

// The digest fields of corpus.py's digest(): n_encodings, n_tokens, then the four hashes.
inline std::vector<std::string> digest(const std::vector<const Encoding*>& encs) {
    Fnv ids, types, offsets, words;
    std::size_t n_tok = 0;
    for (const Encoding* e : encs) {
        const auto n = static_cast<std::int64_t>(e->size());
        n_tok += e->size();
        for (Fnv* h : {&ids, &types, &offsets, &words}) h->add(n);
        for (auto v : e->input_ids) ids.add(v);
        for (const auto* f : {&e->token_type_ids, &e->attention_mask, &e->special_tokens_mask})
            for (auto v : *f) types.add(v);
        for (const auto& [s, t] : e->offsets) {
            offsets.add(static_cast<std::int64_t>(s));
            offsets.add(static_cast<std::int64_t>(t));
        }
        for (auto v : e->word_ids) words.add(v);
        for (auto v : e->sequence_ids) words.add(v);
    }
    return {std::to_string(encs.size()), std::to_string(n_tok), ids.hex(), types.hex(), offsets.hex(), words.hex()};
}

inline std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    for (std::size_t end; (end = s.find(sep, pos)) != std::string::npos; pos = end + 1) out.push_back(s.substr(pos, end - pos));
    out.push_back(s.substr(pos));
    return out;
}

inline std::vector<std::string> imdb_texts() {
    std::vector<std::string> out;
    const std::vector<std::string> lines = split(json::read_file(data_dir + "/imdb/MANIFEST.tsv"), '\n');
    for (std::size_t i = 1; i < lines.size(); ++i)
        if (!lines[i].empty()) out.push_back(json::read_file(data_dir + "/imdb/aclImdb/" + split(lines[i], '\t')[0]));
    return out;
}

inline std::vector<std::pair<std::string, std::string>> squad_pairs() {
    std::vector<std::pair<std::string, std::string>> out;
    for (const char* name : {"train-v1.1-subset.json", "dev-v1.1-devsubset.json"}) {
        const json::Value doc = json::parse_file(data_dir + "/squad-v1.1/" + name);
        for (const auto& article : doc.at("data").as_array())
            for (const auto& para : article.at("paragraphs").as_array())
                for (const auto& qa : para.at("qas").as_array())
                    out.emplace_back(qa.at("question").as_string(), para.at("context").as_string());
    }
    return out;
}

inline std::vector<std::vector<std::string>> wikiann_sentences() {
    std::vector<std::vector<std::string>> out;
    for (const char* name : {"train.tsv", "validation.tsv"}) {
        std::vector<std::string> words;
        for (const std::string& line : split(json::read_file(data_dir + "/wikiann-en/" + name), '\n')) {
            if (line.empty()) {
                if (!words.empty()) out.push_back(std::move(words));
                words.clear();
            } else {
                words.push_back(split(line, '\t')[0]);
            }
        }
        if (!words.empty()) out.push_back(std::move(words));
    }
    return out;
}


// corpus_expected*.tsv: set -> per sample the six digest fields.
inline std::map<std::string, std::vector<std::vector<std::string>>> read_expected(const std::string& path) {
    std::map<std::string, std::vector<std::vector<std::string>>> expected;
    for (const std::string& line : split(json::read_file(path), '\n')) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> f = split(line, '\t');
        if (f.size() != 8) throw Error(path + ": expected 8 tab-separated fields: " + line);
        auto& rows = expected[f[0]];
        if (std::stoul(f[1]) != rows.size()) throw Error(path + ": samples out of order at " + line);
        rows.emplace_back(f.begin() + 2, f.end());
    }
    return expected;
}

// The corpus sets corpus.py encodes, by name: "imdb" (untruncated), "imdb128" (longest_first, 128), "squad"
// (only_second, 384, stride 128, overflow, max_length padding), "wikiann" (word lists, longest_first, 512).
inline std::map<std::string, std::vector<Encoding>> encode_sets(const Tokenizer& t,
                                                               const std::vector<std::string>& sets) {
    std::map<std::string, std::vector<Encoding>> got;
    EncodeOptions trunc128{.max_length = 128, .truncation = Truncation::longest_first};
    EncodeOptions squad{.max_length = 384, .truncation = Truncation::only_second, .padding = Padding::max_length,
                        .stride = 128, .return_overflowing = true};
    EncodeOptions wiki{.max_length = 512, .truncation = Truncation::longest_first};
    for (const std::string& s : sets) {
        if (s == "imdb") got[s] = t.encode_batch(imdb_texts(), {});
        if (s == "imdb128") got[s] = t.encode_batch(imdb_texts(), trunc128);
        if (s == "squad") got[s] = t.encode_pair_batch(squad_pairs(), squad);
        if (s == "wikiann") got[s] = t.encode_words_batch(wikiann_sentences(), wiki);
    }
    return got;
}

// Checks every sample's digest of `got` against corpus_expected*.tsv at expected_path (at most 10 reported
// differences per set, `kind` names the tokenizer); returns {samples compared, samples identical}.
inline std::pair<std::size_t, std::size_t> compare_sets(const std::string& kind, const std::string& expected_path,
                                                 const std::map<std::string, std::vector<Encoding>>& got) {
    const auto expected = read_expected(expected_path);
    std::size_t total = 0, total_ok = 0;
    static const char* field_names[] = {"n_encodings", "n_tokens", "ids", "types_masks", "offsets", "word_seq_ids"};
    for (const auto& [name, encs] : got) {
        REQUIRE(expected.count(name) == 1);
        const auto& want = expected.at(name);
        std::vector<std::vector<const Encoding*>> groups(want.size());
        for (const Encoding& e : encs) {
            REQUIRE(e.overflow_to_sample < groups.size());
            groups[e.overflow_to_sample].push_back(&e);
        }
        std::size_t ok = 0, reported = 0;
        for (std::size_t i = 0; i < want.size(); ++i) {
            const std::vector<std::string> d = digest(groups[i]);
            if (d == want[i]) {
                ++ok;
                continue;
            }
            for (std::size_t k = 0; k < d.size() && reported < 10; ++k)
                if (d[k] != want[i][k]) {
                    FAIL_CHECK(kind << " " << name << " sample " << i << ": " << field_names[k] << " differs");
                    ++reported;
                    break;
                }
        }
        CHECK(ok == want.size());
        WARN(kind << " corpus " << name << ": " << ok << "/" << want.size() << " samples identical ("
                  << encs.size() << " encodings)");
        total += want.size();
        total_ok += ok;
    }
    return {total, total_ok};
}

}  // namespace tok_test
