// Conformance with Hugging Face's fast BertTokenizer on the committed tricky cases
// (tests/fixtures/tokenizer/conformance.jsonl, written by tools/tokenizer/make_conformance.py with the real
// bert-base-uncased vocabulary). Every id, type id, mask, offset, word id and sequence id must be identical.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include "conformance_support.hpp"

using namespace tok_test;

TEST_CASE("conformance: committed Hugging Face cases are reproduced exactly") {
    if (!std::filesystem::exists(shared_vocab)) {
        WARN("skipped: " << shared_vocab << " not found");
        return;
    }
    const std::string path = TINYBERT_TEST_DATA_DIR "/tokenizer/conformance.jsonl";
    std::istringstream lines(json::read_file(path));
    std::string line;
    std::size_t n_cases = 0, n_pass = 0, n_encodings = 0, n_errors = 0;
    for (std::size_t lineno = 1; std::getline(lines, line); ++lineno) {
        if (line.empty()) continue;
        const json::Value c = json::parse(line, path + ":" + std::to_string(lineno));
        const std::string& name = c.at("name").as_string();
        const Tokenizer& t = reference_config(c.at("config").as_string());
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
            else FAIL_CHECK(name << ": Hugging Face raised \"" << c.at("error").as_string() << "\", tinybert did not");
            continue;
        }
        std::vector<Encoding> got;
        try {
            got = run(t, c.at("input"), o);
        } catch (const std::exception& e) {
            FAIL_CHECK(name << ": threw " << e.what());
            continue;
        }
        const json::Array& want = c.at("expected").as_array();
        std::string diff;
        if (got.size() != want.size()) diff = "encoding count " + std::to_string(got.size()) + " vs " +
                                              std::to_string(want.size());
        for (std::size_t i = 0; diff.empty() && i < got.size(); ++i) {
            diff = compare(got[i], want[i]);
            if (!diff.empty()) diff = "encoding " + std::to_string(i) + ": " + diff;
        }
        n_encodings += got.size();
        if (diff.empty()) ++n_pass;
        else FAIL_CHECK(name << " (" << c.at("config").as_string() << "): " << diff);
    }
    INFO(n_pass << "/" << n_cases << " cases identical");
    CHECK(n_cases >= 200);
    CHECK(n_errors >= 3);
    CHECK(n_pass == n_cases);
    WARN("conformance: " << n_pass << "/" << n_cases << " cases identical (" << n_encodings << " encodings, "
                         << n_errors << " expected errors)");
}
