// tinybert/tasks/predict.hpp: runs a model over features in evaluation mode (no tape, no dropout), batch by batch, and
// hands each batch's outputs to a callback with the feature indices they belong to.
#pragma once

#include <numeric>
#include <vector>

#include "tinybert/data/loader.hpp"

namespace tinybert {

// f(output, rows): output is Model::Output for the features `rows` (in order). Features are not shuffled.
template <class Model, class F>
void predict_batches(Model& model, const std::vector<Feature>& features, std::int64_t pad_id, std::size_t batch_size,
                     F&& f) {
    // A model already in eval mode is only read (no write of its mode flag, no draw from its generator), so many
    // threads may predict with one model at once (docs/reliability.md, "Thread safety"). A model in training mode is
    // switched to eval for the call and back afterwards, also when the call throws.
    struct RestoreTraining {
        Model& m;
        bool was_training;
        ~RestoreTraining() {
            if (was_training) m.train();
        }
    } restore{model, model.training()};
    if (restore.was_training) model.eval();
    NoGradGuard no_grad;
    for (std::size_t first = 0; first < features.size(); first += batch_size) {
        std::vector<std::size_t> rows(std::min(batch_size, features.size() - first));
        std::iota(rows.begin(), rows.end(), first);
        Batch<Cpu> batch = collate(features, rows, pad_id);
        batch.labels = {};
        batch.float_labels = {};
        batch.start_positions = batch.end_positions = {};
        f(model.forward(to_device<typename Model::device_type>(batch)), rows);
    }
}

// Row r of a (rows, n) output as a vector.
template <class T>
std::vector<float> row_of(const std::vector<T>& values, std::size_t r, std::size_t n) {
    return std::vector<float>(values.begin() + static_cast<std::ptrdiff_t>(r * n),
                              values.begin() + static_cast<std::ptrdiff_t>((r + 1) * n));
}

}  // namespace tinybert
