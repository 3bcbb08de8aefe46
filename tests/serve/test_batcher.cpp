// serve::Batcher without HTTP: batches form up to the padded-token budget, each submitter gets its own result in
// order, a failing input fails only its own future, and shutdown runs everything already queued.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tinybert/serve/batcher.hpp"

using tinybert::serve::Batcher;

namespace {

// A run function that records each batch (the inputs it got) and, while `hold` is set, blocks its first call until
// released, so that a test can queue inputs behind a running batch.
struct Recorder {
    std::mutex m;
    std::vector<std::vector<int>> batches;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> first_started;
    std::atomic<bool> hold{true};

    std::vector<std::string> operator()(const std::vector<int>& in) {
        if (hold.exchange(false)) {
            first_started.set_value();
            released.wait();
        }
        std::lock_guard lock(m);
        batches.push_back(in);
        std::vector<std::string> out;
        for (const int x : in) {
            if (x < 0) throw std::invalid_argument("negative input");
            out.push_back(std::to_string(x));
        }
        return out;
    }
};

}  // namespace

TEST_CASE("batches take queued inputs up to the padded-token budget, in order", "[serve][batcher]") {
    Recorder rec;
    Batcher<int, std::string> b([&](const std::vector<int>& in) { return rec(in); }, 40);
    auto first = b.submit(0, 10);
    rec.first_started.get_future().wait();  // the worker is busy with {0}; the rest queue up behind it
    std::vector<std::future<std::string>> f;
    // 10 tokens each: 4 fit in 40; then 3 of 12 tokens fit (3 × 12 = 36, a 4th would make 48); then a 50-token input
    // alone (over the budget by itself), then the last one
    for (int i = 1; i <= 4; ++i) f.push_back(b.submit(i, 10));
    for (int i = 5; i <= 7; ++i) f.push_back(b.submit(i, 12));
    f.push_back(b.submit(8, 50));
    f.push_back(b.submit(9, 5));
    rec.release.set_value();
    CHECK(first.get() == "0");
    for (int i = 1; i <= 9; ++i) CHECK(f[static_cast<std::size_t>(i - 1)].get() == std::to_string(i));
    b.shutdown();
    const std::vector<std::vector<int>> expected{{0}, {1, 2, 3, 4}, {5, 6, 7}, {8}, {9}};
    CHECK(rec.batches == expected);
}

TEST_CASE("a budget of 0 turns batching off: one input per run", "[serve][batcher]") {
    Recorder rec;
    Batcher<int, std::string> b([&](const std::vector<int>& in) { return rec(in); }, 0);
    auto first = b.submit(0, 1);
    rec.first_started.get_future().wait();
    std::vector<std::future<std::string>> f;
    for (int i = 1; i <= 5; ++i) f.push_back(b.submit(i, 1));
    rec.release.set_value();
    for (int i = 1; i <= 5; ++i) CHECK(f[static_cast<std::size_t>(i - 1)].get() == std::to_string(i));
    b.shutdown();
    CHECK(rec.batches.size() == 6);
    for (const auto& batch : rec.batches) CHECK(batch.size() == 1);
}

TEST_CASE("a failing input fails only its own future, the worker keeps going", "[serve][batcher]") {
    Recorder rec;
    Batcher<int, std::string> b([&](const std::vector<int>& in) { return rec(in); }, 1000);
    auto first = b.submit(0, 1);
    rec.first_started.get_future().wait();
    auto ok1 = b.submit(1, 1), bad = b.submit(-2, 1), ok3 = b.submit(3, 1);
    rec.release.set_value();
    CHECK(ok1.get() == "1");
    CHECK_THROWS_WITH(bad.get(), "negative input");
    CHECK(ok3.get() == "3");
    CHECK(b.submit(4, 1).get() == "4");  // still alive after the failure
    b.shutdown();
    // the batch {1,-2,3} failed as a whole, then each input ran alone
    const std::vector<std::vector<int>> expected{{0}, {1, -2, 3}, {1}, {-2}, {3}, {4}};
    CHECK(rec.batches == expected);
}

TEST_CASE("many submitting threads each get their own results", "[serve][batcher]") {
    Batcher<int, int> b(
        [](const std::vector<int>& in) {
            std::vector<int> out;
            for (const int x : in) out.push_back(x * x);
            return out;
        },
        64);
    std::vector<std::thread> threads;
    std::atomic<int> wrong{0};
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                const int x = t * 1000 + i;
                if (b.submit(x, 1 + static_cast<std::size_t>(i % 7)).get() != x * x) ++wrong;
            }
        });
    for (auto& th : threads) th.join();
    CHECK(wrong == 0);
}

TEST_CASE("shutdown runs what is queued, then refuses new inputs", "[serve][batcher]") {
    Recorder rec;
    Batcher<int, std::string> b([&](const std::vector<int>& in) { return rec(in); }, 2);
    auto first = b.submit(0, 1);
    rec.first_started.get_future().wait();
    std::vector<std::future<std::string>> f;
    for (int i = 1; i <= 5; ++i) f.push_back(b.submit(i, 1));
    std::thread stopper([&] { b.shutdown(); });  // blocks until the queue is drained
    rec.release.set_value();
    stopper.join();
    for (int i = 1; i <= 5; ++i) {
        REQUIRE(f[static_cast<std::size_t>(i - 1)].wait_for(std::chrono::seconds(0)) == std::future_status::ready);
        CHECK(f[static_cast<std::size_t>(i - 1)].get() == std::to_string(i));
    }
    CHECK_THROWS_WITH(b.submit(6, 1), Catch::Contains("shutting down"));
}
