// apps/tinybert/serve/request.hpp: what `tinybert serve` accepts: the task, the JSON request bodies of /predict and
// /embed turned into model inputs, and the request errors (HTTP status + TEI's {"error","error_type"} shape).
// Shapes follow text-embeddings-inference (/predict, /embed) and the transformers pipelines (ner, qa); docs/serving.md.
#pragma once

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tinybert/io/hf_config.hpp"
#include "tinybert/io/json.hpp"

namespace tinybert::cli::serve {

enum class ServeTask { classification, ner, qa, embed };

inline ServeTask parse_serve_task(const std::string& s) {
    if (s == "classification") return ServeTask::classification;
    if (s == "ner") return ServeTask::ner;
    if (s == "qa") return ServeTask::qa;
    if (s == "embed") return ServeTask::embed;
    TINYBERT_FAIL("--task must be classification, ner, qa or embed, got \"", s, "\"");
}

inline const char* serve_task_name(ServeTask t) {
    switch (t) {
        case ServeTask::classification: return "classification";
        case ServeTask::ner: return "ner";
        case ServeTask::qa: return "qa";
        default: return "embed";
    }
}

// The task of a checkpoint from config.json's architectures (any family: BertForTokenClassification,
// RobertaForTokenClassification, …); a bare encoder (BertModel, or anything else) embeds.
inline ServeTask task_of_checkpoint(const std::string& model_dir) {
    const auto c = BertConfig::from_file((std::filesystem::path(model_dir) / "config.json").string());
    for (const std::string_view a : c.architectures) {
        if (a.ends_with("ForSequenceClassification")) return ServeTask::classification;
        if (a.ends_with("ForTokenClassification")) return ServeTask::ner;
        if (a.ends_with("ForQuestionAnswering")) return ServeTask::qa;
    }
    return ServeTask::embed;
}

// The default --max-length: `tinybert predict`'s per task, and sentence-transformers' max_seq_length (256) of
// all-MiniLM-L6-v2 for embeddings.
inline std::size_t default_max_length(ServeTask t) {
    return t == ServeTask::classification ? 128 : t == ServeTask::ner ? 512 : t == ServeTask::qa ? 384 : 256;
}

// A request that cannot be served, answered as HTTP `status` with {"error": what(), "error_type": type}.
struct RequestError : std::runtime_error {
    RequestError(int s, std::string t, const std::string& message)
        : std::runtime_error(message), status(s), type(std::move(t)) {}
    int status;
    std::string type;
};

// One model input: a text, pre-split words (ner), or a question and its context (qa).
struct Input {
    std::string text;
    std::vector<std::string> words;
    bool pre_split = false;
    std::string question, context;
    bool normalize = true;  // embed only
};

// The inputs of one request; `single` when the request held one input rather than a list, so the answer is that
// input's result rather than a list of results.
struct ParsedRequest {
    std::vector<Input> inputs;
    bool single = true;
};

namespace detail {

[[noreturn]] inline void invalid(const std::string& message) { throw RequestError(422, "validation", message); }

inline std::string string_of(const json::Value& v, const std::string& what) {
    if (!v.is_string()) invalid(what + " must be a string, got " + v.kind_name());
    return v.as_string();
}

// "inputs": a string or a non-empty array of at most max_inputs elements; f(element, name) makes each input.
template <class F>
ParsedRequest inputs_of(const json::Value& inputs, std::size_t max_inputs, F&& f) {
    ParsedRequest r;
    if (!inputs.is_array()) {
        r.inputs.push_back(f(inputs, std::string("\"inputs\"")));
        return r;
    }
    const json::Array& a = inputs.as_array();
    if (a.empty()) throw RequestError(400, "empty", "\"inputs\" cannot be empty");
    if (a.size() > max_inputs)
        throw RequestError(413, "validation", "batch size " + std::to_string(a.size()) +
                                                  " > maximum allowed batch size " + std::to_string(max_inputs));
    r.single = false;
    for (std::size_t i = 0; i < a.size(); ++i) r.inputs.push_back(f(a[i], "\"inputs\"[" + std::to_string(i) + "]"));
    return r;
}

inline Input text_input(const json::Value& v, const std::string& what) {
    Input in;
    in.text = string_of(v, what);
    return in;
}

inline Input qa_input(const json::Value& v, const std::string& what) {
    if (!v.is_object()) invalid(what + " must be an object with \"question\" and \"context\"");
    Input in;
    for (const char* key : {"question", "context"})
        if (!v.find(key)) invalid(what + " has no \"" + key + "\"");
    in.question = string_of(v.at("question"), what + ".question");
    in.context = string_of(v.at("context"), what + ".context");
    return in;
}

}  // namespace detail

// The inputs of a /predict (classification, ner, qa) or /embed body; throws RequestError for a body of the wrong
// shape. Unknown fields are ignored, as TEI does.
inline ParsedRequest parse_request(ServeTask task, const json::Value& body, std::size_t max_inputs) {
    using detail::invalid;
    if (!body.is_object()) invalid(std::string("the request body must be a JSON object, got ") + body.kind_name());
    const json::Value* inputs = body.find("inputs");
    if (task == ServeTask::qa) {
        if (inputs) return detail::inputs_of(*inputs, max_inputs, detail::qa_input);
        return {{detail::qa_input(body, "the request")}, true};
    }
    if (task == ServeTask::ner && !inputs && body.find("words")) {
        const json::Value& w = body.at("words");
        if (!w.is_array()) invalid("\"words\" must be an array of strings");
        Input in;
        in.pre_split = true;
        for (std::size_t i = 0; i < w.as_array().size(); ++i)
            in.words.push_back(detail::string_of(w.as_array()[i], "\"words\"[" + std::to_string(i) + "]"));
        if (in.words.empty()) throw RequestError(400, "empty", "\"words\" cannot be empty");
        return {{std::move(in)}, true};
    }
    if (!inputs) invalid(task == ServeTask::ner ? "missing field \"inputs\" (or \"words\")" : "missing field \"inputs\"");
    ParsedRequest r = detail::inputs_of(*inputs, max_inputs, detail::text_input);
    if (const json::Value* n = body.find("normalize"); n && task == ServeTask::embed) {
        if (!n->is_bool()) invalid(std::string("\"normalize\" must be a boolean, got ") + n->kind_name());
        for (Input& in : r.inputs) in.normalize = n->as_bool();
    }
    return r;
}

// The body of an error answer: {"error": message, "error_type": type}.
inline std::string error_body(const std::string& message, const std::string& type) {
    return json::Value(json::Object{{"error", message}, {"error_type", type}}).dump();
}

}  // namespace tinybert::cli::serve
