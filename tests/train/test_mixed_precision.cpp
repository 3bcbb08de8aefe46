// Mixed precision on the CPU (core/precision.hpp, train/loss_scaler.hpp): whole-model steps in bf16/fp16/tf32
// against fp32 from the same weights (loss within 1e-2 relative, every gradient with cosine >= 0.99, the fp32 master
// weights after 3 AdamW steps within the bf16 rounding of the weights), the GradScaler state machine, the Trainer's fp16
// path on forced overflows (the update and the scheduler step skipped, the scale halved, both kept across a resume).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "tinybert/core/precision.hpp"
#include "tinybert/nn/bert.hpp"
#include "tinybert/train/loss_scaler.hpp"
#include "tinybert/train/optimizer.hpp"
#include "tinybert/train/trainer.hpp"
#include "train/tiny_run.hpp"

using namespace tinybert;
namespace fs = std::filesystem;

namespace {

const std::string parity = TINYBERT_PARITY_DIR;

// Two rows of 6 tokens, the second padded after 4 (a padded row exercises the mask in every precision).
Batch<Cpu> batch_for(const std::string& head) {
    Batch<Cpu> b;
    b.input_ids = Tensor<std::int64_t>::from_vector({2, 6}, {2, 7, 9, 13, 5, 3, 2, 11, 8, 3, 0, 0});
    b.attention_mask = Tensor<std::int64_t>::from_vector({2, 6}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0});
    b.token_type_ids = Tensor<std::int64_t>::from_vector({2, 6}, {0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0});
    if (head == "sequence_classification") b.labels = Tensor<std::int64_t>::from_vector({2}, {2, 0});
    if (head == "token_classification")
        b.labels = Tensor<std::int64_t>::from_vector({2, 6}, {-100, 1, 0, 2, 1, -100, -100, 2, 1, -100, -100, -100});
    if (head == "question_answering") {
        b.start_positions = Tensor<std::int64_t>::from_vector({2}, {3, 2});
        b.end_positions = Tensor<std::int64_t>::from_vector({2}, {4, 3});
    }
    return b;
}

struct Step {
    double loss = 0;
    std::map<std::string, std::vector<double>> grads, weights;  // weights after `updates` AdamW steps
};

// Forward + backward in precision p (fp16: backward seeded with `loss_scale`, gradients divided by it after), then
// `updates` AdamW steps on that same batch.
template <class Model>
Step run(const std::string& head, Precision p, int updates, double loss_scale = 1) {
    using T = typename Model::value_type;
    const PrecisionScope scope(p);
    Model m = Model::from_pretrained(parity + "/" + head);
    AdamW<T, Cpu> opt(m, {.lr = 5e-5, .weight_decay = 0.01});
    Step s;
    for (int u = 0; u <= updates; ++u) {
        m.zero_grad();
        Var<T, Cpu> loss = m.forward(batch_for(head)).loss;
        if (u == 0) s.loss = static_cast<double>(loss.value().to_vector()[0]);
        backward(loss, static_cast<T>(loss_scale));
        scale_gradients(m, static_cast<T>(1 / loss_scale));
        if (u == 0)
            m.visit_parameters([&](const std::string& name, Var<T, Cpu>& w) {
                if (!w.has_grad()) return;
                for (T g : w.grad().to_vector()) s.grads[name].push_back(static_cast<double>(g));
            });
        if (u < updates) opt.step(5e-5);
    }
    m.visit_parameters([&](const std::string& name, Var<T, Cpu>& w) {
        for (T x : w.value().to_vector()) s.weights[name].push_back(static_cast<double>(x));
    });
    return s;
}

double norm(const std::vector<double>& a) {
    double aa = 0;
    for (double x : a) aa += x * x;
    return std::sqrt(aa);
}

double cosine(const std::vector<double>& a, const std::vector<double>& b) {
    double ab = 0, aa = 0, bb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) ab += a[i] * b[i], aa += a[i] * a[i], bb += b[i] * b[i];
    return aa == 0 && bb == 0 ? 1.0 : ab / std::sqrt(aa * bb);
}

