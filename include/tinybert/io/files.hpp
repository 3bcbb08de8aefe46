// tinybert/io/files.hpp: file helpers of the checkpoint IO. MappedFile maps a whole file read-only (POSIX mmap) so
// tensors can point straight into it (an empty file maps to an empty span). Durable writes: AtomicWriter writes
// `path.tmp`, fsyncs it, renames it over `path` and fsyncs the directory, so after a crash or a power loss `path` holds
// the old or the new complete file; create_directories_durable and rename_durable make directory changes durable the
// same way. Every failure is a tinybert::Error naming the file and the OS error.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>  // ::rename
#include <cstring>
#include <filesystem>
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

#ifdef TINYBERT_TEST_CRASH_POINTS
// Test builds only (tests/train/test_durability.cpp defines the macro for its whole executable): every step of a save
// that changes what is on disk calls crash_point(), which counts it and kills the process with SIGKILL at the
// crash_at-th one, so a test can stop a save at each of its steps deterministically.
inline std::int64_t crash_at = 0;             // 0: never
inline std::int64_t crash_points_passed = 0;  // in this process
inline void crash_point() {
    if (++crash_points_passed == crash_at) ::raise(SIGKILL);
}
#else
inline void crash_point() {}
#endif

[[noreturn]] inline void fail_errno(const std::string& path, const char* what, int err) {
    TINYBERT_FAIL(path, ": ", what, ": ", std::strerror(err));
}

// Makes the entries of `dir` (files created, renamed or removed in it) durable. Filesystems that cannot sync a
// directory answer EINVAL; there is nothing more to do on those.
inline void fsync_directory(const std::filesystem::path& dir) {
    const std::string d = dir.empty() ? "." : dir.string();
    const int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail_errno(d, "cannot open directory to fsync it", errno);
    const int rc = ::fsync(fd), err = errno;
    ::close(fd);
    if (rc != 0 && err != EINVAL) fail_errno(d, "fsync of the directory failed", err);
    crash_point();
}

// std::filesystem::create_directories, with each new directory's entry made durable in its parent.
inline void create_directories_durable(std::filesystem::path dir) {
    if (!dir.has_filename()) dir = dir.parent_path();  // "out/" -> "out"
    if (dir.empty() || std::filesystem::is_directory(dir)) return;
    create_directories_durable(dir.parent_path());
    if (::mkdir(dir.c_str(), 0777) != 0) {
        const int err = errno;
        if (err == EEXIST && std::filesystem::is_directory(dir)) return;
        fail_errno(dir.string(), "cannot create directory", err);
    }
    crash_point();
    fsync_directory(dir.parent_path());
}

// rename(2) of a file or directory within one directory, then fsync of that directory.
inline void rename_durable(const std::filesystem::path& from, const std::filesystem::path& to) {
    if (::rename(from.c_str(), to.c_str()) != 0)
        fail_errno(to.string(), ("cannot rename " + from.string() + " to it").c_str(), errno);
    crash_point();
    fsync_directory(to.parent_path());
}

class AtomicWriter {
public:
    explicit AtomicWriter(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {
        fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd_ < 0) fail_errno(tmp_, "cannot open for writing", errno);
        crash_point();
    }
    AtomicWriter(const AtomicWriter&) = delete;
    AtomicWriter& operator=(const AtomicWriter&) = delete;
    ~AtomicWriter() {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_) ::unlink(tmp_.c_str());
    }

    // Writes all n bytes (write(2) may take fewer at a time, or be interrupted by a signal).
    void write(const void* data, std::size_t n) {
        const char* p = static_cast<const char*>(data);
        const bool first = written_ == 0;
        while (n > 0) {
            const ssize_t w = ::write(fd_, p, n);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) fail_errno(tmp_, "write failed", w < 0 ? errno : EIO);
            p += w, n -= static_cast<std::size_t>(w), written_ += static_cast<std::size_t>(w);
        }
        // One crash point for a partly written file: a kill after any later write leaves the same kind of state.
        if (first) crash_point();
    }

    // fsync, close, rename onto the target, fsync the directory. On failure the temporary file is removed (by the
    // destructor) and the target is untouched.
    void commit() {
        crash_point();  // everything written, nothing synced
        if (::fsync(fd_) != 0) fail_errno(tmp_, "fsync failed", errno);
        crash_point();
        const int fd = std::exchange(fd_, -1);
        if (::close(fd) != 0) fail_errno(tmp_, "close failed", errno);
        rename_durable(tmp_, path_);
        committed_ = true;
    }

private:
    std::string path_, tmp_;
    int fd_ = -1;
    std::size_t written_ = 0;
    bool committed_ = false;
};

}  // namespace tinybert::detail
