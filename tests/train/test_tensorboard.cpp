// train/tensorboard.hpp: CRC-32C against published vectors, the bytes of hand-worked records (cross-checked against
// tensorboard 2.21's protobuf Event and its RecordWriter), the Hugging Face tags, and the event files of a Trainer run
// with report_to tensorboard (one per run segment, each a valid TFRecord stream). read_tensorboard.py reads the same
// run back through TensorBoard's own reader.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tinybert/train/tensorboard.hpp"
#include "train/tiny_report.hpp"

using namespace tinybert;
namespace fs = std::filesystem;

namespace {

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (const int x : b) s.push_back(static_cast<char>(x));
    return s;
}

std::uint64_t read_le(const std::string& s, std::size_t at, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{static_cast<std::uint8_t>(s[at + i])} << (8 * i);
    return v;
}

// The records of a TFRecord file, each checked against its two masked CRCs.
std::vector<std::string> read_records(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    const std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> records;
    for (std::size_t at = 0; at < s.size();) {
        REQUIRE(at + 12 <= s.size());
        const std::uint64_t len = read_le(s, at, 8);
        CHECK(read_le(s, at + 8, 4) == detail::masked_crc32c(s.substr(at, 8)));
        REQUIRE(at + 16 + len <= s.size());
        records.push_back(s.substr(at + 12, len));
        CHECK(read_le(s, at + 12 + len, 4) == detail::masked_crc32c(records.back()));
        at += 16 + len;
    }
    return records;
}

}  // namespace

TEST_CASE("CRC-32C matches the published check values", "[train][tensorboard]") {
    CHECK(detail::crc32c("") == 0u);
    CHECK(detail::crc32c("123456789") == 0xE3069283u);                // the CRC catalogue's check value
    CHECK(detail::crc32c(std::string(32, '\0')) == 0x8A9136AAu);      // RFC 3720 B.4, 32 bytes of zeros
    CHECK(detail::crc32c(std::string(32, '\xff')) == 0x62A8AB43u);    // RFC 3720 B.4, 32 bytes of 0xFF
    // TFRecord's mask: ((crc >> 15) | (crc << 17)) + 0xa282ead8; an empty record's length field is 8 zero bytes.
    CHECK(detail::masked_crc32c(std::string(8, '\0')) == 0x07980329u);
}

TEST_CASE("a scalar Event and its TFRecord have the hand-worked bytes", "[train][tensorboard]") {
    // Event{wall_time: 1.0, step: 3, summary {value {tag: "a", simple_value: 1.0}}}
    const std::string event = bytes({0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,  // field 1 fixed64: 1.0
                                     0x10, 0x03,                          // field 2 varint: step 3
                                     0x2a, 0x0a,                          // field 5 (summary), 10 bytes
                                     0x0a, 0x08,                          //   field 1 (value), 8 bytes
                                     0x0a, 0x01, 'a',                     //     field 1 (tag) "a"
                                     0x15, 0, 0, 0x80, 0x3f});            //     field 2 fixed32: 1.0f
    CHECK(scalar_event(1.0, 3, "a", 1.0f) == event);
    const std::string record = tfrecord(event);
    CHECK(record == bytes({0x17, 0, 0, 0, 0, 0, 0, 0,  // length 23, little-endian uint64
                           0xe7, 0xce, 0xf8, 0x1e})    // its masked CRC-32C
                        + event + bytes({0x23, 0x74, 0xdc, 0x23}));  // the data's masked CRC-32C
    CHECK(tfrecord("") == bytes({0, 0, 0, 0, 0, 0, 0, 0, 0x29, 0x03, 0x98, 0x07, 0xd8, 0xea, 0x82, 0xa2}));
    // A multi-byte varint: step 300 = 0xac 0x02.
    CHECK(scalar_event(0.0, 300, "", 0.0f).substr(9, 3) == bytes({0x10, 0xac, 0x02}));
}

TEST_CASE("the file_version and SessionLog START events have the hand-worked bytes", "[train][tensorboard]") {
    CHECK(file_version_event(1.0) == bytes({0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x1a, 0x0d}) + "brain.Event:2");
    CHECK(session_start_event(1.0, 5) ==
          bytes({0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0x05, 0x3a, 0x02, 0x08, 0x01}));
}

TEST_CASE("metric names become the Hugging Face Trainer's tags", "[train][tensorboard]") {
    CHECK(tensorboard_tag("loss") == "train/loss");
    CHECK(tensorboard_tag("learning_rate") == "train/learning_rate");
    CHECK(tensorboard_tag("train_runtime") == "train/train_runtime");
    CHECK(tensorboard_tag("eval_loss") == "eval/loss");
    CHECK(tensorboard_tag("eval_accuracy") == "eval/accuracy");
}

TEST_CASE("a Trainer run writes one event file per run segment under runs/<date>_<host>", "[train][tensorboard]") {
    const fs::path out = fs::temp_directory_path() / "tinybert_test_tensorboard";
    test::report_run(out, /*crash_at=*/7);  // killed at update 7, resumed from the update-4 checkpoint
    const std::vector<fs::path> runs{fs::directory_iterator(out / "runs"), fs::directory_iterator{}};
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].filename().string().ends_with("_" + host_name()));
    std::vector<fs::path> files{fs::directory_iterator(runs[0]), fs::directory_iterator{}};
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() == 2);
    for (const auto& f : files) CHECK(f.filename().string().starts_with("events.out.tfevents."));
    const auto crashed = read_records(files[0]), resumed = read_records(files[1]);
    REQUIRE(!crashed.empty());
    REQUIRE(resumed.size() > 1);
    CHECK(crashed[0].ends_with("brain.Event:2"));
    CHECK(resumed[0].ends_with("brain.Event:2"));
    // The resumed segment starts by dropping what the crashed one logged after the checkpoint (update 4).
    CHECK(resumed[1].substr(9) == session_start_event(0.0, 5).substr(9));
    fs::remove_all(out);
}

TEST_CASE("report_to is checked, without tensorboard no runs folder is made", "[train][tensorboard]") {
    test::TinyModel m = test::TinyModel::from_pretrained(test::tiny_fixture());
    TrainingArguments a = test::report_args(fs::temp_directory_path() / "tinybert_test_tensorboard_off");
    a.report_to = {"wandb"};
    CHECK_THROWS_WITH(Trainer<test::TinyModel>(m, a), Catch::Contains("report_to"));
    a.report_to = {"jsonl"};
    fs::remove_all(a.output_dir);
    Trainer<test::TinyModel>(m, a).train(test::make_features(4), 0, [](test::TinyModel&) { return Metrics{}; });
    CHECK(fs::exists(fs::path(a.output_dir) / "metrics.jsonl"));
    CHECK(!fs::exists(fs::path(a.output_dir) / "runs"));
    fs::remove_all(a.output_dir);
}
