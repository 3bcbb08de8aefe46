// apps/tinybert/tasks.hpp: what `finetune`, `evaluate` and `predict` share: the task name → model head, the data
// loading per task (format detected from the path), and the per-task evaluation. Models use Encoder<dynamic>, so
// any checkpoint depth works from the command line, and the family of config.json's model_type (with_model).
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "args.hpp"
#include "device_args.hpp"
#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/data/detect.hpp"
#include "tinybert/data/qa_features.hpp"
#include "tinybert/nn/auto.hpp"
#include "tinybert/tasks/classification.hpp"
#include "tinybert/tasks/ner.hpp"
#include "tinybert/tasks/qa.hpp"
#include "tinybert/tokenizer/pretrained.hpp"
#include "tinybert/train/trainer.hpp"

namespace tinybert::cli {

enum class Task { classification, ner, qa };

inline Task parse_task(const std::string& s) {
    if (s == "classification") return Task::classification;
    if (s == "ner") return Task::ner;
    if (s == "qa") return Task::qa;
    TINYBERT_FAIL("--task must be classification, ner or qa, got \"", s, "\"");
}

inline const char* task_name(Task t) {
    return t == Task::classification ? "classification" : t == Task::ner ? "ner" : "qa";
}

// --max-length, defaulting per task as the HF example scripts do: run_glue 128, run_ner the model maximum (512),
// run_qa 384.
inline std::size_t max_length_arg(Args& args, Task t) {
    const std::size_t fallback = t == Task::classification ? 128 : t == Task::ner ? 512 : 384;
    return args.count("--max-length", fallback);
}

// The first n examples (all when n == 0).
template <class E>
VectorDataset<E> take(const VectorDataset<E>& d, std::size_t n) {
    if (n == 0 || n >= d.size()) return d;
    return VectorDataset<E>(std::vector<E>(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(n)), d.label_names(),
                            d.problem_type());
}

// --problem-type (classification): empty when not given.
inline std::optional<ProblemType> problem_type_arg(Args& args) {
    const std::string v = args.value("--problem-type", "");
    if (v.empty()) return std::nullopt;
    return parse_problem_type(v, "--problem-type");
}

// --threshold (multi-label): a probability in [0, 1].
inline double threshold_arg(Args& args) {
    const double t = args.number("--threshold", 0.5);
    TINYBERT_CHECK(t >= 0 && t <= 1, "--threshold needs a number in [0, 1], got ", t);
    return t;
}

// f(std::type_identity<Model>{}) with Model the EncoderModel of `model_dir`'s family (config.json model_type: bert,
// roberta, xlm-roberta, distilbert, electra) under Head, any depth, on Device (fp32).
template <class Head, class Device = Cpu, class F>
int with_model(const std::string& model_dir, F&& f) {
    return with_pretrained_family(model_dir, [&]<class Family>(std::type_identity<Family>) {
        return f(std::type_identity<EncoderModel<Family, Encoder<dynamic>, Head, Device>>{});
    });
}

// with_model on the device that --device chose (device_args.hpp).
template <class Head, class F>
int with_model(const DeviceChoice& device, const std::string& model_dir, F&& f) {
    return with_device(device, [&]<class Device>(std::type_identity<Device>) {
        return with_model<Head, Device>(model_dir, f);
    });
}

// Sets the CPU thread count from --threads (0 = all cores).
inline void apply_threads(Args& args) {
    const long long t = args.integer("--threads", 0);
    if (t > 0) set_num_threads(static_cast<int>(t));
}

// A task's data: examples, model features, and the evaluation of a model on them.
template <Task K>
struct TaskData;

// Classification data: single-label, multi-label or regression, as `problem_type` says or the file shows
// (data/dataset.hpp TextDatasetOptions).
template <>
struct TaskData<Task::classification> {
    using Head = SequenceClassification;
    VectorDataset<TextExample> examples;
    std::vector<Feature> features;
    double threshold = 0.5;  // multi-label evaluation

