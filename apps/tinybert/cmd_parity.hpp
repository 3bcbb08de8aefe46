// tinybert parity --model DIR --reference FILE [--dtype f32|f64]
// Proves a checkpoint of any family (config.json's model_type, nn/auto.hpp) computes what transformers computes: logits,
// loss (sequence classification: by problem_type, float labels label_float_labels for regression and multi-label),
// every parameter's gradient, and three
// AdamW + linear-warmup + clipping steps, against a reference file written by tools/make_reference.py. One line per
// quantity with ‖ours − ref‖/‖ref‖; exit status 1 if any exceeds 1e-4 (f32) or 1e-8 (f64). A gradient's ‖ref‖ is
// floored at 1e-3 × the norm of all reference gradients.
// Some parameters have an exactly-zero gradient in exact arithmetic (the attention key bias: softmax is shift-invariant;
// with the QA head qa_outputs.bias and the last output LayerNorm bias, whose gradients sum (p − onehot) over
// positions). They are found from the reference gradients themselves — a norm ≤ 1e-9 × the norm of all of them — not
// from a list of names. Both sides hold rounding noise there, and AdamW divides that noise by its own magnitude, so
// their after-update values drift by up to lr per step on either side. Those are judged against that bound, in f32 and
// f64 alike: max |ours − ref| ≤ 2 Σ_t lr_t c_t + tol · max |ref|, where c_t bounds |m̂_t| / √v̂_t for any gradient
// sequence (adam_ratio_bound below).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "args.hpp"
#include "tinybert/nn/auto.hpp"
#include "tinybert/train/clip.hpp"
#include "tinybert/train/optimizer.hpp"
#include "tinybert/train/schedule.hpp"

namespace tinybert::cli {

namespace detail {

class ParityReport {
public:
    explicit ParityReport(double tol) : tol_(tol) {}

