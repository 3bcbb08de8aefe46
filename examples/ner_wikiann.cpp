// Named-entity recognition on WikiAnn (token<TAB>tag files): fine-tune, evaluate with seqeval, find entities in new
// text, save.
//   example_ner_wikiann [MODEL_DIR] [DATA_DIR with train.tsv, validation.tsv] [OUT_DIR] [EPOCHS]
#include <cstdio>
#include <string>

#include <tinybert/tinybert.hpp>

namespace tb = tinybert;

int main(int argc, char** argv) try {
    const std::string model_dir = argc > 1 ? argv[1] : ".cache/all-MiniLM-L6-v2";
    const std::string data_dir = argc > 2 ? argv[2] : "data/samples/wikiann";
    const std::string out_dir = argc > 3 ? argv[3] : "out/ner";
    const std::size_t epochs = argc > 4 ? std::stoul(argv[4]) : 3;

    // 1. Load: WikiAnn's tag list in its canonical order (O, B-PER, I-PER, B-ORG, I-ORG, B-LOC, I-LOC).
    using Model = tb::Bert<tb::Encoder<tb::dynamic>, tb::TokenClassification>;
    const tb::Tokenizer tok = tb::Tokenizer::from_pretrained(model_dir);
    const auto labels = tb::wikiann_label_names();
    const auto train = tb::read_conll(data_dir + "/train.tsv", labels);
    const auto valid = tb::read_conll(data_dir + "/validation.tsv", labels);
    Model model = Model::from_pretrained(model_dir, {.labels = labels});

    // 2. Tokenize the word lists; the first sub-token of each word carries its tag, the others -100.
    const auto train_features = tb::ner_features(train, tok, labels, 128);
    const auto valid_features = tb::ner_features(valid, tok, labels, 128);

    // 3. Fine-tune; keep the model with the best entity-level F1.
    tb::Trainer<Model> trainer(model, {.output_dir = out_dir,
                                       .num_train_epochs = epochs,
                                       .learning_rate = 5e-5,
                                       .per_device_train_batch_size = 16,
                                       .metric_for_best_model = "f1"});
    trainer.train(
        train_features, tok.pad_id(),
        [&](Model& m) { return tb::evaluate_ner(m, valid_features, labels, tok.pad_id()); },
        [&](const std::string& dir) { tok.save_pretrained(dir); });

    // 4. Evaluate the saved model and tag new text.
    Model best = Model::from_pretrained(out_dir);
    for (const auto& [name, value] : tb::evaluate_ner(best, valid_features, labels, tok.pad_id()))
        std::printf("validation %s = %.4f\n", name.c_str(), value);
    for (const auto& e : tb::find_entities(best, tok, std::string("Maria Lopez flew from Lisbon to work at Acme Robotics.")))
        std::printf("%-4s %-20s [%zu, %zu) %.3f\n", e.type.c_str(), e.text.c_str(), e.start, e.end, e.score);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
}
