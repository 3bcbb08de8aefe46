// tinybert/data/detect.hpp: guess a dataset file's format from its path and first bytes, and load it with the
// matching reader: a folder with pos/ and neg/ = IMDb, .csv = CSV, .json with a top-level "data" = SQuAD,
// .jsonl/.json records with "tokens" = NER JSONL (else text JSONL), .tsv/.conll/.iob/.txt = token-per-line NER.
#pragma once

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/data/conll.hpp"
#include "tinybert/data/csv.hpp"
#include "tinybert/data/imdb.hpp"
#include "tinybert/data/jsonl.hpp"
#include "tinybert/data/squad.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/io/limits.hpp"

namespace tinybert {

enum class DatasetFormat { imdb, csv, text_jsonl, token_jsonl, squad, conll };

inline const char* format_name(DatasetFormat f) {
    switch (f) {
        case DatasetFormat::imdb:
            return "imdb";
        case DatasetFormat::csv:
            return "csv";
        case DatasetFormat::text_jsonl:
            return "text jsonl";
        case DatasetFormat::token_jsonl:
            return "token jsonl";
        case DatasetFormat::squad:
            return "squad";
        default:
            return "conll";
    }
}

// Errors: a missing path, an unknown extension, a folder without pos/ and neg/.
inline DatasetFormat detect_format(const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    TINYBERT_CHECK(fs::exists(path), path.string(), ": no such file or directory");
    if (fs::is_directory(path)) {
        TINYBERT_CHECK(fs::is_directory(path / "pos") && fs::is_directory(path / "neg"), path.string(),
                       ": a dataset folder must be an aclImdb split with pos/ and neg/");
        return DatasetFormat::imdb;
    }
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".csv") return DatasetFormat::csv;
    if (ext == ".tsv" || ext == ".conll" || ext == ".iob" || ext == ".txt") return DatasetFormat::conll;
    if (ext == ".json" || ext == ".jsonl") {
        // The first non-blank line: a JSONL record, or a whole one-line document (the official SQuAD files), read up
        // to the limit of what it can be.
        std::ifstream in(path, std::ios::binary);
        std::string first;
        const std::size_t limit = ext == ".json" ? static_cast<std::size_t>(max_json_document_bytes) : max_line_bytes;
        for (std::size_t line = 1, offset = 0;
             detail::read_line_bounded(in, first, path.string(), line, offset, limit) &&
             first.find_first_not_of(" \t\r") == std::string::npos;
             ++line)
            offset += first.size() + 1;
        if (ext == ".json") {
            try {
                const json::Value doc = json::parse(first, path.string());
                if (doc.find("data")) return DatasetFormat::squad;
                return doc.find("tokens") ? DatasetFormat::token_jsonl : DatasetFormat::text_jsonl;
            } catch (const Error&) {
                return DatasetFormat::squad;  // a multi-line JSON document; read_squad reports what is wrong
            }
        }
        const json::Value rec = json::parse(first, path.string() + ":1");
        return rec.find("tokens") ? DatasetFormat::token_jsonl : DatasetFormat::text_jsonl;
    }
    TINYBERT_FAIL(path.string(), ": cannot tell the dataset format from the extension \"", ext,
                  "\" (use .csv, .jsonl, .json, .tsv, .conll, .txt or an aclImdb split folder)");
}

// Load a text-classification dataset (IMDb folder, CSV or text JSONL).
inline VectorDataset<TextExample> load_text_dataset(const std::filesystem::path& path, TextDatasetOptions opt = {}) {
    switch (const DatasetFormat f = detect_format(path)) {
        case DatasetFormat::imdb:
            return read_imdb(path);
        case DatasetFormat::csv:
            return read_csv_dataset(path.string(), std::move(opt));
        case DatasetFormat::text_jsonl:
            return read_jsonl_dataset(path.string(), std::move(opt));
        default:
            TINYBERT_FAIL(path.string(), ": ", format_name(f), " data is not a text-classification dataset");
    }
}

// Load a NER dataset (token-per-line or NER JSONL).
inline VectorDataset<TokenExample> load_token_dataset(const std::filesystem::path& path,
                                                      std::vector<std::string> label_names = {}) {
    switch (const DatasetFormat f = detect_format(path)) {
        case DatasetFormat::conll:
            return read_conll(path.string(), std::move(label_names));
        case DatasetFormat::token_jsonl:
            return read_token_jsonl(path.string(), std::move(label_names));
        default:
            TINYBERT_FAIL(path.string(), ": ", format_name(f), " data is not a token-classification dataset");
    }
}

// Load a SQuAD-format QA dataset.
inline VectorDataset<QaExample> load_qa_dataset(const std::filesystem::path& path) {
    const DatasetFormat f = detect_format(path);
    TINYBERT_CHECK(f == DatasetFormat::squad, path.string(), ": ", format_name(f),
                   " data is not a SQuAD-format dataset");
    return read_squad(path.string());
}

}  // namespace tinybert
