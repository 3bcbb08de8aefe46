// Fuzz target: a SQuAD JSON file (load_qa_dataset: detection and read_squad), then the QA training features of what
// it read (answer positions mapped onto tokens) with the committed tiny vocabulary and a short window.
#include <cstdint>

#include "fuzz_util.hpp"
#include "tinybert/data/detect.hpp"
#include "tinybert/data/qa_features.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const tinybert::Tokenizer tok =
        tinybert::Tokenizer::from_vocab(std::string(TINYBERT_TEST_DATA_DIR) + "/tokenizer/tiny_vocab.txt");
    const std::string path = tinybert::fuzz::write_input("data.json", data, size);
    tinybert::fuzz::expect_error_or_success([&] {
        const auto examples = tinybert::load_qa_dataset(path);
        (void)tinybert::qa_features(examples, tok, {.max_length = 24, .doc_stride = 8, .max_query_length = 6});
    });
    return 0;
}
