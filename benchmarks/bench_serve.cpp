// Load test of `tinybert serve` on loopback: a bounded C++ client (not a Google Benchmark microbenchmark: what is
// measured is a server process under concurrent HTTP clients). For each batching setting (dynamic batching with
// --max-batch-tokens 16384, then off with 0) it starts one server and, for 1, 8 and 64 concurrent keep-alive clients,
// sends a fixed number of POST /predict requests of IMDb reviews and prints requests/s, sequences/s and p50/p99
// latency as a Markdown table (docs/performance.md, "Serving").
//   bench_serve [--model DIR] [--data DIR] [--requests N] [--inputs-per-request K] [--max-length L] [--threads T]
// --model: a classification checkpoint; default all-MiniLM-L6-v2 (.cache/ or TINYBERT_MINILM_DIR) with a freshly
// initialised 2-label head saved to a temporary folder (a random head: the predictions mean nothing, the cost is the
// real model's). --data: an aclImdb folder (test/pos and test/neg are read, never copied).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "serve/server_process.hpp"
#include "tinybert/tinybert.hpp"

// after Eigen: httplib.h pulls in <resolv.h>, whose `_res` macro breaks Eigen headers included after it
#include <httplib.h>

using namespace tinybert;

namespace {

struct Options {
    std::string model, data = TINYBERT_SHARED_IMDB;
    std::size_t requests = 192;  // per concurrency level
    std::size_t inputs_per_request = 1;
    std::size_t max_length = 128;
    std::size_t threads = 0;  // the server's --threads; 0: all cores
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--model") o.model = v;
        else if (k == "--data") o.data = v;
        else if (k == "--requests") o.requests = std::stoul(v);
        else if (k == "--inputs-per-request") o.inputs_per_request = std::stoul(v);
        else if (k == "--max-length") o.max_length = std::stoul(v);
        else if (k == "--threads") o.threads = std::stoul(v);
        else TINYBERT_FAIL("unknown option ", k);
    }
    return o;
}

// Up to n reviews from <data>/test/{pos,neg}, alternating, in file-name order (a fixed, reproducible set).
std::vector<std::string> reviews(const std::string& data, std::size_t n) {
    std::vector<std::vector<std::filesystem::path>> files(2);
    for (std::size_t s = 0; s < 2; ++s) {
        for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(data) / "test" / (s ? "neg" : "pos")))
            files[s].push_back(e.path());
        std::sort(files[s].begin(), files[s].end());
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; out.size() < n && i < std::min(files[0].size(), files[1].size()); ++i)
        for (const auto& f : {files[0][i], files[1][i]}) {
            std::ifstream in(f);
            std::stringstream ss;
            ss << in.rdbuf();
            out.push_back(ss.str());
        }
    TINYBERT_CHECK(!out.empty(), data, ": no reviews found");
    return out;
}

std::string default_model() {
    const char* env = std::getenv("TINYBERT_MINILM_DIR");
    const std::string minilm = env ? env : TINYBERT_MINILM_DEFAULT_DIR;
    TINYBERT_CHECK(std::filesystem::exists(minilm + "/model.safetensors"), minilm,
                   ": no all-MiniLM-L6-v2 (run scripts/fetch_minilm.sh) and no --model");
    const auto dir = std::filesystem::temp_directory_path() / "tinybert_bench_serve_model";
    Bert<Encoder<dynamic>, SequenceClassification>::from_pretrained(minilm, {.labels = {"neg", "pos"}})
        .save_pretrained(dir.string());
    Tokenizer::from_pretrained(minilm).save_pretrained(dir.string());
    return dir.string();
}

struct Result {
    double seconds = 0, p50_ms = 0, p99_ms = 0;
    std::size_t ok = 0, failed = 0;
};

// `clients` threads, each with its own keep-alive connection, share `total` requests.
Result load(int port, const std::vector<std::string>& bodies, std::size_t clients, std::size_t total) {
    std::atomic<std::size_t> next{0}, failed{0};
    std::vector<std::vector<double>> lat(clients);
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (std::size_t c = 0; c < clients; ++c)
        threads.emplace_back([&, c] {
            httplib::Client cli("127.0.0.1", port);
            cli.set_read_timeout(600, 0);
            cli.set_keep_alive(true);  // httplib's client opens a new connection per request unless told
            for (std::size_t i; (i = next++) < total;) {
                const auto s = std::chrono::steady_clock::now();
                const auto res = cli.Post("/predict", bodies[i % bodies.size()], "application/json");
                if (!res || res->status != 200) {
                    if (failed++ == 0)  // the first failure's cause, for the reader of the table
                        std::fprintf(stderr, "bench_serve: request failed: %s\n",
                                     res ? ("HTTP " + std::to_string(res->status) + " " + res->body).c_str()
                                         : httplib::to_string(res.error()).c_str());
                    continue;
                }
                lat[c].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
            }
        });
    for (auto& t : threads) t.join();
    Result r;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::vector<double> all;
    for (const auto& l : lat) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    r.ok = all.size();
    r.failed = failed;
    if (!all.empty()) {
        const auto at = [&](double q) { return all[std::min(all.size() - 1, static_cast<std::size_t>(q * static_cast<double>(all.size())))]; };
        r.p50_ms = at(0.50);
        r.p99_ms = at(0.99);
    }
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Options o = parse(argc, argv);
        const std::string model = o.model.empty() ? default_model() : o.model;
        const auto texts = reviews(o.data, 256);
        const Tokenizer tok = Tokenizer::from_pretrained(model);
        double tokens = 0;
        for (const auto& t : texts) tokens += static_cast<double>(tok.encode(t, {.max_length = o.max_length, .truncation = Truncation::longest_first}).front().size());
        std::vector<std::string> bodies;
        for (std::size_t i = 0; i < texts.size(); ++i) {
            json::Array in;
            for (std::size_t k = 0; k < o.inputs_per_request; ++k) in.emplace_back(texts[(i + k) % texts.size()]);
            bodies.push_back(json::Value(json::Object{{"inputs", json::Value(std::move(in))}}).dump());
        }
        std::printf("model %s; %zu IMDb reviews from %s, mean %.0f tokens after truncation to %zu; %zu input(s) per "
                    "request, %zu requests per row\n\n",
                    model.c_str(), texts.size(), o.data.c_str(), tokens / static_cast<double>(texts.size()),
                    o.max_length, o.inputs_per_request, o.requests);
        std::printf("| batching | clients | requests/s | sequences/s | p50 ms | p99 ms | failed |\n");
        std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
        for (const std::size_t budget : {std::size_t{16384}, std::size_t{0}}) {
            testing::ServerProcess server(TINYBERT_CLI, {"--model", model, "--max-batch-tokens", std::to_string(budget),
                                                         "--max-length", std::to_string(o.max_length), "--threads",
                                                         std::to_string(o.threads)});
            load(server.port(), bodies, 4, 8);  // warm-up: first-touch allocations, connection setup
            for (const std::size_t clients : {std::size_t{1}, std::size_t{8}, std::size_t{64}}) {
                const Result r = load(server.port(), bodies, clients, o.requests);
                const double rps = static_cast<double>(r.ok) / r.seconds;
                std::printf("| %s | %zu | %.1f | %.1f | %.0f | %.0f | %zu |\n",
                            budget ? "on (16384 tokens)" : "off (0)", clients, rps,
                            rps * static_cast<double>(o.inputs_per_request), r.p50_ms, r.p99_ms, r.failed);
                std::fflush(stdout);
            }
            TINYBERT_CHECK(server.stop() == 0, "the server did not exit cleanly");
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_serve: %s\n", e.what());
        return 1;
    }
}
