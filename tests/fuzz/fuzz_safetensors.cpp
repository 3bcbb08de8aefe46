// Fuzz target: one safetensors file (SafetensorsFile: header length, JSON header, offsets, tiling), then every
// tensor converted to float and to int64 (each conversion may fail on its own with tinybert::Error).
#include <cstdint>

#include "fuzz_util.hpp"
#include "tinybert/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = tinybert::fuzz::write_input("model.safetensors", data, size);
    tinybert::fuzz::expect_error_or_success([&] {
        const tinybert::SafetensorsFile file(path);
        for (const tinybert::NamedTensor& named : file.tensors()) {
            const tinybert::CheckpointTensor& t = named.second;  // clang 14 cannot capture structured bindings
            tinybert::fuzz::expect_error_or_success([&] { (void)t.to<float>(); });
            tinybert::fuzz::expect_error_or_success([&] { (void)t.to<std::int64_t>(); });
        }
    });
    return 0;
}
