// The text readers' multi-label and regression targets (data/jsonl.hpp, data/csv.hpp, data/dataset.hpp): label
// lists and numbers, the problem type read from the file or given, the features' float labels and the collated
// float_labels tensor; every bad input an error naming the file and line.
#include <catch2/catch.hpp>
#include <filesystem>

#include "datasets/temp_dir.hpp"
#include "tinybert/data/detect.hpp"
#include "tinybert/data/loader.hpp"

namespace tb = tinybert;
using Catch::Matchers::Contains;
using tinybert::test::TempDir;

namespace {

const std::string fixtures = TINYBERT_TEST_DATA_DIR "/datasets/";

}  // namespace

TEST_CASE("multi-label JSONL and CSV read label lists", "[datasets][multi_label]") {
    const auto train = tb::load_text_dataset(fixtures + "multi_label/train.jsonl");
    CHECK(train.problem_type() == tb::ProblemType::multi_label_classification);
    CHECK(train.label_names() == std::vector<std::string>{"politics", "sports", "tech"});
    REQUIRE(train.size() == 8);
    CHECK(train[0].label_ids == std::vector<std::int64_t>{0, 1});
    CHECK(train[6].label_ids.empty());
    // the CSV eval file with the training labels: "sports|politics", and an empty field for no label
    const auto eval = tb::load_text_dataset(fixtures + "multi_label/eval.csv", {.label_names = train.label_names()});
    CHECK(eval.problem_type() == tb::ProblemType::multi_label_classification);
    CHECK(eval[2].label_ids == std::vector<std::int64_t>{0, 1});
    CHECK(eval[3].label_ids.empty());
    // integer ids in lists, and a `label` field holding a list
    const TempDir dir;
    const auto ids = tb::load_text_dataset(dir.write("ids.jsonl", "{\"text\": \"a\", \"label\": [2, 0]}\n"
                                                                  "{\"text\": \"b\", \"label\": [1]}\n"));
    CHECK(ids.label_names() == std::vector<std::string>{"0", "1", "2"});
    CHECK(ids[0].label_ids == std::vector<std::int64_t>{0, 2});
    // a CSV `label` column is split only when multi-label is asked for
    const std::string csv = dir.write("l.csv", "text,label\nx,a|b\ny,b\n");
    CHECK(tb::load_text_dataset(csv).problem_type() == tb::ProblemType::single_label_classification);
    const auto split = tb::load_text_dataset(csv, {.problem_type = tb::ProblemType::multi_label_classification});
    CHECK(split[0].label_ids == std::vector<std::int64_t>{0, 1});
}

TEST_CASE("regression JSONL and CSV read numbers", "[datasets][regression]") {
    const auto train = tb::load_text_dataset(fixtures + "regression/train.jsonl");
    CHECK(train.problem_type() == tb::ProblemType::regression);
    CHECK(train.label_names() == std::vector<std::string>{"LABEL_0"});
    CHECK(train[0].value == 4.8);
    CHECK(train[0].text_pair == "A man plays the guitar.");
    CHECK(train[4].value == 0.0);
    const auto eval = tb::load_text_dataset(fixtures + "regression/eval.csv");
    CHECK(eval.problem_type() == tb::ProblemType::regression);
    CHECK(eval[3].value == 1.2);
    // integer-looking targets are classes unless regression is asked for
    const TempDir dir;
    const std::string ints = dir.write("i.csv", "text,label\nx,3\ny,1\n");
    CHECK(tb::load_text_dataset(ints).problem_type() == tb::ProblemType::single_label_classification);
    const auto r = tb::load_text_dataset(ints, {.problem_type = tb::ProblemType::regression});
    CHECK(r[0].value == 3.0);
}

TEST_CASE("multi-label and regression read errors name the file and line", "[datasets][multi_label][regression]") {
    const TempDir dir;
    const auto error = [&](const std::string& name, const std::string& text, tb::TextDatasetOptions opt = {}) {
        const std::string path = dir.write(name, text);
        try {
            tb::load_text_dataset(path, opt);
        } catch (const tb::Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK_THAT(error("mixed.jsonl", "{\"text\": \"a\", \"labels\": [\"x\"]}\n{\"text\": \"b\", \"label\": \"x\"}\n"),
               Contains("mixed.jsonl:2") && Contains("single label in a multi-label file"));
    CHECK_THAT(error("reg.jsonl", "{\"text\": \"a\", \"label\": 1.5}\n{\"text\": \"b\", \"label\": \"high\"}\n"),
               Contains("reg.jsonl:2") && Contains("\"high\" is not a number"));
    CHECK_THAT(error("obj.jsonl", "{\"text\": \"a\", \"labels\": [{\"x\": 1}]}\n"),
               Contains("obj.jsonl:1") && Contains("integer or a string"));
    CHECK_THAT(error("unknown.jsonl", "{\"text\": \"a\", \"labels\": [\"x\", \"z\"]}\n", {.label_names = {"x", "y"}}),
               Contains("unknown.jsonl:1") && Contains("\"z\" is not in the label list"));
    CHECK_THAT(error("empty.csv", "text,labels\nx,a||b\n"), Contains("empty.csv:2") && Contains("empty label"));
    CHECK_THAT(error("nan.csv", "text,label\nx,2.5\ny,abc\n"), Contains("nan.csv:3") && Contains("not a number"));
    CHECK_THAT(error("none.jsonl", "{\"text\": \"a\", \"labels\": []}\n"), Contains("names no class"));
    CHECK_THAT(error("single.jsonl", "{\"text\": \"a\", \"labels\": [\"x\"]}\n",
                     {.problem_type = tb::ProblemType::single_label_classification}),
               Contains("single.jsonl:1") && Contains("needs one label"));
}

TEST_CASE("float labels go from examples to features to the collated batch", "[datasets][multi_label][regression]") {
    tb::VectorDataset<tb::TextExample> ml(
        {{"a", std::nullopt, 0, {0, 2}, 0}, {"b", std::nullopt, 0, {}, 0}}, {"x", "y", "z"},
        tb::ProblemType::multi_label_classification);
    std::vector<tb::Feature> f(2);
    for (std::size_t i = 0; i < 2; ++i) f[i].input_ids = f[i].attention_mask = f[i].token_type_ids = {1, 2};
    f[0].float_labels = {1, 0, 1};
    f[1].float_labels = {0, 0, 0};
    const auto batch = tb::collate(f, {0, 1}, 0);
    CHECK_FALSE(batch.labels.defined());
    REQUIRE(batch.float_labels.defined());
    CHECK(batch.float_labels.shape() == tb::Shape{2, 3});
    CHECK(batch.float_labels.to_vector() == std::vector<float>{1, 0, 1, 0, 0, 0});
    f[1].float_labels = {0.5f};
    CHECK_THROWS_WITH(tb::collate(f, {0, 1}, 0), Contains("float labels"));
    (void)ml;
}
