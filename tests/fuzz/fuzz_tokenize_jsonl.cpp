// Fuzz target: the JSONL that `tinybert tokenize` reads from stdin (run_tokenize itself, stdin and stdout redirected
// to memory), once plain and once with truncation, overflow windows and padding, over the committed tiny vocabulary.
#include <cstdint>
#include <iostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "cmd_tokenize.hpp"
#include "fuzz_util.hpp"

namespace {

void run(std::vector<std::string> args, const std::string& input) {
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    std::istringstream in(input);
    std::ostringstream out;
    std::streambuf* const cin_buf = std::cin.rdbuf(in.rdbuf());
    std::streambuf* const cout_buf = std::cout.rdbuf(out.rdbuf());
    std::cin.clear();
    tinybert::fuzz::expect_error_or_success(
        [&] { (void)tinybert::cli::run_tokenize(static_cast<int>(argv.size()), argv.data()); });
    std::cin.rdbuf(cin_buf);
    std::cout.rdbuf(cout_buf);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // run_tokenize turns stdio syncing off; doing it first keeps it from replacing the redirected buffers later.
    static const bool unsynced = (std::ios::sync_with_stdio(false), true);
    (void)unsynced;
    const std::string vocab = std::string(TINYBERT_TEST_DATA_DIR) + "/tokenizer/tiny_vocab.txt";
    const std::string input(reinterpret_cast<const char*>(data), size);
    run({"tokenize", "--vocab", vocab}, input);
    run({"tokenize", "--vocab", vocab, "--max-length", "8", "--stride", "2", "--overflow", "--padding", "longest"},
        input);
    return 0;
}
