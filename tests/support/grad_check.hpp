// tests/support/grad_check.hpp: gradients of tape ops against central finite differences, in double.
// grad_check(f, inputs) runs f once with the tape and backward(), then perturbs every element of every input that
// requires a gradient by ±h and differentiates the scalar f numerically. It returns the worst relative error
// ‖analytic − numeric‖ / max(‖numeric‖, tiny) over the inputs.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "tinybert/autograd/tape.hpp"

namespace tinybert::test {

using VarD = Var<double, Cpu>;

// A random tensor with entries uniform in [lo, hi), seeded.
inline Tensor<double, Cpu> random_tensor(const Shape& shape, std::uint32_t seed, double lo = -1.0, double hi = 1.0) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> dist(lo, hi);
    std::vector<double> v(shape.numel());
    for (double& x : v) x = dist(gen);
    return Tensor<double, Cpu>::from_vector(shape, v);
}

// loss = Σ y ⊙ r: reduces any op output to a scalar with a fixed random projection (r needs no gradient).
inline VarD weighted_sum(const VarD& y, const Tensor<double, Cpu>& r) {
    check_same_shape(y.value(), r, "weighted_sum");
    double s = 0;
    for (std::size_t i = 0; i < r.numel(); ++i) s += y.value().data()[i] * r.data()[i];
    VarD out = make_output(Tensor<double, Cpu>::full(Shape{1}, s), y);
    record_backward(out, [y, r](const Tensor<double, Cpu>& dout) mutable {
        Tensor<double, Cpu>& dy = y.grad();
        for (std::size_t i = 0; i < r.numel(); ++i) dy.data()[i] += r.data()[i] * dout.data()[0];
    });
    return out;
}

struct GradCheckResult {
    double max_rel_error = 0;   // worst over inputs of ‖analytic − numeric‖ / ‖numeric‖
    double max_numeric_norm = 0;  // to tell a vacuous check (all-zero gradients) from a real one
};

template <class F>
GradCheckResult grad_check(F&& f, std::vector<VarD>& inputs, double h = 1e-6) {
    for (VarD& v : inputs) v.zero_grad();
    backward(f());
    GradCheckResult res;
    for (VarD& v : inputs) {
        if (!v.requires_grad()) continue;
        const std::vector<double> analytic = v.has_grad() ? v.grad().to_vector() : std::vector<double>(v.value().numel());
        double diff2 = 0, num2 = 0;
        for (std::size_t i = 0; i < v.value().numel(); ++i) {
            double* x = v.value().data() + i;
            const double saved = *x;
            double fp = 0, fm = 0;
            {
                NoGradGuard guard;
                *x = saved + h;
                fp = f().value().data()[0];
                *x = saved - h;
                fm = f().value().data()[0];
            }
            *x = saved;
            const double numeric = (fp - fm) / (2 * h);
            diff2 += (numeric - analytic[i]) * (numeric - analytic[i]);
            num2 += numeric * numeric;
        }
        res.max_rel_error = std::max(res.max_rel_error, std::sqrt(diff2) / std::max(std::sqrt(num2), 1e-12));
        res.max_numeric_norm = std::max(res.max_numeric_norm, std::sqrt(num2));
    }
    return res;
}

}  // namespace tinybert::test
