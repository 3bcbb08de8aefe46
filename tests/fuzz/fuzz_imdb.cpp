// Fuzz target: one aclImdb review file (read_imdb over a split with the bytes as neg/0_1.txt and pos/1_10.txt).
#include <cstdint>

#include "fuzz_util.hpp"
#include "tinybert/data/imdb.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tinybert::fuzz::write_input("imdb/train/neg/0_1.txt", data, size);
    const std::string pos = tinybert::fuzz::write_input("imdb/train/pos/1_10.txt", data, size);
    tinybert::fuzz::expect_error_or_success(
        [&] { (void)tinybert::read_imdb(std::filesystem::path(pos).parent_path().parent_path()); });
    return 0;
}
