// Fuzz target: vocab.txt (Vocab::from_txt through Tokenizer::from_vocab); a vocabulary that loads encodes a fixed
// text and decodes the ids back.
#include <cstdint>

#include "fuzz_util.hpp"
#include "tinybert/tokenizer/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = tinybert::fuzz::write_input("vocab.txt", data, size);
    tinybert::fuzz::expect_error_or_success([&] {
        const tinybert::Tokenizer tok = tinybert::Tokenizer::from_vocab(path);
        for (const tinybert::Encoding& e : tok.encode("Unwanted running, don't héllo 中文 [MASK]!"))
            (void)tok.decode(e.input_ids);
    });
    return 0;
}
