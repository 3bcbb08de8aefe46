// tinybert predict --task classification|ner|qa --model DIR [--max-length L] [--int8] < in.jsonl > out.jsonl
// --int8 quantises the encoder's linears on load (an int8 folder from `tinybert quantize` is int8 without it).
// One prediction per input line, in order: {"text"[, "text_pair"]} → {"label","score"} (single-label), {"labels":[names with
// σ > --threshold],"scores":{name: σ(logit), …}} (multi-label), {"value"} (regression; problem type from config.json);
// {"text"} or {"words"} → {"entities":[…]};
// {"question","context"} → {"answer","start","end","score"}. Other input fields are copied; records are split on '\n'
// only (U+2028 etc. inside strings are content). --device cpu|cuda|cuda:N and --precision fp32|tf32|bf16|fp16
// (device_args.hpp).
#pragma once

#include <iostream>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "cmd_quantize.hpp"
#include "device_args.hpp"
#include "tasks.hpp"
#include "tinybert/io/limits.hpp"

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

// Reads JSONL records from `in` and writes one prediction line per record to `out` (see the top of this file).
// Errors name "stdin:<line>"; a line longer than max_line_bytes is refused before it is read whole.
template <Task K, class Model>
void predict_jsonl(Model& model, const Tokenizer& tok, std::istream& in, std::ostream& out, std::size_t max_length,
                   std::size_t stride, double threshold = 0.5) {
    std::string line;
    std::size_t offset = 0;
    for (std::size_t n = 1; tinybert::detail::read_line_bounded(in, line, "stdin", n, offset); ++n) {
        offset += line.size() + 1;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const json::Value rec = json::parse(line, "stdin:" + std::to_string(n));
        TINYBERT_CHECK(rec.is_object(), "stdin:", n, ": each line must be a JSON object");
        json::Object result = rec.as_object();
        if constexpr (K == Task::classification) {
            TextExample ex{detail::string_field(rec, "text", n), std::nullopt, 0};
            if (const json::Value* pair = rec.find("text_pair"); pair && !pair->is_null())
                ex.text_pair = detail::string_field(rec, "text_pair", n);
            VectorDataset<TextExample> one;
            one.push_back(std::move(ex));
            const ClassPrediction p = classify(model, tok, one, max_length, 1, threshold).front();
            const auto& names = model.config().id2label;
            switch (output_problem_type(model.config())) {
                case ProblemType::regression: result.emplace_back("value", p.value); break;
                case ProblemType::multi_label_classification: {
                    json::Array above;
                    for (const std::int64_t id : p.labels) above.emplace_back(names[static_cast<std::size_t>(id)]);
                    json::Object scores;
                    for (std::size_t k = 0; k < p.scores.size(); ++k) scores.emplace_back(names[k], p.scores[k]);
                    result.emplace_back("labels", json::Value(std::move(above)));
                    result.emplace_back("scores", json::Value(std::move(scores)));
                    break;
                }
                default:
                    result.emplace_back("label", p.label_name);
                    result.emplace_back("score", p.score);
            }
        } else if constexpr (K == Task::ner) {
            if (const json::Value* words = rec.find("words")) {
                TINYBERT_CHECK(words->is_array(), "stdin:", n, ": \"words\" must be an array of strings");
                std::vector<std::string> w;
                for (const auto& x : words->as_array()) {
                    TINYBERT_CHECK(x.is_string(), "stdin:", n, ": \"words\" must be an array of strings");
                    w.push_back(x.as_string());
                }
                result.emplace_back("entities", detail::entities_json(find_entities(model, tok, w, max_length)));
            } else {
                result.emplace_back("entities", detail::entities_json(find_entities(
                                                    model, tok, detail::string_field(rec, "text", n), max_length)));
            }
        } else {
            const QaAnswer a = answer_question(model, tok, detail::string_field(rec, "question", n),
                                               detail::string_field(rec, "context", n),
                                               {.max_length = max_length, .doc_stride = stride});
            result.emplace_back("answer", a.text);
            result.emplace_back("start", static_cast<std::int64_t>(a.start));
            result.emplace_back("end", static_cast<std::int64_t>(a.end));
            result.emplace_back("score", a.score);
        }
        out << json::Value(std::move(result)).dump() << '\n';
    }
    out.flush();
}

inline int run_predict(int argc, char** argv) {
    Args args(argc, argv,
              "tinybert predict --task classification|ner|qa --model DIR [--max-length L] [--doc-stride K] [--threads T] "
              "[--int8] [--threshold P] [--device cpu|cuda|cuda:N] "
              "[--precision fp32|tf32|bf16|fp16]");
    const Task task = parse_task(args.required("--task"));
    const std::string model_dir = args.required("--model");
    const auto max_length = max_length_arg(args, task);
    const auto stride = args.count("--doc-stride", 128);
    const bool int8 = args.flag("--int8");
    const double threshold = threshold_arg(args);
    const DeviceChoice device = inference_device_arg(args, int8);
    apply_threads(args);
    args.finish();
    return with_task(task, [&]<Task K>() {
        return with_model<typename TaskData<K>::Head>(device, model_dir, [&]<class Model>(std::type_identity<Model>) {
            const Tokenizer tok = Tokenizer::from_pretrained(model_dir);
            Model model = Model::from_pretrained(model_dir);
            detail::apply_int8(model, int8, &std::cerr);
            predict_jsonl<K>(model, tok, std::cin, std::cout, max_length, stride, threshold);
            return 0;
        });
    });
}

}  // namespace tinybert::cli
