// Tokenizer throughput: encode_batch over a JSONL file of texts ({"text": ...} per line) with 1 thread and with all
// cores, best of --repeat runs. Prints one JSON object (MB/s, tokens/s) and, with --dump FILE, per-text lines of ids
// and code-point offsets so benchmarks/tokenizer/bench_tokenizer.py can check them against Hugging Face.
// usage: bench_tokenizer --vocab FILE --texts FILE [--repeat N] [--dump FILE]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/io/json.hpp"
#include "tinybert/tokenizer/tokenizer.hpp"

namespace {

struct Run {
    double seconds;
    std::size_t tokens;
};

Run best_of(const tinybert::Tokenizer& tok, const std::vector<std::string>& texts, int threads, int repeat,
            std::vector<tinybert::Encoding>* keep) {
    tinybert::set_num_threads(threads);  // the OpenMP team of encode_batch (serial when TINYBERT_OPENMP=OFF)
    Run best{1e300, 0};
    for (int r = 0; r < repeat; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<tinybert::Encoding> out = tok.encode_batch(texts);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::size_t n = 0;
        for (const auto& e : out) n += e.size();
        if (s < best.seconds) best = {s, n};
        if (keep && r == 0) *keep = std::move(out);
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    std::string vocab, texts_path, dump_path;
    int repeat = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--vocab") vocab = argv[i + 1];
        else if (a == "--texts") texts_path = argv[i + 1];
        else if (a == "--repeat") repeat = std::max(1, std::atoi(argv[i + 1]));
        else if (a == "--dump") dump_path = argv[i + 1];
    }
    if (vocab.empty() || texts_path.empty()) {
        std::cerr << "usage: bench_tokenizer --vocab FILE --texts FILE [--repeat N] [--dump FILE]\n";
        return 2;
    }
    try {
        const tinybert::Tokenizer tok = tinybert::Tokenizer::from_vocab(vocab);
        std::vector<std::string> texts;
        std::size_t bytes = 0;
        std::istringstream in(tinybert::json::read_file(texts_path));
        for (std::string line; std::getline(in, line);) {
            if (line.empty()) continue;
            texts.push_back(tinybert::json::parse(line, texts_path).at("text").as_string());
            bytes += texts.back().size();
        }
        const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        std::vector<tinybert::Encoding> encs;
        const Run one = best_of(tok, texts, 1, repeat, &encs);
        const Run all = best_of(tok, texts, cores, repeat, nullptr);
        if (!dump_path.empty()) {  // "id id ...|start end start end ..." per text
            std::string out;
            for (const auto& e : encs) {
                for (std::size_t i = 0; i < e.size(); ++i) (out += i ? " " : "") += std::to_string(e.input_ids[i]);
                out += '|';
                for (std::size_t i = 0; i < e.size(); ++i)
                    ((out += i ? " " : "") += std::to_string(e.offsets[i].first) + " ") +=
                        std::to_string(e.offsets[i].second);
                out += '\n';
            }
            std::ofstream(dump_path) << out;
        }
        const double mb = static_cast<double>(bytes) / 1e6;
        std::printf("{\"texts\": %zu, \"bytes\": %zu, \"tokens\": %zu, \"cores\": %d, "
                    "\"single\": {\"seconds\": %.6f, \"mb_s\": %.3f, \"tokens_s\": %.1f}, "
                    "\"all\": {\"seconds\": %.6f, \"mb_s\": %.3f, \"tokens_s\": %.1f}}\n",
                    texts.size(), bytes, one.tokens, cores, one.seconds, mb / one.seconds,
                    static_cast<double>(one.tokens) / one.seconds, all.seconds, mb / all.seconds,
                    static_cast<double>(all.tokens) / all.seconds);
    } catch (const std::exception& e) {
        std::cerr << "bench_tokenizer: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
