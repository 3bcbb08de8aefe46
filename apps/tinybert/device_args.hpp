// apps/tinybert/device_args.hpp: where `finetune`, `evaluate` and `predict` run. --device cpu|cuda|cuda:N (default
// cpu) and --precision fp32|tf32 (default fp32; tf32 is the GPU's TF32 tensor-core GEMM mode, PyTorch's
// torch.backends.cuda.matmul.allow_tf32 = True: fp32 storage, inputs rounded to 10 mantissa bits, fp32 accumulation).
// The CUDA branch exists in a `tinybert` compiled by nvcc (TINYBERT_WITH_CUDA, apps/tinybert/CMakeLists.txt); that
// program still runs every command on the CPU of a machine without a GPU, and `--device cuda` there says why not.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>

#include "args.hpp"
#include "tinybert/backend/device.hpp"
#include "tinybert/core/error.hpp"
#if defined(TINYBERT_WITH_CUDA)
#include "tinybert/backend/cuda/cublas.cuh"
#endif

namespace tinybert::cli {

enum class Precision { fp32, tf32 };

struct DeviceChoice {
    bool cuda = false;
    int index = 0;  // cuda:N
    Precision precision = Precision::fp32;
    std::string name() const { return cuda ? "cuda:" + std::to_string(index) : "cpu"; }
};

// Parses --device and --precision (without touching the GPU).
inline DeviceChoice device_arg(Args& args) {
    DeviceChoice d;
    const std::string dev = args.value("--device", "cpu");
    if (dev == "cuda") {
        d.cuda = true;
    } else if (dev.starts_with("cuda:")) {
        const std::string n = dev.substr(5);
        char* end = nullptr;
        const long v = std::strtol(n.c_str(), &end, 10);
        TINYBERT_CHECK(!n.empty() && end && *end == '\0' && v >= 0 && v < 1024,
                       "--device cuda:N needs a device number N >= 0, got '", dev, "'");
        d.cuda = true;
        d.index = static_cast<int>(v);
    } else {
        TINYBERT_CHECK(dev == "cpu", "--device is cpu, cuda or cuda:N, got '", dev, "'");
    }
    const std::string p = args.value("--precision", "fp32");
    if (p == "tf32") {
        TINYBERT_CHECK(d.cuda, "--precision tf32 is a GPU mode (TF32 tensor cores); use it with --device cuda");
        d.precision = Precision::tf32;
    } else if (p == "bf16" || p == "fp16") {
        TINYBERT_FAIL("--precision ", p, " (mixed precision) is not implemented yet; fp32 and tf32 are (docs/cuda.md)");
    } else {
        TINYBERT_CHECK(p == "fp32", "--precision is fp32 or tf32, got '", p, "'");
    }
    return d;
}

// --device and --precision of `evaluate` and `predict`, whose --int8 is CPU inference.
inline DeviceChoice inference_device_arg(Args& args, bool int8) {
    const DeviceChoice d = device_arg(args);
    TINYBERT_CHECK(!d.cuda || !int8, "--int8 is CPU inference; leave out --device cuda");
    return d;
}

// f(std::type_identity<Cpu>{}) or, after selecting the GPU and its GEMM mode, f(std::type_identity<Cuda>{}).
template <class F>
int with_device(const DeviceChoice& d, F&& f) {
    if (!d.cuda) return f(std::type_identity<Cpu>{});
#if defined(TINYBERT_WITH_CUDA)
    const std::string gpu = cuda::use_device(d.index);
    cuda::set_allow_tf32(d.precision == Precision::tf32);
    std::fprintf(stderr, "device %s: %s, %s\n", d.name().c_str(), gpu.c_str(),
                 d.precision == Precision::tf32 ? "tf32" : "fp32");
    return f(std::type_identity<Cuda>{});
#else
    TINYBERT_FAIL("--device ", d.name(), ": this tinybert was built without CUDA (nvcc was not found when it was "
                  "configured, or -DTINYBERT_CUDA=OFF); rebuild it on a machine with the CUDA Toolkit (docs/cuda.md)");
#endif
}

}  // namespace tinybert::cli
