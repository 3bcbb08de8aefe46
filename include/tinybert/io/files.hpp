// tinybert/io/files.hpp: file helpers of the checkpoint IO. MappedFile maps a whole file read-only (POSIX mmap) so
// tensors can point straight into it (an empty file maps to an empty span); AtomicWriter writes `path.tmp` and
// renames it over `path` on commit, so an existing file is never left half-written.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "tinybert/core/error.hpp"

namespace tinybert::detail {

class MappedFile {
public:
    // Maps `path`; throws tinybert::Error naming the path when it is missing, not a regular file or unmappable.
    static std::shared_ptr<const MappedFile> open(const std::string& path) {
        return std::shared_ptr<const MappedFile>(new MappedFile(path));
    }

    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile() {
        if (data_ != nullptr) ::munmap(data_, size_);
    }

    std::span<const std::byte> bytes() const { return {static_cast<const std::byte*>(data_), size_}; }
    const std::string& path() const { return path_; }

private:
    explicit MappedFile(const std::string& path) : path_(path) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        TINYBERT_CHECK(fd >= 0, path, ": cannot open file: ", std::strerror(errno));
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd);
            TINYBERT_FAIL(path, ": not a regular file");
        }
        size_ = static_cast<std::size_t>(st.st_size);
        if (size_ > 0) {
            void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
            const int err = errno;
            ::close(fd);
            TINYBERT_CHECK(p != MAP_FAILED, path, ": mmap failed: ", std::strerror(err));
            data_ = p;
        } else {
            ::close(fd);
        }
    }

    std::string path_;
    void* data_ = nullptr;
    std::size_t size_ = 0;
};

class AtomicWriter {
public:
    explicit AtomicWriter(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {
        out_.open(tmp_, std::ios::binary | std::ios::trunc);
        TINYBERT_CHECK(out_.good(), tmp_, ": cannot open for writing");
    }
    AtomicWriter(const AtomicWriter&) = delete;
    AtomicWriter& operator=(const AtomicWriter&) = delete;
    ~AtomicWriter() {
        if (!committed_) {
            out_.close();
            std::remove(tmp_.c_str());
        }
    }

    void write(const void* data, std::size_t n) { out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(n)); }

    // Flushes, closes and renames the temporary file onto the target; on failure the temporary file is removed.
    void commit() {
        out_.close();
        TINYBERT_CHECK(!out_.fail(), tmp_, ": write failed (disk full?)");
        std::error_code ec;
        std::filesystem::rename(tmp_, path_, ec);
        TINYBERT_CHECK(!ec, path_, ": cannot rename ", tmp_, " into place: ", ec.message());
        committed_ = true;
    }

private:
    std::string path_, tmp_;
    std::ofstream out_;
    bool committed_ = false;
};

}  // namespace tinybert::detail
