// A downstream .cu program built against the installed package's cuda component: the consumer's linear op and
// backward on the GPU (the cuda:: kernels and cuBLAS), checked against hand-worked values. Without a CUDA device it
// says so and exits 0: CI machines compile and link it only.
#include <tinybert/backend/cuda/device.cuh>
#include <tinybert/ops/linear.hpp>

#include <cstdio>
#include <string>

int main() {
    using namespace tinybert;
    std::string reason;
    if (cuda::device_count(&reason) == 0) {
        std::printf("cuda consumer: built; no CUDA device (%s), not run\n", reason.c_str());
        return 0;
    }
    Var<float, Cuda> x(Tensor<float>::from_vector({1, 2}, {1.f, 2.f}).to<Cuda>(), true);
    Var<float, Cuda> w(Tensor<float>::from_vector({1, 2}, {3.f, 4.f}).to<Cuda>(), true);
    Var<float, Cuda> b(Tensor<float>::from_vector({1}, {0.5f}).to<Cuda>(), true);
    Var<float, Cuda> y = linear(x, w, b);  // 1*3 + 2*4 + 0.5 = 11.5
    backward(y);
    const float out = y.value().to<Cpu>().data()[0];
    const bool ok = out == 11.5f && w.grad().to<Cpu>().data()[1] == 2.f && x.grad().to<Cpu>().data()[0] == 3.f;
    std::printf("cuda consumer: y = %g on the GPU, %s\n", static_cast<double>(out), ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
