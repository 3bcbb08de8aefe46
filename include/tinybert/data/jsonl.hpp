// tinybert/data/jsonl.hpp: JSON Lines input. Records are separated by "\n" only (spec §9 #33): U+2028, U+2029,
// U+0085 and escaped "\r" inside strings are content. A "\r" before the "\n" is JSON whitespace after the value,
// so CRLF files read the same; blank lines are skipped. Text-classification records are
// {"text": ..., "label": int | string | number | [labels][, "text_pair": string | null]} or {"text": ...,
// "labels": [labels]}; labels follow dataset.hpp.
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

// Read a JSONL text-classification file into TextExamples (file order). The target of a record is its "label": an
// integer or a string (single-label), a number with a fraction (regression: 3.7), or an array of labels
// (multi-label: ["sports", "politics"] or [0, 3]); or its "labels" array (multi-label). Errors name the file and line.
inline VectorDataset<TextExample> read_jsonl_dataset(const std::string& path, TextDatasetOptions opt = {}) {
    std::vector<TextExample> examples;
    std::vector<detail::RecordTarget> targets;
    const auto raw_label = [](const json::Value& v, const std::string& where) {
        if (v.is_int()) return detail::RawLabel{true, v.as_int(), {}, where};
        TINYBERT_CHECK(v.is_string(), where, ": a label must be an integer or a string, got ", v.kind_name());
        return detail::RawLabel{false, 0, v.as_string(), where};
    };
    for_each_jsonl_record(path, [&](const json::Value& rec, const std::string& where) {
        const json::Value* text = rec.find(opt.text_column);
        const json::Value* label = rec.find(opt.label_column);
        if (!label) label = rec.find(opt.labels_column);
        TINYBERT_CHECK(text && text->is_string(), where, ": missing string field \"", opt.text_column, "\"");
        TINYBERT_CHECK(label && (label->is_number() || label->is_string() || label->is_array()), where, ": field \"",
                       opt.label_column, "\" (or \"", opt.labels_column,
                       "\") must be an integer, a string, a number (regression) or an array of labels (multi-label)");
        TextExample ex{text->as_string(), std::nullopt, 0};
        if (const json::Value* pair = rec.find(opt.text_pair_column); pair && !pair->is_null()) {
            TINYBERT_CHECK(pair->is_string(), where, ": field \"", opt.text_pair_column, "\" must be a string");
            ex.text_pair = pair->as_string();
        }
        examples.push_back(std::move(ex));
        detail::RecordTarget t;
        t.where = where;
        if (label->is_array()) {
            t.is_list = true;
            for (const json::Value& v : label->as_array()) t.items.push_back(raw_label(v, where));
        } else if (label->is_number()) {
            t.is_number = true;
            t.number = label->as_double();
            t.fractional = !label->is_int();
            t.items.push_back(label->is_int() ? raw_label(*label, where)
                                              : detail::RawLabel{false, 0, detail::concat(t.number), where});
        } else {
            t.items.push_back(raw_label(*label, where));
            t.is_number = detail::parse_double(label->as_string(), t.number);  // "3.7" read as a regression target
        }
        targets.push_back(std::move(t));
    });
    TINYBERT_CHECK(!examples.empty(), path, ": no records");
    return detail::finish_text_dataset(std::move(examples), targets, std::move(opt));
}

}  // namespace tinybert
