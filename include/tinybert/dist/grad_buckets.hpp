// tinybert/dist/grad_buckets.hpp: the gradient all-reduce of data parallelism, as PyTorch DDP does it. Gradients live
// in one flat buffer per model, cut into buckets of about `bucket_cap_bytes`, in the order backward produces them
// (the reverse of the parameter order). While the backward of the micro-batch that ends an update runs, a bucket's
// sum over the ranks starts as soon as every gradient in it is final, and overlaps the rest of backward; the update
// then waits for the buckets still in flight. No per-parameter collectives.
//
// When is a gradient final? A TapeObserver notes, during the forward, the first tape node that reads each parameter
// (nodes are recorded in order, so that is the parameter's smallest node index); backward runs nodes from the last
// down to 0, so once node i has run, every parameter first read at a node ≥ i has its whole gradient. Buckets start
// in bucket order on every rank (collectives must be issued in the same order everywhere).
//
// The layout is made at the first update from the parameters that have a gradient then (a parameter never reached by
// backward keeps no gradient and AdamW skips it, as in one process), and is the same on every rank (checked). That
// first update sums all buckets after its backward; later ones overlap.
//
// The word-embedding table is the exception (on the CPU): its gradient is non-zero only in the rows of the token ids
// the update's batches read, and it is final only when backward ends, so as a bucket it would be the largest part of
// the sum (half of MiniLM's gradient) and never overlap. The Trainer tells the buckets each micro-batch's ids
// (add_rows); the update sums just the union of all ranks' rows — the same numbers as the whole table's sum, since
// every other row is zero on every rank.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "tinybert/autograd/tape.hpp"
#include "tinybert/dist/communicator.hpp"

namespace tinybert::dist {

// Sums gradients in Device memory over all ranks, in place: on the CPU through the communicator (MPI); on a GPU through
// NCCL where the program is built with it (dist/nccl.cuh, the tinybert::nccl target), else staged through host
// memory and the communicator (this primary template: correct everywhere, without overlap on the device side).
template <class T, class Device>
class GradientReducer {
public:
    explicit GradientReducer(const Communicator& comm) : comm_(&comm) {}
    std::unique_ptr<Request> start(T* data, std::size_t n) const {
        auto r = std::make_unique<Staged>(data, n);
        Device::to_host(r->host.data(), data, n);
        r->inner = comm_->start_all_reduce_sum(r->host.data(), n);
        return r;
    }

private:
    struct Staged final : Request {
        Staged(T* d, std::size_t n) : device(d), host(n) {}
        bool test() override { return inner->test(); }
        void wait() override {
            if (copied) return;
            inner->wait();
            Device::from_host(device, host.data(), host.size());
            copied = true;
        }
        T* device;
        std::vector<T> host;
        std::unique_ptr<Request> inner;
        bool copied = false;
    };
    const Communicator* comm_;
};

template <class T>
class GradientReducer<T, Cpu> {
public:
    explicit GradientReducer(const Communicator& comm) : comm_(&comm) {}
    std::unique_ptr<Request> start(T* data, std::size_t n) const { return comm_->start_all_reduce_sum(data, n); }

private:
    const Communicator* comm_;
};

// What the all-reduce cost so far: `exposed_seconds` is the time updates waited for buckets after backward (the part
// of communication that backward did not hide); `overlapped_buckets` counts the bucket sums started during backward.
struct SyncStats {
    std::int64_t updates = 0;
    std::size_t buckets = 0;      // of the layout
    std::size_t bytes = 0;        // of the gradients in the buckets (their 64-byte alignment padding left out)
    std::size_t overlapped_buckets = 0;
    std::size_t embedding_rows = 0;  // rows of the word-embedding table summed, over all updates
    double exposed_seconds = 0;
};

template <class T, class Device>
class GradientBuckets final : public TapeObserver {
public:
    // Every parameter of `model` (visit_parameters) may take part; bucket_cap_bytes 0: one bucket.
    template <class Model>
    GradientBuckets(Model& model, const Communicator& comm, std::size_t bucket_cap_bytes)
        : comm_(&comm), reducer_(comm), cap_bytes_(bucket_cap_bytes) {
        const std::string table = "word_embeddings.weight";
        model.visit_parameters([&](const std::string& name, Var<T, Device>& p) {
            if (!p.requires_grad()) return;
            const bool is_table = name.size() >= table.size() && name.ends_with(table) && p.shape().rank() == 2;
            if (std::is_same_v<Device, Cpu> && is_table) table_ = p;
            else params_.push_back(p);
        });
    }
    ~GradientBuckets() {
        if (Tape::current().observer() == this) Tape::current().set_observer(nullptr);
    }
    GradientBuckets(const GradientBuckets&) = delete;
    GradientBuckets& operator=(const GradientBuckets&) = delete;

