// Fuzz target: pytorch_model.bin (ZIP directory, restricted unpickler, storage views), then every tensor converted
// to float.
#include <cstdint>

#include "fuzz_util.hpp"
#include "tinybert/io/torch_bin.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = tinybert::fuzz::write_input("pytorch_model.bin", data, size);
    tinybert::fuzz::expect_error_or_success([&] {
        for (const tinybert::NamedTensor& named : tinybert::load_torch_bin(path))
            tinybert::fuzz::expect_error_or_success([&] { (void)named.second.to<float>(); });
    });
    return 0;
}
