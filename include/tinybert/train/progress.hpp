// tinybert/train/progress.hpp: the training progress line on stderr (loss, learning rate, sequences/s, ETA) — redrawn in
// place on a terminal, one line every `every` updates otherwise — and the JSONL metrics log.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

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

    // After update `step` (1-based): the running loss, the lr it used, sequences seen since the start.
    void update(std::int64_t step, std::size_t epoch, double loss, double lr, std::size_t sequences) {
        if (!enabled_ || (!tty_ && step % every_ != 0 && step != total_)) return;
        const double elapsed = seconds();
        const double rate = elapsed > 0 ? static_cast<double>(sequences) / elapsed : 0.0;
        const double eta = step > 0 ? elapsed / static_cast<double>(step) * static_cast<double>(total_ - step) : 0.0;
        const int width = 24;
        const int filled = total_ > 0 ? static_cast<int>(width * step / total_) : width;
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(static_cast<std::size_t>(width), '.');
        std::fprintf(stderr, "%s[%s] epoch %zu step %lld/%lld loss %.4f lr %.2e %.1f seq/s ETA %s%s", tty_ ? "\r" : "",
                     bar.c_str(), epoch + 1, static_cast<long long>(step), static_cast<long long>(total_), loss, lr,
                     rate, format_duration(eta).c_str(), tty_ ? "\033[K" : "\n");
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

// One JSON object per line in `path` (opened at the first record; an empty path disables logging): a fresh run
// replaces an earlier run's log, a resumed run (`append`) continues it.
class MetricsLog {
public:
    explicit MetricsLog(std::string path, bool append = false) : path_(std::move(path)), append_(append) {}
    void write(const json::Value& record) {
        if (path_.empty()) return;
        if (!out_.is_open()) out_.open(path_, append_ ? std::ios::app : std::ios::trunc);
        TINYBERT_CHECK(out_.good(), path_, ": cannot write the metrics log");
        out_ << record.dump() << '\n';
        out_.flush();
    }

private:
    std::string path_;
    bool append_;
    std::ofstream out_;
};

}  // namespace tinybert
