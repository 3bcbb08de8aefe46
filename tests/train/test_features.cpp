// data/features.hpp, data/qa_features.hpp and data/loader.hpp: NER label alignment (hand-worked), QA window labels
// (against run_qa.py on the sample SQuAD file, tools/make_qa_feature_reference.py), batching and shuffling.
#include <catch2/catch.hpp>

#include <filesystem>

#include "tinybert/data/loader.hpp"
#include "tinybert/data/qa_features.hpp"
#include "tinybert/data/squad.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/tokenizer/pretrained.hpp"

using namespace tinybert;

namespace {

Tokenizer tiny_tokenizer() { return Tokenizer::from_vocab(std::string(TINYBERT_TEST_DATA_DIR) + "/tokenizer/tiny_vocab.txt"); }

const std::vector<std::string> ner_labels{"O", "B-PER", "I-PER", "B-LOC", "I-LOC"};

}  // namespace

TEST_CASE("NER labels go to the first sub-token of each word, -100 elsewhere", "[data][ner]") {
    const Tokenizer tok = tiny_tokenizer();
    VectorDataset<TokenExample> data({{{"unaffable", "wanted", "running", "x"}, {"B-PER", "I-PER", "O", "B-LOC"}}});
    // [CLS] un ##aff ##able want ##ed runn ##ing [UNK] [SEP]
    const Feature f = ner_features(data, tok, ner_labels, 512).front();
    CHECK(f.input_ids.size() == 10);
    CHECK(f.token_labels == std::vector<std::int64_t>{-100, 1, -100, -100, 2, -100, 0, -100, 3, -100});
    // label_all_tokens: continuation pieces get the word's label with B-X mapped to I-X.
    const Feature all = ner_features(data, tok, ner_labels, 512, true).front();
    CHECK(all.token_labels == std::vector<std::int64_t>{-100, 1, 2, 2, 2, 2, 0, 0, 3, -100});
    // Truncation drops the words that do not fit: max_length 5 keeps [CLS] un ##aff ##able [SEP].
    const Feature cut = ner_features(data, tok, ner_labels, 5).front();
    CHECK(cut.token_labels == std::vector<std::int64_t>{-100, 1, -100, -100, -100});
}

TEST_CASE("an unknown NER tag is an error naming the example", "[data][ner]") {
    const Tokenizer tok = tiny_tokenizer();
    VectorDataset<TokenExample> data({{{"want"}, {"O"}}, {{"want"}, {"B-ORG"}}});
    CHECK_THROWS_WITH(ner_features(data, tok, ner_labels, 512), Catch::Contains("example 1") && Catch::Contains("B-ORG"));
}

TEST_CASE("classification features truncate longest_first to max_length", "[data][classification]") {
    const Tokenizer tok = tiny_tokenizer();
    VectorDataset<TextExample> data({{"unaffable wanted", std::nullopt, 1}});
    const Feature f = classification_features(data, tok, 4).front();
    CHECK(f.input_ids == std::vector<std::int64_t>{2, 5, 6, 3});  // [CLS] un ##aff [SEP]
    CHECK(f.label == 1);
}

TEST_CASE("QA window labels match run_qa.py on the sample SQuAD file", "[data][qa]") {
    const std::string vocab = std::string(TINYBERT_SHARED_DIR) + "/models/bert-base-uncased/vocab.txt";
    if (!std::filesystem::exists(vocab)) {
        WARN("../shared/models/bert-base-uncased/vocab.txt absent: skipped");
        return;
    }
    const Tokenizer tok = Tokenizer::from_vocab(vocab);
    const auto data = read_squad(std::string(TINYBERT_SAMPLES_DIR) + "/squad/train.json");
    const json::Value ref = json::parse_file(std::string(TINYBERT_TEST_DATA_DIR) + "/qa_features/train_labels.json");
    for (const auto& [setting, max_length, stride] :
         {std::tuple{"384_128", std::size_t{384}, std::size_t{128}}, std::tuple{"64_16", std::size_t{64}, std::size_t{16}}}) {
        INFO("max_length " << max_length << " stride " << stride);
        const auto features = qa_features(data, tok, {.max_length = max_length, .doc_stride = stride});
        const auto& expected = ref.at(setting).as_array();
        REQUIRE(features.size() == expected.size());
        std::size_t answered = 0;
        for (std::size_t i = 0; i < features.size(); ++i) {
            INFO("feature " << i);
            CHECK(features[i].example_index == static_cast<std::size_t>(expected[i].at("example").as_int()));
            CHECK(features[i].start_position == expected[i].at("start").as_int());
            CHECK(features[i].end_position == expected[i].at("end").as_int());
            CHECK(features[i].size() == max_length);  // padded to max_length, as run_qa.py does
            answered += features[i].start_position > 0;
        }
        CHECK(answered > features.size() / 3);  // most windows hold their answer: the check is not vacuous
    }
}

