// tinybert/io/limits.hpp: size limits for what is read from files and streams. Each lies far above any real
// checkpoint or dataset (docs/reliability.md, "Hostile sizes"), so reaching one means a corrupt or hostile input: it
// is refused with the size it would need and where, before anything is allocated for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>

#include "tinybert/core/error.hpp"

namespace tinybert {

// One line of a JSONL/CSV/token-per-line dataset or of `tinybert predict`/`tokenize` input, one CSV record, one
// aclImdb review file, one vocab.txt line. The longest real ones (a SQuAD context, a long review) are a few hundred KB.
inline constexpr std::size_t max_line_bytes = std::size_t{64} << 20;

// One JSON document (config.json, tokenizer.json, a SQuAD file, a sharded checkpoint's index). SQuAD 2.0 train is
// 40 MB, the largest tokenizer.json files about 20 MB; simdjson itself stops at 4 GiB.
inline constexpr std::uint64_t max_json_document_bytes = std::uint64_t{1} << 30;

// Classes of a classifier: a config's num_labels, or the largest integer label of a dataset + 1. Each is also a
// label string, so a huge id would make that many strings.
inline constexpr std::int64_t max_labels = std::int64_t{1} << 20;

namespace detail {

// Refuses a line (or CSV record: what = "record") of `bytes` bytes starting at byte `offset` of `source`, as
// "source:line: ...".
inline void check_line_length(std::size_t bytes, const std::string& source, std::size_t line, std::size_t offset,
                              const char* what = "line") {
    TINYBERT_CHECK(bytes <= max_line_bytes, source, ":", line, ": ", what, " of ", bytes, " bytes (starting at byte ",
                   offset, ") is longer than the limit of ", max_line_bytes, " bytes (64 MiB)");
}

// std::getline that stops at `limit` bytes instead of growing `out` without bound; false at the end of the input.
// `line` (1-based) and `offset` (the byte where the line starts) name the line in the error.
inline bool read_line_bounded(std::istream& in, std::string& out, const std::string& source, std::size_t line,
                              std::size_t offset, std::size_t limit = max_line_bytes) {
    out.clear();
    std::streambuf* buf = in.rdbuf();
    for (;;) {
        const auto c = buf->sbumpc();
        if (c == std::char_traits<char>::eof()) {
            in.setstate(std::ios::eofbit);
            return !out.empty();
        }
        if (c == '\n') return true;
        TINYBERT_CHECK(out.size() < limit, source, ":", line, ": line starting at byte ", offset,
                       " is longer than the limit of ", limit, " bytes");
        out.push_back(static_cast<char>(c));
    }
}

}  // namespace detail

}  // namespace tinybert
