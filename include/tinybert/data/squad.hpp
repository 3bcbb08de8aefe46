// tinybert/data/squad.hpp: SQuAD v1.1 / v2.0 JSON reader, flattened to QaExample in file order (as HF `squad`):
// {"data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question", "answers": [{"text",
// "answer_start"}], "is_impossible"?}]}]}]}. answer_start is a code-point index (a Python str index); every
// answer is checked against the context. v2 `is_impossible: true` questions get no answers.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tinybert/core/error.hpp"
#include "tinybert/data/dataset.hpp"
#include "tinybert/data/example.hpp"
#include "tinybert/io/json.hpp"

namespace tinybert {

// Errors name the file and the article/question: malformed structure, missing fields, an answer whose text is not
// the context substring at answer_start, no questions at all.
inline VectorDataset<QaExample> read_squad(const std::string& path) {
    const json::Value root = json::parse_file(path);
    const json::Value* data = root.find("data");
    TINYBERT_CHECK(data && data->is_array(), path, ": expected a SQuAD object with a \"data\" array");
    std::vector<QaExample> out;
    const auto field = [&](const json::Value& obj, const char* key, const std::string& where) -> const std::string& {
        const json::Value* v = obj.find(key);
        TINYBERT_CHECK(v && v->is_string(), path, ": ", where, ": missing string field \"", key, "\"");
        return v->as_string();
    };
    const auto array = [&](const json::Value& obj, const char* key, const std::string& where) -> const json::Array& {
        const json::Value* v = obj.find(key);
        TINYBERT_CHECK(v && v->is_array(), path, ": ", where, ": missing array \"", key, "\"");
        return v->as_array();
    };
    for (std::size_t a = 0; a < data->as_array().size(); ++a) {
        const json::Value& article = data->as_array()[a];
        const std::string art_where = "article " + std::to_string(a);
        const std::string title = article.find("title") ? field(article, "title", art_where) : std::string();
        for (const json::Value& para : array(article, "paragraphs", art_where)) {
            const std::string& context = field(para, "context", art_where);
            const std::vector<std::size_t> cp = detail::code_point_byte_offsets(context);
            const std::size_t n_cp = cp.size() - 1;
            for (const json::Value& qa : array(para, "qas", art_where)) {
                QaExample ex;
                ex.id = field(qa, "id", art_where);
                const std::string where = "question " + ex.id;
                ex.question = field(qa, "question", where);
                ex.context = context;
                ex.title = title;
                const json::Value* impossible = qa.find("is_impossible");
                const bool no_answer = impossible && impossible->is_bool() && impossible->as_bool();
                if (!no_answer) {
                    for (const json::Value& ans : array(qa, "answers", where)) {
                        const std::string& text = field(ans, "text", where);
                        const json::Value* start = ans.find("answer_start");
                        TINYBERT_CHECK(start && start->is_int() && start->as_int() >= 0, path, ": ", where,
                                       ": answer_start must be a non-negative integer");
                        const auto s = static_cast<std::size_t>(start->as_int());
                        const std::size_t len = detail::code_point_byte_offsets(text).size() - 1;
                        TINYBERT_CHECK(s + len <= n_cp && context.compare(cp[s], cp[s + len] - cp[s], text) == 0, path,
                                       ": ", where, ": answer \"", text, "\" is not the context text at answer_start ",
                                       s, " (code points)");
                        ex.answer_texts.push_back(text);
                        ex.answer_starts.push_back(s);
                    }
                }
                out.push_back(std::move(ex));
            }
        }
    }
    TINYBERT_CHECK(!out.empty(), path, ": no questions");
    return VectorDataset<QaExample>(std::move(out));
}

}  // namespace tinybert
