// Conformance of the byte-level BPE (RoBERTa layout, also with add_prefix_space and from vocab.json + merges.txt),
// Unigram (XLM-R layout) and SentencePiece-converted (Precompiled charsmap) fixture tokenizers with Hugging Face on
// the committed tricky cases (tests/fixtures/tokenizer/<kind>/conformance*.jsonl, tools/tokenizer/
// make_bpe_unigram_fixtures.py and make_spm_fixtures.py): every id, type id, mask, offset, word id, sequence id and
// decoded string must be identical, and inputs HF rejects must throw.
#include <catch2/catch.hpp>

#include <sstream>

#include "json_support.hpp"

using namespace tok_test;

namespace {

void check_cases(const std::string& kind, const std::string& file) {
    const Tokenizer& t = fixture(kind);
    const std::string path = fixture_dir + "/" + file;
    std::istringstream lines(json::read_file(path));
    std::string line;
    std::size_t n_cases = 0, n_pass = 0, n_errors = 0, n_decoded = 0;
    for (std::size_t lineno = 1; std::getline(lines, line); ++lineno) {
        if (line.empty()) continue;
        const json::Value c = json::parse(line, path + ":" + std::to_string(lineno));
        const std::string& name = c.at("name").as_string();
        const EncodeOptions o = options_from_json(c.at("options"));
        ++n_cases;
        if (c.find("error")) {
            ++n_errors;
            bool threw = false;
            try {
                run(t, c.at("input"), o);
            } catch (const Error&) {
                threw = true;
            }
            if (threw) ++n_pass;
            else FAIL_CHECK(kind << " " << name << ": Hugging Face raised \"" << c.at("error").as_string()
                                 << "\", tinybert did not");
            continue;
        }
        std::vector<Encoding> got;
        try {
            got = run(t, c.at("input"), o);
        } catch (const std::exception& e) {
            FAIL_CHECK(kind << " " << name << ": threw " << e.what());
            continue;
        }
        const json::Array& want = c.at("expected").as_array();
        std::string diff;
        if (got.size() != want.size())
            diff = "encoding count " + std::to_string(got.size()) + " vs " + std::to_string(want.size());
        for (std::size_t i = 0; diff.empty() && i < got.size(); ++i) {
            diff = compare(got[i], want[i]);
            if (!diff.empty()) diff = "encoding " + std::to_string(i) + ": " + diff;
        }
        if (diff.empty() && c.find("decoded")) {
            ++n_decoded;
            const std::string d1 = t.decode(got[0].input_ids, true), d2 = t.decode(got[0].input_ids, false);
            if (d1 != c.at("decoded").as_string()) diff = "decode: \"" + d1 + "\" vs \"" + c.at("decoded").as_string() + "\"";
            else if (d2 != c.at("decoded_special").as_string())
                diff = "decode with specials: \"" + d2 + "\" vs \"" + c.at("decoded_special").as_string() + "\"";
        }
        if (diff.empty()) ++n_pass;
        else FAIL_CHECK(kind << " " << name << " " << c.at("input").dump() << ": " << diff);
    }
    CHECK(n_cases >= 150);
    CHECK(n_errors >= 2);
    CHECK(n_decoded >= 40);
    CHECK(n_pass == n_cases);
    WARN(kind << " conformance: " << n_pass << "/" << n_cases << " cases identical (" << n_errors
              << " expected errors, " << n_decoded << " decodes)");
}

}  // namespace

TEST_CASE("tokenizer.json conformance: byte-level BPE, RoBERTa layout") { check_cases("bpe", "bpe/conformance.jsonl"); }

TEST_CASE("tokenizer.json conformance: byte-level BPE with add_prefix_space") {
    check_cases("bpe_prefix", "bpe/conformance_prefix.jsonl");
}

TEST_CASE("tokenizer.json conformance: BPE from vocab.json and merges.txt") {
    check_cases("bpe_files", "bpe_files/conformance.jsonl");
}

TEST_CASE("tokenizer.json conformance: Unigram, XLM-R layout") { check_cases("unigram", "unigram/conformance.jsonl"); }

// SentencePiece conversions with the Precompiled normalizer (tools/tokenizer/make_spm_fixtures.py): the
// make_bpe_unigram_fixtures cases plus normalisation cases, among them every character the charsmap rewrites.
TEST_CASE("tokenizer.json conformance: Precompiled, XLM-R as transformers 5 rebuilds it") {
    check_cases("spm_xlmr", "spm_xlmr/conformance.jsonl");
}

TEST_CASE("tokenizer.json conformance: Precompiled, XLM-R hub tokenizer.json read as it is") {
    check_cases("spm_xlmr_file", "spm_xlmr/conformance_file.jsonl");
}

TEST_CASE("tokenizer.json conformance: Precompiled, ALBERT with nmt_nfkc_cf") {
    check_cases("spm_albert", "spm_albert/conformance.jsonl");
}
