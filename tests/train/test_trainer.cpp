// train/trainer.hpp on the tiny parity checkpoint (dropout 0, double): resume after a crash gives the same weights as
// an uninterrupted run, gradient accumulation equals the large batch, a NaN loss stops training and keeps the last good
// model, the best model is kept and early stopping stops.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tinybert/nn/bert.hpp"
#include "tinybert/train/trainer.hpp"
#include "train/tiny_run.hpp"

using namespace tinybert;
namespace fs = std::filesystem;

namespace {

using Model = test::TinyModel;
using test::make_features;
using test::weights;
const std::string fixture = test::tiny_fixture();

double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
    REQUIRE(a.size() == b.size());
    double d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
    return d;
}

fs::path scratch(const std::string& name) {
    const fs::path p = fs::temp_directory_path() / ("tinybert_test_trainer_" + name);
    fs::remove_all(p);
    return p;
}

TrainingArguments args(const fs::path& out, std::size_t epochs) {
    TrainingArguments a;
    a.output_dir = out.string();
    a.num_train_epochs = epochs;
    a.learning_rate = 1e-3;
    a.per_device_train_batch_size = 4;
    a.warmup_ratio = 0.25;
    a.weight_decay = 0.01;
    a.progress = false;
    return a;
}

Metrics no_metrics(Model&) { return {}; }

struct Crash {};

// The "step" of every record in dir/metrics.jsonl (-1 for the closing summary, which has none).
std::vector<std::int64_t> logged_steps(const fs::path& dir) {
    std::ifstream in(dir / "metrics.jsonl");
    std::vector<std::int64_t> steps;
    for (std::string line; std::getline(in, line);) {
        const json::Value record = json::parse(line);
        const json::Value* step = record.find("step");
        steps.push_back(step ? step->as_int() : -1);
    }
    return steps;
}

}  // namespace

TEST_CASE("resuming from the checkpoint after a crash reproduces the uninterrupted run", "[train][trainer]") {
    const auto features = make_features(16);  // 4 batches per epoch
    const fs::path a_dir = scratch("straight"), b_dir = scratch("resumed");
    Model a = Model::from_pretrained(fixture);
    Trainer<Model>(a, args(a_dir, 3)).train(features, 0, no_metrics);

    Model b = Model::from_pretrained(fixture);
    Trainer<Model> crashing(b, args(b_dir, 3));
    std::int64_t updates = 0;
    crashing.on_gradients = [&](Model&) {
        if (++updates == 7) throw Crash{};  // in epoch 2, after the epoch-1 checkpoint
    };
    CHECK_THROWS_AS(crashing.train(features, 0, no_metrics), Crash);
    REQUIRE(fs::exists(b_dir / "checkpoint" / "trainer_state.json"));

    Model c = Model::from_pretrained(fixture);
    TrainingArguments resume = args(b_dir, 3);
    resume.resume = true;
    const TrainResult r = Trainer<Model>(c, resume).train(features, 0, no_metrics);
    CHECK(r.updates == 12);
    CHECK(max_diff(weights(a), weights(c)) == 0.0);
    CHECK(max_diff(weights(a), weights(b)) > 1e-6);  // the crashed model itself was not finished
    // The resumed run continues the crashed run's metrics log: the same records as the uninterrupted run's log
    // (evaluations at updates 4, 8, 12, the loss at update 10, the summary).
    const std::vector<std::int64_t> straight = logged_steps(a_dir);
    CHECK(straight == std::vector<std::int64_t>{4, 8, 10, 12, -1});
    CHECK(logged_steps(b_dir) == straight);
    // A fresh run into the same folder replaces the log instead of appending to it.
    Model d = Model::from_pretrained(fixture);
    Trainer<Model>(d, args(a_dir, 3)).train(features, 0, no_metrics);
    CHECK(logged_steps(a_dir) == straight);
    fs::remove_all(a_dir);
    fs::remove_all(b_dir);
}

