// tinybert/train/progress.hpp: the training progress line on stderr (loss, learning rate, sequences/s, ETA) — redrawn in
// place on a terminal, one line every `every` updates otherwise — and the JSONL metrics log with the append-only file
// it shares with the TensorBoard event files (train/tensorboard.hpp).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tinybert/io/files.hpp"
#include "tinybert/io/json.hpp"

namespace tinybert {

using Metrics = std::vector<std::pair<std::string, double>>;  // name -> value, in report order

inline json::Value metrics_json(const Metrics& m) {
    json::Object o;
    for (const auto& [k, v] : m) o.emplace_back(k, v);
    return json::Value(std::move(o));
}

inline std::string format_duration(double seconds) {
    const auto s = static_cast<long long>(seconds);
    char buf[32];
    if (s >= 3600) {
        std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
    } else {
        std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
    }
    return buf;
}

class Progress {
public:
    Progress(std::int64_t total_steps, bool enabled, std::int64_t every = 10)
        : total_(total_steps), enabled_(enabled), tty_(isatty(STDERR_FILENO) != 0), every_(every),
          start_(std::chrono::steady_clock::now()) {}

    // After update `step` (1-based): the loss of the last logging step (none before the first), the lr the update
    // used, sequences seen since the start.
    void update(std::int64_t step, std::size_t epoch, std::optional<double> loss, double lr, std::size_t sequences) {
        if (!enabled_ || (!tty_ && step % every_ != 0 && step != total_)) return;
        const double elapsed = seconds();
        const double rate = elapsed > 0 ? static_cast<double>(sequences) / elapsed : 0.0;
        const double eta = step > 0 ? elapsed / static_cast<double>(step) * static_cast<double>(total_ - step) : 0.0;
        const int width = 24;
        const int filled = total_ > 0 ? static_cast<int>(width * step / total_) : width;
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(static_cast<std::size_t>(width), '.');
        char loss_text[32] = "-";
        if (loss) std::snprintf(loss_text, sizeof loss_text, "%.4f", *loss);
        std::fprintf(stderr, "%s[%s] epoch %zu step %lld/%lld loss %s lr %.2e %.1f seq/s ETA %s%s", tty_ ? "\r" : "",
                     bar.c_str(), epoch + 1, static_cast<long long>(step), static_cast<long long>(total_), loss_text,
                     lr, rate, format_duration(eta).c_str(), tty_ ? "\033[K" : "\n");
        std::fflush(stderr);
    }
    // A message on its own line (ends the in-place line first).
    void message(const std::string& text) {
        if (!enabled_) return;
        std::fprintf(stderr, "%s%s\n", tty_ ? "\n" : "", text.c_str());
    }
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

private:
    std::int64_t total_;
    bool enabled_, tty_;
    std::int64_t every_;
    std::chrono::steady_clock::time_point start_;
};

// A file that grows by whole records (the metrics log, TensorBoard event files): each record goes to the kernel in one
// write(2), with no user-space buffer, so a killed process loses none. It is a log, not a checkpoint, so it is
// fsync'ed only at sync() (when a checkpoint is saved), not per record, which would cost a disk flush every logging
// step. `what` names the file in errors ("metrics log").
class AppendFile {
public:
    AppendFile(std::string path, const char* what, bool keep) : path_(std::move(path)), what_(what) {
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (keep ? 0 : O_TRUNC), 0666);
        if (fd_ < 0) fail("cannot open the");
    }
    AppendFile(const AppendFile&) = delete;
    AppendFile& operator=(const AppendFile&) = delete;
    ~AppendFile() { ::close(fd_); }

    void append(std::string_view record) {
        for (std::size_t done = 0; done < record.size();) {
            const ssize_t w = ::write(fd_, record.data() + done, record.size() - done);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) fail("cannot write the", w < 0 ? errno : EIO);
            done += static_cast<std::size_t>(w);
        }
    }

    // Makes the records so far durable and returns the file's size in bytes.
    std::int64_t sync() {
        if (::fdatasync(fd_) != 0) fail("fdatasync failed on the");
        return size();
    }

    // Cuts the file back to `bytes` if it is longer.
    void truncate(std::int64_t bytes) {
        if (size() > bytes && ::ftruncate(fd_, static_cast<off_t>(bytes)) != 0) fail("cannot truncate the");
    }

private:
    std::int64_t size() {
        struct stat st {};
        if (::fstat(fd_, &st) != 0) fail("fstat failed on the");
        return static_cast<std::int64_t>(st.st_size);
    }
    [[noreturn]] void fail(const char* action, int err = errno) {
        detail::fail_errno(path_, (std::string(action) + " " + what_).c_str(), err);
    }

    std::string path_;
    const char* what_;
    int fd_ = -1;
};

// One JSON object per line in `path` (opened at the first record; an empty path disables logging): a fresh run
// replaces an earlier run's log, a resumed run (`append`) continues it.
class MetricsLog {
public:
    explicit MetricsLog(std::string path, bool append = false) : path_(std::move(path)), append_(append) {}

    void write(const json::Value& record) {
        if (AppendFile* f = file()) f->append(record.dump() + '\n');
    }

    // Makes the records so far durable and returns the log's size in bytes. A checkpoint stores this size so that a
    // run resumed from it can drop what was logged after it (truncate), which the resumed run logs again.
    std::int64_t sync() {
        AppendFile* f = file();
        return f ? f->sync() : 0;
    }

    // Cuts the log back to `bytes` if it is longer.
    void truncate(std::int64_t bytes) {
        if (AppendFile* f = file()) f->truncate(bytes);
    }

private:
    AppendFile* file() {
        if (path_.empty()) return nullptr;
        if (!file_) file_.emplace(path_, "metrics log", append_);
        return &*file_;
    }

    std::string path_;
    bool append_;
    std::optional<AppendFile> file_;
};

}  // namespace tinybert
