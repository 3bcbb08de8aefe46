// Helpers for the tokenizer.json tests: the fixture tokenizers of tools/tokenizer/make_bpe_unigram_fixtures.py
// (tests/fixtures/tokenizer/{bpe,bpe_files,unigram}, and bpe_prefix written from bpe with add_prefix_space=true),
// those of make_spm_fixtures.py (spm_xlmr, spm_albert, and spm_xlmr_file: spm_xlmr's tokenizer.json as it is) and a
// scratch folder.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <string>

#include "conformance_support.hpp"
#include "tinybert/io/files.hpp"

namespace tok_test {

inline const std::string fixture_dir = TINYBERT_TEST_DATA_DIR "/tokenizer";

// A fresh empty folder under the system temp dir, removed at exit of the scope.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::random_device rd;
        path = std::filesystem::temp_directory_path() / ("tinybert_tok_" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string str() const { return path.string(); }
};

// The message of the tinybert::Error f throws; other exceptions and no exception are named as such.
inline std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("non-tinybert exception: ") + e.what();
    }
    return "no error";
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
    std::ofstream f(p, std::ios::binary);
    f << text;
}

// bpe/tokenizer.json with add_prefix_space=true in the pre-tokenizer and the post-processor (the tool's
// prefix_variant()).
inline std::string prefix_variant(std::string text) {
    const std::string off = "\"add_prefix_space\": false", on = "\"add_prefix_space\": true";
    for (std::size_t p = text.find(off); p != std::string::npos; p = text.find(off, p)) text.replace(p, off.size(), on);
    return text;
}

inline const Tokenizer& fixture(const std::string& kind) {
    static std::map<std::string, Tokenizer> cache;
    if (auto it = cache.find(kind); it != cache.end()) return it->second;
    if (kind == "bpe_prefix") {
        TempDir d;
        write_text(d.path / "tokenizer.json", prefix_variant(json::read_file(fixture_dir + "/bpe/tokenizer.json")));
        std::filesystem::copy_file(fixture_dir + "/bpe/tokenizer_config.json", d.path / "tokenizer_config.json");
        return cache.emplace(kind, Tokenizer::from_pretrained(d.str())).first->second;
    }
    if (kind == "spm_xlmr_file") {  // spm_xlmr's tokenizer.json read as it is (make_spm_fixtures.py's load())
        TempDir d;
        std::filesystem::copy_file(fixture_dir + "/spm_xlmr/tokenizer.json", d.path / "tokenizer.json");
        std::string cfg = json::read_file(fixture_dir + "/spm_xlmr/tokenizer_config.json");
        const std::string from = "\"XLMRobertaTokenizer\"";
        cfg.replace(cfg.find(from), from.size(), "\"PreTrainedTokenizerFast\"");
        write_text(d.path / "tokenizer_config.json", cfg);
        return cache.emplace(kind, Tokenizer::from_pretrained(d.str())).first->second;
    }
    return cache.emplace(kind, Tokenizer::from_pretrained(fixture_dir + "/" + kind)).first->second;
}

}  // namespace tok_test
