// EmbedOptions::from_pretrained: the defaults SentenceTransformer(dir) uses, from the files sentence-transformers
// writes today (pooling_mode, model_max_length in tokenizer_config.json) and wrote before (pooling_mode_* booleans,
// sentence_bert_config.json max_seq_length); unsupported modules are refused. And pool_tokens on hand-made rows.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "tinybert/tasks/embed.hpp"

using namespace tinybert;
namespace fs = std::filesystem;

namespace {

struct Folder {
    fs::path path = fs::temp_directory_path() / ("tinybert_embed_options_" + std::to_string(::getpid()));
    Folder() {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~Folder() { fs::remove_all(path); }
    void write(const std::string& name, const std::string& body) const {
        fs::create_directories((path / name).parent_path());
        std::ofstream(path / name) << body;
    }
    EmbedOptions options() const { return EmbedOptions::from_pretrained(path.string()); }
};

const char* modules_json = R"([
  {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"},
  {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling"},
  {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.base.modules.normalize.Normalize"}
])";

}  // namespace

TEST_CASE("EmbedOptions of a plain folder: mean, no normalization, model_max_length capped by the positions",
          "[serve][embed]") {
    const Folder f;
    EmbedOptions o = f.options();
    CHECK(o.pooling == Pooling::mean);
    CHECK_FALSE(o.normalize);
    CHECK(o.max_length == 256);  // no limit found anywhere: the library default
    f.write("config.json", R"({"max_position_embeddings": 512})");
    CHECK(f.options().max_length == 512);
    f.write("tokenizer_config.json",
            R"({"model_max_length": 1000000000000000019884624838656})");  // transformers' "none"
    CHECK(f.options().max_length == 512);
    f.write("tokenizer_config.json", R"({"model_max_length": 128})");
    CHECK(f.options().max_length == 128);
    f.write("sentence_bert_config.json", R"({"max_seq_length": 200, "do_lower_case": false})");
    CHECK(f.options().max_length == 200);
}

TEST_CASE("EmbedOptions of a folder saved by sentence-transformers 6 (pooling_mode, Normalize)", "[serve][embed]") {
    const Folder f;
    f.write("modules.json", modules_json);
    f.write("1_Pooling/config.json", R"({"embedding_dimension": 384, "pooling_mode": "max", "include_prompt": true})");
    f.write("tokenizer_config.json", R"({"model_max_length": 256})");
    f.write("config.json", R"({"max_position_embeddings": 512})");
    EmbedOptions o = f.options();
    CHECK(o.pooling == Pooling::max);
    CHECK(o.normalize);
    CHECK(o.max_length == 256);
    f.write("1_Pooling/config.json", R"({"pooling_mode": ["cls"]})");
    CHECK(f.options().pooling == Pooling::cls);
    f.write("1_Pooling/config.json", R"({"pooling_mode": ["cls", "mean"]})");
    CHECK_THROWS_WITH(f.options(), Catch::Contains("several pooling modes"));
    f.write("1_Pooling/config.json", R"({"pooling_mode": "weightedmean"})");
    CHECK_THROWS_WITH(f.options(), Catch::Contains("pooling_mode \"weightedmean\" is not supported"));
    f.write("1_Pooling/config.json", R"({"pooling_mode_mean_tokens": false})");  // no mode set: mean, as ST reads it
    CHECK(f.options().pooling == Pooling::mean);
}

TEST_CASE("EmbedOptions refuses modules tinybert does not run", "[serve][embed]") {
    const Folder f;
    f.write("1_Pooling/config.json", R"({"pooling_mode": "mean"})");
    f.write("modules.json", R"([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}])");
    CHECK_THROWS_WITH(f.options(), Catch::Contains("module sentence_transformers.models.Dense is not supported"));
    f.write("modules.json",
            R"([{"idx": 0, "name": "0", "path": "0_Transformer", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}])");
    CHECK_THROWS_WITH(f.options(), Catch::Contains("must be the folder itself"));
    f.write("modules.json",
            R"([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}])");
    CHECK_THROWS_WITH(f.options(), Catch::Contains("expected a Transformer and a Pooling module"));
    f.write("modules.json", R"([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "9_Pooling", "type": "sentence_transformers.models.Pooling"}])");
    CHECK_THROWS_WITH(f.options(), Catch::Contains("not found"));
}

TEST_CASE("pool_tokens: mean, cls and max over the real tokens only", "[serve][embed]") {
    // 3 real tokens of H=2, then a padding row that must never count
    const std::vector<float> h = {1, -4, 3, -2, -5, -6, 100, 100};
    std::vector<float> e(2);
    pool_tokens(e, h.data(), 3, 2, Pooling::mean);
    CHECK(e == std::vector<float>{-1.0f / 3.0f, -4.0f});
    pool_tokens(e, h.data(), 3, 2, Pooling::cls);
    CHECK(e == std::vector<float>{1, -4});
    pool_tokens(e, h.data(), 3, 2, Pooling::max);
    CHECK(e == std::vector<float>{3, -2});
    l2_normalize(e);
    CHECK(e[0] == Approx(3 / std::sqrt(13.0)));
    std::vector<float> zero(3, 0.0f);
    l2_normalize(zero);  // the zero vector stays zero (norm floored at 1e-12)
    CHECK(zero == std::vector<float>(3, 0.0f));
    CHECK(parse_pooling("max") == Pooling::max);
    CHECK(std::string(pooling_name(Pooling::cls)) == "cls");
    CHECK_THROWS_WITH(parse_pooling("sum"), Catch::Contains("unknown pooling"));
}
