// tinybert/train/clip.hpp: torch.nn.utils.clip_grad_norm_: norm = sqrt(Σ‖g‖²) over all gradients;
// g ← g·min(1, max_norm/(norm + 1e-6)). Returns the norm before clipping. Its parts, grad_norm and
// scale_gradients, serve the Trainer's gradient averaging and fp16 unscaling too.
#pragma once

#include <cmath>
#include <string>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/backend/cpu/reduce.hpp"
#if defined(TINYBERT_WITH_CUDA) && defined(__CUDACC__)
#include "tinybert/backend/cuda/reduce.cuh"
#endif

namespace tinybert {

// sqrt(Σ‖g‖²) over every parameter that has a gradient (inf or NaN when a gradient holds one)
template <class Model>
double grad_norm(Model& model) {
    double sum = 0;
    model.visit_parameters([&](const std::string&, auto& p) {
        if (p.has_grad()) sum += sum_squares(p.grad());
    });
    return std::sqrt(sum);
}

// g ← g·factor for every parameter that has a gradient (factor converted to the parameter's element type)
template <class Model, class F>
void scale_gradients(Model& model, F factor) {
    model.visit_parameters([&](const std::string&, auto& p) {
        using T = typename std::decay_t<decltype(p.value())>::value_type;
        if (p.has_grad()) scale_inplace(p.grad(), static_cast<T>(factor));
    });
}

// g ← g·min(1, max_norm/(norm + 1e-6)), `norm` being grad_norm(model)
template <class Model>
void clip_gradients(Model& model, double norm, double max_norm) {
    const double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0) scale_gradients(model, coef);
}

template <class Model>
double clip_grad_norm(Model& model, double max_norm) {
    const double norm = grad_norm(model);
    clip_gradients(model, norm, max_norm);
    return norm;
}

}  // namespace tinybert
