// tinybert/tasks/qa.hpp: extractive question answering end to end: SQuAD v1.1 evaluation (windows → start/end logits
// → utils_qa.py post-processing → official EM/F1) and inference on a (question, context) of any length.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "tinybert/data/qa_features.hpp"
#include "tinybert/data/qa_postprocess.hpp"
#include "tinybert/metrics/squad.hpp"
#include "tinybert/tasks/predict.hpp"
#include "tinybert/train/progress.hpp"

namespace tinybert {

struct QaAnswer {
    std::string text;            // "empty" when no span survives (v1.1 post-processing)
    std::size_t start = 0, end = 0;  // code-point span in the context
    double score = 0;            // softmax probability among the n-best candidates
};

// Start and end logits of every feature, each of the feature's length.
template <class Model>
void qa_logits(Model& model, const std::vector<Feature>& features, std::int64_t pad_id, std::size_t batch_size,
               std::vector<std::vector<float>>& starts, std::vector<std::vector<float>>& ends,
               const dist::Communicator& comm = dist::single_process()) {
    starts.assign(features.size(), {});
    ends.assign(features.size(), {});
    predict_batches(model, features, pad_id, batch_size, [&](const auto& o, const std::vector<std::size_t>& rows) {
        const auto s = o.start_logits.value().to_vector(), e = o.end_logits.value().to_vector();
        const auto S = static_cast<std::size_t>(o.start_logits.shape().dim(1));
        for (std::size_t r = 0; r < rows.size(); ++r) {
            starts[rows[r]] = row_of(s, r, S);
            ends[rows[r]] = row_of(e, r, S);
            starts[rows[r]].resize(features[rows[r]].size());
            ends[rows[r]].resize(features[rows[r]].size());
        }
    }, comm);
    gather_rows(starts, batch_size, comm);
    gather_rows(ends, batch_size, comm);
}

// Best answer per example; features must be grouped by example, in example order (as qa_features makes them).
template <class Model, DatasetOf<QaExample> Data>
std::vector<QaPrediction> predict_answers(Model& model, const Data& data, const std::vector<Feature>& features,
                                          std::int64_t pad_id, std::size_t batch_size = 32,
                                          const QaPostprocessOptions& post = {},
                                          const dist::Communicator& comm = dist::single_process()) {
    std::vector<std::vector<float>> starts, ends;
    qa_logits(model, features, pad_id, batch_size, starts, ends, comm);
    std::vector<QaPrediction> out(data.size());
    std::size_t f = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
        std::vector<QaFeatureView> views;
        for (; f < features.size() && features[f].example_index == i; ++f)
            views.push_back({starts[f], ends[f], features[f].context_offsets});
        TINYBERT_CHECK(!views.empty(), "predict_answers: example ", i, " (id ", data[i].id, ") has no features");
        out[i] = postprocess_qa_example(data[i].context, views, post);
    }
    return out;
}

// exact_match and f1 (percentages, official SQuAD v1.1 script) of the predicted answers.
template <class Model, DatasetOf<QaExample> Data>
Metrics evaluate_qa(Model& model, const Data& data, const std::vector<Feature>& features, std::int64_t pad_id,
                    std::size_t batch_size = 32, const dist::Communicator& comm = dist::single_process()) {
    const auto preds = predict_answers(model, data, features, pad_id, batch_size, {}, comm);
    std::vector<metrics::SquadReference> refs;
    std::unordered_map<std::string, std::string> answers;
    for (std::size_t i = 0; i < data.size(); ++i) {
        refs.push_back({data[i].id, data[i].answer_texts});
        answers[data[i].id] = preds[i].text;
    }
    const auto s = metrics::squad_v1(refs, answers);
    return {{"exact_match", s.exact_match}, {"f1", s.f1}};
}

// The answer to one question in a context of any length (long contexts go through overlapping windows).
template <class Model>
QaAnswer answer_question(Model& model, const Tokenizer& tok, const std::string& question, const std::string& context,
                         const QaFeatureOptions& opt = {}) {
    VectorDataset<QaExample> data;
    data.push_back({"q", question, context, {}, {}, ""});
    const auto features = qa_features(data, tok, opt);
    const QaPrediction p = predict_answers(model, data, features, tok.pad_id(), 8).front();
    QaAnswer a{p.text, 0, 0, p.n_best.empty() ? 0.0 : p.n_best.front().probability};
    if (p.span) a.start = p.span->start, a.end = p.span->end;
    return a;
}

}  // namespace tinybert