TEST_CASE("gradient accumulation over 2 batches of 4 equals one batch of 8", "[train][trainer]") {
    const auto features = make_features(16);
    Model big = Model::from_pretrained(fixture), acc = Model::from_pretrained(fixture);
    TrainingArguments a = args("", 2), b = args("", 2);
    a.per_device_train_batch_size = 8;
    b.gradient_accumulation_steps = 2;
    const TrainResult ra = Trainer<Model>(big, a).train(features, 0, no_metrics);
    const TrainResult rb = Trainer<Model>(acc, b).train(features, 0, no_metrics);
    CHECK(ra.updates == 4);
    CHECK(rb.updates == 4);
    CHECK(max_diff(weights(big), weights(acc)) < 1e-12);
    Model initial = Model::from_pretrained(fixture);
    CHECK(max_diff(weights(big), weights(initial)) > 1e-4);  // training moved the weights
}

TEST_CASE("a NaN loss stops training and keeps the last good model", "[train][trainer]") {
    const auto features = make_features(16);
    const fs::path dir = scratch("nan");
    Model m = Model::from_pretrained(fixture);
    std::vector<double> saved;
    const TrainResult r = Trainer<Model>(m, args(dir, 3)).train(features, 0, [&](Model& model) {
        saved = weights(model);
        model.head.classifier.linear.bias.value().data()[0] = std::nan("");  // the model diverges after the first evaluation
        return Metrics{};
    });
    CHECK(r.stopped_on_nan);
    CHECK(r.updates == 4);
    Model reloaded = Model::from_pretrained(dir.string());
    CHECK(max_diff(weights(reloaded), saved) < 1e-6);  // the saved model is the last good one (stored as F32)
    fs::remove_all(dir);
}

TEST_CASE("a NaN loss with finite gradients stops at the next logged loss, before anything is saved",
          "[train][trainer]") {
    // The loss stays on the device between logging steps; the gradient norm guards each update. Here the gradients
    // are made finite (zeroed) after the model diverged, so only the logged loss can tell.
    const auto features = make_features(16);
    const fs::path dir = scratch("nan_logged");
    Model m = Model::from_pretrained(fixture);
    std::vector<double> saved;
    bool diverged = false;
    TrainingArguments a = args(dir, 3);
    a.logging_steps = 2;
    Trainer<Model> trainer(m, a);
    trainer.on_gradients = [&](Model& model) {
        if (diverged) model.zero_grad();
    };
    const TrainResult r = trainer.train(features, 0, [&](Model& model) {
        saved = weights(model);
        model.head.classifier.linear.bias.value().data()[0] = std::nan("");
        diverged = true;
        return Metrics{};
    });
    CHECK(r.stopped_on_nan);
    CHECK(r.updates == 6);  // evaluation at update 4, NaN losses in updates 5 and 6, read at logging step 6
    Model reloaded = Model::from_pretrained(dir.string());
    CHECK(max_diff(weights(reloaded), saved) < 1e-6);
    fs::remove_all(dir);
}

TEST_CASE("the best model by the chosen metric is kept, early stopping stops", "[train][trainer]") {
    const auto features = make_features(8);
    const fs::path dir = scratch("best");
    Model m = Model::from_pretrained(fixture);
    TrainingArguments a = args(dir, 5);
    a.metric_for_best_model = "score";
    a.early_stopping_patience = 2;
    const std::vector<double> scores{0.5, 0.9, 0.7, 0.8, 0.95};
    std::size_t evals = 0;
    std::vector<double> at_best;
    const TrainResult r = Trainer<Model>(m, a).train(features, 0, [&](Model& model) {
        const double s = scores[evals++];
        if (s == 0.9) at_best = weights(model);
        return Metrics{{"score", s}};
    });
    CHECK(evals == 4);  // 0.7 and 0.8 do not beat 0.9: stopped after two evaluations without improvement
    CHECK(r.stopped_early);
    REQUIRE(r.best_metrics.size() == 1);
    CHECK(r.best_metrics[0].second == 0.9);
    Model best = Model::from_pretrained(dir.string());
    CHECK(max_diff(weights(best), at_best) < 1e-6);
    std::ifstream log(dir / "metrics.jsonl");
    std::size_t eval_lines = 0;
    for (std::string line; std::getline(log, line);) eval_lines += line.find("eval_score") != std::string::npos;
    CHECK(eval_lines == 4);
    fs::remove_all(dir);
}

