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
#include <utility>
#include <vector>

namespace tinybert::test {

inline std::string fixture(const std::string& name) { return std::string(TINYBERT_TEST_DATA_DIR) + "/io/" + name; }

// A directory unique to this process, removed when the test program exits. It lives in /dev/shm when there is one:
// the fuzz and truncation loops write thousands of small files, which is slow on a busy disk.
struct ScratchDir {
    std::filesystem::path path =
        (::access("/dev/shm", W_OK) == 0 ? std::filesystem::path("/dev/shm") : std::filesystem::temp_directory_path()) /
        ("tinybert_io_" + std::to_string(::getpid()));
    ScratchDir() { std::filesystem::create_directories(path); }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

inline std::string scratch(const std::string& name) {
    static const ScratchDir dir;
    return (dir.path / name).string();
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

// A ZIP archive of stored entries (what torch.save writes, minus data descriptors and alignment padding).
inline std::string stored_zip(const std::vector<std::pair<std::string, std::string>>& entries) {
    auto le = [](std::string& out, std::uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFFu);
    };
    std::string body, dir;
    for (const auto& [name, data] : entries) {
        const std::uint64_t offset = body.size();
        body += "PK\x03\x04";
        le(body, 20, 2), le(body, 0, 2), le(body, 0, 2), le(body, 0, 4), le(body, 0, 4);  // version flags method time crc
        le(body, data.size(), 4), le(body, data.size(), 4), le(body, name.size(), 2), le(body, 0, 2);
        body += name + data;
        dir += "PK\x01\x02";
        le(dir, 20, 2), le(dir, 20, 2), le(dir, 0, 2), le(dir, 0, 2), le(dir, 0, 4), le(dir, 0, 4);
        le(dir, data.size(), 4), le(dir, data.size(), 4), le(dir, name.size(), 2), le(dir, 0, 2), le(dir, 0, 2);
        le(dir, 0, 2), le(dir, 0, 2), le(dir, 0, 4), le(dir, offset, 4);
        dir += name;
    }
    std::string out = body + dir + "PK\x05\x06";
    le(out, 0, 4), le(out, entries.size(), 2), le(out, entries.size(), 2), le(out, dir.size(), 4);
    le(out, body.size(), 4), le(out, 0, 2);
    return out;
}

}  // namespace tinybert::test
