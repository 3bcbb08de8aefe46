// The real developer data sets in ../shared/data (IMDb, WikiANN, SQuAD v1.1), checked against the counts in their
// README.md files. Each test warns and returns when the folder is absent.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>

#include "tinybert/data/detect.hpp"

namespace tb = tinybert;
namespace fs = std::filesystem;

namespace {

const fs::path data_dir = TINYBERT_SHARED_DIR "/data";

bool have(const fs::path& p) {
    if (fs::exists(p)) return true;
    WARN("skipping: " << p.string() << " is absent");
    return false;
}

}  // namespace

TEST_CASE("IMDb sample: 1000/1000 train, 500/500 test, <br /> kept") {
    const fs::path root = data_dir / "imdb/aclImdb";
    if (!have(root)) return;
    for (const auto& [split, per_class] : {std::pair{"train", 1000}, std::pair{"test", 500}}) {
        const auto d = tb::load_text_dataset(root / split);
        REQUIRE(d.size() == static_cast<std::size_t>(2 * per_class));
        std::size_t pos = 0, br = 0;
        for (const auto& ex : d) {
            pos += ex.label == 1 ? 1u : 0u;
            br += ex.text.find("<br />") != std::string::npos ? 1u : 0u;
        }
        CHECK(pos == static_cast<std::size_t>(per_class));
        CHECK(br > 0);
    }
    // Byte-exact text: per split and class, the summed sizes equal the MANIFEST.tsv byte column.
    std::map<std::string, std::size_t> manifest;
    const std::string tsv = tb::json::read_file((data_dir / "imdb/MANIFEST.tsv").string());
    for (std::size_t at = tsv.find('\n') + 1; at < tsv.size();) {
        const std::size_t end = std::min(tsv.find('\n', at), tsv.size());
        const std::string row = tsv.substr(at, end - at);
        const std::string file = row.substr(0, row.find('\t'));
        manifest[file.substr(0, file.rfind('/'))] += std::stoul(row.substr(row.rfind('\t') + 1));
        at = end + 1;
    }
    for (const char* split : {"train", "test"}) {
        std::size_t bytes[2] = {0, 0};
        for (const auto& ex : tb::read_imdb(root / split)) bytes[ex.label] += ex.text.size();
        CHECK(bytes[0] == manifest[std::string(split) + "/neg"]);
        CHECK(bytes[1] == manifest[std::string(split) + "/pos"]);
    }
}

TEST_CASE("WikiANN sample: 5000 / 40542 train, 1000 / 8184 validation, IOB2 tag counts") {
    const fs::path root = data_dir / "wikiann-en";
    if (!have(root)) return;
    struct Want {
        const char* file;
        std::size_t sentences, tokens, b_per, b_org, b_loc;
    };
    for (const Want& w :
         {Want{"train.tsv", 5000, 40542, 2269, 2436, 2325}, Want{"validation.tsv", 1000, 8184, 487, 452, 513}}) {
        const auto d = tb::load_token_dataset(root / w.file, tb::wikiann_label_names());
        CHECK(d.size() == w.sentences);
        std::size_t tokens = 0, per = 0, org = 0, loc = 0;
        for (const auto& s : d) {
            REQUIRE(s.words.size() == s.tags.size());
            tokens += s.words.size();
            for (const auto& t : s.tags) {
                per += t == "B-PER" ? 1u : 0u;
                org += t == "B-ORG" ? 1u : 0u;
                loc += t == "B-LOC" ? 1u : 0u;
            }
        }
        CHECK(tokens == w.tokens);
        CHECK(per == w.b_per);
        CHECK(org == w.b_org);
        CHECK(loc == w.b_loc);
    }
}

TEST_CASE("SQuAD v1.1 subsets: 3807 train questions, 1629 dev questions with 5206 answers") {
    const fs::path root = data_dir / "squad-v1.1";
    if (!have(root)) return;
    const auto train = tb::load_qa_dataset(root / "train-v1.1-subset.json");
    CHECK(train.size() == 3807);
    CHECK(train[0].id == "5733be284776f41900661182");
    CHECK(train[0].answer_texts == std::vector<std::string>{"Saint Bernadette Soubirous"});
    CHECK(train[0].answer_starts == std::vector<std::size_t>{515});
    const auto dev = tb::load_qa_dataset(root / "dev-v1.1-devsubset.json");
    CHECK(dev.size() == 1629);
    std::size_t answers = 0;
    for (const auto& q : dev) answers += q.answer_texts.size();
    CHECK(answers == 5206);
}