    // Before the forward of a micro-batch that ends an update: watch it and its backward, so that buckets start
    // during backward. (The first update has no layout yet and sums everything in finish_update.)
    void begin_update() {
        if (buckets_.empty()) return;
        std::fill(first_use_.begin(), first_use_.end(), unused);
        bucket_ready_at_.clear();
        next_ = 0;
        Tape::current().set_observer(this);
    }

    // The token ids (B,S) of a micro-batch of this update on this rank: the rows of the word-embedding table its
    // backward can write.
    void add_rows(const Tensor<std::int64_t, Cpu>& input_ids) {
        if (table_.defined()) rows_.insert(rows_.end(), input_ids.data(), input_ids.data() + input_ids.numel());
    }

    // After that backward (or instead of it, on a rank whose shard of the batch was empty): start the buckets not
    // started yet, wait for all. Every gradient is then the sum over the ranks.
    void finish_update() {
        if (Tape::current().observer() == this) Tape::current().set_observer(nullptr);
        if (buckets_.empty()) make_layout();
        while (next_ < buckets_.size()) start_next();
        const auto t0 = std::chrono::steady_clock::now();
        if (table_.defined()) sum_table_rows();
        for (auto& r : in_flight_) r->wait();
        stats_.exposed_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        in_flight_.clear();
        next_ = buckets_.size();  // nothing starts until the next begin_update
        ++stats_.updates;
    }

    const SyncStats& stats() const { return stats_; }

    // TapeObserver
    void used(const void* id, std::size_t node) override {
        const auto it = index_.find(id);
        if (it != index_.end() && first_use_[it->second] == unused) first_use_[it->second] = node;
    }
    void backward_done(std::size_t node) override {
        if (bucket_ready_at_.empty()) ready_points();
        for (; next_ < buckets_.size() && bucket_ready_at_[next_] >= node; ++stats_.overlapped_buckets) start_next();
        if (!in_flight_.empty()) in_flight_.front()->test();  // MPI makes progress inside its calls
    }

private:
    static constexpr std::size_t unused = std::numeric_limits<std::size_t>::max();

    struct Bucket {
        std::size_t offset = 0, size = 0;    // elements of the flat buffer
        std::vector<std::size_t> params;     // indices into params_
    };

    // Parameters with a gradient, last first, packed into buckets of ≥ cap_bytes (the last one smaller); the flat
    // buffer takes over their gradients. Each gradient starts on a 64-byte boundary, as every tensor allocation does,
    // so that kernels see the alignment (and take the vector paths, and sum in the order) of an unbucketed run.
    void make_layout() {
        constexpr std::size_t align = 64 / sizeof(T);
        const auto round_up = [](std::size_t n) { return (n + align - 1) / align * align; };
        std::vector<std::size_t> order, offsets;
        std::size_t total = 0, values = 0;
        for (std::size_t i = params_.size(); i-- > 0;)
            if (params_[i].has_grad()) {
                order.push_back(i);
                offsets.push_back(total);
                values += params_[i].value().numel();
                total = round_up(total + params_[i].value().numel());
            }
        TINYBERT_CHECK(!order.empty(), "data parallelism: no parameter has a gradient after the first backward");
        std::vector<std::int64_t> mine{static_cast<std::int64_t>(order.size()), static_cast<std::int64_t>(values)},
            sum = mine;
        comm_->all_reduce_sum(sum.data(), sum.size());
        TINYBERT_CHECK(sum[0] == mine[0] * comm_->size() && sum[1] == mine[1] * comm_->size(),
                       "data parallelism: the ranks disagree on which parameters have gradients (rank ", comm_->rank(),
                       ": ", mine[0], " parameters, ", mine[1], " values); every rank must run the same model");
        flat_ = Tensor<T, Device>({static_cast<std::int64_t>(total)});  // zeros, padding included
        Bucket b;
        for (std::size_t k = 0; k < order.size(); ++k) {
            const std::size_t i = order[k], n = params_[i].value().numel(), at = offsets[k];
            const std::size_t end = k + 1 < order.size() ? offsets[k + 1] : total;
            params_[i].bind_grad(
                flat_.slice(static_cast<std::int64_t>(at), static_cast<std::int64_t>(at + n)).view(params_[i].shape()));
            index_.emplace(params_[i].id(), i);
            b.params.push_back(i);
            b.size = end - b.offset;
            if (cap_bytes_ > 0 && b.size * sizeof(T) >= cap_bytes_) {
                buckets_.push_back(b);
                b = Bucket{.offset = end, .size = 0, .params = {}};
            }
        }
        if (b.size > 0) buckets_.push_back(b);
        first_use_.assign(params_.size(), unused);
        stats_.buckets = buckets_.size();
        stats_.bytes = values * sizeof(T);
    }

