// Conformance of the BPE and Unigram fixture tokenizers on ../shared/data (a clean skip, exit code 4, when absent):
// 3,000 IMDb reviews untruncated and at max_length 128, 5,436 SQuAD question/context pairs (only_second, 384, stride
// 128, overflow windows, max_length padding) and 6,000 WikiAnn word lists (is_split_into_words, max_length 512; BPE
// with add_prefix_space as RoBERTa NER uses it) must give Hugging Face's encodings. The expected digests per sample
// (tests/fixtures/tokenizer/{bpe,unigram,spm_xlmr,spm_albert}/corpus_expected*.tsv) come from
// tools/tokenizer/make_bpe_unigram_fixtures.py and make_spm_fixtures.py.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>

#include "corpus_support.hpp"
#include "json_support.hpp"

using namespace tok_test;

namespace {

void skip_without_data() {
    if (!std::filesystem::exists(data_dir)) {
        std::fprintf(stderr, "SKIPPED: %s not found\n", data_dir.c_str());
        std::exit(4);
    }
}

}  // namespace

TEST_CASE("tokenizer.json corpus: byte-level BPE matches Hugging Face on IMDb, SQuAD and WikiAnn") {
    skip_without_data();
    const auto [n1, ok1] = compare_sets("bpe", fixture_dir + "/bpe/corpus_expected.tsv",
                                        encode_sets(fixture("bpe"), {"imdb", "imdb128", "squad"}));
    const auto [n2, ok2] = compare_sets("bpe_prefix", fixture_dir + "/bpe/corpus_expected_prefix.tsv",
                                        encode_sets(fixture("bpe_prefix"), {"wikiann"}));
    CHECK(n1 + n2 >= 10000);
    WARN("bpe corpus total: " << ok1 + ok2 << "/" << n1 + n2 << " samples identical");
}

TEST_CASE("tokenizer.json corpus: Unigram matches Hugging Face on IMDb, SQuAD and WikiAnn") {
    skip_without_data();
    const auto [n, ok] = compare_sets("unigram", fixture_dir + "/unigram/corpus_expected.tsv",
                                      encode_sets(fixture("unigram"), {"imdb", "imdb128", "squad", "wikiann"}));
    CHECK(n >= 10000);
    WARN("unigram corpus total: " << ok << "/" << n << " samples identical");
}

// SentencePiece conversions with the Precompiled normalizer (tools/tokenizer/make_spm_fixtures.py), each on all four
// sets (17,436 samples).
TEST_CASE("tokenizer.json corpus: Precompiled XLM-R and ALBERT match Hugging Face on IMDb, SQuAD and WikiAnn") {
    skip_without_data();
    const std::vector<std::string> sets{"imdb", "imdb128", "squad", "wikiann"};
    for (const auto& [kind, file] : {std::pair<std::string, std::string>{"spm_xlmr", "spm_xlmr/corpus_expected.tsv"},
                                     {"spm_xlmr_file", "spm_xlmr/corpus_expected_file.tsv"},
                                     {"spm_albert", "spm_albert/corpus_expected.tsv"}}) {
        const auto [n, ok] = compare_sets(kind, fixture_dir + "/" + file, encode_sets(fixture(kind), sets));
        CHECK(n >= 10000);
        WARN(kind << " corpus total: " << ok << "/" << n << " samples identical");
    }
}
