// A fresh folder for the dataset tests' bad-input files (one per process), removed at scope exit.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace tinybert::test {

struct TempDir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("tinybert_datasets_" + std::to_string(::getpid()));
    TempDir() {
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() { std::filesystem::remove_all(path); }
    // Writes `bytes` to path/name (creating subfolders) and returns its path.
    std::string write(const std::string& name, const std::string& bytes) const {
        const std::filesystem::path p = path / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << bytes;
        return p.string();
    }
};

}  // namespace tinybert::test
