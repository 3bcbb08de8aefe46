// tinybert/data/loader.hpp: features -> padded batches. Seeded shuffling (the order of epoch e is a pure function of
// (seed, e), so a resumed run sees the same batches; it is the order Hugging Face Trainer draws for the same seed,
// torch.randperm(n) under manual_seed(seed + e), so both libraries train on the same batches), dynamic padding to
// the longest feature of each batch (DataCollatorWithPadding; labels padded with -100), optional length-grouped
// batches (HF's group_by_length), and the next batch collated on a background thread while the current one trains.
// In a data-parallel run (world_size > 1) batch_size is the global batch and each process collates its shard of it
// (dist::shard_of), padded to the global batch's longest feature: the batch one process would make (QA's softmax
// spans the padding).
#pragma once

#include <algorithm>
#include <cstdint>
#include <future>
#include <numeric>
#include <utility>
#include <vector>

#include "tinybert/core/torch_random.hpp"
#include "tinybert/data/features.hpp"
#include "tinybert/dist/communicator.hpp"
#include "tinybert/nn/batch.hpp"

namespace tinybert {

struct LoaderOptions {
    std::size_t batch_size = 8;
    bool shuffle = false;
    std::uint64_t seed = 42;
    bool group_by_length = false;     // shuffle, then group by length as HF's LengthGroupedSampler (length_grouped)
    std::size_t group_batch_size = 0; // the sampler's batch (HF: batch size × gradient accumulation); 0: batch_size
    std::size_t pad_to_multiple_of = 1;
    int rank = 0, world_size = 1;     // the shard of each batch this process takes
};

// transformers' get_length_grouped_indices after its randperm (`order`): cut the order into mega-batches of
// mult·batch_size, mult = min(n / (4·batch_size), 50) or 1 for small sets; sort each by length, longest first, ties
// in permutation order (Python's stable sorted(reverse=True)); then swap the longest feature of all (the first
// mega-batch with the largest maximum) into first place, so that a run that runs out of memory does so at once.
inline std::vector<std::size_t> length_grouped(std::vector<std::size_t> order, const std::vector<std::size_t>& lengths,
                                               std::size_t batch_size) {
    if (order.empty()) return order;
    const std::size_t mult = std::max<std::size_t>(std::min<std::size_t>(order.size() / (batch_size * 4), 50), 1);
    const std::size_t mega = mult * batch_size;
    std::size_t longest = 0;  // the first mega-batch with the largest first (longest) length
    for (std::size_t s = 0; s < order.size(); s += mega) {
        const auto first = order.begin() + static_cast<std::ptrdiff_t>(s);
        const auto last = order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), s + mega));
        std::stable_sort(first, last, [&](std::size_t a, std::size_t b) { return lengths[a] > lengths[b]; });
        if (lengths[*first] > lengths[order[longest]]) longest = s;
    }
    std::swap(order[0], order[longest]);
    return order;
}

// Pads features [first, last) of `order` into one batch, to the longest of them (or min_length if longer).
// Padding: pad_id / attention 0 / type 0 / labels -100. Features with float labels (regression, multi-label) give
// float_labels (B,C) and no int64 labels.
inline Batch<Cpu> collate(const std::vector<Feature>& features, const std::vector<std::size_t>& rows, std::int64_t pad_id,
                          std::size_t pad_to_multiple_of = 1, std::size_t min_length = 0) {
    TINYBERT_CHECK(!rows.empty(), "collate: empty batch");
    std::size_t S = min_length;
    for (const std::size_t r : rows) S = std::max(S, features[r].size());
    S = (S + pad_to_multiple_of - 1) / pad_to_multiple_of * pad_to_multiple_of;
    const auto B = rows.size();
    std::vector<std::int64_t> ids(B * S, pad_id), mask(B * S, 0), types(B * S, 0), tok(B * S, -100), labels(B), st(B), en(B);
    bool token_labels = false;
    const std::size_t C = features[rows.front()].float_labels.size();
    std::vector<float> float_labels;
    float_labels.reserve(B * C);
    for (std::size_t b = 0; b < B; ++b) {
        const Feature& f = features[rows[b]];
        TINYBERT_CHECK(f.float_labels.size() == C, "collate: feature ", rows[b], " has ", f.float_labels.size(),
                       " float labels, feature ", rows.front(), " has ", C);
        float_labels.insert(float_labels.end(), f.float_labels.begin(), f.float_labels.end());
        std::copy(f.input_ids.begin(), f.input_ids.end(), ids.begin() + static_cast<std::ptrdiff_t>(b * S));
        std::copy(f.attention_mask.begin(), f.attention_mask.end(), mask.begin() + static_cast<std::ptrdiff_t>(b * S));
        std::copy(f.token_type_ids.begin(), f.token_type_ids.end(), types.begin() + static_cast<std::ptrdiff_t>(b * S));
        if (!f.token_labels.empty()) {
            token_labels = true;
            std::copy(f.token_labels.begin(), f.token_labels.end(), tok.begin() + static_cast<std::ptrdiff_t>(b * S));
        }
        labels[b] = f.label;
        st[b] = f.start_position;
        en[b] = f.end_position;
    }
    const auto s = static_cast<std::int64_t>(S), bsz = static_cast<std::int64_t>(B);
    Batch<Cpu> batch;
    batch.input_ids = Tensor<std::int64_t>::from_vector({bsz, s}, ids);
    batch.attention_mask = Tensor<std::int64_t>::from_vector({bsz, s}, mask);
    batch.token_type_ids = Tensor<std::int64_t>::from_vector({bsz, s}, types);
    if (token_labels) {
        batch.labels = Tensor<std::int64_t>::from_vector({bsz, s}, tok);
    } else if (C > 0) {
        batch.float_labels = Tensor<float>::from_vector({bsz, static_cast<std::int64_t>(C)}, float_labels);
    } else {
        batch.labels = Tensor<std::int64_t>::from_vector({bsz}, labels);
    }
    batch.start_positions = Tensor<std::int64_t>::from_vector({bsz}, st);
    batch.end_positions = Tensor<std::int64_t>::from_vector({bsz}, en);
    return batch;
}