    TaskData(const std::string& path, const Tokenizer& tok, std::size_t max_length, std::size_t limit,
             const std::vector<std::string>& label_names, std::size_t,
             const std::optional<ProblemType>& problem_type = std::nullopt)
        : examples(take(load_text_dataset(path, {.label_names = label_names, .problem_type = problem_type}), limit)),
          features(classification_features(examples, tok, max_length)) {}
    std::vector<std::string> labels() const { return examples.label_names(); }
    ProblemType problem_type() const { return examples.problem_type(); }
    template <class Model>
    Metrics evaluate(Model& m, std::int64_t pad, std::size_t bs,
                     const dist::Communicator& comm = dist::single_process()) const {
        return evaluate_classification(m, features, pad, bs, threshold, comm);
    }
    static constexpr const char* best_metric = "accuracy";  // single-label; see best_metric_of
};

// The metric the best model is chosen by, and whether higher is better: accuracy (single-label), f1_micro
// (multi-label), mse (regression, lower is better: Pearson/Spearman are NaN on constant predictions).
inline std::pair<const char*, bool> best_metric_of(ProblemType p) {
    if (p == ProblemType::multi_label_classification) return {"f1_micro", true};
    if (p == ProblemType::regression) return {"mse", false};
    return {"accuracy", true};
}

template <>
struct TaskData<Task::ner> {
    using Head = TokenClassification;
    VectorDataset<TokenExample> examples;
    std::vector<Feature> features;

    TaskData(const std::string& path, const Tokenizer& tok, std::size_t max_length, std::size_t limit,
             const std::vector<std::string>& label_names, std::size_t, const std::optional<ProblemType>& = {})
        : examples(take(load_token_dataset(path, label_names), limit)),
          features(ner_features(examples, tok, examples.label_names(), max_length)) {}
    std::vector<std::string> labels() const { return examples.label_names(); }
    template <class Model>
    Metrics evaluate(Model& m, std::int64_t pad, std::size_t bs,
                     const dist::Communicator& comm = dist::single_process()) const {
        return evaluate_ner(m, features, m.config().id2label, pad, bs, comm);
    }
    static constexpr const char* best_metric = "f1";
};

template <>
struct TaskData<Task::qa> {
    using Head = QuestionAnswering;
    VectorDataset<QaExample> examples;
    std::vector<Feature> features;
    std::size_t truncated_questions = 0;

    TaskData(const std::string& path, const Tokenizer& tok, std::size_t max_length, std::size_t limit,
             const std::vector<std::string>&, std::size_t doc_stride, const std::optional<ProblemType>& = {})
        : examples(take(load_qa_dataset(path), limit)) {
        features = qa_features(examples, tok, {.max_length = max_length, .doc_stride = doc_stride},
                               &truncated_questions);
        if (truncated_questions)
            std::fprintf(stderr, "%s: %zu questions longer than the window were cut to 64 tokens\n", path.c_str(),
                         truncated_questions);
    }
    std::vector<std::string> labels() const { return {"start", "end"}; }
    template <class Model>
    Metrics evaluate(Model& m, std::int64_t pad, std::size_t bs,
                     const dist::Communicator& comm = dist::single_process()) const {
        return evaluate_qa(m, examples, features, pad, bs, comm);
    }
    static constexpr const char* best_metric = "f1";
};

// Calls f.template operator()<K>() for the run-time task.
template <class F>
int with_task(Task t, F&& f) {
    switch (t) {
        case Task::classification: return f.template operator()<Task::classification>();
        case Task::ner: return f.template operator()<Task::ner>();
        default: return f.template operator()<Task::qa>();
    }
}

// One JSON object on one line on stdout: the command's result. Redirected to a file on a full disk, that is an error.
inline void print_result(const json::Object& o) {
    if (std::printf("%s\n", json::Value(o).dump().c_str()) < 0 || std::fflush(stdout) != 0)
        TINYBERT_FAIL("stdout: cannot write the result: ", std::strerror(errno));
}

}  // namespace tinybert::cli
