// Fuzz target: a tokenizer folder (Tokenizer::from_pretrained). The bytes are written both as tokenizer.json and as
// tokenizer_config.json: the two readers look at different keys, so one document exercises both. A tokenizer that
// loads encodes a fixed text, a pair and pre-split words.
#include <cstdint>

#include "fuzz_util.hpp"
#include "tinybert/tokenizer/pretrained.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tinybert::fuzz::write_input("tok/tokenizer.json", data, size);
    const std::string cfg = tinybert::fuzz::write_input("tok/tokenizer_config.json", data, size);
    const std::string dir = std::filesystem::path(cfg).parent_path().string();
    tinybert::fuzz::expect_error_or_success([&] {
        const tinybert::Tokenizer tok = tinybert::Tokenizer::from_pretrained(dir);
        const tinybert::EncodeOptions o{.max_length = 12, .truncation = tinybert::Truncation::longest_first,
                                        .stride = 3, .return_overflowing = true};
        (void)tok.encode("Unaffable runners don't [MASK] héllo 中文!", o);
        (void)tok.encode_pair("un want ##ed", "[SEP] wa, runn.", o);
        (void)tok.encode_words({"un", "affable", "[UNK]", ""}, o);
    });
    return 0;
}
