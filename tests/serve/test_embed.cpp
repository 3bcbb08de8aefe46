// tinybert::embed on the real all-MiniLM-L6-v2 against sentence-transformers' computation (mean pooling over the
// attention mask of transformers' last_hidden_state, then L2 normalisation; tests/fixtures/embed/make_reference.py),
// batched and one by one; and the 1_Pooling/config.json rules. Skips (exit 4) without the checkpoint.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "serve/minilm.hpp"
#include "tinybert/tinybert.hpp"

using namespace tinybert;
using tinybert::testing::minilm_or_skip;

namespace {

double max_abs_diff(const std::vector<float>& ours, const json::Value& ref) {
    const json::Array& r = ref.as_array();
    REQUIRE(ours.size() == r.size());
    double m = 0;
    for (std::size_t i = 0; i < r.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(ours[i]) - r[i].as_double()));
    return m;
}

}  // namespace

TEST_CASE("embed matches sentence-transformers on all-MiniLM-L6-v2 to 1e-5", "[serve][embed]") {
    const std::string dir = minilm_or_skip();
    const json::Value ref = json::parse_file(std::string(TINYBERT_TEST_DATA_DIR) + "/embed/reference.json");
    std::vector<std::string> sentences;
    for (const auto& s : ref.at("sentences").as_array()) sentences.push_back(s.as_string());
    using Model = Bert<Encoder<dynamic>, NoHead>;
    Model model = Model::from_pretrained(dir);
    const Tokenizer tok = Tokenizer::from_pretrained(dir);
    const auto batched = embed(model, tok, sentences);  // one padded batch
    const auto raw = embed(model, tok, sentences, 256, false);
    for (std::size_t i = 0; i < sentences.size(); ++i) {
        const auto alone = embed(model, tok, {sentences[i]}).front();
        const double d_batched = max_abs_diff(batched[i], ref.at("mean_normalized").as_array()[i]);
        const double d_alone = max_abs_diff(alone, ref.at("mean_normalized").as_array()[i]);
        const double d_raw = max_abs_diff(raw[i], ref.at("mean").as_array()[i]);
        std::printf("sentence %zu: max |diff| normalized batched %.2e, alone %.2e; unnormalized %.2e\n", i, d_batched,
                    d_alone, d_raw);
        CHECK(d_batched <= 1e-5);
        CHECK(d_alone <= 1e-5);
        CHECK(d_raw <= 1e-5);
        double norm = 0;
        for (const float x : batched[i]) norm += static_cast<double>(x) * x;
        CHECK(std::sqrt(norm) == Approx(1.0).epsilon(1e-6));
    }
}

TEST_CASE("modules.json and its Pooling config pick cls, mean or max pooling and refuse other modes", "[serve][embed]") {
    const auto dir = std::filesystem::temp_directory_path() / ("tinybert_pooling_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    CHECK(pooling_of(dir.string()) == Pooling::mean);  // no sentence-transformers folder: mean
    std::filesystem::create_directories(dir / "1_Pooling");
    const auto write = [&](const std::string& body) { std::ofstream(dir / "1_Pooling" / "config.json") << body; };
    write(R"({"word_embedding_dimension": 384, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false})");
    CHECK(pooling_of(dir.string()) == Pooling::mean);  // as SentenceTransformer(dir): no modules.json, no 1_Pooling
    std::ofstream(dir / "modules.json") << R"([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}])";
    CHECK(pooling_of(dir.string()) == Pooling::cls);
    write(R"({"pooling_mode_cls_token": false, "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false})");
    CHECK(pooling_of(dir.string()) == Pooling::mean);
    write(R"({"pooling_mode_mean_tokens": false, "pooling_mode_max_tokens": true})");
    CHECK(pooling_of(dir.string()) == Pooling::max);
    write(R"({"pooling_mode_mean_sqrt_len_tokens": true})");
    CHECK_THROWS_WITH(pooling_of(dir.string()), Catch::Contains("pooling_mode_mean_sqrt_len_tokens is not supported"));
    write(R"({"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": true})");
    CHECK_THROWS_WITH(pooling_of(dir.string()), Catch::Contains("exactly one"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("cls pooling takes the [CLS] row of the last hidden state", "[serve][embed]") {
    const std::string dir = minilm_or_skip();
    using Model = Bert<Encoder<dynamic>, NoHead>;
    Model model = Model::from_pretrained(dir);
    const Tokenizer tok = Tokenizer::from_pretrained(dir);
    const std::string text = "A warm, funny and beautifully acted film; I loved it!";
    const auto cls = embed(model, tok, {text}, 256, false, Pooling::cls).front();
    const Encoding e = tok.encode(text).front();
    NoGradGuard no_grad;
    const auto out = model.forward({Tensor<std::int64_t>::from_vector({1, static_cast<std::int64_t>(e.size())}, e.input_ids),
                                    {}, {}, {}, {}, {}});
    const auto hidden = out.last_hidden_state.value().to_vector();
    REQUIRE(cls.size() == 384);
    for (std::size_t h = 0; h < 384; ++h) CHECK(cls[h] == hidden[h]);
}
