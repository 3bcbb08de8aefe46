// tests/fuzz/fuzz_util.hpp: what the fuzz targets share. Each target feeds libFuzzer's bytes to one real parser;
// tinybert::Error is the expected outcome for bad input and is swallowed, anything else (another exception, a crash,
// a sanitizer report, a leak) surfaces. Parsers that only take paths read the bytes back from a scratch folder.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tinybert/core/error.hpp"

namespace tinybert::fuzz {

// A private folder under $TMPDIR (or /tmp), made on first use and removed when the process exits normally.
class ScratchDir {
public:
    static const std::filesystem::path& path() {
        static const ScratchDir dir;
        return dir.path_;
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

private:
    ScratchDir() {
        const char* tmp = std::getenv("TMPDIR");
        std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/tinybert-fuzz-XXXXXX";
        if (::mkdtemp(templ.data()) == nullptr) std::abort();  // no scratch folder: nothing can be fuzzed
        path_ = templ;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::filesystem::path path_;
};

// Writes `size` bytes to `relative` inside the scratch folder (creating folders) and returns the full path.
inline std::string write_input(const std::filesystem::path& relative, const std::uint8_t* data, std::size_t size) {
    const std::filesystem::path p = ScratchDir::path() / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    if (!out) std::abort();  // a short write would fuzz a different input than libFuzzer recorded
    return p.string();
}

// Copies a committed fixture (tests/fixtures/<relative>) into the scratch folder as `to`.
inline void copy_fixture(const std::filesystem::path& relative, const std::filesystem::path& to) {
    const std::filesystem::path dst = ScratchDir::path() / to;
    std::filesystem::create_directories(dst.parent_path());
    std::filesystem::copy_file(std::filesystem::path(TINYBERT_TEST_DATA_DIR) / relative, dst,
                               std::filesystem::copy_options::overwrite_existing);
}

// Runs f; a tinybert::Error (bad input, reported properly) is the expected way to fail.
template <class F>
void expect_error_or_success(F&& f) {
    try {
        f();
    } catch (const tinybert::Error&) {
    }
}

}  // namespace tinybert::fuzz
