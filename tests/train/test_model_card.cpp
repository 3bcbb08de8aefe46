// train/model_card.hpp: the card rendered for hand-written facts (front matter line by line, hyperparameters, the
// results table), and the README.md a Trainer run writes next to config.json. check_model_card.py loads the same
// run's card with the Hub's own parser (huggingface_hub.ModelCard).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tinybert/train/model_card.hpp"
#include "train/tiny_report.hpp"

using namespace tinybert;
namespace fs = std::filesystem;

namespace {

ModelCard facts() {
    ModelCard c;
    c.model_name = "minilm-imdb";
    c.base_model = "sentence-transformers/all-MiniLM-L6-v2";
    c.dataset = "imdb";
    c.task = "text-classification";
    c.results = {{"accuracy", 0.875}, {"f1", 0.8712345}};
    c.hyperparameters = {{"learning_rate", "5e-05"}, {"seed", "42"}};
    c.history = {{50, 1.0, std::nullopt, {{"accuracy", 0.8}, {"f1", 0.79}}},
                 {100, 2.0, 0.41234567, {{"accuracy", 0.875}, {"f1", 0.8712345}}}};
    return c;
}

}  // namespace

TEST_CASE("the card's front matter is the Hub's metadata, model-index included", "[train][model_card]") {
    const std::string card = facts().render();
    CHECK(card.starts_with("---\n"
                           "library_name: tinybert\n"
                           "license: apache-2.0\n"
                           "base_model: sentence-transformers/all-MiniLM-L6-v2\n"
                           "tags:\n"
                           "- generated_from_trainer\n"
                           "- tinybert\n"
                           "datasets:\n"
                           "- imdb\n"
                           "metrics:\n"
                           "- accuracy\n"
                           "- f1\n"
                           "model-index:\n"
                           "- name: minilm-imdb\n"
                           "  results:\n"
                           "  - task:\n"
                           "      type: text-classification\n"
                           "      name: Text Classification\n"
                           "    dataset:\n"
                           "      name: imdb\n"
                           "      type: imdb\n"
                           "    metrics:\n"
                           "    - type: accuracy\n"
                           "      value: 0.875\n"
                           "      name: Accuracy\n"
                           "    - type: f1\n"
                           "      value: 0.8712345\n"
                           "      name: F1\n"
                           "---\n"));
}

TEST_CASE("the card's body: title, results, hyperparameters, results table, versions", "[train][model_card]") {
    const std::string card = facts().render();
    CHECK_THAT(card, Catch::Contains("\n# minilm-imdb\n\nThis model is a fine-tuned version of "
                                     "[sentence-transformers/all-MiniLM-L6-v2](https://huggingface.co/"
                                     "sentence-transformers/all-MiniLM-L6-v2) on the imdb dataset.\n"
                                     "It achieves the following results on the evaluation set:\n"
                                     "- Accuracy: 0.875\n"
                                     "- F1: 0.8712\n"));
    CHECK_THAT(card, Catch::Contains("### Training hyperparameters\n\n"
                                     "The following hyperparameters were used during training:\n"
                                     "- learning_rate: 5e-05\n"
                                     "- seed: 42\n"));
    CHECK_THAT(card, Catch::Contains("### Training results\n\n"
                                     "| Training Loss | Epoch | Step | Accuracy | F1 |\n"
                                     "|:-------------:|:-----:|:----:|:--------:|:--:|\n"
                                     "| No log | 1.0 | 50 | 0.8 | 0.79 |\n"
                                     "| 0.4123 | 2.0 | 100 | 0.875 | 0.8712 |\n"));
    CHECK_THAT(card, Catch::Contains("### Framework versions\n\n- tinybert " + std::to_string(TINYBERT_VERSION_MAJOR) +
                                     "." + std::to_string(TINYBERT_VERSION_MINOR) + "."));
    CHECK_THAT(card, Catch::Contains("\n- Eigen 3.") && Catch::Contains("\n- simdjson "));
}

TEST_CASE("unknown facts leave their lines out and names YAML would misread are quoted", "[train][model_card]") {
    ModelCard c = facts();
    c.dataset = "";
    c.base_model = "";
    c.model_name = "yes";
    const std::string card = c.render();
    CHECK_THAT(card, !Catch::Contains("base_model:") && !Catch::Contains("datasets:"));
    // The Hub rejects a result without its dataset; as HF, the model-index then has none.
    CHECK_THAT(card, Catch::Contains("model-index:\n- name: \"yes\"\n  results: []\n---\n"));
    CHECK_THAT(card, Catch::Contains("fine-tuned version of a BERT checkpoint on an unknown dataset."));
}

TEST_CASE("a Trainer run writes README.md next to config.json", "[train][model_card]") {
    const fs::path out = fs::temp_directory_path() / "tinybert_test_model_card";
    const TrainResult r = test::report_run(out);
    REQUIRE(fs::exists(out / "config.json"));
    std::ifstream in(out / "README.md");
    std::stringstream text;
    text << in.rdbuf();
    const std::string card = text.str();
    CHECK_THAT(card, Catch::Contains("\nbase_model: tinybert-tests/sequence-classification\n"));
    CHECK_THAT(card, Catch::Contains("      type: text-classification\n"));  // from config.json's architectures
    CHECK_THAT(card, Catch::Contains("- name: tinybert_test_model_card\n"));
    REQUIRE(r.best_metrics.size() == 2);
    const std::string accuracy = ModelCard::number(r.best_metrics[0].second);
    CHECK_THAT(card, Catch::Contains("    - type: accuracy\n      value: " + accuracy + "\n"));
    CHECK_THAT(card, Catch::Contains("- lr_scheduler_warmup_ratio: 0.25\n- num_epochs: 3\n"));
    // Every evaluation of the run (updates 4, 8, 12) is a row; the first follows the loss logged at update 3.
    CHECK_THAT(card, Catch::Contains(" | 1.0 | 4 | ") && Catch::Contains(" | 2.0 | 8 | ") &&
                         Catch::Contains(" | 3.0 | 12 | "));
    CHECK(!fs::exists(out / "README.md.tmp"));
    fs::remove_all(out);
}
