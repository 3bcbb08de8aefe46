// tests/io/io_test_util.hpp: helpers of the checkpoint IO tests: fixture paths, a per-process scratch directory,
// whole-file read/write, and hand-built safetensors byte strings for corrupt-input cases.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace tinybert::test {

inline std::string fixture(const std::string& name) { return std::string(TINYBERT_TEST_DATA_DIR) + "/io/" + name; }

// A scratch file path unique to this process.
inline std::string scratch(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / ("tinybert_io_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}

inline std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// 8-byte little-endian length N, the header text, then `data_bytes` zero bytes of data.
inline std::string safetensors_bytes(const std::string& header, std::size_t data_bytes, std::uint64_t n = 0) {
    if (n == 0) n = header.size();
    std::string out(8, '\0');
    std::memcpy(out.data(), &n, 8);
    return out + header + std::string(data_bytes, '\0');
}

}  // namespace tinybert::test
