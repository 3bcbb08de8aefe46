// tests/fuzz/replay_main.cpp: main() for the ctest build of a fuzz target (gcc, optionally under ASan+UBSan): runs
// LLVMFuzzerTestOneInput over every file of the folders given (the committed corpus and the regression inputs), so
// every input that once crashed stays a test. The first folder (the corpus) must hold files; later ones (regression
// inputs) may be missing, as for a target that never crashed.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
    std::size_t total = 0;
    for (int i = 1; i < argc; ++i) {
        std::size_t n = 0;
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(argv[i], ec)) {
            if (!entry.is_regular_file()) continue;
            std::ifstream in(entry.path(), std::ios::binary);
            const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
            std::fprintf(stderr, "%s (%zu bytes)\n", entry.path().c_str(), bytes.size());
            LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
            ++n;
        }
        if (i == 1 && (ec || n == 0)) {
            std::fprintf(stderr, "%s: missing or empty corpus folder\n", argv[i]);
            return 1;
        }
        total += n;
    }
    std::fprintf(stderr, "replayed %zu inputs\n", total);
    return 0;
}
