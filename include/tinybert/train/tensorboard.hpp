// tinybert/train/tensorboard.hpp: TensorBoard event files, written without protobuf or TensorFlow. A file is a sequence
// of TFRecords (uint64 length, masked CRC-32C of the length, data, masked CRC-32C of the data; little-endian), each
// holding one serialized tensorflow.Event: first {file_version: "brain.Event:2"}, then one Event per scalar
// {wall_time (double, field 1), step (int64, field 2), summary (field 5) → value (field 1) → {tag (field 1),
// simple_value (float, field 2)}}, as PyTorch's SummaryWriter writes them. The few protobuf fields are hand-encoded.
// Tags follow the Hugging Face TensorBoardCallback: a record's "eval_x" becomes "eval/x" and any other key "train/key".
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "tinybert/io/files.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/train/progress.hpp"

namespace tinybert {
namespace detail {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord framing; one table lookup per byte
// is plenty for a few records per logging step.
inline std::uint32_t crc32c(std::string_view bytes) {
    static const std::array<std::uint32_t, 256> table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    std::uint32_t crc = 0xFFFFFFFFu;
    for (const char ch : bytes) crc = table[(crc ^ static_cast<std::uint8_t>(ch)) & 0xFFu] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

// TFRecord stores CRCs masked (rotated and offset) because a CRC of data that itself contains CRCs is weak.
inline std::uint32_t masked_crc32c(std::string_view bytes) {
    const std::uint32_t crc = crc32c(bytes);
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

// Little-endian fixed-width integers: TFRecord's length and CRCs, protobuf's fixed64/fixed32 fields.
template <class U>
void put_le(std::string& out, U v) {
    for (std::size_t i = 0; i < sizeof(U); ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

// Protobuf wire format: a field key is varint(field << 3 | wire type); 0 varint, 1 fixed64, 2 length-delimited,
// 5 fixed32.
inline void put_varint(std::string& out, std::uint64_t v) {
    for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    out.push_back(static_cast<char>(v));
}
inline void put_key(std::string& out, std::uint32_t field, std::uint32_t wire_type) {
    put_varint(out, (std::uint64_t{field} << 3) | wire_type);
}
inline void put_bytes(std::string& out, std::uint32_t field, std::string_view bytes) {
    put_key(out, field, 2);
    put_varint(out, bytes.size());
    out.append(bytes);
}

// An Event's wall_time and step (fields 1 and 2), the start of every Event.
inline std::string event_header(double wall_time, std::int64_t step) {
    std::string e;
    put_key(e, 1, 1);
    put_le(e, std::bit_cast<std::uint64_t>(wall_time));
    if (step != 0) {  // proto3 leaves a zero field out
        put_key(e, 2, 0);
        put_varint(e, static_cast<std::uint64_t>(step));
    }
    return e;
}

}  // namespace detail

// One TFRecord around `data`.
inline std::string tfrecord(std::string_view data) {
    std::string len;
    detail::put_le(len, std::uint64_t{data.size()});
    std::string r = len;
    detail::put_le(r, detail::masked_crc32c(len));
    r.append(data);
    detail::put_le(r, detail::masked_crc32c(data));
    return r;
}

// Event{wall_time, file_version: "brain.Event:2"}: the first record of every event file.
inline std::string file_version_event(double wall_time) {
    std::string e = detail::event_header(wall_time, 0);
    detail::put_bytes(e, 3, "brain.Event:2");
    return e;
}

// Event{wall_time, step, summary: {value: [{tag, simple_value}]}}.
inline std::string scalar_event(double wall_time, std::int64_t step, std::string_view tag, float value) {
    std::string v;
    detail::put_bytes(v, 1, tag);
    detail::put_key(v, 2, 5);
    detail::put_le(v, std::bit_cast<std::uint32_t>(value));
    std::string summary;
    detail::put_bytes(summary, 1, v);
    std::string e = detail::event_header(wall_time, step);
    detail::put_bytes(e, 5, summary);
    return e;
}

// Event{wall_time, step, session_log: {status: START}}: TensorBoard's reader drops every earlier event at a step
// >= `step` when it meets it (TensorFlow's restart marker), so a resumed run hides what a crashed one logged after its
// checkpoint.
inline std::string session_start_event(double wall_time, std::int64_t step) {
    std::string log;
    detail::put_key(log, 1, 0);
    detail::put_varint(log, 1);  // SessionLog.START
    std::string e = detail::event_header(wall_time, step);
    detail::put_bytes(e, 7, log);
    return e;
}

// The Hugging Face Trainer's tag for a logged key: eval_loss → eval/loss, learning_rate → train/learning_rate.
inline std::string tensorboard_tag(std::string_view key) {
    if (key.starts_with("eval_")) return "eval/" + std::string(key.substr(5));
    return "train/" + std::string(key);
}

inline std::string host_name() {
    std::array<char, 256> buf{};
    if (::gethostname(buf.data(), buf.size() - 1) != 0) return "localhost";
    return buf.data();
}

// Hugging Face's default logging_dir below `output_dir`: runs/<MMMdd_HH-MM-SS>_<hostname>, local time.
inline std::string default_logging_dir(const std::string& output_dir) {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&now, &local);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%b%d_%H-%M-%S", &local);
    return (std::filesystem::path(output_dir) / "runs" / (std::string(stamp) + "_" + host_name())).string();
}

// A new event file in `logdir`, events.out.tfevents.<unix seconds>.<hostname>.<pid>.<n> (n counts the writers of this
// process, so two never share a name). Every record reaches the kernel as it is written (AppendFile); sync() makes
// them durable. Each run segment (a fresh run, each resume) writes its own file; TensorBoard merges a directory's
// files in name order.
class EventWriter {
public:
    explicit EventWriter(const std::string& logdir) {
        static std::atomic<int> writers{0};
        detail::create_directories_durable(logdir);
        const double now = wall_time();
        const std::string name = "events.out.tfevents." + std::to_string(static_cast<std::int64_t>(now)) + "." +
                                 host_name() + "." + std::to_string(::getpid()) + "." + std::to_string(writers++);
        file_.emplace((std::filesystem::path(logdir) / name).string(), "event file", /*keep=*/false);
        detail::fsync_directory(logdir);
        file_->append(tfrecord(file_version_event(now)));
    }

    void add_scalar(std::string_view tag, double value, std::int64_t step) {
        file_->append(tfrecord(scalar_event(wall_time(), step, tag, static_cast<float>(value))));
    }

    // Every number of a metrics-log record under its Hugging Face tag, at `step` ("step" itself is the x axis).
    void add_record(const json::Object& record, std::int64_t step) {
        for (const auto& [key, value] : record)
            if (key != "step" && value.is_number()) add_scalar(tensorboard_tag(key), value.as_double(), step);
    }

    // A resumed run continues after `step`: what an earlier segment logged from `step` + 1 on is dropped.
    void resume_after(std::int64_t step) { file_->append(tfrecord(session_start_event(wall_time(), step + 1))); }

    void sync() { file_->sync(); }

private:
    static double wall_time() {
        return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    }

    std::optional<AppendFile> file_;  // optional: opened in the constructor's body, after its directory exists
};

}  // namespace tinybert