    // The table's gradient summed over the union of the ranks' rows (blocking: it is final only now anyway).
    void sum_table_rows() {
        std::sort(rows_.begin(), rows_.end());
        rows_.erase(std::unique(rows_.begin(), rows_.end()), rows_.end());
        std::vector<std::int64_t> all;
        for (const auto& bytes : comm_->all_gather(to_bytes(rows_))) {
            const auto theirs = from_bytes<std::int64_t>(bytes);
            all.insert(all.end(), theirs.begin(), theirs.end());
        }
        std::sort(all.begin(), all.end());
        all.erase(std::unique(all.begin(), all.end()), all.end());
        const auto width = static_cast<std::size_t>(table_.shape().dim(1));
        T* grad = table_.grad().data();  // zeros where this rank wrote nothing
        std::vector<T> packed(all.size() * width);
        for (std::size_t k = 0; k < all.size(); ++k)
            std::copy_n(grad + static_cast<std::size_t>(all[k]) * width, width, packed.data() + k * width);
        comm_->all_reduce_sum(packed.data(), packed.size());
        for (std::size_t k = 0; k < all.size(); ++k)
            std::copy_n(packed.data() + k * width, width, grad + static_cast<std::size_t>(all[k]) * width);
        stats_.embedding_rows += all.size();
        rows_.clear();
    }

    // The node after whose backward each bucket is final: the smallest first use among its parameters (a parameter
    // this forward did not read has only earlier micro-batches' gradient: final from the start).
    void ready_points() {
        bucket_ready_at_.resize(buckets_.size());
        for (std::size_t k = 0; k < buckets_.size(); ++k) {
            std::size_t at = unused;
            for (const std::size_t i : buckets_[k].params) at = std::min(at, first_use_[i]);
            bucket_ready_at_[k] = at;
        }
    }

    void start_next() {
        const Bucket& b = buckets_[next_++];
        in_flight_.push_back(reducer_.start(flat_.data() + b.offset, b.size));
    }

    const Communicator* comm_;
    GradientReducer<T, Device> reducer_;
    std::size_t cap_bytes_;
    std::vector<Var<T, Device>> params_;  // every trainable parameter but the table
    Var<T, Device> table_;                // the word embeddings (CPU), summed by rows; undefined: none
    std::vector<std::int64_t> rows_;      // token ids of this update's micro-batches on this rank
    std::unordered_map<const void*, std::size_t> index_;  // Var id → params_ index (laid-out parameters)
    Tensor<T, Device> flat_;
    std::vector<Bucket> buckets_;
    std::vector<std::size_t> first_use_;        // per parameter: first node of this forward reading it
    std::vector<std::size_t> bucket_ready_at_;  // per bucket, filled at the first backward_done
    std::size_t next_ = 0;                      // the next bucket to start
    std::vector<std::unique_ptr<Request>> in_flight_;
    SyncStats stats_;
};

}  // namespace tinybert::dist

#if defined(TINYBERT_WITH_NCCL) && defined(__CUDACC__)
#include "tinybert/dist/nccl.cuh"  // GradientReducer<T, Cuda> over NCCL
#endif
