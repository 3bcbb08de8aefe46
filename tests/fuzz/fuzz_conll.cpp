// Fuzz target: a token-per-line NER file (load_token_dataset on .tsv, then read_conll with the WikiANN tags).
#include <cstdint>

#include "fuzz_util.hpp"
#include "tinybert/data/detect.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = tinybert::fuzz::write_input("data.tsv", data, size);
    tinybert::fuzz::expect_error_or_success([&] { (void)tinybert::load_token_dataset(path); });
    tinybert::fuzz::expect_error_or_success(
        [&] { (void)tinybert::read_conll(path, tinybert::wikiann_label_names()); });
    return 0;
}
