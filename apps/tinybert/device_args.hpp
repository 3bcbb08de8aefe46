// apps/tinybert/device_args.hpp: where `finetune`, `evaluate` and `predict` run. --device cpu|cuda|cuda:N (default
// cpu) and --precision fp32|tf32|bf16|fp16 (default fp32), the GEMM precision of core/precision.hpp: tf32 is
// PyTorch's allow_tf32, bf16/fp16 its autocast (fp32 master weights; fp16 training adds GradScaler loss scaling).
// On a GPU these run on tensor cores; on the CPU the same rounding is emulated (the numerics, slower than fp32).
// The CUDA branch exists in a `tinybert` compiled by nvcc (TINYBERT_WITH_CUDA, apps/tinybert/CMakeLists.txt); that
// program still runs every command on the CPU of a machine without a GPU, and `--device cuda` there says why not.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <type_traits>

#include "args.hpp"
#include "tinybert/backend/device.hpp"
#include "tinybert/core/error.hpp"
#include "tinybert/core/precision.hpp"
#if defined(TINYBERT_WITH_CUDA)
#include "tinybert/backend/cuda/cublas.cuh"
#endif

namespace tinybert::cli {

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
    const std::optional<Precision> precision = parse_precision(p);
    TINYBERT_CHECK(precision.has_value(), "--precision is fp32, tf32, bf16 or fp16, got '", p, "'");
    d.precision = *precision;
    return d;
}

// --device and --precision of `evaluate` and `predict`, whose --int8 is CPU inference.
inline DeviceChoice inference_device_arg(Args& args, bool int8) {
    const DeviceChoice d = device_arg(args);
    TINYBERT_CHECK(!d.cuda || !int8, "--int8 is CPU inference; leave out --device cuda");
    TINYBERT_CHECK(d.precision == Precision::fp32 || !int8, "--int8 runs int8 GEMMs; leave out --precision ",
                   precision_name(d.precision));
    return d;
}

// f(std::type_identity<Cpu>{}) or, after selecting the GPU, f(std::type_identity<Cuda>{}), with the GEMM precision
// set while f runs.
template <class F>
int with_device(const DeviceChoice& d, F&& f) {
    const PrecisionScope precision(d.precision);
    if (!d.cuda) {
        if (d.precision != Precision::fp32)
            std::fprintf(stderr, "note: on the CPU, --precision %s rounds the GEMM inputs as a GPU does: the GPU's "
                                 "numerics, not its speed (slower than fp32)\n",
                         std::string(precision_name(d.precision)).c_str());
        return f(std::type_identity<Cpu>{});
    }
#if defined(TINYBERT_WITH_CUDA)
    const std::string gpu = cuda::use_device(d.index);
    std::fprintf(stderr, "device %s: %s, %s\n", d.name().c_str(), gpu.c_str(),
                 std::string(precision_name(d.precision)).c_str());
    return f(std::type_identity<Cuda>{});
#else
    TINYBERT_FAIL("--device ", d.name(), ": this tinybert was built without CUDA (nvcc was not found when it was "
                  "configured, or -DTINYBERT_CUDA=OFF); rebuild it on a machine with the CUDA Toolkit (docs/cuda.md)");
#endif
}

}  // namespace tinybert::cli