// Gradients that are zero in exact arithmetic (the attention key bias: softmax ignores a shift; QA's output bias and
// the last LayerNorm bias: a shift of every position's logit) hold only rounding noise in any precision, so their
// cosine means nothing: they are recognised by the double model's gradient (below 1e-7 of the total norm) and must
// stay noise-sized (below 1e-3 of the total norm) instead.
template <class Head>
void compare_with_fp32(const std::string& head, Precision p, double loss_scale) {
    using Model = Bert<Encoder<2>, Head, Cpu, float>;
    const Step ref = run<Model>(head, Precision::fp32, 3), low = run<Model>(head, p, 3, loss_scale);
    const Step exact = run<Bert<Encoder<2>, Head, Cpu, double>>(head, Precision::fp32, 0);
    INFO(head << " in " << precision_name(p) << ": loss " << low.loss << " vs fp32 " << ref.loss);
    CHECK(std::fabs(low.loss - ref.loss) <= 1e-2 * std::fabs(ref.loss));
    CHECK(low.loss != ref.loss);  // the GEMMs did run in the lower precision
    REQUIRE(low.grads.size() == ref.grads.size());
    double total_norm = 0;
    for (const auto& [name, g] : exact.grads) total_norm += norm(g) * norm(g);
    total_norm = std::sqrt(total_norm);
    const auto exact_zero = [&](const std::string& name) {
        const auto g = exact.grads.find(name);
        return g != exact.grads.end() && norm(g->second) < 1e-7 * total_norm;
    };
    double worst = 1;
    for (const auto& [name, g] : ref.grads) {
        if (exact_zero(name)) {
            const double rel = norm(low.grads.at(name)) / total_norm;
            INFO(name << ": zero in exact arithmetic, here " << rel << " of the total norm");
            CHECK(rel < 1e-3);
            continue;
        }
        const double c = cosine(low.grads.at(name), g);
        INFO(name << ": gradient cosine " << c);
        CHECK(c >= 0.99);
        worst = std::min(worst, c);
    }
    // fp32 master weights after 3 AdamW steps of lr 5e-5 (Trainer's default): the updates of the two runs agree to
    // 5 % in norm; all but 1 % of the weights agree within what bf16 storage of them would round away (2^-8
    // relative; AdamW divides each gradient entry by its own magnitude, so entries whose gradient is near rounding
    // noise step ±lr either way in any precision); and the updates smaller than half a bf16 step of their weight,
    // which a bf16 copy of the weights would lose, were applied. The noise-gradient parameters are left out.
    std::size_t off = 0, total = 0, sub_ulp = 0, lost = 0;
    double diff2 = 0, step2 = 0;
    for (const auto& [name, w] : ref.weights) {
        if (exact_zero(name)) continue;
        const std::vector<double>&v = low.weights.at(name), &w0 = exact.weights.at(name);
        for (std::size_t i = 0; i < w.size(); ++i, ++total) {
            if (std::fabs(v[i] - w[i]) > std::ldexp(std::fabs(w[i]), -8)) ++off;
            diff2 += (v[i] - w[i]) * (v[i] - w[i]);
            step2 += (w[i] - w0[i]) * (w[i] - w0[i]);
            if (w[i] != w0[i] && std::fabs(w[i] - w0[i]) < std::ldexp(std::fabs(w0[i]), -9)) {
                ++sub_ulp;
                if (v[i] == w0[i]) ++lost;
            }
        }
    }
    const double update_diff = std::sqrt(diff2 / step2);
    INFO("weights outside the bf16 tolerance: " << off << " of " << total << "; updates differ by " << update_diff
                                                 << " in norm; worst gradient cosine " << worst);
    CHECK(update_diff <= 0.05);
    CHECK(static_cast<double>(off) <= 0.01 * static_cast<double>(total));
    CHECK(sub_ulp > total / 10);
    CHECK(lost == 0);
    WARN(head << " " << precision_name(p) << ": worst gradient cosine " << worst << ", updates differ by "
              << update_diff << ", " << off << " of " << total << " weights outside bf16 tolerance, " << sub_ulp
              << " sub-bf16-step updates kept");
}

// The Trainer's tiny run in float: sequence classification, 16 features, batches of 4.
using FloatModel = Bert<Encoder<2>, SequenceClassification, Cpu, float>;

fs::path scratch(const std::string& name) {
    const fs::path p = fs::temp_directory_path() / ("tinybert_test_mixed_" + name);
    fs::remove_all(p);
    return p;
}

TrainingArguments fp16_args(const fs::path& out) {
    TrainingArguments a;
    a.output_dir = out.string();
    a.num_train_epochs = 3;
    a.learning_rate = 1e-3;
    a.per_device_train_batch_size = 4;
    a.warmup_ratio = 0.25;
    a.progress = false;
    a.logging_steps = 1;
    a.precision = Precision::fp16;
    return a;
}

