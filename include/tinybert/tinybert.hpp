// tinybert/tinybert.hpp: everything, in one include. Fine-tuning BERT in C++ in a few lines:
//
//   #include <tinybert/tinybert.hpp>
//   namespace tb = tinybert;
//
//   using Model = tb::Bert<tb::Encoder<6>, tb::SequenceClassification>;      // structure fixed at compile time
//   tb::Tokenizer tok = tb::Tokenizer::from_pretrained("all-MiniLM-L6-v2");   // Hugging Face folder
//   Model model = Model::from_pretrained("all-MiniLM-L6-v2", {.labels = {"neg", "pos"}});  // new head, N(0, 0.02²)
//
//   auto train = tb::read_imdb("aclImdb/train");                              // TextExample{text, label}
//   auto test = tb::read_imdb("aclImdb/test");
//   auto train_f = tb::classification_features(train, tok, 256);              // tokenize + truncate
//   auto test_f = tb::classification_features(test, tok, 256);
//
//   tb::Trainer<Model> trainer(model, {.output_dir = "out", .num_train_epochs = 2, .learning_rate = 5e-5,
//                                      .metric_for_best_model = "accuracy"});
//   trainer.train(train_f, tok.pad_id(), [&](Model& m) { return tb::evaluate_classification(m, test_f, tok.pad_id()); },
//                 [&](const std::string& dir) { tok.save_pretrained(dir); });   // best model + tokenizer in out/
//
//   auto p = tb::classify(model, tok, {"What a wonderful film."}).front();   // p.label_name, p.score
//
// The same shape works for NER (TokenClassification, read_conll, ner_features, evaluate_ner, find_entities) and QA
// (QuestionAnswering, read_squad, qa_features, evaluate_qa, answer_question). out/ loads in transformers with
// AutoModelForSequenceClassification.from_pretrained("out"). Layers: docs/architecture.md; tasks: docs/tasks.md.
#pragma once

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/data/detect.hpp"
#include "tinybert/data/features.hpp"
#include "tinybert/data/loader.hpp"
#include "tinybert/data/qa_features.hpp"
#include "tinybert/nn/auto.hpp"
#include "tinybert/nn/bert.hpp"
#include "tinybert/quant/model.hpp"
#include "tinybert/tasks/classification.hpp"
#include "tinybert/tasks/embed.hpp"
#include "tinybert/tasks/ner.hpp"
#include "tinybert/tasks/qa.hpp"
#include "tinybert/tokenizer/pretrained.hpp"
#include "tinybert/tokenizer/tokenizer.hpp"
#include "tinybert/train/trainer.hpp"
