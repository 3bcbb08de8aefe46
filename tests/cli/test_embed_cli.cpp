// `tinybert embed`, the program itself: its embeddings of the real all-MiniLM-L6-v2 against sentence-transformers
// (tests/fixtures/embed/reference_st.json: every pooling, normalized or not, the plain folder's defaults and the
// published sentence-transformers configuration), the .npy file (header, shape, dtype, values), and clear errors
// with line numbers for bad input. The real-model cases skip (exit 4) without the checkpoint; the .npy format and the
// errors use a tiny random BERT (tests/fixtures/io/tiny_single) and always run.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "serve/minilm.hpp"
#include "tinybert/io/json.hpp"

namespace fs = std::filesystem;
using namespace tinybert;

namespace {

struct Run {
    int rc = -1;
    std::string out, err;
};

std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// A fresh folder under the temp directory, removed at the end of the test case.
struct TempDir {
    fs::path path;
    explicit TempDir(const std::string& name)
        : path(fs::temp_directory_path() / ("tinybert_embed_" + name + "_" + std::to_string(::getpid()))) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

// Runs `tinybert embed ARGS` with `input` on stdin.
Run embed_cli(const TempDir& work, const std::string& args, const std::string& input) {
    std::ofstream(work.path / "stdin.jsonl", std::ios::binary) << input;
    const std::string cmd = std::string(TINYBERT_CLI) + " embed " + args + " < " +
                            (work.path / "stdin.jsonl").string() + " > " + (work.path / "stdout").string() + " 2> " +
                            (work.path / "stderr").string();
    const int status = std::system(cmd.c_str());
    Run r;
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(work.path / "stdout");
    r.err = slurp(work.path / "stderr");
    return r;
}

std::vector<std::vector<double>> parse_jsonl(const std::string& out) {
    std::vector<std::vector<double>> rows;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        const json::Value v = json::parse(line, "stdout");
        REQUIRE(v.as_object().size() == 1);
        std::vector<double> e;
        for (const json::Value& x : v.at("embedding").as_array()) e.push_back(x.as_double());
        rows.push_back(std::move(e));
    }
    return rows;
}

double cosine(const std::vector<double>& a, const json::Value& ref) {
    const json::Array& b = ref.as_array();
    REQUIRE(a.size() == b.size());
    double ab = 0, aa = 0, bb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double y = b[i].as_double();
        ab += a[i] * y, aa += a[i] * a[i], bb += y * y;
    }
    return ab / std::sqrt(aa * bb);
}

struct Reference {
    json::Value root = json::parse_file(std::string(TINYBERT_TEST_DATA_DIR) + "/embed/reference_st.json");
    std::string input() const {
        std::string s;
        for (const json::Value& t : root.at("texts").as_array()) {
            s += "{\"text\":";
            json::write_string(s, t.as_string());
            s += "}\n";
        }
        return s;
    }
    const json::Array& rows(const std::string& name) const { return root.at("cases").at(name).as_array(); }
};

// Every text's cosine with sentence-transformers' embedding is at least 0.99999; returns the smallest.
double check_against(const Run& r, const Reference& ref, const std::string& name) {
    INFO("case " << name << "\nstderr: " << r.err);
    REQUIRE(r.rc == 0);
    const auto rows = parse_jsonl(r.out);
    const json::Array& want = ref.rows(name);
    REQUIRE(rows.size() == want.size());
    double worst = 1, diff = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const double c = cosine(rows[i], want[i]);
        INFO("text " << i);
        CHECK(c >= 0.99999);
        worst = std::min(worst, c);
        for (std::size_t h = 0; h < rows[i].size(); ++h)
            diff = std::max(diff, std::fabs(rows[i][h] - want[i].as_array()[h].as_double()));
    }
    std::printf("%-16s min cosine 1 - %.1e, max |diff| %.1e over %zu texts\n", name.c_str(), 1 - worst, diff,
                rows.size());
    return worst;
}

// The real model's files plus the published all-MiniLM-L6-v2 sentence-transformers configuration.
void make_published_folder(const fs::path& dst, const std::string& minilm) {
    fs::create_directories(dst);
    for (const auto& f : fs::directory_iterator(minilm))
        if (f.is_regular_file()) fs::create_symlink(fs::absolute(f.path()), dst / f.path().filename());
    fs::copy(fs::path(TINYBERT_TEST_DATA_DIR) / "embed" / "st_published", dst, fs::copy_options::recursive);
}

