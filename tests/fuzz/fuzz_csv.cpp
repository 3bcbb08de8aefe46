// Fuzz target: a CSV text-classification file (load_text_dataset: format detection, then read_csv_dataset), with
// derived labels and with a given label list.
#include <cstdint>

#include "fuzz_util.hpp"
#include "tinybert/data/detect.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = tinybert::fuzz::write_input("data.csv", data, size);
    tinybert::fuzz::expect_error_or_success([&] { (void)tinybert::load_text_dataset(path); });
    tinybert::fuzz::expect_error_or_success(
        [&] { (void)tinybert::read_csv_dataset(path, {.label_names = {"neg", "pos"}}); });
    return 0;
}
