// Sentiment classification on IMDb (aclImdb layout): load a pretrained BERT, fine-tune every weight, evaluate,
// predict on new text, save a folder that transformers loads.
//   example_sentiment_imdb [MODEL_DIR] [ACLIMDB_DIR] [OUT_DIR] [EPOCHS]
#include <cstdio>
#include <string>

#include <tinybert/tinybert.hpp>

namespace tb = tinybert;

int main(int argc, char** argv) try {
    const std::string model_dir = argc > 1 ? argv[1] : ".cache/all-MiniLM-L6-v2";
    const std::string data_dir = argc > 2 ? argv[2] : "data/samples/imdb/aclImdb";
    const std::string out_dir = argc > 3 ? argv[3] : "out/sentiment";
    const std::size_t epochs = argc > 4 ? std::stoul(argv[4]) : 2;

    // 1. Load: the tokenizer and the encoder from the checkpoint, a fresh 2-way classification head.
    using Model = tb::Bert<tb::Encoder<tb::dynamic>, tb::SequenceClassification>;
    const tb::Tokenizer tok = tb::Tokenizer::from_pretrained(model_dir);
    const auto train = tb::read_imdb(data_dir + "/train");  // labels: neg = 0, pos = 1
    const auto test = tb::read_imdb(data_dir + "/test");
    Model model = Model::from_pretrained(model_dir, {.labels = train.label_names()});

    // 2. Tokenize (truncate to 256 tokens; batches are padded to their longest review).
    const auto train_features = tb::classification_features(train, tok, 256);
    const auto test_features = tb::classification_features(test, tok, 256);

    // 3. Fine-tune with Hugging Face Trainer semantics; the best model by accuracy is saved with its tokenizer.
    tb::Trainer<Model> trainer(model, {.output_dir = out_dir,
                                       .num_train_epochs = epochs,
                                       .learning_rate = 5e-5,
                                       .per_device_train_batch_size = 16,
                                       .warmup_ratio = 0.1,
                                       .weight_decay = 0.01,
                                       .metric_for_best_model = "accuracy"});
    const auto result = trainer.train(
        train_features, tok.pad_id(),
        [&](Model& m) { return tb::evaluate_classification(m, test_features, tok.pad_id()); },
        [&](const std::string& dir) { tok.save_pretrained(dir); });

    // 4. Evaluate the saved best model, then predict on new text.
    Model best = Model::from_pretrained(out_dir);
    for (const auto& [name, value] : tb::evaluate_classification(best, test_features, tok.pad_id()))
        std::printf("test %s = %.4f\n", name.c_str(), value);
    for (const auto& p : tb::classify(best, tok, {"A moving story with a superb cast.", "Dull, slow and far too long."}))
        std::printf("prediction: %s (%.3f)\n", p.label_name.c_str(), p.score);
    std::printf("trained %lld updates at %.1f sequences/s; model saved in %s\n", static_cast<long long>(result.updates),
                result.sequences_per_second, out_dir.c_str());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
}
