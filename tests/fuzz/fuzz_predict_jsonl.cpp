// Fuzz target: the JSONL that `tinybert predict` reads from stdin (predict_jsonl, as run_predict calls it), through
// all three task heads: the committed tiny parity checkpoints (vocabulary of 50, 16 positions) with the first 50
// tokens of the tiny test vocabulary, loaded once.
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "cmd_predict.hpp"
#include "fuzz_util.hpp"

namespace {

using tinybert::cli::Task;

// A model folder for `task` (a parity fixture folder) in the scratch folder, with a 50-token vocab.txt.
std::string model_dir(const std::string& task) {
    tinybert::fuzz::copy_fixture("parity/" + task + "/config.json", task + "/config.json");
    tinybert::fuzz::copy_fixture("parity/" + task + "/model.safetensors", task + "/model.safetensors");
    std::ifstream in(std::string(TINYBERT_TEST_DATA_DIR) + "/tokenizer/tiny_vocab.txt");
    std::ofstream out(tinybert::fuzz::ScratchDir::path() / task / "vocab.txt");
    std::string token;
    for (int i = 0; i < 50 && std::getline(in, token); ++i) out << token << '\n';
    return (tinybert::fuzz::ScratchDir::path() / task).string();
}

template <Task K>
void predict(const std::string& task, const std::string& input) {
    using Model = tinybert::Bert<tinybert::Encoder<tinybert::dynamic>, typename tinybert::cli::TaskData<K>::Head>;
    static const std::string dir = model_dir(task);
    static const tinybert::Tokenizer tok = tinybert::Tokenizer::from_pretrained(dir);
    static Model model = Model::from_pretrained(dir);
    std::istringstream in(input);
    std::ostringstream out;
    tinybert::fuzz::expect_error_or_success([&] { tinybert::cli::predict_jsonl<K>(model, tok, in, out, 16, 4); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    predict<Task::classification>("sequence_classification", input);
    predict<Task::ner>("token_classification", input);
    predict<Task::qa>("question_answering", input);
    return 0;
}
