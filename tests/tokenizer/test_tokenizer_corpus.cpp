// Conformance on ../shared/data (skipped when absent): 3,000 IMDb reviews untruncated and at max_length 128, 5,436
// SQuAD question/context pairs (only_second, 384, stride 128, overflow, max_length padding) and 6,000 WikiAnn word
// lists (max_length 512) must give Hugging Face's encodings: tests/fixtures/tokenizer/corpus_expected.tsv holds, per
// sample, counts and FNV hashes of ids, type ids + masks, offsets and word/sequence ids (tools/tokenizer/corpus.py).
#include <catch2/catch.hpp>

#include <filesystem>

#include "corpus_support.hpp"

using namespace tok_test;

TEST_CASE("corpus: IMDb, SQuAD and WikiAnn from ../shared/data match Hugging Face exactly") {
    if (!std::filesystem::exists(data_dir) || !std::filesystem::exists(shared_vocab)) {
        WARN("skipped: " << data_dir << " not found");
        return;
    }
    const auto [total, total_ok] =
        compare_sets("wordpiece", TINYBERT_TEST_DATA_DIR "/tokenizer/corpus_expected.tsv",
                     encode_sets(reference_config("uncased"), {"imdb", "imdb128", "squad", "wikiann"}));
    CHECK(total >= 10000);
    WARN("corpus total: " << total_ok << "/" << total << " samples identical");
}