// A tiny random BERT (hidden 8, 16 positions) with a 32-word WordPiece vocabulary: runs without the real model.
fs::path make_tiny_folder(const fs::path& dst) {
    fs::create_directories(dst);
    const fs::path fixtures(TINYBERT_TEST_DATA_DIR);
    fs::copy(fixtures / "io" / "tiny_single" / "config.json", dst / "config.json");
    fs::copy(fixtures / "io" / "tiny_single" / "model.safetensors", dst / "model.safetensors");
    std::ifstream vocab(fixtures / "tokenizer" / "tiny_vocab.txt");
    std::ofstream out(dst / "vocab.txt");
    std::string word;
    for (int i = 0; i < 32 && std::getline(vocab, word); ++i) out << word << "\n";
    return dst;
}

// The parts of a version-1.0 .npy file.
struct Npy {
    std::string header;
    std::vector<float> data;
};

Npy read_npy(const fs::path& p) {
    const std::string bytes = slurp(p);
    REQUIRE(bytes.size() >= 10);
    REQUIRE(bytes.compare(0, 6, "\x93NUMPY") == 0);
    CHECK(bytes[6] == 1);  // format version 1.0
    CHECK(bytes[7] == 0);
    const std::size_t len =
        static_cast<unsigned char>(bytes[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    CHECK((10 + len) % 16 == 0);  // numpy aligns the data to 16 bytes (64 since numpy 1.?; both accept 16)
    REQUIRE(bytes.size() >= 10 + len);
    Npy n;
    n.header = bytes.substr(10, len);
    CHECK(n.header.back() == '\n');
    const std::size_t body = bytes.size() - 10 - len;
    REQUIRE(body % 4 == 0);
    n.data.resize(body / 4);
    std::memcpy(n.data.data(), bytes.data() + 10 + len, body);
    return n;
}

}  // namespace

TEST_CASE("tinybert embed matches sentence-transformers for mean, cls and max pooling, normalized or not",
          "[cli][embed]") {
    const std::string minilm = tinybert::testing::minilm_or_skip();
    const Reference ref;
    const TempDir work("poolings");
    for (const char* pooling : {"mean", "cls", "max"})
        for (const bool normalize : {false, true}) {
            const std::string flags =
                std::string("--pooling ") + pooling + (normalize ? " --normalize" : " --no-normalize");
            const Run r = embed_cli(work, "--model " + minilm + " " + flags + " --batch-size 3", ref.input());
            check_against(r, ref, std::string(pooling) + (normalize ? "_normalized" : ""));
        }
}

TEST_CASE("tinybert embed defaults follow SentenceTransformer(dir) for a plain and a sentence-transformers folder",
          "[cli][embed]") {
    const std::string minilm = tinybert::testing::minilm_or_skip();
    const Reference ref;
    const TempDir work("defaults");
    // plain Hugging Face folder (no modules.json): mean pooling, no Normalize, the tokenizer's 512 tokens
    Run r = embed_cli(work, "--model " + minilm, ref.input());
    check_against(r, ref, "plain_default");
    CHECK_THAT(r.err, Catch::Contains("pooling mean, normalize off, max length 512"));
    // the published all-MiniLM-L6-v2 configuration: mean, Normalize, max_seq_length 256
    const fs::path published = work.path / "all-MiniLM-L6-v2";
    make_published_folder(published, minilm);
    r = embed_cli(work, "--model " + published.string(), ref.input());
    check_against(r, ref, "published");
    CHECK_THAT(r.err, Catch::Contains("pooling mean, normalize on, max length 256"));
    // the same from the plain folder with flags
    r = embed_cli(work, "--model " + minilm + " --normalize --max-length 256", ref.input());
    check_against(r, ref, "published");
    // and flags override the sentence-transformers folder's defaults
    r = embed_cli(work, "--model " + published.string() + " --no-normalize --max-length 512", ref.input());
    check_against(r, ref, "mean");
}

TEST_CASE("tinybert embed --out writes a float32 (N,H) .npy file with the JSONL embeddings", "[cli][embed]") {
    const TempDir work("npy");
    const fs::path model = make_tiny_folder(work.path / "tiny");
    const std::string input =
        "{\"text\": \"hello nlp\"}\n\n{\"text\": \"unwanted running\", \"id\": 7}\n"
        "{\"text\": \"\"}\n{\"text\": \"hello hello hello hello hello hello hello hello hello "
        "hello hello hello hello hello hello hello\"}\n{\"text\": \"caf\\u00e9\"}\n";
    for (const char* pooling : {"mean", "cls", "max"}) {
        const std::string flags = std::string(" --pooling ") + pooling + " --batch-size 2";
        const Run jsonl = embed_cli(work, "--model " + model.string() + flags, input);
        INFO("stderr: " << jsonl.err);
        REQUIRE(jsonl.rc == 0);
        CHECK_THAT(jsonl.err, Catch::Contains("max length 16"));  // config.json's max_position_embeddings
        const auto rows = parse_jsonl(jsonl.out);
        REQUIRE(rows.size() == 5);  // the blank line is skipped

        const fs::path npy = work.path / (std::string(pooling) + ".npy");
        const Run r = embed_cli(work, "--model " + model.string() + flags + " --out " + npy.string(), input);
        INFO("stderr: " << r.err);
        REQUIRE(r.rc == 0);
        CHECK(r.out.empty());
        CHECK_THAT(r.err, Catch::Contains("(5, 8) float32"));
        CHECK_FALSE(fs::exists(npy.string() + ".tmp"));
        const Npy n = read_npy(npy);
        CHECK_THAT(n.header, Catch::Contains("'descr': '<f4'"));
        CHECK_THAT(n.header, Catch::Contains("'fortran_order': False"));
        CHECK_THAT(n.header, Catch::Contains("'shape': (5, 8)"));
        REQUIRE(n.data.size() == 5 * 8);
        // the JSONL floats are printed in their shortest round-trip form, so both outputs hold the same floats
        for (std::size_t i = 0; i < 5; ++i)
            for (std::size_t h = 0; h < 8; ++h) CHECK(n.data[i * 8 + h] == static_cast<float>(rows[i][h]));
        // a batch of one gives the same embeddings (padding excluded from every pooling)
        const Run alone =
            embed_cli(work, "--model " + model.string() + " --pooling " + pooling + " --batch-size 1", input);
        REQUIRE(alone.rc == 0);
        const auto one = parse_jsonl(alone.out);
        for (std::size_t i = 0; i < 5; ++i)
            for (std::size_t h = 0; h < 8; ++h) CHECK(one[i][h] == Approx(rows[i][h]).margin(1e-6));
    }
}

TEST_CASE("tinybert embed refuses bad input with the line number and a non-zero exit", "[cli][embed]") {
    const TempDir work("errors");
    const std::string model = make_tiny_folder(work.path / "tiny").string();
    const fs::path npy = work.path / "never.npy";
    const auto fails = [&](const std::string& args, const std::string& input, const std::string& message) {
        const Run r = embed_cli(work, "--model " + model + " " + args, input);
        INFO("args: " << args << "\ninput: " << input << "\nstderr: " << r.err);
        CHECK(r.rc != 0);
        CHECK_THAT(r.err, Catch::Contains(message));
        CHECK_FALSE(fs::exists(npy));
        CHECK_FALSE(fs::exists(npy.string() + ".tmp"));
    };
    const std::string out = "--out " + npy.string();
    fails(out, "{\"text\": \"hello\"}\n{\"text\": \"hello\"\n", "stdin:2");
    fails("", "{\"text\": \"hello\"}\n\n{\"txt\": \"hello\"}\n", "stdin:3: expected a string field \"text\"");
    fails(out, "{\"text\": 42}\n", "stdin:1: expected a string field \"text\"");
    fails(out, "[\"hello\"]\n", "stdin:1: each line must be a JSON object");
    fails(out, "", "stdin: no input");
    fails("", "\n  \n", "stdin: no input");
    fails("--pooling weighted", "{\"text\": \"hello\"}\n", "unknown pooling \"weighted\"");
    fails("--normalize --no-normalize", "{\"text\": \"hello\"}\n", "at most one of --normalize and --no-normalize");
    fails("--batch-size 0", "{\"text\": \"hello\"}\n", "--batch-size must be positive");
    fails("--bogus 1", "{\"text\": \"hello\"}\n", "unknown option --bogus");
    const Run r = embed_cli(work, "--model " + (work.path / "missing").string(), "{\"text\": \"hello\"}\n");
    CHECK(r.rc != 0);
    CHECK_THAT(r.err, Catch::Contains("tinybert embed: error:"));
}
