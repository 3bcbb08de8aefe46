// tinybert/serve/batcher.hpp: dynamic batching for a server. Request threads submit already tokenized inputs (with
// their token counts) and wait on a future; one worker thread takes as many queued inputs as fit in a budget of
// padded tokens (batch size × longest input), runs them through one call of `run`, and fulfils each input's
// promise. All model calls thus happen on one thread, and under load the queue fills while a batch runs, so batches
// grow with the load without any waiting timer (the text-embeddings-inference scheme).
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "tinybert/core/error.hpp"

namespace tinybert::serve {

template <class In, class Out>
class Batcher {
public:
    // run(inputs) returns one output per input, in order; it is only ever called on the worker thread.
    using Run = std::function<std::vector<Out>(const std::vector<In>&)>;

    // max_batch_tokens == 0: no batching, one input per call. An input longer than the budget runs alone.
    Batcher(Run run, std::size_t max_batch_tokens) : run_(std::move(run)), budget_(max_batch_tokens) {
        worker_ = std::thread([this] { work(); });
    }
    Batcher(const Batcher&) = delete;
    Batcher& operator=(const Batcher&) = delete;
    ~Batcher() { shutdown(); }

    // Queues one input of `tokens` tokens. After shutdown() it throws instead.
    std::future<Out> submit(In in, std::size_t tokens) {
        Item item{std::move(in), tokens, {}};
        std::future<Out> f = item.done.get_future();
        {
            std::lock_guard lock(mutex_);
            TINYBERT_CHECK(!stopping_, "the server is shutting down");
            queue_.push_back(std::move(item));
        }
        wake_.notify_one();
        return f;
    }

    // Refuses new inputs, runs everything already queued, and joins the worker. Idempotent.
    void shutdown() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        if (worker_.joinable()) worker_.join();
    }

    std::size_t max_batch_tokens() const { return budget_; }

private:
    struct Item {
        In in;
        std::size_t tokens;
        std::promise<Out> done;
    };

    // The oldest queued inputs that fit in the budget (at least one), in queue order.
    std::vector<Item> take_batch() {
        std::vector<Item> batch;
        std::size_t longest = 0;
        do {
            longest = std::max(longest, queue_.front().tokens);
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        } while (budget_ > 0 && !queue_.empty() &&
                 (batch.size() + 1) * std::max(longest, queue_.front().tokens) <= budget_);
        return batch;
    }

    void work() {
        for (;;) {
            std::vector<Item> batch;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) return;  // stopping, and everything queued has run
                batch = take_batch();
            }
            run_items(batch.begin(), batch.end());
        }
    }

    // Runs [first, last) in one call. When a batch of several fails, each input is retried alone, so a bad input
    // fails only its own request and never the worker or its batch neighbours.
    template <class It>
    void run_items(It first, It last) {
        std::vector<In> inputs;
        for (It it = first; it != last; ++it) inputs.push_back(std::move(it->in));
        try {
            std::vector<Out> outs = run_(inputs);
            TINYBERT_CHECK(outs.size() == inputs.size(), "Batcher: run returned ", outs.size(), " outputs for ",
                           inputs.size(), " inputs");
            for (std::size_t i = 0; first != last; ++first, ++i) first->done.set_value(std::move(outs[i]));
        } catch (...) {
            if (last - first == 1) {
                first->done.set_exception(std::current_exception());
                return;
            }
            std::size_t i = 0;
            for (It it = first; it != last; ++it) it->in = std::move(inputs[i++]);
            for (It it = first; it != last; ++it) run_items(it, it + 1);
        }
    }

    Run run_;
    std::size_t budget_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Item> queue_;
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace tinybert::serve
