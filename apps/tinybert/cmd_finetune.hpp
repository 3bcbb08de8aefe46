// tinybert finetune --task classification|ner|qa --model DIR --train PATH --eval PATH --out DIR [options]
// Full fine-tuning with Hugging Face Trainer defaults (lr 5e-5, weight decay 0, no warmup, 3 epochs, batch 8, seed 42,
// clipping 1.0, dropout from config.json). The best model by the task's metric and its tokenizer are saved in --out
// in Hugging Face format, with a model card README.md (--base-model and --dataset name the checkpoint and the data in
// it; defaults: the --model folder's name and the name of the folder holding --train). Metrics go to --out/metrics.jsonl
// and/or TensorBoard event files in --out/runs/<MMMdd_HH-MM-SS>_<hostname> (--report-to jsonl|tensorboard|
// jsonl,tensorboard|none; default jsonl). Progress on stderr; one JSON line of results on stdout.
// Classification: --problem-type single_label_classification|multi_label_classification|regression (default: what
// the training file shows, docs/tasks.md; saved in config.json), --threshold (multi-label evaluation, 0.5),
// --class-weights w0,w1,... (single-label: CrossEntropyLoss(weight=w), in label-id order).
// Data parallelism: `mpirun -np N tinybert finetune ...` (docs/distributed.md): --batch-size is per process, only
// rank 0 writes and prints; --ddp-bucket-cap-mb (25) sizes the gradient buckets, --ddp-timeout S (1800) bounds every
// collective.
// Device: --device cpu|cuda|cuda:N, --precision fp32|tf32|bf16|fp16 (apps/tinybert/device_args.hpp; fp16 trains with
// loss scaling); on a GPU the dropout masks come from the counter stream (--dropout-stream counter, the default
// there), one process per run.
#pragma once

#include "device_args.hpp"
#include "distributed.hpp"
#include "tasks.hpp"