// Every metrics.jsonl record that has a "loss": step -> record.
std::map<std::int64_t, json::Value> logged(const fs::path& dir) {
    std::ifstream in(dir / "metrics.jsonl");
    std::map<std::int64_t, json::Value> out;
    for (std::string line; std::getline(in, line);) {
        json::Value r = json::parse(line);
        if (r.find("loss")) out.emplace(r.at("step").as_int(), std::move(r));
    }
    return out;
}

// Sets the first gradient entry of the classifier bias to +inf at the given updates (1-based).
struct Overflow {
    std::vector<std::int64_t> at;
    std::int64_t update = 0;
    void operator()(FloatModel& m) {
        if (std::find(at.begin(), at.end(), ++update) != at.end())
            m.head.classifier.linear.bias.grad().data()[0] = std::numeric_limits<float>::infinity();
    }
};

Metrics no_metrics(FloatModel&) { return {}; }

}  // namespace

TEST_CASE("bf16, fp16 and tf32 steps agree with fp32 from the same weights (sequence, token, QA heads)",
          "[train][precision]") {
    for (const Precision p : {Precision::bf16, Precision::fp16, Precision::tf32}) {
        const double scale = p == Precision::fp16 ? 65536.0 : 1.0;
        compare_with_fp32<SequenceClassification>("sequence_classification", p, scale);
        compare_with_fp32<TokenClassification>("token_classification", p, scale);
        compare_with_fp32<QuestionAnswering>("question_answering", p, scale);
    }
}

TEST_CASE("the precision of a scope is restored after it, and double models ignore it", "[train][precision]") {
    CHECK(matmul_precision() == Precision::fp32);
    {
        const PrecisionScope bf(Precision::bf16);
        CHECK(matmul_precision() == Precision::bf16);
        {
            const PrecisionScope half(Precision::fp16);
            CHECK(matmul_precision() == Precision::fp16);
        }
        CHECK(matmul_precision() == Precision::bf16);
    }
    CHECK(matmul_precision() == Precision::fp32);
    using Double = Bert<Encoder<2>, SequenceClassification, Cpu, double>;
    Double a = Double::from_pretrained(parity + "/sequence_classification");
    NoGradGuard no_grad;
    const std::vector<double> ref = a.forward(batch_for("sequence_classification")).logits.value().to_vector();
    const PrecisionScope bf(Precision::bf16);
    CHECK(a.forward(batch_for("sequence_classification")).logits.value().to_vector() == ref);
    TrainingArguments args;
    args.precision = Precision::bf16;
    CHECK_THROWS_WITH((Trainer<Double>(a, args)), Catch::Contains("precision bf16 needs a float model"));
}

TEST_CASE("LossScaler follows GradScaler: halve and skip on overflow, double after growth_interval clean steps",
          "[train][precision]") {
    LossScaler s(true, {.init_scale = 8.0, .growth_factor = 2.0, .backoff_factor = 0.5, .growth_interval = 3});
    CHECK(s.scale() == 8.0);
    s.update(false);
    s.update(false);
    CHECK(s.scale() == 8.0);
    CHECK(s.growth_tracker() == 2);
    s.update(true);  // overflow: halve, and the clean run starts again
    CHECK(s.scale() == 4.0);
    CHECK(s.growth_tracker() == 0);
    s.update(false), s.update(false);
    CHECK(s.scale() == 4.0);
    s.update(false);  // the third clean update in a row
    CHECK(s.scale() == 8.0);
    CHECK(s.growth_tracker() == 0);
    s.update(true), s.update(true);
    CHECK(s.scale() == 2.0);

    LossScaler defaults(true);  // torch.amp.GradScaler(): 2^16, x2 after 2000 clean steps
    CHECK(defaults.scale() == 65536.0);
    for (int i = 0; i < 1999; ++i) defaults.update(false);
    CHECK(defaults.scale() == 65536.0);
    defaults.update(false);
    CHECK(defaults.scale() == 131072.0);

    LossScaler huge(true, {.init_scale = 1e308, .growth_factor = 2.0, .backoff_factor = 0.5, .growth_interval = 1});
    huge.update(false);  // growing past the double range is not taken
    CHECK(huge.scale() == 1e308);

    LossScaler off(false);
    off.update(true);
    CHECK(off.scale() == 1.0);
    CHECK_THROWS_WITH(LossScaler(true, {.init_scale = 0}), Catch::Contains("init_scale > 0"));
}

