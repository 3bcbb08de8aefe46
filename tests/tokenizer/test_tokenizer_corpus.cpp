// Conformance on ../shared/data (skipped when absent): 3,000 IMDb reviews untruncated and at max_length 128, 5,436
// SQuAD question/context pairs (only_second, 384, stride 128, overflow, max_length padding) and 6,000 WikiAnn word
// lists (max_length 512) must give Hugging Face's encodings: tests/fixtures/tokenizer/corpus_expected.tsv holds, per
// sample, counts and FNV hashes of ids, type ids + masks, offsets and word/sequence ids (tools/tokenizer/corpus.py).
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <sstream>

#include "corpus_support.hpp"

using namespace tok_test;

TEST_CASE("corpus: IMDb, SQuAD and WikiAnn from ../shared/data match Hugging Face exactly") {
    if (!std::filesystem::exists(data_dir) || !std::filesystem::exists(shared_vocab)) {
        WARN("skipped: " << data_dir << " not found");
        return;
    }
    std::map<std::string, std::vector<std::vector<std::string>>> expected;  // set -> per sample fields
    for (const std::string& line : split(json::read_file(TINYBERT_TEST_DATA_DIR "/tokenizer/corpus_expected.tsv"), '\n')) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> f = split(line, '\t');
        REQUIRE(f.size() == 8);
        auto& rows = expected[f[0]];
        REQUIRE(std::stoul(f[1]) == rows.size());
        rows.emplace_back(f.begin() + 2, f.end());
    }
    const Tokenizer& t = reference_config("uncased");
    const std::vector<std::string> imdb = imdb_texts();
    EncodeOptions trunc128;
    trunc128.truncation = Truncation::longest_first;
    trunc128.max_length = 128;
    EncodeOptions squad_opts;
    squad_opts.truncation = Truncation::only_second;
    squad_opts.max_length = 384;
    squad_opts.stride = 128;
    squad_opts.return_overflowing = true;
    squad_opts.padding = Padding::max_length;
    EncodeOptions wiki_opts;
    wiki_opts.truncation = Truncation::longest_first;
    wiki_opts.max_length = 512;
    const std::map<std::string, std::vector<Encoding>> got{
        {"imdb", t.encode_batch(imdb, {})},
        {"imdb128", t.encode_batch(imdb, trunc128)},
        {"squad", t.encode_pair_batch(squad_pairs(), squad_opts)},
        {"wikiann", t.encode_words_batch(wikiann_sentences(), wiki_opts)},
    };
    std::size_t total = 0, total_ok = 0, total_enc = 0;
    static const char* field_names[] = {"n_encodings", "n_tokens", "ids", "types_masks", "offsets", "word_seq_ids"};
    for (const auto& [name, encs] : got) {
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
                    FAIL_CHECK(name << " sample " << i << ": " << field_names[k] << " differs");
                    ++reported;
                    break;
                }
        }
        CHECK(ok == want.size());
        WARN("corpus " << name << ": " << ok << "/" << want.size() << " samples identical (" << encs.size()
                       << " encodings)");
        total += want.size();
        total_ok += ok;
        total_enc += encs.size();
    }
    CHECK(total >= 10000);
    WARN("corpus total: " << total_ok << "/" << total << " samples identical, " << total_enc << " encodings");
}