namespace tinybert::cli {

// --report-to: "none" or a comma-separated list of jsonl and tensorboard.
inline std::vector<std::string> report_to_arg(const std::string& text) {
    std::vector<std::string> sinks;
    if (text == "none") return sinks;
    for (std::size_t at = 0; at <= text.size();) {
        const std::size_t comma = std::min(text.find(',', at), text.size());
        sinks.push_back(text.substr(at, comma - at));
        TINYBERT_CHECK(sinks.back() == "jsonl" || sinks.back() == "tensorboard",
                       "--report-to is jsonl, tensorboard, jsonl,tensorboard or none, got '", text, "'");
        at = comma + 1;
    }
    return sinks;
}

// --class-weights "w0,w1,...": non-negative numbers (empty text: none).
inline std::vector<double> class_weights_arg(const std::string& text) {
    std::vector<double> w;
    if (text.empty()) return w;
    for (std::size_t at = 0; at <= text.size();) {
        const std::size_t comma = std::min(text.find(',', at), text.size());
        const std::string item = text.substr(at, comma - at);
        char* end = nullptr;
        const double x = std::strtod(item.c_str(), &end);
        TINYBERT_CHECK(!item.empty() && end && *end == '\0' && std::isfinite(x) && x >= 0,
                       "--class-weights needs non-negative numbers separated by commas, got '", text, "'");
        w.push_back(x);
        at = comma + 1;
    }
    return w;
}

inline int run_finetune(int argc, char** argv) {
    Args args(argc, argv,
              "tinybert finetune --task classification|ner|qa --model DIR --train PATH --eval PATH --out DIR\n"
              "  [--epochs E] [--lr LR] [--batch-size B] [--max-length L] [--warmup-ratio R] [--weight-decay W]\n"
              "  [--grad-accum K] [--seed S] [--threads T] [--max-train-examples N] [--max-eval-examples N]\n"
              "  [--eval-batch-size B] [--doc-stride K] [--eval-steps N] [--early-stopping N] [--resume] [--quiet]\n"
              "  [--dropout-stream torch|counter] [--logging-steps N] [--group-by-length]\n"
              "  [--report-to jsonl|tensorboard|jsonl,tensorboard|none] [--base-model NAME] [--dataset NAME]\n"
              "  [--problem-type single_label_classification|multi_label_classification|regression] [--threshold P]\n"
              "  [--class-weights W0,W1,...] [--ddp-bucket-cap-mb MB] [--ddp-timeout S]\n"
              "  [--device cpu|cuda|cuda:N] [--precision fp32|tf32|bf16|fp16]");
    const Job job(args);
    const dist::Communicator& comm = job.comm();
    const Task task = parse_task(args.required("--task"));
    const std::string model_dir = args.required("--model"), train_path = args.required("--train"),
                      eval_path = args.required("--eval"), out = args.required("--out");
    TrainingArguments ta;
    ta.output_dir = out;
    ta.num_train_epochs = args.count("--epochs", 3);
    ta.learning_rate = args.number("--lr", 5e-5);
    ta.per_device_train_batch_size = args.count("--batch-size", 8);
    ta.warmup_ratio = args.number("--warmup-ratio", 0.0);
    ta.weight_decay = args.number("--weight-decay", 0.0);
    ta.gradient_accumulation_steps = args.count("--grad-accum", 1);
    ta.seed = static_cast<std::uint64_t>(args.integer("--seed", 42));
    ta.eval_steps = args.integer("--eval-steps", 0);
    ta.early_stopping_patience = args.count("--early-stopping", 0);
    ta.resume = args.flag("--resume");
    ta.group_by_length = args.flag("--group-by-length");
    const DeviceChoice device = device_arg(args);
    ta.precision = device.precision;
    TINYBERT_CHECK(!device.cuda || comm.size() == 1, "--device cuda runs as one process: data parallelism on GPUs is "
                   "not in the command line yet (docs/distributed.md)");
    // Default: the Trainer's, torch's stream on the CPU (HF's masks) and the counter stream on a GPU.
    const std::string stream = args.value("--dropout-stream", "");
    TINYBERT_CHECK(stream.empty() || stream == "torch" || stream == "counter",
                   "--dropout-stream is torch or counter, got '", stream, "'");
    TINYBERT_CHECK(!device.cuda || stream != "torch",
                   "--dropout-stream torch draws the masks on the host, which a GPU run does not; use counter");
    if (!stream.empty()) ta.dropout_stream = stream == "torch" ? DropoutStream::torch : DropoutStream::counter;
    ta.progress = !args.flag("--quiet");
    ta.logging_steps = static_cast<std::int64_t>(args.count("--logging-steps", 10));
    TINYBERT_CHECK(ta.logging_steps > 0, "--logging-steps needs a positive integer");
    ta.report_to = report_to_arg(args.value("--report-to", "jsonl"));
    ta.ddp_bucket_cap_mb = args.number("--ddp-bucket-cap-mb", 25);
    TINYBERT_CHECK(ta.ddp_bucket_cap_mb >= 0, "--ddp-bucket-cap-mb needs a number >= 0");
    namespace fs = std::filesystem;
    const auto named = [](const fs::path& p) {  // "out/", "." and "a/../out" name their folder
        const fs::path n = fs::absolute(p).lexically_normal();
        return n.has_filename() ? n : n.parent_path();
    };
    ta.base_model = args.value("--base-model", named(model_dir).filename().string());
    ta.dataset = args.value("--dataset", named(train_path).parent_path().filename().string());
    const auto max_length = max_length_arg(args, task);
    const auto max_train = args.count("--max-train-examples", 0);
    const auto max_eval = args.count("--max-eval-examples", 0);
    const auto eval_bs = args.count("--eval-batch-size", 32);
    ta.per_device_eval_batch_size = eval_bs;
    const auto stride = args.count("--doc-stride", 128);
    const std::optional<ProblemType> problem_type = problem_type_arg(args);
    const double threshold = threshold_arg(args);
    const std::vector<double> class_weights = class_weights_arg(args.value("--class-weights", ""));
    TINYBERT_CHECK(task == Task::classification || (!problem_type && class_weights.empty()),
                   "--problem-type and --class-weights are for --task classification");
    job.apply_threads(args);
    args.finish();

    return job.run("finetune", [&] { return with_task(task, [&]<Task K>() {
        using Data = TaskData<K>;
        return with_model<typename Data::Head>(device, model_dir, [&]<class Model>(std::type_identity<Model>) {
            const Tokenizer tok = Tokenizer::from_pretrained(model_dir);
            const Data train(train_path, tok, max_length, max_train, {}, stride, problem_type);
            std::optional<ProblemType> data_problem;
            if constexpr (K == Task::classification) data_problem = train.problem_type();
            Data eval(eval_path, tok, max_length, max_eval, train.labels(), stride, data_problem);
            PretrainedOptions opts{.labels = train.labels(), .seed = ta.seed};
            if constexpr (K == Task::classification) {
                eval.threshold = threshold;
                // The problem type is the flag's, else left to the first forward (transformers' inference from the
                // labels); a checkpoint whose config.json names another one than the data is told the data's.
                const BertConfig base = BertConfig::from_file((std::filesystem::path(model_dir) / "config.json").string());
                if (problem_type || (base.problem_type && *base.problem_type != problem_type_name(*data_problem)))
                    opts.problem_type = problem_type_name(*data_problem);
                const auto [metric, greater] = best_metric_of(*data_problem);
                ta.metric_for_best_model = metric;
                ta.greater_is_better = greater;
            } else {
                ta.metric_for_best_model = Data::best_metric;
            }
            Model model = Model::from_pretrained(model_dir, opts);
            if constexpr (K == Task::classification) {
                if (!class_weights.empty()) {
                    TINYBERT_CHECK(*data_problem == ProblemType::single_label_classification,
                                   "--class-weights are for single_label_classification, the data is ",
                                   problem_type_name(*data_problem));
                    model.head.loss.set_class_weights(class_weights);
                }
            }
            if (comm.is_main()) {
                for (const auto& name : model.load_report().missing)
                    std::fprintf(stderr, "newly initialised: %s\n", name.c_str());
                std::fprintf(stderr, "%zu training examples (%zu features), %zu evaluation examples (%zu features)%s\n",
                             train.examples.size(), train.features.size(), eval.examples.size(), eval.features.size(),
                             comm.size() > 1 ? (", " + std::to_string(comm.size()) + " processes").c_str() : "");
            }
            Trainer<Model> trainer(model, ta, comm);
            const TrainResult r = trainer.train(
                train.features, tok.pad_id(), [&](Model& m) { return eval.evaluate(m, tok.pad_id(), eval_bs, comm); },
                [&](const std::string& dir) { tok.save_pretrained(dir); });
            json::Object o{{"task", task_name(K)},
                           {"output_dir", out},
                           {"train_examples", static_cast<std::int64_t>(train.examples.size())},
                           {"updates", r.updates},
                           {"train_loss", r.train_loss},
                           {"train_runtime", r.seconds},
                           {"eval_runtime", r.eval_seconds},
                           {"train_samples_per_second", r.sequences_per_second},
                           {"stopped_on_nan", r.stopped_on_nan},
                           {"stopped_early", r.stopped_early}};
            if constexpr (K == Task::classification) o.emplace_back("problem_type", problem_type_name(*data_problem));
            for (const auto& [k, v] : r.best_metrics) o.emplace_back("eval_" + k, v);
            if (comm.size() > 1) {
                o.emplace_back("world_size", static_cast<std::int64_t>(comm.size()));
                o.emplace_back("gradient_buckets", static_cast<std::int64_t>(r.communication.buckets));
                o.emplace_back("allreduce_wait_seconds", r.communication.exposed_seconds);
            }
            if (comm.is_main()) print_result(o);
            return r.stopped_on_nan ? 1 : 0;
        });
    }); });
}

}  // namespace tinybert::cli
