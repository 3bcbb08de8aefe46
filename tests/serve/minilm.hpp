// tests/serve/minilm.hpp: the real all-MiniLM-L6-v2 folder for a test (TINYBERT_MINILM_DIR, else .cache/), or a
// clean skip: exit code 4, which ctest reports as skipped (tinybert_add_test's SKIP_RETURN_CODE).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace tinybert::testing {

inline std::string minilm_or_skip() {
    const char* env = std::getenv("TINYBERT_MINILM_DIR");
    const std::string dir = env ? env : TINYBERT_MINILM_DEFAULT_DIR;
    if (!std::filesystem::exists(dir + "/model.safetensors")) {
        std::fprintf(stderr, "SKIPPED: all-MiniLM-L6-v2 not found (run scripts/fetch_minilm.sh)\n");
        std::exit(4);
    }
    return dir;
}

}  // namespace tinybert::testing
