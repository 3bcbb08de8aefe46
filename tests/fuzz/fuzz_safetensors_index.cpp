// Fuzz target: model.safetensors.index.json of a sharded checkpoint (load_state_dict), next to the committed tiny
// shards (two safetensors shards and one pytorch_model.bin shard), so weight_map entries can name real files.
#include <cstdint>

#include "fuzz_util.hpp"
#include "tinybert/io/state_dict.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool shards_copied = [] {
        tinybert::fuzz::copy_fixture("io/tiny_sharded/model-00001-of-00002.safetensors",
                                     "sharded/model-00001-of-00002.safetensors");
        tinybert::fuzz::copy_fixture("io/tiny_sharded/model-00002-of-00002.safetensors",
                                     "sharded/model-00002-of-00002.safetensors");
        tinybert::fuzz::copy_fixture("io/tiny_bin/pytorch_model.bin", "sharded/pytorch_model-00001-of-00001.bin");
        return true;
    }();
    (void)shards_copied;
    const std::string path = tinybert::fuzz::write_input("sharded/model.safetensors.index.json", data, size);
    tinybert::fuzz::expect_error_or_success([&] { (void)tinybert::load_state_dict(path); });
    return 0;
}