TEST_CASE("fp16 training skips an overflowed update without stepping AdamW or the schedule", "[train][precision]") {
    const auto features = test::make_features(16);  // 4 updates per epoch, 12 in all
    const fs::path dir = scratch("skip");
    FloatModel m = FloatModel::from_pretrained(parity + "/sequence_classification");
    Trainer<FloatModel> trainer(m, fp16_args(dir));
    Overflow overflow{{3}};
    std::vector<std::vector<double>> before;  // the weights at each update's gradient hook
    std::vector<double> norms;
    trainer.on_gradients = [&](FloatModel& model) {
        before.push_back(test::weights(model));
        norms.push_back(grad_norm(model));  // unscaled: a plain float gradient, not 2^16 times one
        overflow(model);
    };
    const TrainResult r = trainer.train(features, 0, no_metrics);
    CHECK(r.updates == 12);
    CHECK(r.skipped_updates == 1);
    REQUIRE(before.size() == 12);
    CHECK(before[2] == before[3]);  // update 3 changed nothing
    CHECK(before[1] != before[2]);
    CHECK(before[3] != before[4]);
    CHECK(norms[0] > 0.01);
    CHECK(norms[0] < 100);
    const auto log = logged(dir);
    REQUIRE(log.size() == 12);
    CHECK(log.at(2).at("loss_scale").as_double() == 65536.0);
    CHECK(log.at(3).at("loss_scale").as_double() == 32768.0);
    CHECK(log.at(12).at("loss_scale").as_double() == 32768.0);
    CHECK(log.at(3).at("skipped_updates").as_int() == 1);
    // The scheduler did not advance at update 3: update 4 used update 3's learning rate, and the run ends one
    // scheduler step short of the schedule's end (lr at update 12 = the linear schedule's value at step 10).
    CHECK(log.at(4).at("learning_rate").as_double() == log.at(3).at("learning_rate").as_double());
    const LinearSchedule schedule(1e-3, 12, LinearSchedule::warmup_from_ratio(0.25, 12));
    CHECK(log.at(12).at("learning_rate").as_double() == Approx(schedule.lr(10)).epsilon(1e-12));
    const json::Value state = json::parse_file((dir / "checkpoint" / "trainer_state.json").string());
    CHECK(state.at("scheduler_steps").as_int() == 11);
    CHECK(state.at("optimizer_steps").as_int() == 11);
    CHECK(state.at("loss_scale").as_double() == 32768.0);
    fs::remove_all(dir);
}

TEST_CASE("an fp16 run resumed from its checkpoint keeps the loss scale and the schedule position",
          "[train][precision]") {
    const auto features = test::make_features(16);
    const fs::path a_dir = scratch("straight"), b_dir = scratch("resumed");
    FloatModel a = FloatModel::from_pretrained(parity + "/sequence_classification");
    Trainer<FloatModel> straight(a, fp16_args(a_dir));
    straight.on_gradients = Overflow{{2, 3}};
    const TrainResult ra = straight.train(features, 0, no_metrics);
    CHECK(ra.skipped_updates == 2);

    struct Crash {};
    FloatModel b = FloatModel::from_pretrained(parity + "/sequence_classification");
    Trainer<FloatModel> crashing(b, fp16_args(b_dir));
    Overflow overflow{{2, 3}};
    crashing.on_gradients = [&](FloatModel& model) {
        overflow(model);
        if (overflow.update == 7) throw Crash{};  // after the epoch-1 checkpoint (update 4)
    };
    CHECK_THROWS_AS(crashing.train(features, 0, no_metrics), Crash);
    FloatModel c = FloatModel::from_pretrained(parity + "/sequence_classification");
    TrainingArguments resume = fp16_args(b_dir);
    resume.resume = true;
    const TrainResult rc = Trainer<FloatModel>(c, resume).train(features, 0, no_metrics);
    CHECK(rc.updates == 12);
    CHECK(rc.skipped_updates == 2);
    CHECK(test::weights(c) == test::weights(a));
    CHECK(logged(b_dir).at(12).at("loss_scale").as_double() == 16384.0);
    fs::remove_all(a_dir);
    fs::remove_all(b_dir);
}
