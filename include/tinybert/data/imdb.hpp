// tinybert/data/imdb.hpp: reader for one split of the aclImdb layout (`<split>/{neg,pos}/<id>_<rating>.txt`),
// giving TextExample{text, label} with neg = 0, pos = 1 (HF `imdb` ClassLabel names). Text is kept byte for byte,
// `<br />` included, as HF datasets does. Order: all neg files, then all pos files, each sorted by file name.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/data/dataset.hpp"
#include "tinybert/data/example.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/io/limits.hpp"

namespace tinybert {

// Read e.g. "aclImdb/train": every regular `*.txt` file under neg/ and pos/ (other folders such as unsup/ are
// ignored). Errors: a missing split or class folder, an unreadable or non-UTF-8 file, no reviews at all.
inline VectorDataset<TextExample> read_imdb(const std::filesystem::path& split_dir) {
    namespace fs = std::filesystem;
    TINYBERT_CHECK(fs::is_directory(split_dir), split_dir.string(),
                   ": not a directory (expected an aclImdb split such as aclImdb/train)");
    std::vector<TextExample> examples;
    const char* classes[] = {"neg", "pos"};
    for (std::int64_t label = 0; label < 2; ++label) {
        const fs::path dir = split_dir / classes[label];
        TINYBERT_CHECK(fs::is_directory(dir), dir.string(),
                       ": missing class folder (aclImdb splits have neg/ and pos/)");
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(dir))
            if (entry.is_regular_file() && entry.path().extension() == ".txt") files.push_back(entry.path());
        std::sort(files.begin(), files.end(),
                  [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
        for (const fs::path& f : files) {
            std::string text = json::read_file(f.string(), max_line_bytes, "one review (64 MiB)");
            const std::size_t bad = detail::first_invalid_utf8(text);
            TINYBERT_CHECK(bad == std::string::npos, f.string(), ": invalid UTF-8 at byte ", bad);
            examples.push_back({std::move(text), std::nullopt, label});
        }
    }
    TINYBERT_CHECK(!examples.empty(), split_dir.string(), ": no reviews found in neg/ or pos/");
    return VectorDataset<TextExample>(std::move(examples), {"neg", "pos"});
}

}  // namespace tinybert
