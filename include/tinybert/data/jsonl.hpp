// tinybert/data/jsonl.hpp: JSON Lines input. Records are separated by "\n" only (spec §9 #33): U+2028, U+2029,
// U+0085 and escaped "\r" inside strings are content. A "\r" before the "\n" is JSON whitespace after the value,
// so CRLF files read the same; blank lines are skipped. Text-classification records are
// {"text": ..., "label": int | string[, "text_pair": string | null]}; labels follow dataset.hpp.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/data/dataset.hpp"
#include "tinybert/data/example.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/io/limits.hpp"

namespace tinybert {

// Call fn(record, "path:line") for every non-blank line of a JSONL file. Errors name the file and line.
inline void for_each_jsonl_record(const std::string& path,
                                  const std::function<void(const json::Value&, const std::string&)>& fn) {
    const std::string text = json::read_file(path);
    std::size_t begin = 0, line = 1;
    while (begin < text.size()) {
        std::size_t end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        detail::check_line_length(end - begin, path, line, begin);
        const std::string_view row(text.data() + begin, end - begin);
        if (row.find_first_not_of(" \t\r") != std::string_view::npos) {
            const std::string where = path + ":" + std::to_string(line);
            const json::Value record = json::parse(row, where);
            TINYBERT_CHECK(record.is_object(), where, ": expected a JSON object, got ", record.kind_name());
            fn(record, where);
        }
        begin = end + 1;
        ++line;
    }
}

// Read a JSONL text-classification file into TextExamples (file order).
inline VectorDataset<TextExample> read_jsonl_dataset(const std::string& path, TextDatasetOptions opt = {}) {
    std::vector<TextExample> examples;
    std::vector<detail::RawLabel> raw;
    for_each_jsonl_record(path, [&](const json::Value& rec, const std::string& where) {
        const json::Value* text = rec.find(opt.text_column);
        const json::Value* label = rec.find(opt.label_column);
        TINYBERT_CHECK(text && text->is_string(), where, ": missing string field \"", opt.text_column, "\"");
        TINYBERT_CHECK(label && (label->is_int() || label->is_string()), where, ": field \"", opt.label_column,
                       "\" must be an integer or a string");
        TextExample ex{text->as_string(), std::nullopt, 0};
        if (const json::Value* pair = rec.find(opt.text_pair_column); pair && !pair->is_null()) {
            TINYBERT_CHECK(pair->is_string(), where, ": field \"", opt.text_pair_column, "\" must be a string");
            ex.text_pair = pair->as_string();
        }
        examples.push_back(std::move(ex));
        raw.push_back(label->is_int() ? detail::RawLabel{true, label->as_int(), {}, where}
                                      : detail::RawLabel{false, 0, label->as_string(), where});
    });
    TINYBERT_CHECK(!examples.empty(), path, ": no records");
    const std::vector<std::int64_t> ids = detail::resolve_labels(raw, opt.label_names);
    for (std::size_t i = 0; i < examples.size(); ++i) examples[i].label = ids[i];
    return VectorDataset<TextExample>(std::move(examples), std::move(opt.label_names));
}

}  // namespace tinybert
