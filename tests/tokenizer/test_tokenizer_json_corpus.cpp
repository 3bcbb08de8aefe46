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

std::map<std::string, std::vector<Encoding>> encode_sets(const Tokenizer& t, const std::vector<std::string>& sets) {
    std::map<std::string, std::vector<Encoding>> got;
    EncodeOptions trunc128{.max_length = 128, .truncation = Truncation::longest_first};
    EncodeOptions squad{.max_length = 384, .truncation = Truncation::only_second, .padding = Padding::max_length,
                        .stride = 128, .return_overflowing = true};
    EncodeOptions wiki{.max_length = 512, .truncation = Truncation::longest_first};
    for (const std::string& s : sets) {
        if (s == "imdb") got[s] = t.encode_batch(imdb_texts(), {});
        if (s == "imdb128") got[s] = t.encode_batch(imdb_texts(), trunc128);
        if (s == "squad") got[s] = t.encode_pair_batch(squad_pairs(), squad);
        if (s == "wikiann") got[s] = t.encode_words_batch(wikiann_sentences(), wiki);
    }
    return got;
}

// Returns {samples compared, samples identical}.
std::pair<std::size_t, std::size_t> compare_sets(const std::string& kind, const std::string& expected_path,
                                                 const std::map<std::string, std::vector<Encoding>>& got) {
    const auto expected = read_expected(expected_path);
    std::size_t total = 0, total_ok = 0;
    static const char* field_names[] = {"n_encodings", "n_tokens", "ids", "types_masks", "offsets", "word_seq_ids"};
    for (const auto& [name, encs] : got) {
        REQUIRE(expected.count(name) == 1);
        const auto& want = expected.at(name);
        std::vector<std::vector<const Encoding*>> groups(want.size());
        for (const Encoding& e : encs) {
            REQUIRE(e.overflow_to_sample < groups.size());
            groups[e.overflow_to_sample].push_back(&e);
        }
        std::size_t ok = 0, reported = 0;
        for (std::size_t i = 0; i < want.size(); ++i) {
            const std::vector<std::string> d = digest(groups[i]);
            if (d == want[i]) {
                ++ok;
                continue;
            }
            for (std::size_t k = 0; k < d.size() && reported < 10; ++k)
                if (d[k] != want[i][k]) {
                    FAIL_CHECK(kind << " " << name << " sample " << i << ": " << field_names[k] << " differs");
                    ++reported;
                    break;
                }
        }
        CHECK(ok == want.size());
        WARN(kind << " corpus " << name << ": " << ok << "/" << want.size() << " samples identical ("
                  << encs.size() << " encodings)");
        total += want.size();
        total_ok += ok;
    }
    return {total, total_ok};
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
