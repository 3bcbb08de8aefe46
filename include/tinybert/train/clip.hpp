// tinybert/train/clip.hpp: torch.nn.utils.clip_grad_norm_: norm = sqrt(Σ‖g‖²) over all gradients;
// g ← g·min(1, max_norm/(norm + 1e-6)). Returns the norm before clipping. Its parts, grad_norm and
// scale_gradients, serve the Trainer's gradient averaging and fp16 unscaling too. Each is one whole-model kernel over
// the gradient list (backend/<device>/multi_tensor): on a GPU, one launch and, for the norm, one read-back.
#pragma once

#include <cmath>
#include <string>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/ops/reduce.hpp"

namespace tinybert {

// The gradients of every parameter that has one, in visit order (Model::value_type/device_type name the types)
template <class Model>
TensorList<typename Model::value_type, typename Model::device_type> gradient_list(Model& model) {
    TensorList<typename Model::value_type, typename Model::device_type> list;
    model.visit_parameters([&](const std::string&, auto& p) {
        if (p.has_grad()) list.push_back(&p.grad());
    });
    return list;
}

// sqrt(Σ‖g‖²) over every parameter that has a gradient (inf or NaN when a gradient holds one)
template <class Model>
double grad_norm(Model& model) {
    return std::sqrt(sum_squares(gradient_list(model)));
}

// g ← g·factor for every parameter that has a gradient (factor converted to the parameter's element type)
template <class Model, class F>
void scale_gradients(Model& model, F factor) {
    scale_inplace(gradient_list(model), static_cast<typename Model::value_type>(factor));
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
