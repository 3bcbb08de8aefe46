// The tiny run that reports to both metrics.jsonl and TensorBoard, shared by test_tensorboard.cpp,
// test_model_card.cpp and report_run.cpp (whose output the Python readers check): 16 features (4 updates per epoch),
// 3 epochs, a loss every 3 updates, a real evaluation (accuracy, f1) every 4. With `crash_at` > 0 the run is killed
// (an exception from the gradient hook) at that update and resumed from its checkpoint, as a crashed run would be.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "tinybert/nn/bert.hpp"  // before the task and train headers, which need its types
#include "tinybert/tasks/classification.hpp"
#include "tinybert/train/trainer.hpp"
#include "train/tiny_run.hpp"

namespace tinybert::test {

inline TrainingArguments report_args(const std::filesystem::path& out) {
    TrainingArguments a;
    a.output_dir = out.string();
    a.learning_rate = 1e-3;
    a.per_device_train_batch_size = 4;
    a.warmup_ratio = 0.25;
    a.logging_steps = 3;
    a.progress = false;
    a.report_to = {"jsonl", "tensorboard"};
    a.base_model = "tinybert-tests/sequence-classification";
    a.dataset = "synthetic";
    return a;
}

// Runs the tiny training into `out` (replacing it); returns the run's TrainResult.
inline TrainResult report_run(const std::filesystem::path& out, std::int64_t crash_at = 0) {
    struct Crash {};
    std::filesystem::remove_all(out);
    const auto features = make_features(16);
    const auto evaluate = [&](TinyModel& m) { return evaluate_classification(m, features, 0, 8); };
    if (crash_at > 0) {
        TinyModel crashed = TinyModel::from_pretrained(tiny_fixture());
        Trainer<TinyModel> trainer(crashed, report_args(out));
        std::int64_t updates = 0;
        trainer.on_gradients = [&](TinyModel&) {
            if (++updates == crash_at) throw Crash{};
        };
        try {
            trainer.train(features, 0, evaluate);
        } catch (const Crash&) {
        }
    }
    TrainingArguments args = report_args(out);
    args.resume = crash_at > 0;
    TinyModel model = TinyModel::from_pretrained(tiny_fixture());
    return Trainer<TinyModel>(model, args).train(features, 0, evaluate);
}

}  // namespace tinybert::test
