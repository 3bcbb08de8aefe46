// compare_weights A.safetensors B.safetensors TOLERANCE: the largest |a - b| over every tensor of two checkpoints
// (the same names and shapes required); exit 0 when it is ≤ TOLERANCE, 1 otherwise, 2 on bad input.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "tinybert/io/safetensors.hpp"

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: compare_weights A.safetensors B.safetensors TOLERANCE\n");
        return 2;
    }
    try {
        const tinybert::SafetensorsFile a(argv[1]), b(argv[2]);
        const double tolerance = std::stod(argv[3]);
        TINYBERT_CHECK(a.size() == b.size(), argv[1], " has ", a.size(), " tensors, ", argv[2], " has ", b.size());
        double worst = 0;
        std::string where;
        for (const auto& [name, tensor] : a.tensors()) {
            const auto x = tensor.to<double>(), y = b.read<double>(name);
            TINYBERT_CHECK(x.size() == y.size(), name, ": ", x.size(), " values vs ", y.size());
            for (std::size_t i = 0; i < x.size(); ++i)
                if (const double d = std::fabs(x[i] - y[i]); !(d <= worst)) worst = d, where = name;
        }
        std::printf("max |a - b| = %.3g (%s), tolerance %.3g\n", worst, where.c_str(), tolerance);
        return worst <= tolerance ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "compare_weights: %s\n", e.what());
        return 2;
    }
}
