// Inference benchmark (issue 19): one model folder, one batch of token ids, the forward that `tinybert evaluate` and
// `tinybert predict` run (tasks/predict.hpp: eval mode, NoGradGuard so no tape, features collated into a padded
// batch), timed per iteration. benchmarks/infer/bench_infer.py runs it next to PyTorch eager and ONNX Runtime on the
// same ids and weights and checks the outputs equal.
//   bench_infer --model DIR --ids FILE [--output logits|hidden|embedding] [--threads T] [--warmup W] [--iters N]
//               [--min-iters M] [--max-seconds X] [--out FILE] [--int8]
// --ids FILE: text, "B S" on the first line, then B lines of S token ids, then B lines of S attention-mask values
//   (1 = real token; a row's real tokens come first). Each row becomes one Feature of its real length, as
//   classification_features leaves them, and the loader pads the batch to its longest row (here S when a row is full).
// --output logits: Bert<Encoder<dynamic>, SequenceClassification> and classification_logits (evaluate's path), (B,C);
//   hidden: the bare Bert<Encoder<dynamic>, NoHead> and predict_batches, last_hidden_state (B,S,H);
//   embedding: the same, mean-pooled over the real tokens and L2-normalised as tasks/embed.hpp does, (B,H).
// Timed: W warm-up calls, then calls until N are done, or until X seconds have passed and at least M are done.
// --int8: quantize_dynamic(model) after loading (quant/model.hpp: the encoder's linears in int8, as `tinybert
//   evaluate --int8`); refused when this tree has no quant/ headers.
// Prints one JSON object (latencies of every timed call in ms, p50/p99 by nearest rank, sequences/s) and writes the
// output of the last call to --out as raw little-endian float32 in row-major order.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tinybert/nn/bert.hpp"
#include "tinybert/tasks/classification.hpp"
#include "tinybert/tasks/embed.hpp"
#include "tinybert/tasks/predict.hpp"
#if __has_include("tinybert/quant/model.hpp")
#include "tinybert/quant/model.hpp"
#define TINYBERT_BENCH_HAVE_INT8 1
#endif

namespace {

using namespace tinybert;

struct Options {
    std::string model, ids, output = "logits", out;
    int threads = 0;
    std::size_t warmup = 3, iters = 20, min_iters = 3;
    double max_seconds = 1e30;
    bool int8 = false;
};

struct Inputs {
    std::size_t batch = 0, seq = 0;
    std::vector<Feature> features;
};

Inputs read_inputs(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot open");
    Inputs r;
    if (!(in >> r.batch >> r.seq) || r.batch == 0 || r.seq == 0) throw std::runtime_error(path + ": bad header");
    std::vector<std::int64_t> ids(r.batch * r.seq), mask(r.batch * r.seq);
    for (auto& x : ids)
        if (!(in >> x)) throw std::runtime_error(path + ": too few token ids");
    for (auto& x : mask)
        if (!(in >> x)) throw std::runtime_error(path + ": too few attention-mask values");
    for (std::size_t b = 0; b < r.batch; ++b) {
        std::size_t n = 0;
        while (n < r.seq && mask[b * r.seq + n] == 1) ++n;
        for (std::size_t t = n; t < r.seq; ++t)
            if (mask[b * r.seq + t] != 0) throw std::runtime_error(path + ": a row's real tokens must come first");
        Feature f;
        f.input_ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(b * r.seq),
                           ids.begin() + static_cast<std::ptrdiff_t>(b * r.seq + n));
        f.token_type_ids.assign(n, 0);
        f.attention_mask.assign(n, 1);
        f.example_index = b;
        r.features.push_back(std::move(f));
    }
    return r;
}

double percentile(std::vector<double> v, double p) {  // nearest rank, as the Python driver computes it
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::min(v.size(), std::max<std::size_t>(rank, 1)) - 1];
}

// Runs `call` (which returns the output as floats) as Options say; prints the JSON line and writes --out.
template <class Call>
int measure(const Options& o, const Inputs& in, std::int64_t pad_id, Call&& call) {
    using clock = std::chrono::steady_clock;
    std::vector<float> result;
    std::vector<std::size_t> shape;
    for (std::size_t i = 0; i < o.warmup; ++i) result = call(shape);
    std::vector<double> ms;
    const auto start = clock::now();
    for (;;) {
        const auto t0 = clock::now();
        result = call(shape);
        const auto t1 = clock::now();
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        const double elapsed = std::chrono::duration<double>(t1 - start).count();
        if (ms.size() >= o.iters || (elapsed >= o.max_seconds && ms.size() >= o.min_iters)) break;
    }
    double total = 0;
    for (const double x : ms) total += x;
    std::printf("{\"engine\":\"tinybert\",\"int8\":%s,\"output\":\"%s\",\"batch\":%zu,\"seq\":%zu,\"threads\":%d,",
                o.int8 ? "true" : "false", o.output.c_str(), in.batch, in.seq, num_threads());
    std::printf(
        "\"pad_id\":%lld,\"warmup\":%zu,\"iters\":%zu,\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"mean_ms\":%.4f,"
        "\"seq_per_s\":%.4f,\"shape\":[",
        static_cast<long long>(pad_id), o.warmup, ms.size(), percentile(ms, 50), percentile(ms, 99),
        total / static_cast<double>(ms.size()), 1000.0 * static_cast<double>(in.batch * ms.size()) / total);
    for (std::size_t i = 0; i < shape.size(); ++i) std::printf("%s%zu", i ? "," : "", shape[i]);
    std::printf("],\"latencies_ms\":[");
    for (std::size_t i = 0; i < ms.size(); ++i) std::printf("%s%.4f", i ? "," : "", ms[i]);
    std::printf("]}\n");
    if (!o.out.empty()) {
        std::ofstream f(o.out, std::ios::binary);
        f.write(reinterpret_cast<const char*>(result.data()),
                static_cast<std::streamsize>(result.size() * sizeof(float)));
        if (!f) throw std::runtime_error(o.out + ": write failed");
    }
    return 0;
}

