// Hostile sizes in datasets (docs/reliability.md, "Hostile sizes"): a line, CSV record or review far longer than any
// real one (over 64 MiB) is refused with its file, line and byte offset.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tinybert/data/detect.hpp"
#include "tinybert/io/limits.hpp"
#include "datasets/temp_dir.hpp"

namespace tb = tinybert;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

using tinybert::test::TempDir;

const std::string too_long(tb::max_line_bytes + 1, 'x');  // 64 MiB + 1 byte

}  // namespace

TEST_CASE("JSONL: a line over 64 MiB is refused with its line and byte offset") {
    const TempDir dir;
    const std::string first = R"({"text": "ok", "label": 0})";
    const std::string path = dir.write("big.jsonl", first + "\n" + too_long + "\n");
    CHECK_THROWS_WITH(tb::read_jsonl_dataset(path),
                      Contains("big.jsonl:2: line of 67108865 bytes (starting at byte 27) is longer than the limit of "
                               "67108864 bytes (64 MiB)"));
}

TEST_CASE("CSV: a record over 64 MiB is refused with its line and byte offset") {
    const TempDir dir;
    const std::string path = dir.write("big.csv", "text,label\n\"" + too_long + "\",pos\n");
    CHECK_THROWS_WITH(tb::read_csv_dataset(path),
                      Contains("big.csv:2: record of 67108867 bytes (starting at byte 11) is longer than the limit"));
}

TEST_CASE("token-per-line: a line over 64 MiB is refused with its line and byte offset") {
    const TempDir dir;
    const std::string path = dir.write("big.tsv", "Paris\tB-LOC\n\n" + too_long + "\tO\n");
    CHECK_THROWS_WITH(tb::read_conll(path), Contains("big.tsv:3: line of 67108867 bytes (starting at byte 13)"));
}

TEST_CASE("aclImdb: a review file over 64 MiB is refused before it is read") {
    const TempDir dir;
    dir.write("train/neg/0_1.txt", "fine");
    const std::string big = dir.write("train/pos/1_10.txt", "x");
    fs::resize_file(big, tb::max_line_bytes + 1);  // sparse
    CHECK_THROWS_WITH(tb::read_imdb(dir.path / "train"),
                      Contains("1_10.txt: file of 67108865 bytes is larger than the limit of 67108864 bytes for one "
                               "review"));
}

TEST_CASE("stdin lines (tinybert predict) stop at 64 MiB instead of growing without bound") {
    std::istringstream in("{}\n" + too_long);
    std::string line;
    REQUIRE(tb::detail::read_line_bounded(in, line, "stdin", 1, 0));
    CHECK(line == "{}");
    CHECK_THROWS_WITH(tb::detail::read_line_bounded(in, line, "stdin", 2, 3),
                      Contains("stdin:2: line starting at byte 3 is longer than the limit of 67108864 bytes"));
}

TEST_CASE("an integer label far above any class count is refused instead of making that many classes") {
    // Found by fuzz_csv (tests/fuzz/regressions/csv/huge_integer_label.csv): ids as given made 3e10 label names.
    const TempDir dir;
    const std::string path = dir.write("label.csv", "text,label\nok,30024983108\n");
    CHECK_THROWS_WITH(tb::read_csv_dataset(path),
                      Contains("label.csv:2: label 30024983108 would make 30024983108+1 classes, above tinybert's "
                               "limit of 1048576 labels"));
}
