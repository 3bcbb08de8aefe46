// tinybert parity --model DIR --reference FILE [--dtype f32|f64]
// Proves a checkpoint computes what transformers computes: logits, loss, every parameter's gradient, and three
// AdamW + linear-warmup + clipping steps, against a reference file written by tools/make_reference.py. One line per
// quantity with ‖ours − ref‖/‖ref‖; exit status 1 if any exceeds 1e-4 (f32) or 1e-8 (f64). A gradient's ‖ref‖ is
// floored at 1e-3 × the norm of all reference gradients: the attention key bias has an exactly-zero gradient in exact
// arithmetic (softmax is shift-invariant), so both sides hold rounding noise there and only absolute error means much.
// For the same parameters (the key biases; with the QA head also qa_outputs.bias and the last output LayerNorm bias,
// whose gradients sum (p − onehot) over positions), AdamW divides that noise by its own magnitude, so in f32 their
// after-3-steps values are noise of size lr: those lines are printed but not judged in f32 (they are in f64).
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
#include "tinybert/nn/bert.hpp"
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
                 double norm_floor = 0, bool judged = true) {
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
        if (!judged) {
            std::printf("%-72s %.3e not judged (zero gradient in exact arithmetic)\n", what.c_str(), rel);
            return;
        }
        failures_ += ok ? 0 : 1;
        ++count_;
        std::printf("%-72s %.3e %s\n", what.c_str(), rel, ok ? "ok" : "FAIL");
    }
    int finish() const {
        std::printf("%zu quantities, %zu above %.0e\n", count_, failures_, tol_);
        return failures_ == 0 ? 0 : 1;
    }

private:
    double tol_;
    std::size_t count_ = 0, failures_ = 0;
};

template <class Head, class T>
int run_parity_typed(const std::string& dir, const std::string& ref_path, double tol) {
    using Model = Bert<Encoder<dynamic>, Head, Cpu, T>;
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
    AdamW<T, Cpu> opt(trained, {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01});
    const LinearSchedule schedule(1e-3, 4, 1);
    std::vector<double> losses;
    for (std::int64_t step = 0; step < 3; ++step) {
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
        report.compare("after3." + name, p.value().to_vector(), ref.read<double>("after3." + name), 0,
                       std::is_same_v<T, double> || !zero_gradient);
    });
    return report.finish();
}

template <class T>
int run_parity_arch(const std::string& arch, const std::string& dir, const std::string& ref, double tol) {
    if (arch == SequenceClassification::architecture) return run_parity_typed<SequenceClassification, T>(dir, ref, tol);
    if (arch == TokenClassification::architecture) return run_parity_typed<TokenClassification, T>(dir, ref, tol);
    if (arch == QuestionAnswering::architecture) return run_parity_typed<QuestionAnswering, T>(dir, ref, tol);
    TINYBERT_FAIL(dir, "/config.json: architectures[0] is \"", arch,
                  "\"; parity supports BertForSequenceClassification, BertForTokenClassification, "
                  "BertForQuestionAnswering");
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
    const std::string& arch = config.architectures.front();
    if (dtype == "f32") return detail::run_parity_arch<float>(arch, dir, ref, 1e-4);
    if (dtype == "f64") return detail::run_parity_arch<double>(arch, dir, ref, 1e-8);
    TINYBERT_FAIL("--dtype must be f32 or f64, got \"", dtype, "\"");
}

}  // namespace tinybert::cli