// quantize_dynamic(model) when --int8 (the int8 path of `tinybert evaluate --int8`).
template <class Model>
void maybe_quantize(Model& model, const Options& o) {
    if (!o.int8) return;
#ifdef TINYBERT_BENCH_HAVE_INT8
    quantize_dynamic(model);
#else
    (void)model;
    throw std::runtime_error("--int8: this tinybert tree has no quant/model.hpp");
#endif
}

int run(const Options& o) {
    const Inputs in = read_inputs(o.ids);
    if (o.output == "logits") {
        // what `tinybert evaluate --task classification` runs (evaluate_classification -> classification_logits)
        using Model = Bert<Encoder<dynamic>, SequenceClassification>;
        Model model = Model::from_pretrained(o.model);
        model.eval();
        maybe_quantize(model, o);
        const std::int64_t pad = model.config().pad_token_id;
        return measure(o, in, pad, [&](std::vector<std::size_t>& shape) {
            const auto logits = classification_logits(model, in.features, pad, in.batch);
            shape = {logits.size(), logits.front().size()};
            std::vector<float> flat;
            for (const auto& row : logits) flat.insert(flat.end(), row.begin(), row.end());
            return flat;
        });
    }
    if (o.output != "hidden" && o.output != "embedding")
        throw std::runtime_error("--output must be logits, hidden or embedding, got " + o.output);
    // the bare encoder, as tasks/embed.hpp and `tinybert serve`'s /embed run it
    using Model = Bert<Encoder<dynamic>, NoHead>;
    Model model = Model::from_pretrained(o.model);
    model.eval();
    maybe_quantize(model, o);
    const std::int64_t pad = model.config().pad_token_id;
    const bool pool = o.output == "embedding";
    return measure(o, in, pad, [&](std::vector<std::size_t>& shape) {
        std::vector<float> flat;
        predict_batches(model, in.features, pad, in.batch, [&](const auto& out, const std::vector<std::size_t>& rows) {
            const auto v = out.last_hidden_state.value().to_vector();  // (B,S',H), S' = the longest row
            const auto S = static_cast<std::size_t>(out.last_hidden_state.shape().dim(1));
            const auto H = static_cast<std::size_t>(out.last_hidden_state.shape().dim(2));
            if (!pool) {
                // padded to the file's S with zeros when the longest row is shorter (its rows beyond S' are pads)
                shape = {rows.size(), in.seq, H};
                flat.assign(rows.size() * in.seq * H, 0.0f);
                for (std::size_t r = 0; r < rows.size(); ++r)
                    std::copy(v.begin() + static_cast<std::ptrdiff_t>(r * S * H),
                              v.begin() + static_cast<std::ptrdiff_t>((r + 1) * S * H),
                              flat.begin() + static_cast<std::ptrdiff_t>(r * in.seq * H));
                return;
            }
            shape = {rows.size(), H};
            for (std::size_t r = 0; r < rows.size(); ++r) {  // tasks/embed.hpp's mean pooling + normalisation
                const std::size_t n = in.features[rows[r]].size();
                std::vector<double> sum(H, 0.0);
                for (std::size_t t = 0; t < n; ++t)
                    for (std::size_t h = 0; h < H; ++h) sum[h] += v[(r * S + t) * H + h];
                std::vector<float> e(H);
                for (std::size_t h = 0; h < H; ++h) e[h] = static_cast<float>(sum[h] / static_cast<double>(n));
                l2_normalize(e);
                flat.insert(flat.end(), e.begin(), e.end());
            }
        });
        return flat;
    });
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    const auto value = [&](int& i) -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(std::string(argv[i]) + " needs a value");
        return argv[++i];
    };
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            if (a == "--model")
                o.model = value(i);
            else if (a == "--ids")
                o.ids = value(i);
            else if (a == "--output")
                o.output = value(i);
            else if (a == "--out")
                o.out = value(i);
            else if (a == "--threads")
                o.threads = std::stoi(value(i));
            else if (a == "--warmup")
                o.warmup = std::stoul(value(i));
            else if (a == "--iters")
                o.iters = std::stoul(value(i));
            else if (a == "--min-iters")
                o.min_iters = std::stoul(value(i));
            else if (a == "--max-seconds")
                o.max_seconds = std::stod(value(i));
            else if (a == "--int8")
                o.int8 = true;
            else
                throw std::runtime_error("unknown argument " + a);
        }
        if (o.model.empty() || o.ids.empty() || o.iters == 0)
            throw std::runtime_error("--model DIR and --ids FILE are required, --iters must be > 0");
        flush_denormals();  // as the tinybert program does before any worker thread exists
        if (o.threads > 0) set_num_threads(o.threads);
        return run(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr,
                     "bench_infer: %s\nusage: bench_infer --model DIR --ids FILE [--output logits|hidden|embedding] "
                     "[--threads T] [--warmup W] [--iters N] [--min-iters M] [--max-seconds X] [--out FILE] [--int8]\n",
                     e.what());
        return 1;
    }
}
