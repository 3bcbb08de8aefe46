// tinybert predict --task classification|ner|qa --model DIR [--max-length L] < in.jsonl > out.jsonl
// One prediction per input line, in order: {"text"} → {"label","score"}; {"text"} or {"words"} → {"entities":[…]};
// {"question","context"} → {"answer","start","end","score"}. Other input fields are copied; records are split on '\n'
// only (U+2028 etc. inside strings are content).
#pragma once

#include <iostream>

#include "tasks.hpp"

namespace tinybert::cli {

namespace detail {

inline json::Value entities_json(const std::vector<NamedEntity>& es) {
    json::Array a;
    for (const auto& e : es)
        a.emplace_back(json::Object{{"entity", e.type},
                                    {"text", e.text},
                                    {"start", static_cast<std::int64_t>(e.start)},
                                    {"end", static_cast<std::int64_t>(e.end)},
                                    {"score", e.score}});
    return json::Value(std::move(a));
}

inline const std::string& string_field(const json::Value& rec, const char* key, std::size_t line) {
    const json::Value* v = rec.find(key);
    TINYBERT_CHECK(v && v->is_string(), "stdin:", line, ": expected a string field \"", key, "\"");
    return v->as_string();
}

}  // namespace detail

inline int run_predict(int argc, char** argv) {
    Args args(argc, argv,
              "tinybert predict --task classification|ner|qa --model DIR [--max-length L] [--doc-stride K] [--threads T]");
    const Task task = parse_task(args.required("--task"));
    const std::string model_dir = args.required("--model");
    const auto max_length = max_length_arg(args, task);
    const auto stride = args.count("--doc-stride", 128);
    apply_threads(args);
    args.finish();
    return with_task(task, [&]<Task K>() {
        using Model = Bert<Encoder<dynamic>, typename TaskData<K>::Head>;
        const Tokenizer tok = Tokenizer::from_pretrained(model_dir);
        Model model = Model::from_pretrained(model_dir);
        std::string line;
        for (std::size_t n = 1; std::getline(std::cin, line); ++n) {
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            const json::Value rec = json::parse(line, "stdin:" + std::to_string(n));
            TINYBERT_CHECK(rec.is_object(), "stdin:", n, ": each line must be a JSON object");
            json::Object out = rec.as_object();
            if constexpr (K == Task::classification) {
                const ClassPrediction p = classify(model, tok, {detail::string_field(rec, "text", n)}, max_length).front();
                out.emplace_back("label", p.label_name);
                out.emplace_back("score", p.score);
            } else if constexpr (K == Task::ner) {
                if (const json::Value* words = rec.find("words")) {
                    std::vector<std::string> w;
                    for (const auto& x : words->as_array()) w.push_back(x.as_string());
                    out.emplace_back("entities", detail::entities_json(find_entities(model, tok, w, max_length)));
                } else {
                    out.emplace_back("entities", detail::entities_json(find_entities(
                                                     model, tok, detail::string_field(rec, "text", n), max_length)));
                }
            } else {
                const QaAnswer a = answer_question(model, tok, detail::string_field(rec, "question", n),
                                                   detail::string_field(rec, "context", n),
                                                   {.max_length = max_length, .doc_stride = stride});
                out.emplace_back("answer", a.text);
                out.emplace_back("start", static_cast<std::int64_t>(a.start));
                out.emplace_back("end", static_cast<std::int64_t>(a.end));
                out.emplace_back("score", a.score);
            }
            std::printf("%s\n", json::Value(std::move(out)).dump().c_str());
        }
        std::fflush(stdout);
        return 0;
    });
}

}  // namespace tinybert::cli
