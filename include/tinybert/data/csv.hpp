// tinybert/data/csv.hpp: RFC 4180 CSV text-classification reader. A header row names the columns: `text`,
// `label` (or `labels` for multi-label, see read_csv_dataset) and optionally `text_pair` (other columns are ignored).
// Fields may be quoted, with embedded commas, newlines and doubled quotes; records end with CRLF or LF; a UTF-8 BOM is
// skipped. Labels follow dataset.hpp.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/data/dataset.hpp"
#include "tinybert/data/example.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/io/limits.hpp"

namespace tinybert {

struct CsvRecord {
    std::vector<std::string> fields;
    std::size_t line = 0;  // 1-based line where the record starts
};

// Split CSV text into records. `source` names the input in errors (unterminated quote, text after a closing quote).
inline std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& source = "<csv>") {
    const std::size_t bom = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
    text.remove_prefix(bom);
    std::vector<CsvRecord> records;
    CsvRecord rec;
    std::string field;
    std::size_t line = 1;
    std::size_t i = 0;
    std::size_t record_start = 0;  // byte offset in `text`
    bool at_record_start = true;
    const auto end_field = [&] {
        detail::check_line_length(i - record_start, source, rec.line, bom + record_start, "record");
        rec.fields.push_back(std::move(field));
        field.clear();
    };
    while (i < text.size()) {
        if (at_record_start) {
            rec = CsvRecord{{}, line};
            record_start = i;
            at_record_start = false;
        }
        if (text[i] == '"' && field.empty()) {  // quoted field
            const std::size_t open_line = line;
            ++i;
            for (;;) {
                TINYBERT_CHECK(i < text.size(), source, ":", open_line, ": unterminated quoted field");
                if (text[i] == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                if (text[i] == '\n') ++line;
                field += text[i++];
            }
            TINYBERT_CHECK(i == text.size() || text[i] == ',' || text[i] == '\n' || text[i] == '\r', source, ":", line,
                           ": unexpected character after a closing quote");
        }
        if (i == text.size()) break;
        const char c = text[i];
        if (c == ',') {
            end_field();
            ++i;
        } else if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
            end_field();
            records.push_back(std::move(rec));
            at_record_start = true;
            i += c == '\r' ? 2 : 1;
            ++line;
        } else {
            field += c;
            ++i;
        }
    }
    if (!at_record_start) {
        end_field();
        records.push_back(std::move(rec));
    }
    return records;
}

// Read a CSV text-classification file into TextExamples (file order). The target column is `label` (single-label,
// or regression when its values are numbers and one has a fraction or exponent: "3.7") or, when the header has no
// `label`, `labels`: multi-label, the labels of a record joined by opt.label_separator ("sports|politics"; an empty
// field is no label). Errors name the file and line: missing columns, a record with the wrong number of fields, an
// unknown label, a regression target that is not a number, no records.
inline VectorDataset<TextExample> read_csv_dataset(const std::string& path, TextDatasetOptions opt = {}) {
    const std::string text = json::read_file(path);
    const std::size_t bad = detail::first_invalid_utf8(text);
    TINYBERT_CHECK(bad == std::string::npos, path, ": invalid UTF-8 at byte ", bad);
    const std::vector<CsvRecord> records = parse_csv(text, path);
    TINYBERT_CHECK(!records.empty(), path, ": empty file (expected a header row)");
    const auto& header = records[0].fields;
    const auto column = [&](const std::string& name) {
        return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
    };
    const std::size_t text_col = column(opt.text_column), pair_col = column(opt.text_pair_column);
    std::size_t label_col = column(opt.label_column);
    bool lists = opt.problem_type == ProblemType::multi_label_classification;
    if (label_col == header.size()) {
        label_col = column(opt.labels_column);
        lists = lists || label_col < header.size();
    }
    TINYBERT_CHECK(text_col < header.size() && label_col < header.size(), path, ":1: header must name columns \"",
                   opt.text_column, "\" and \"", opt.label_column, "\" (or \"", opt.labels_column, "\" for multi-label)");

    std::vector<TextExample> examples;
    std::vector<detail::RecordTarget> targets;
    for (std::size_t r = 1; r < records.size(); ++r) {
        const CsvRecord& rec = records[r];
        if (rec.fields.size() == 1 && rec.fields[0].empty()) continue;  // blank line
        TINYBERT_CHECK(rec.fields.size() == header.size(), path, ":", rec.line, ": record has ", rec.fields.size(),
                       " fields but the header has ", header.size());
        TextExample ex{rec.fields[text_col], std::nullopt, 0};
        if (pair_col < header.size()) ex.text_pair = rec.fields[pair_col];
        examples.push_back(std::move(ex));
        detail::RecordTarget t;
        t.where = path + ":" + std::to_string(rec.line);
        const std::string& field = rec.fields[label_col];
        if (lists) {
            t.is_list = true;
            for (std::size_t at = 0; at < field.size();) {
                const std::size_t end = std::min(field.find(opt.label_separator, at), field.size());
                TINYBERT_CHECK(end > at, t.where, ": empty label in \"", field, "\" (labels are joined by '",
                               opt.label_separator, "')");
                t.items.push_back({false, 0, field.substr(at, end - at), t.where});
                at = end + 1;
                TINYBERT_CHECK(end == field.size() || at < field.size(), t.where, ": empty label in \"", field, "\"");
            }
        } else {
            t.items.push_back({false, 0, field, t.where});
            std::int64_t as_int = 0;
            t.is_number = detail::parse_double(field, t.number);
            t.fractional = t.is_number && !detail::parse_int64(field, as_int);
        }
        targets.push_back(std::move(t));
    }
    TINYBERT_CHECK(!examples.empty(), path, ": no records after the header");
    return detail::finish_text_dataset(std::move(examples), targets, std::move(opt));
}

}  // namespace tinybert
