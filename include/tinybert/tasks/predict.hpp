// tinybert/tasks/predict.hpp: runs a model over features in evaluation mode (no tape, no dropout), batch by batch, and
// hands each batch's outputs to a callback with the feature indices they belong to. Sharded over the processes of a
// data-parallel run: each runs every N-th batch, and gather_rows gives every process all the rows.
#pragma once

#include <numeric>
#include <vector>

#include "tinybert/data/loader.hpp"
#include "tinybert/dist/communicator.hpp"

namespace tinybert {

// f(output, rows): output is Model::Output for the features `rows` (in order). Features are not shuffled. With the
// communicator of N processes, process r runs batches r, r + N, r + 2N, ... (rows_owner says whose a row is).
template <class Model, class F>
void predict_batches(Model& model, const std::vector<Feature>& features, std::int64_t pad_id, std::size_t batch_size,
                     F&& f, const dist::Communicator& comm = dist::single_process()) {
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
    const auto ranks = static_cast<std::size_t>(comm.size());
    for (std::size_t first = static_cast<std::size_t>(comm.rank()) * batch_size; first < features.size();
         first += batch_size * ranks) {
        std::vector<std::size_t> rows(std::min(batch_size, features.size() - first));
        std::iota(rows.begin(), rows.end(), first);
        Batch<Cpu> batch = collate(features, rows, pad_id);
        batch.labels = {};
        batch.float_labels = {};
        batch.start_positions = batch.end_positions = {};
        f(model.forward(to_device<typename Model::device_type>(batch)), rows);
    }
}

// The process that predict_batches lets run row i.
inline int rows_owner(std::size_t i, std::size_t batch_size, const dist::Communicator& comm) {
    return static_cast<int>((i / batch_size) % static_cast<std::size_t>(comm.size()));
}

// out[i] for every row i, on every process, after each process filled the rows it owns (rows_owner).
inline void gather_rows(std::vector<std::vector<float>>& out, std::size_t batch_size, const dist::Communicator& comm) {
    if (comm.size() == 1) return;
    std::vector<float> mine;  // per owned row, in order: its length, then its values
    for (std::size_t i = 0; i < out.size(); ++i)
        if (rows_owner(i, batch_size, comm) == comm.rank()) {
            mine.push_back(static_cast<float>(out[i].size()));  // exact: a row has far fewer than 2^24 values
            mine.insert(mine.end(), out[i].begin(), out[i].end());
        }
    const auto all = comm.all_gather(dist::to_bytes(mine));
    for (int r = 0; r < comm.size(); ++r) {
        if (r == comm.rank()) continue;
        const auto theirs = dist::from_bytes<float>(all[static_cast<std::size_t>(r)]);
        std::size_t at = 0;
        for (std::size_t i = 0; i < out.size(); ++i)
            if (rows_owner(i, batch_size, comm) == r) {
                TINYBERT_CHECK(at < theirs.size(), "gather_rows: rank ", r, " sent fewer rows than it owns");
                const auto n = static_cast<std::size_t>(theirs[at++]);
                TINYBERT_CHECK(at + n <= theirs.size(), "gather_rows: rank ", r, " sent a short row");
                out[i].assign(theirs.begin() + static_cast<std::ptrdiff_t>(at),
                              theirs.begin() + static_cast<std::ptrdiff_t>(at + n));
                at += n;
            }
    }
}

// Row r of a (rows, n) output as a vector.
template <class T>
std::vector<float> row_of(const std::vector<T>& values, std::size_t r, std::size_t n) {
    return std::vector<float>(values.begin() + static_cast<std::ptrdiff_t>(r * n),
                              values.begin() + static_cast<std::ptrdiff_t>((r + 1) * n));
}

}  // namespace tinybert
