// tinybert/train/optimizer.hpp: AdamW exactly as torch.optim.AdamW (decoupled weight decay), with Hugging Face
// Trainer's parameter groups: no decay for biases and LayerNorm weights (spec §7).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/io/hf_names.hpp"
#include "tinybert/ops/adamw.hpp"

namespace tinybert {

struct AdamWOptions {
    double lr = 5e-5;
    double beta1 = 0.9, beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;
};

// Trainer's rule (get_decay_parameter_names): parameters of LayerNorm modules and every "bias" are not decayed.
inline bool decays(const std::string& name) {
    return name.find("bias") == std::string::npos && !is_layer_norm_parameter(name);
}

template <class T, class D>
class AdamW {
public:
    struct Slot {
        std::string name;
        Var<T, D> param;
        Tensor<T, D> m, v;  // first and second moments
        bool decay;
    };

    // Registers every parameter of `model` (anything with visit_parameters(f(name, Var&))).
    template <class Model>
    AdamW(Model& model, AdamWOptions opts) : opts_(opts) {
        model.visit_parameters([&](const std::string& name, Var<T, D>& p) {
            slots_.push_back({name, p, Tensor<T, D>(p.shape()), Tensor<T, D>(p.shape()), decays(name)});
        });
    }

    // One update with learning rate `lr` (the scheduled value), one whole-model kernel. Parameters without a
    // gradient are skipped, as torch skips parameters whose .grad is None.
    void step(double lr) {
        ++step_;
        std::vector<AdamWTensors<T, D>> params;
        params.reserve(slots_.size());
        for (Slot& s : slots_)
            if (s.param.has_grad()) params.push_back({&s.param.value(), &s.param.grad(), &s.m, &s.v, s.decay});
        adamw_update(params, static_cast<T>(lr), static_cast<T>(opts_.beta1), static_cast<T>(opts_.beta2),
                     static_cast<T>(opts_.eps), static_cast<T>(opts_.weight_decay), step_);
    }

    std::int64_t steps() const { return step_; }
    const AdamWOptions& options() const { return opts_; }
    std::vector<Slot>& slots() { return slots_; }
    void set_steps(std::int64_t n) { step_ = n; }

private:
    AdamWOptions opts_;
    std::vector<Slot> slots_;
    std::int64_t step_ = 0;
};

}  // namespace tinybert