    template <class T>
    void compare(const std::string& what, const std::vector<T>& ours, const std::vector<double>& ref,
                 double norm_floor = 0) {
        TINYBERT_CHECK(ours.size() == ref.size(), "parity: ", what, ": ", ours.size(), " values vs ", ref.size(),
                       " in the reference");
        double diff = 0, norm = 0;
        for (std::size_t i = 0; i < ref.size(); ++i) {
            const double d = static_cast<double>(ours[i]) - ref[i];
            diff += d * d;
            norm += ref[i] * ref[i];
        }
        const double denom = std::max(std::sqrt(norm), norm_floor);
        const double rel = denom > 0 ? std::sqrt(diff) / denom : std::sqrt(diff);
        const bool ok = rel <= tol_ && std::isfinite(rel);
        failures_ += ok ? 0 : 1;
        ++count_;
        std::printf("%-72s %.3e %s\n", what.c_str(), rel, ok ? "ok" : "FAIL");
    }
    // For the after-update values of zero-gradient parameters: max |ours − ref| ≤ bound + tol · max |ref|.
    template <class T>
    void compare_bounded(const std::string& what, const std::vector<T>& ours, const std::vector<double>& ref,
                         double bound) {
        TINYBERT_CHECK(ours.size() == ref.size(), "parity: ", what, ": ", ours.size(), " values vs ", ref.size(),
                       " in the reference");
        double worst = 0, ref_max = 0;
        for (std::size_t i = 0; i < ref.size(); ++i) {
            const double d = std::abs(static_cast<double>(ours[i]) - ref[i]);
            if (std::isnan(d) || d > worst) worst = d;  // a NaN sticks (std::max would drop it)
            ref_max = std::max(ref_max, std::abs(ref[i]));
        }
        const double limit = bound + tol_ * ref_max;
        const bool ok = worst <= limit && std::isfinite(worst);
        failures_ += ok ? 0 : 1;
        ++count_;
        std::printf("%-72s max |d| %.3e <= %.3e (zero gradient: AdamW noise bound) %s\n", what.c_str(), worst, limit,
                    ok ? "ok" : "FAIL");
    }
    int finish() const {
        std::printf("%zu quantities, %zu above %.0e\n", count_, failures_, tol_);
        return failures_ == 0 ? 0 : 1;
    }

private:
    double tol_;
    std::size_t count_ = 0, failures_ = 0;
};

// Bias-corrected Adam after t steps: m̂ = Σ a_i g_i, v̂ = Σ b_i g_i² with a_i = (1−β1) β1^(t−i) / (1−β1^t) and
// b_i = (1−β2) β2^(t−i) / (1−β2^t). By Cauchy–Schwarz |m̂| ≤ √(Σ a_i²/b_i) · √v̂ whatever the gradients g_i are (and
// clipping only rescales them), so one step moves an element by at most lr · √(Σ a_i²/b_i) (≈ 1 for small t).
inline double adam_ratio_bound(std::int64_t t, double beta1, double beta2) {
    double sum = 0;
    for (std::int64_t i = 1; i <= t; ++i) {
        const double a = (1 - beta1) * std::pow(beta1, static_cast<double>(t - i)) / (1 - std::pow(beta1, static_cast<double>(t)));
        const double b = (1 - beta2) * std::pow(beta2, static_cast<double>(t - i)) / (1 - std::pow(beta2, static_cast<double>(t)));
        sum += a * a / b;
    }
    return std::sqrt(sum);
}

template <class Family, class Head, class T>
int run_parity_typed(const std::string& dir, const std::string& ref_path, double tol) {
    using Model = EncoderModel<Family, Encoder<dynamic>, Head, Cpu, T>;
    const SafetensorsFile ref(ref_path);
    const auto ints = [&](const std::string& name) {
        const CheckpointTensor& t = ref.tensor(name);
        Shape s;
        for (const auto d : t.shape()) s.push_back(d);
        return Tensor<std::int64_t>::from_vector(s, t.template to<std::int64_t>());
    };
    Batch<Cpu> batch{ints("input_ids"), ints("attention_mask"), ints("token_type_ids"), {}, {}, {}};
    if constexpr (std::is_same_v<Head, QuestionAnswering>) {
        batch.start_positions = ints("label_start_positions");
        batch.end_positions = ints("label_end_positions");
    } else if (ref.contains("label_float_labels")) {  // regression (B) / multi-label (B,C) targets, exact in float32
        const CheckpointTensor& t = ref.tensor("label_float_labels");
        Shape s;
        for (const auto d : t.shape()) s.push_back(d);
        batch.float_labels = Tensor<float>::from_vector(s, t.template to<float>());
    } else {
        batch.labels = ints("label_labels");
    }
    ParityReport report(tol);

    // Forward + backward at the checkpoint's weights.
    Model model = Model::from_pretrained(dir);
    model.train();  // dropout as config.json says (the fixtures set 0)
    auto out = model.forward(batch);
    if constexpr (std::is_same_v<Head, QuestionAnswering>) {
        report.compare("start_logits", out.start_logits.value().to_vector(), ref.read<double>("start_logits"));
        report.compare("end_logits", out.end_logits.value().to_vector(), ref.read<double>("end_logits"));
    } else {
        report.compare("logits", out.logits.value().to_vector(), ref.read<double>("logits"));
    }
    report.compare("loss", out.loss.value().to_vector(), ref.read<double>("loss"));
    backward(out.loss);
    double all_grads = 0;
    std::map<std::string, double> grad_norms;
    model.visit_parameters([&](const std::string& name, Var<T, Cpu>&) {
        double n2 = 0;
        for (const double g : ref.read<double>("grad." + name)) n2 += g * g;
        grad_norms[name] = std::sqrt(n2);
        all_grads += n2;
    });
    model.visit_parameters([&](const std::string& name, Var<T, Cpu>& p) {
        report.compare("grad." + name, p.grad().to_vector(), ref.read<double>("grad." + name),
                       1e-3 * std::sqrt(all_grads));
    });

    // Three training steps from the same weights: AdamW lr 1e-3, wd 0.01, 1 warmup step of 4, clip 1.0.
    Model trained = Model::from_pretrained(dir);
    trained.train();
    const AdamWOptions adam{.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01};
    AdamW<T, Cpu> opt(trained, adam);
    const LinearSchedule schedule(1e-3, 4, 1);
    std::vector<double> losses;
    double noise_drift = 0;  // how far AdamW can move an element on one side when its gradient is rounding noise
    for (std::int64_t step = 0; step < 3; ++step) {
        noise_drift += schedule.lr(step) * adam_ratio_bound(step + 1, adam.beta1, adam.beta2);
        auto o = trained.forward(batch);
        losses.push_back(static_cast<double>(o.loss.value().to_vector()[0]));
        backward(o.loss);
        clip_grad_norm(trained, 1.0);
        opt.step(schedule.lr(step));
        trained.zero_grad();
    }
    report.compare("train_losses", losses, ref.read<double>("train_losses"));
    trained.visit_parameters([&](const std::string& name, Var<T, Cpu>& p) {
        const bool zero_gradient = grad_norms[name] <= 1e-9 * std::sqrt(all_grads);
        if (zero_gradient) {
            report.compare_bounded("after3." + name, p.value().to_vector(), ref.read<double>("after3." + name),
                                   2 * noise_drift);
        } else {
            report.compare("after3." + name, p.value().to_vector(), ref.read<double>("after3." + name));
        }
    });
    return report.finish();
}

// The head from architectures[0]'s class name: "<Family>ForSequenceClassification", … (the family from model_type).
template <class T>
int run_parity_arch(const BertConfig& config, const std::string& dir, const std::string& ref, double tol) {
    const std::string& arch = config.architectures.front();
    const auto is = [&](const char* suffix) { return std::string_view(arch).ends_with(suffix); };
    return with_family(config.model_type, dir + "/config.json", [&]<class F>(std::type_identity<F>) {
        if (is(SequenceClassification::suffix)) return run_parity_typed<F, SequenceClassification, T>(dir, ref, tol);
        if (is(TokenClassification::suffix)) return run_parity_typed<F, TokenClassification, T>(dir, ref, tol);
        if (is(QuestionAnswering::suffix)) return run_parity_typed<F, QuestionAnswering, T>(dir, ref, tol);
        TINYBERT_FAIL(dir, "/config.json: architectures[0] is \"", arch,
                      "\"; parity supports the ForSequenceClassification, ForTokenClassification and "
                      "ForQuestionAnswering heads");
    });
}

}  // namespace detail

inline int run_parity(int argc, char** argv) {
    Args args(argc, argv, "tinybert parity --model DIR --reference FILE [--dtype f32|f64]");
    const std::string dir = args.required("--model");
    const std::string ref = args.required("--reference");
    const std::string dtype = args.value("--dtype", "f32");
    args.finish();
    const BertConfig config = BertConfig::from_file((std::filesystem::path(dir) / "config.json").string());
    TINYBERT_CHECK(!config.architectures.empty(), dir, "/config.json: no architectures field: which head is it?");
    if (dtype == "f32") return detail::run_parity_arch<float>(config, dir, ref, 1e-4);
    if (dtype == "f64") return detail::run_parity_arch<double>(config, dir, ref, 1e-8);
    TINYBERT_FAIL("--dtype must be f32 or f64, got \"", dtype, "\"");
}

}  // namespace tinybert::cli