class DataLoader {
public:
    DataLoader(const std::vector<Feature>& features, std::int64_t pad_id, LoaderOptions opts)
        : features_(&features), pad_id_(pad_id), opts_(opts) {
        TINYBERT_CHECK(opts.batch_size > 0, "DataLoader: batch_size must be > 0");
        TINYBERT_CHECK(!features.empty(), "DataLoader: no features (empty dataset?)");
        TINYBERT_CHECK(opts.world_size > 0 && opts.rank >= 0 && opts.rank < opts.world_size, "DataLoader: rank ",
                       opts.rank, " of ", opts.world_size);
        set_epoch(0);
    }

    std::size_t num_batches() const { return (features_->size() + opts_.batch_size - 1) / opts_.batch_size; }
    std::size_t size() const { return features_->size(); }

    // The order of epoch e: identity without shuffling, else torch_randperm(n, seed + e) (Trainer's sampler).
    void set_epoch(std::size_t epoch) {
        pending_ = {};
        if (!opts_.shuffle) {
            order_.resize(features_->size());
            std::iota(order_.begin(), order_.end(), std::size_t{0});
            return;
        }
        order_ = torch_randperm(features_->size(), opts_.seed + epoch);
        if (opts_.group_by_length) {
            std::vector<std::size_t> lengths(features_->size());
            for (std::size_t i = 0; i < lengths.size(); ++i) lengths[i] = (*features_)[i].size();
            order_ = length_grouped(std::move(order_), lengths,
                                    opts_.group_batch_size > 0 ? opts_.group_batch_size : opts_.batch_size);
        }
    }

    // Feature indices of batch b in the current epoch (this process's shard of it; empty when a short last batch has
    // fewer rows than there are processes).
    std::vector<std::size_t> rows(std::size_t b) const {
        const auto [first, last] = span(b);
        const dist::Shard s = dist::shard_of(last - first, opts_.rank, opts_.world_size);
        return {order_.begin() + static_cast<std::ptrdiff_t>(first + s.begin),
                order_.begin() + static_cast<std::ptrdiff_t>(first + s.end)};
    }

    // Batch b, collated (requires: rows(b) is not empty); batch b+1 is then prepared on a background thread. That
    // thread gets its rows and options by value and reads only the features, never this loader, so moving the
    // loader, or set_epoch, while a batch is in flight is safe. Destroying the loader (or replacing pending_) waits
    // for that batch to finish.
    Batch<Cpu> batch(std::size_t b) {
        Batch<Cpu> out = (pending_.valid() && pending_index_ == b) ? pending_.get() : make(b);
        if (b + 1 < num_batches() && !rows(b + 1).empty()) {
            pending_index_ = b + 1;
            pending_ = std::async(std::launch::async, [features = features_, rows = rows(b + 1), pad_id = pad_id_,
                                                       multiple = opts_.pad_to_multiple_of, length = length(b + 1)] {
                return collate(*features, rows, pad_id, multiple, length);
            });
        }
        return out;
    }

private:
    Batch<Cpu> make(std::size_t b) const {
        return collate(*features_, rows(b), pad_id_, opts_.pad_to_multiple_of, length(b));
    }
    // Positions [first, last) of `order_` in (global) batch b.
    std::pair<std::size_t, std::size_t> span(std::size_t b) const {
        const std::size_t first = b * opts_.batch_size;
        return {first, std::min(order_.size(), first + opts_.batch_size)};
    }
    // The longest feature of (global) batch b: the length every process's shard pads to.
    std::size_t length(std::size_t b) const {
        std::size_t n = 0;
        for (auto [i, last] = span(b); i < last; ++i) n = std::max(n, (*features_)[order_[i]].size());
        return n;
    }

    const std::vector<Feature>* features_;
    std::int64_t pad_id_;
    LoaderOptions opts_;
    std::vector<std::size_t> order_;
    std::future<Batch<Cpu>> pending_;
    std::size_t pending_index_ = 0;
};

}  // namespace tinybert