TEST_CASE("collate pads to the longest feature, the loader's shuffle is a pure function of (seed, epoch)",
          "[data][loader]") {
    std::vector<Feature> fs(5);
    for (std::size_t i = 0; i < fs.size(); ++i) {
        fs[i].input_ids.assign(i + 2, 7);
        fs[i].token_type_ids.assign(i + 2, 0);
        fs[i].attention_mask.assign(i + 2, 1);
        fs[i].label = static_cast<std::int64_t>(i);
    }
    const Batch<Cpu> b = collate(fs, {0, 2}, 0);
    CHECK(b.input_ids.shape() == Shape{2, 4});
    CHECK(b.input_ids.to_vector() == std::vector<std::int64_t>{7, 7, 0, 0, 7, 7, 7, 7});
    CHECK(b.attention_mask.to_vector() == std::vector<std::int64_t>{1, 1, 0, 0, 1, 1, 1, 1});
    CHECK(b.labels.to_vector() == std::vector<std::int64_t>{0, 2});

    DataLoader a(fs, 0, {.batch_size = 2, .shuffle = true, .seed = 1}), c(fs, 0, {.batch_size = 2, .shuffle = true, .seed = 1});
    CHECK(a.num_batches() == 3);
    std::vector<std::size_t> order0, order1;
    for (std::size_t k = 0; k < 3; ++k)
        for (const auto r : a.rows(k)) order0.push_back(r);
    a.set_epoch(1);
    c.set_epoch(1);
    for (std::size_t k = 0; k < 3; ++k) {
        CHECK(a.rows(k) == c.rows(k));
        for (const auto r : a.rows(k)) order1.push_back(r);
    }
    CHECK(order0 != order1);  // a new permutation each epoch
    std::sort(order1.begin(), order1.end());
    CHECK(order1 == std::vector<std::size_t>{0, 1, 2, 3, 4});
    // Epoch e is torch.randperm(5) under manual_seed(seed + e), as Trainer draws it.
    CHECK(order0 == torch_randperm(5, 1));
    // Prefetched batches equal directly collated ones.
    for (std::size_t k = 0; k < 3; ++k) CHECK(a.batch(k).input_ids.to_vector() == collate(fs, a.rows(k), 0).input_ids.to_vector());
}

// transformers' get_length_grouped_indices (trainer_pt_utils.py) worked by hand on a given permutation.
TEST_CASE("length grouping is HF's LengthGroupedSampler after its permutation", "[data][loader]") {
    // 10 features, batch 2: mult = min(10 / 8, 50) = 1, mega-batches of 2, each sorted longest first (a tie keeps the
    // permutation's order); the mega-batch maxima are 3, 5, 8, 9, 9, so the first 9 ([5, 6]) gives its 5 to the front
    CHECK(length_grouped({3, 1, 4, 0, 9, 2, 6, 5, 8, 7}, {5, 3, 8, 3, 2, 9, 1, 9, 4, 6}, 2) ==
          std::vector<std::size_t>{5, 1, 0, 4, 2, 9, 3, 6, 7, 8});
    // 17 features, batch 2: mult = 2, mega-batches of 4 and a last one of 1; the longest (9) is already first
    const std::vector<std::size_t> lengths{4, 7, 7, 2, 9, 1, 5, 5, 8, 3, 6, 9, 2, 7, 4, 1, 9};
    CHECK(length_grouped({16, 3, 8, 0, 12, 5, 9, 1, 14, 13, 2, 7, 10, 4, 11, 6, 15}, lengths, 2) ==
          std::vector<std::size_t>{16, 8, 0, 3, 1, 9, 12, 5, 13, 2, 7, 14, 4, 11, 10, 6, 15});
    CHECK(length_grouped({}, {}, 4).empty());

    // The loader groups epoch e's torch_randperm(n, seed + e) by feature length, in batches of group_batch_size.
    std::vector<Feature> fs(17);
    for (std::size_t i = 0; i < fs.size(); ++i) {
        fs[i].input_ids.assign(lengths[i], 7);
        fs[i].attention_mask.assign(lengths[i], 1);
    }
    DataLoader grouped(fs, 0,
                       {.batch_size = 1, .shuffle = true, .seed = 5, .group_by_length = true, .group_batch_size = 2});
    std::vector<std::size_t> order;
    for (std::size_t k = 0; k < grouped.num_batches(); ++k)
        for (const auto r : grouped.rows(k)) order.push_back(r);
    CHECK(order == length_grouped(torch_randperm(17, 5), lengths, 2));
}
