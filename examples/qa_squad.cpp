// Extractive question answering on SQuAD v1.1 JSON: windows of 384 tokens with stride 128, fine-tune, evaluate with the
// official EM/F1, answer a new question, save.
//   example_qa_squad [MODEL_DIR] [TRAIN_JSON] [DEV_JSON] [OUT_DIR] [EPOCHS]
#include <cstdio>
#include <string>

#include <tinybert/tinybert.hpp>

namespace tb = tinybert;

int main(int argc, char** argv) try {
    const std::string model_dir = argc > 1 ? argv[1] : ".cache/all-MiniLM-L6-v2";
    const std::string train_path = argc > 2 ? argv[2] : "data/samples/squad/train.json";
    const std::string dev_path = argc > 3 ? argv[3] : "data/samples/squad/dev.json";
    const std::string out_dir = argc > 4 ? argv[4] : "out/qa";
    const std::size_t epochs = argc > 5 ? std::stoul(argv[5]) : 2;

    // 1. Load: SQuAD examples (question, context, answers with code-point offsets) and a fresh start/end head.
    using Model = tb::Bert<tb::Encoder<tb::dynamic>, tb::QuestionAnswering>;
    const tb::Tokenizer tok = tb::Tokenizer::from_pretrained(model_dir);
    const auto train = tb::read_squad(train_path);
    const auto dev = tb::read_squad(dev_path);
    Model model = Model::from_pretrained(model_dir, {.labels = {"start", "end"}});

    // 2. Long contexts become overlapping windows; each window is labelled with the answer's tokens or [CLS].
    const auto train_features = tb::qa_features(train, tok);
    const auto dev_features = tb::qa_features(dev, tok);

    // 3. Fine-tune; keep the model with the best SQuAD F1.
    tb::Trainer<Model> trainer(model, {.output_dir = out_dir,
                                       .num_train_epochs = epochs,
                                       .learning_rate = 1e-4,
                                       .per_device_train_batch_size = 16,
                                       .metric_for_best_model = "f1"});
    trainer.train(
        train_features, tok.pad_id(),
        [&](Model& m) { return tb::evaluate_qa(m, dev, dev_features, tok.pad_id()); },
        [&](const std::string& dir) { tok.save_pretrained(dir); });

    // 4. Evaluate the saved model and answer a new question.
    Model best = Model::from_pretrained(out_dir);
    for (const auto& [name, value] : tb::evaluate_qa(best, dev, dev_features, tok.pad_id()))
        std::printf("dev %s = %.2f\n", name.c_str(), value);
    const auto a = tb::answer_question(best, tok, "When was the bridge opened?",
                                       "The Harbor Bridge was opened in 1932 after eight years of construction.");
    std::printf("answer: \"%s\" [%zu, %zu) score %.3f\n", a.text.c_str(), a.start, a.end, a.score);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
}