TEST_CASE("with dropout on, a resumed run continues the same masks (torch and counter streams)", "[train][trainer]") {
    // The fixture with dropout 0.1 everywhere.
    const fs::path model_dir = scratch("dropout_model");
    fs::copy(fixture, model_dir, fs::copy_options::recursive);
    {
        json::Value config = json::parse_file((model_dir / "config.json").string());
        json::Object patched;
        for (const auto& [k, v] : config.as_object())
            patched.emplace_back(k, k == "hidden_dropout_prob" || k == "attention_probs_dropout_prob" ? json::Value(0.1) : v);
        std::ofstream((model_dir / "config.json")) << json::Value(std::move(patched)).dump(2);
    }
    const auto features = make_features(16);  // 4 batches per epoch
    std::vector<std::vector<double>> finals;
    for (const DropoutStream stream : {DropoutStream::torch, DropoutStream::counter})
        for (const std::int64_t eval_steps : {std::int64_t{0}, std::int64_t{3}}) {
            INFO("stream " << (stream == DropoutStream::torch ? "torch" : "counter") << ", eval_steps " << eval_steps);
            const fs::path a_dir = scratch("drop_straight"), b_dir = scratch("drop_resumed");
            const auto run_args = [&](const fs::path& out) {
                TrainingArguments a = args(out, 3);
                a.dropout_stream = stream;
                a.eval_steps = eval_steps;
                return a;
            };
            Model a = Model::from_pretrained(model_dir.string());
            Trainer<Model>(a, run_args(a_dir)).train(features, 0, no_metrics);

            Model b = Model::from_pretrained(model_dir.string());
            Trainer<Model> crashing(b, run_args(b_dir));
            std::int64_t updates = 0;
            crashing.on_gradients = [&](Model&) {
                if (++updates == 8) throw Crash{};  // checkpoints: update 4 (epoch end) or 6 (mid-epoch 2)
            };
            CHECK_THROWS_AS(crashing.train(features, 0, no_metrics), Crash);

            Model c = Model::from_pretrained(model_dir.string());
            TrainingArguments resume = run_args(b_dir);
            resume.resume = true;
            CHECK(Trainer<Model>(c, resume).train(features, 0, no_metrics).updates == 12);
            CHECK(max_diff(weights(a), weights(c)) == 0.0);
            if (eval_steps == 0) finals.push_back(weights(a));
            fs::remove_all(a_dir);
            fs::remove_all(b_dir);
        }
    REQUIRE(finals.size() == 2);
    CHECK(max_diff(finals[0], finals[1]) > 1e-6);  // the two streams really draw different masks
    fs::remove_all(model_dir);
}

TEST_CASE("resuming a checkpoint without the torch generator's state needs the counter stream", "[train][trainer]") {
    const auto features = make_features(8);
    const fs::path dir = scratch("old_checkpoint");
    Model m = Model::from_pretrained(fixture);
    Trainer<Model>(m, args(dir, 1)).train(features, 0, no_metrics);
    // A checkpoint as written before the torch dropout stream existed: no rng_torch_state.
    const fs::path state_path = dir / "checkpoint" / "trainer_state.json";
    const json::Value state = json::parse_file(state_path.string());
    json::Object old;
    for (const auto& [k, v] : state.as_object())
        if (k != "rng_torch_state") old.emplace_back(k, v);
    std::ofstream(state_path) << json::Value(std::move(old)).dump(2);

    TrainingArguments resume = args(dir, 2);
    resume.resume = true;
    Model torch_run = Model::from_pretrained(fixture);
    CHECK_THROWS_WITH(Trainer<Model>(torch_run, resume).train(features, 0, no_metrics),
                      Catch::Contains("trainer_state.json: no rng_torch_state"));
    resume.dropout_stream = DropoutStream::counter;
    Model counter_run = Model::from_pretrained(fixture);
    CHECK(Trainer<Model>(counter_run, resume).train(features, 0, no_metrics).updates == 4);
    fs::remove_all(dir);
}
