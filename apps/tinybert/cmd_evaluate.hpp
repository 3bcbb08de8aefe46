// tinybert evaluate --task classification|ner|qa --model DIR --data PATH [--max-length L] [--batch-size B] [--int8]
// --int8 quantises the encoder's linears on load (an int8 folder from `tinybert quantize` is int8 without it).
// Prints {"accuracy","f1"} (single-label classification), {"f1_micro","f1_macro","subset_accuracy"} (multi-label, a
// label predicted when σ(logit) > --threshold, 0.5), {"mse","mae","pearson","spearman"} (regression; the problem type
// is config.json's), {"precision","recall","f1"} (NER, seqeval default mode, fractions) or {"exact_match","f1"} (QA,
// percentages as the official SQuAD script prints them). Under `mpirun -np N` each process predicts every N-th batch
// and rank 0 prints the metrics of all of them (docs/distributed.md). --device cpu|cuda|cuda:N and --precision
// fp32|tf32|bf16|fp16 (device_args.hpp): the forward passes run there, in batches of --batch-size.
#pragma once

#include "cmd_quantize.hpp"
#include "device_args.hpp"
#include "distributed.hpp"
#include "tasks.hpp"

namespace tinybert::cli {

inline int run_evaluate(int argc, char** argv) {
    Args args(argc, argv,
              "tinybert evaluate --task classification|ner|qa --model DIR --data PATH [--max-length L] "
              "[--batch-size B] [--doc-stride K] [--max-examples N] [--threads T] [--int8] [--threshold P] "
              "[--ddp-timeout S] [--device cpu|cuda|cuda:N] [--precision fp32|tf32|bf16|fp16]");
    const Job job(args);
    const Task task = parse_task(args.required("--task"));
    const std::string model_dir = args.required("--model"), data_path = args.required("--data");
    const auto max_length = max_length_arg(args, task);
    const auto batch_size = args.count("--batch-size", 32);
    const auto stride = args.count("--doc-stride", 128);
    const auto limit = args.count("--max-examples", 0);
    const bool int8 = args.flag("--int8");
    const double threshold = threshold_arg(args);
    const DeviceChoice device = inference_device_arg(args, int8);
    TINYBERT_CHECK(!device.cuda || job.comm().size() == 1, "--device cuda runs as one process: sharded evaluation on "
                   "GPUs is not in the command line yet (docs/distributed.md)");
    job.apply_threads(args);
    args.finish();
    return job.run("evaluate", [&] { return with_task(task, [&]<Task K>() {
        using Data = TaskData<K>;
        return with_model<typename Data::Head>(device, model_dir, [&]<class Model>(std::type_identity<Model>) {
            const Tokenizer tok = Tokenizer::from_pretrained(model_dir);
            Model model = Model::from_pretrained(model_dir);
            detail::apply_int8(model, int8, job.comm().is_main() ? &std::cerr : nullptr);
            Data data(data_path, tok, max_length, limit, model.config().id2label, stride,
                      parse_optional_problem_type(model.config().problem_type, "config.json problem_type"));
            if constexpr (K == Task::classification) data.threshold = threshold;
            json::Object o;
            for (const auto& [k, v] : data.evaluate(model, tok.pad_id(), batch_size, job.comm())) {
                if (K == Task::ner && k == "accuracy") continue;
                o.emplace_back(k, v);
            }
            if (job.comm().is_main()) print_result(o);
            return 0;
        });
    }); });
}

}  // namespace tinybert::cli
