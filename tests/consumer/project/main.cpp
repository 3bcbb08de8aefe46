// A downstream program built against the installed tinybert package: one differentiable op and a backward pass.
#include <tinybert/ops/linear.hpp>

#include <cstdio>

int main() {
    using namespace tinybert;
    Var<float> x(Tensor<float>::from_vector({1, 2}, {1.f, 2.f}), true);
    Var<float> w(Tensor<float>::from_vector({1, 2}, {3.f, 4.f}), true);
    Var<float> b(Tensor<float>::from_vector({1}, {0.5f}), true);
    Var<float> y = linear(x, w, b);  // 1*3 + 2*4 + 0.5 = 11.5
    backward(y);
    const bool ok = y.value().data()[0] == 11.5f && w.grad().data()[1] == 2.f && x.grad().data()[0] == 3.f;
    std::printf("consumer: y = %g, %s\n", static_cast<double>(y.value().data()[0]), ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
