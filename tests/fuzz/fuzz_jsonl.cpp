// Fuzz target: a JSONL dataset, read as every JSONL reader reads it: format detection (load_text_dataset /
// load_token_dataset), text classification with derived and given labels, NER JSONL with derived and given tags.
#include <cstdint>

#include "fuzz_util.hpp"
#include "tinybert/data/detect.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = tinybert::fuzz::write_input("data.jsonl", data, size);
    using tinybert::fuzz::expect_error_or_success;
    expect_error_or_success([&] { (void)tinybert::load_text_dataset(path); });
    expect_error_or_success([&] { (void)tinybert::load_token_dataset(path); });
    expect_error_or_success([&] { (void)tinybert::read_jsonl_dataset(path, {.label_names = {"neg", "pos"}}); });
    expect_error_or_success([&] { (void)tinybert::read_token_jsonl(path, tinybert::wikiann_label_names()); });
    return 0;
}
