// int8 on the real all-MiniLM-L6-v2: sentence embeddings near the float model's and sentence-transformers' reference,
// the similarity matrix kept, the int8 GEMM exact on the model's real activations and weights (oneDNN or the loop
// against an int64 reference), and the int8 folder's round trip. Skips (exit 4) without the checkpoint.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "serve/minilm.hpp"
#include "tinybert/tinybert.hpp"

using namespace tinybert;
using tinybert::testing::minilm_or_skip;

namespace {

using Model = Bert<Encoder<6>, NoHead>;

const std::vector<std::string> sentences{
    "This movie was a complete waste of two hours.",
    "A warm, funny and beautifully acted film; I loved it!",
    "Frédéric Chopin was born in Żelazowa Wola, near Warsaw.",
    "The stock market fell sharply after the central bank raised interest rates.",
    "How do I reset my password if I no longer have access to my email?",
    "The cat sat quietly on the windowsill, watching the rain.",
    "Quantum computers use qubits, which can be in a superposition of states.",
    "Preheat the oven to 180 degrees and bake the cake for forty minutes.",
    "The team won the championship after a dramatic penalty shoot-out.",
    "I absolutely hated the ending; the plot made no sense at all.",
};

double dot(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += double{a[i]} * double{b[i]};
    return s;
}

}  // namespace

TEST_CASE("int8 all-MiniLM-L6-v2: embeddings and similarities near float and sentence-transformers",
          "[quant][minilm]") {
    const std::string dir = minilm_or_skip();
    const Tokenizer tok = Tokenizer::from_pretrained(dir);
    Model model = Model::from_pretrained(dir);
    const auto fp32 = embed(model, tok, sentences);  // L2-normalised
    quantize_dynamic(model);
    const auto int8 = embed(model, tok, sentences);

    double worst_cos = 1, worst_sim = 0;
    for (std::size_t i = 0; i < sentences.size(); ++i) {
        worst_cos = std::min(worst_cos, dot(fp32[i], int8[i]));
        for (std::size_t j = 0; j < i; ++j)
            worst_sim = std::max(worst_sim, std::fabs(dot(fp32[i], fp32[j]) - dot(int8[i], int8[j])));
    }
    WARN("int8 vs float: min cosine " << worst_cos << ", max |Δ similarity| " << worst_sim << " ("
                                      << quant::igemm_engine() << ", qmax " << quant::activation_qmax() << ")");
    CHECK(worst_cos < 1);     // the int8 path ran
    CHECK(worst_cos > 0.99);  // each embedding points the same way
    CHECK(worst_sim < 0.02);  // pairwise similarities (what retrieval ranks by) move by < 0.02
    // sentence-transformers' own float embeddings of the first three sentences
    const json::Value ref = json::parse_file(std::string(TINYBERT_TEST_DATA_DIR) + "/embed/reference.json");
    const json::Array& mean = ref.at("mean_normalized").as_array();
    for (std::size_t i = 0; i < mean.size(); ++i) {
        std::vector<float> r;
        for (const auto& v : mean[i].as_array()) r.push_back(static_cast<float>(v.as_double()));
        CHECK(dot(r, int8[i]) > 0.99);
    }
}

TEST_CASE("int8 all-MiniLM-L6-v2: the integer GEMM is exact on the model's activations and weights",
          "[quant][minilm]") {
    const std::string dir = minilm_or_skip();
    const Tokenizer tok = Tokenizer::from_pretrained(dir);
    Model model = Model::from_pretrained(dir);
    // real activations: the float model's last hidden state for the sentences, (B·S, 384)
    VectorDataset<TextExample> data;
    for (const auto& s : sentences) data.push_back({s, std::nullopt, 0});
    const auto features = classification_features(data, tok, 128);
    std::vector<std::size_t> rows(features.size());
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
    NoGradGuard no_grad;
    const Var<float> hidden = model.forward(collate(features, rows, tok.pad_id())).last_hidden_state;
    const quant::QuantizedRows xq = quant::quantize_activation(hidden);
    const auto& w = model.encoder.layers[3].intermediate.weight;  // intermediate.dense (1536, 384)
    const quant::QuantizedWeight qw = quant::QuantizedWeight::quantize(w.value().data(), w.shape()[0], w.shape()[1]);
    const std::int64_t m = xq.rows(), n = qw.out_features, k = qw.in_features;
    std::vector<std::int32_t> got(static_cast<std::size_t>(m * n)), loop(got.size());
    quant::igemm_u8s8s32(m, n, k, xq.q.data(), qw.q.data(), got.data());
    quant::detail::igemm_loop(m, n, k, xq.q.data(), qw.q.data(), loop.data());
    std::size_t bad = 0;
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
            std::int64_t s = 0;
            for (std::int64_t p = 0; p < k; ++p)
                s += std::int64_t{xq.q[static_cast<std::size_t>(i * k + p)]} *
                     std::int64_t{qw.q[static_cast<std::size_t>(j * k + p)]};
            const auto ij = static_cast<std::size_t>(i * n + j);
            bad += std::size_t{std::int64_t{got[ij]} != s} + std::size_t{std::int64_t{loop[ij]} != s};
        }
    INFO(m << "x" << n << "x" << k << " with " << quant::igemm_engine());
    CHECK(bad == 0);
}

TEST_CASE("int8 all-MiniLM-L6-v2: the int8 folder loads back to the same embeddings bit for bit",
          "[quant][minilm][io]") {
    const std::string dir = minilm_or_skip();
    const Tokenizer tok = Tokenizer::from_pretrained(dir);
    Model model = Model::from_pretrained(dir);
    quantize_dynamic(model);
    const auto tmp =
        std::filesystem::temp_directory_path() / ("tinybert_test_quant_minilm_" + std::to_string(::getpid()));
    model.save_pretrained(tmp.string());
    Model back = Model::from_pretrained(tmp.string());
    CHECK(is_quantized(back));
    CHECK(embed(back, tok, sentences) == embed(model, tok, sentences));
    CHECK(std::filesystem::file_size(tmp / "model.safetensors") <
          std::filesystem::file_size(std::filesystem::path(dir) / "model.safetensors"));
    std::filesystem::remove_all(tmp);
}
