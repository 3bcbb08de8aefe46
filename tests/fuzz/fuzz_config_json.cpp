// Fuzz target: config.json (BertConfig::from_file: JSON, field types, validation, size limits), and the tree it
// writes back for a config that loads.
#include <cstdint>

#include "fuzz_util.hpp"
#include "tinybert/io/hf_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = tinybert::fuzz::write_input("config.json", data, size);
    tinybert::fuzz::expect_error_or_success([&] {
        const tinybert::BertConfig c = tinybert::BertConfig::from_file(path);
        (void)c.to_json().dump(2);
    });
    return 0;
}
