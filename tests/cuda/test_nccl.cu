// NCCL data parallelism (dist/nccl.cuh) over a group of one process (dist::single_process()): the NCCL communicator's
// setup and abort, GradientReducer<T, Cuda> (start/test/wait, the events between the legacy default stream and the
// NCCL stream), and GradientBuckets<float, Cuda> on a small Bert. With one rank a sum is the identity, so these check
// that the whole path runs and leaves every value as it was, and that the all-reduce waits for the kernels that
// produced its data; sums over several ranks need several GPUs (not tested here). Cases that need a GPU pass with a
// warning on a machine without one.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda/cuda_test_support.cuh"
#include "tinybert/dist/grad_buckets.hpp"  // includes dist/nccl.cuh (TINYBERT_WITH_NCCL, nvcc)
#include "tinybert/nn/bert.hpp"
#include "tinybert/tasks/classification.hpp"

#ifndef TINYBERT_WITH_NCCL
#error "test_nccl is built with the tinybert::nccl target"
#endif

namespace {

using namespace tinybert;

// p[i] = p[i] * a + b on the legacy default stream (where tinybert's kernels run).
template <class T>
__global__ void scale_add(T* p, std::size_t n, T a, T b) {
    const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
    if (i < n) p[i] = p[i] * a + b;
}
template <class T>
void scale_add_on_device(T* p, std::size_t n, T a, T b) {
    scale_add<<<cuda::grid_for(n), cuda::block_size>>>(p, n, a, b);
    TINYBERT_CUDA_CHECK_LAUNCH();
}

// Keeps the legacy default stream busy for about `ns` nanoseconds (one thread reading the global timer).
__global__ void spin_for(std::uint64_t ns) {
    std::uint64_t start = 0, now = 0;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
    do {
        __nanosleep(1000);
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
    } while (now - start < ns);
}

template <class T>
std::vector<T> ramp(std::size_t n) {
    std::vector<T> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<T>(static_cast<double>(i % 1000) * 0.37 - 150.0);
    return v;
}

// What scale_add(·, 2, 1) gives: 2x is exact, so a fused multiply-add on the device rounds as this does.
template <class T>
std::vector<T> twice_plus_one(const std::vector<T>& v) {
    std::vector<T> w(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) w[i] = v[i] * T{2} + T{1};
    return w;
}

// How many values differ (exact comparison; Catch would print a whole 1M-value vector).
template <class T>
std::size_t mismatches(const std::vector<T>& got, const std::vector<T>& want) {
    if (got.size() != want.size()) return std::max(got.size(), want.size());
    std::size_t bad = 0;
    for (std::size_t i = 0; i < got.size(); ++i) bad += got[i] != want[i];
    return bad;
}

template <class T>
void check_reducer() {
    auto nccl = std::make_shared<dist::NcclCommunicator>(dist::single_process());
    const dist::GradientReducer<T, Cuda> reducer(nccl);
    REQUIRE(reducer.communicator() == nccl);

    const std::size_t n = (std::size_t{1} << 20) + 3;  // 4 or 8 MiB, not a multiple of any chunk size
    const std::vector<T> host = ramp<T>(n);

    SECTION("start + wait: values unchanged (one rank), the legacy stream sees them after wait") {
        auto buf = Tensor<T, Cuda>::from_vector({static_cast<std::int64_t>(n)}, host);
        auto r = reducer.start(buf.data(), n);
        r->wait();
        CHECK(r->test());
        r->wait();  // a second wait returns at once
        scale_add_on_device(buf.data(), n, T{2}, T{1});
        CHECK(mismatches(buf.to_vector(), twice_plus_one(host)) == 0);
    }

    SECTION("the all-reduce waits for the kernel that produced its data") {
        auto buf = Tensor<T, Cuda>::from_vector({static_cast<std::int64_t>(n)}, host);
        reducer.start(buf.data(), n)->wait();  // NCCL's lazy setup happens here, not in the timed part below
        const auto t0 = std::chrono::steady_clock::now();
        constexpr std::uint64_t spin_ns = 500'000'000;
        spin_for<<<1, 1>>>(spin_ns);
        TINYBERT_CUDA_CHECK_LAUNCH();
        scale_add_on_device(buf.data(), n, T{2}, T{1});  // the "gradients", produced after the spin
        auto r = reducer.start(buf.data(), n);
        const bool done_early = r->test();
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (elapsed < 0.4)
            CHECK_FALSE(done_early);  // the NCCL stream waits for the legacy stream's spin
        else
            WARN("start() took " << elapsed << " s, longer than the spin kernel: ordering not observable");
        r->wait();
        CHECK(r->test());
        CHECK(mismatches(buf.to_vector(), twice_plus_one(host)) == 0);
    }

    SECTION("several buckets in flight, waited in order; an empty one; one dropped unwaited") {
        auto buf = Tensor<T, Cuda>::from_vector({static_cast<std::int64_t>(n)}, host);
        const std::size_t cut1 = 1000, cut2 = n / 2;
        std::vector<std::unique_ptr<dist::Request>> in_flight;
        in_flight.push_back(reducer.start(buf.data(), cut1));
        in_flight.push_back(reducer.start(buf.data() + cut1, cut2 - cut1));
        in_flight.push_back(reducer.start(buf.data() + cut2, 0));
        CHECK(in_flight.back()->test());  // nothing to sum: done at once
        in_flight.push_back(reducer.start(buf.data() + cut2, n - cut2));
        (void)in_flight.front()->test();  // polling is allowed at any time
        for (auto& r : in_flight) r->wait();
        for (auto& r : in_flight) CHECK(r->test());
        // Dropped without wait(): its destructor still orders the legacy stream after the all-reduce.
        reducer.start(buf.data(), n).reset();
        scale_add_on_device(buf.data(), n, T{2}, T{1});
        CHECK(mismatches(buf.to_vector(), twice_plus_one(host)) == 0);
    }
}

}  // namespace

TEST_CASE("select_device: the local rank's GPU, or a clear error without a GPU", "[nccl]") {
    if (!cuda::device_available()) {
        REQUIRE_THROWS_WITH(dist::select_device(dist::single_process()), Catch::Contains("sees no CUDA device"));
        return;
    }
    CHECK(dist::select_device(dist::single_process()) == 0);  // local rank 0
    int current = -1;
    TINYBERT_CUDA_CHECK(cudaGetDevice(&current));
    CHECK(current == 0);
}

TEST_CASE("NcclCommunicator: a timeout that is not positive is refused before anything else", "[nccl]") {
    REQUIRE_THROWS_WITH(dist::NcclCommunicator(dist::single_process(), {.timeout_seconds = 0}),
                        Catch::Contains("timeout_seconds must be positive"));
}

TEST_CASE("NcclCommunicator over a group of one: rank 0 of 1 on the current device, a non-blocking stream", "[nccl]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    dist::select_device(dist::single_process());
    const dist::NcclCommunicator nccl(dist::single_process(), {.timeout_seconds = 60});
    REQUIRE(nccl.get() != nullptr);
    int count = 0, rank = -1, device = -1, current = -2;
    TINYBERT_NCCL_CHECK(ncclCommCount(nccl.get(), &count));
    TINYBERT_NCCL_CHECK(ncclCommUserRank(nccl.get(), &rank));
    TINYBERT_NCCL_CHECK(ncclCommCuDevice(nccl.get(), &device));
    TINYBERT_CUDA_CHECK(cudaGetDevice(&current));
    CHECK(count == 1);
    CHECK(rank == 0);
    CHECK(device == current);
    CHECK(nccl.device() == current);
    CHECK(nccl.timeout_seconds() == 60);
    unsigned int flags = 0;
    TINYBERT_CUDA_CHECK(cudaStreamGetFlags(nccl.stream(), &flags));
    CHECK((flags & cudaStreamNonBlocking) != 0);  // no implicit synchronisation with the legacy default stream
}

TEST_CASE("NcclCommunicator::abort ends the job through the host communicator (a throw for a group of one)", "[nccl]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    auto nccl = std::make_shared<dist::NcclCommunicator>(dist::single_process());
    REQUIRE_THROWS_WITH(nccl->abort("test abort"), Catch::Contains("NCCL: test abort"));
    CHECK(nccl->get() == nullptr);  // aborted: freed by NCCL, never destroyed again
    const dist::GradientReducer<float, Cuda> reducer(nccl);
    auto buf = Tensor<float, Cuda>::from_vector({4}, {1, 2, 3, 4});
    REQUIRE_THROWS_WITH(reducer.start(buf.data(), 4), Catch::Contains("aborted or failed"));
}

TEST_CASE("GradientReducer<float, Cuda> over NCCL, one rank", "[nccl]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    check_reducer<float>();
}

TEST_CASE("GradientReducer<double, Cuda> over NCCL, one rank", "[nccl]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    check_reducer<double>();
}

TEST_CASE("GradientReducer<T, Cuda> from a Communicator, as GradientBuckets makes it", "[nccl]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    const dist::GradientReducer<float, Cuda> reducer(dist::single_process());
    REQUIRE(reducer.communicator() != nullptr);
    const std::vector<float> host{1.5f, -2.0f, 0.25f};
    auto buf = Tensor<float, Cuda>::from_vector({3}, host);
    reducer.start(buf.data(), 3)->wait();
    CHECK(buf.to_vector() == host);
}

TEST_CASE("GradientBuckets<float, Cuda> over NCCL, one rank: the gradients of plain backward", "[nccl][bert]") {
    TINYBERT_REQUIRE_CUDA_DEVICE();
    const BertConfig c = test::tiny_cuda_config(3);  // dropout is off below (eval mode)
    using Model = Bert<Encoder<dynamic>, SequenceClassification, Cuda, float>;
    Model model(c, 5), reference(c, 5);
    model.eval(), reference.eval();  // no dropout: both models compute the same thing

    constexpr std::int64_t B = 3, S = 7;
    std::vector<std::int64_t> ids(B * S), mask(B * S, 1);
    for (std::int64_t i = 0; i < B * S; ++i) ids[i] = 1 + (i * 17) % 49;
    for (std::int64_t j = 5; j < S; ++j) mask[S + j] = 0, ids[S + j] = 0;
    Batch<Cpu> host;
    host.input_ids = Tensor<std::int64_t>::from_vector({B, S}, ids);
    host.attention_mask = Tensor<std::int64_t>::from_vector({B, S}, mask);
    host.labels = Tensor<std::int64_t>::from_vector({B}, {0, 2, 1});
    const Batch<Cuda> batch = to_device<Cuda>(host);

    // Buckets of ≥ 16 KiB: several, so that the second update starts some of them during backward.
    dist::GradientBuckets<float, Cuda> buckets(model, dist::single_process(), 16 * 1024);
    for (int update = 0; update < 2; ++update) {
        INFO("update " << update);
        buckets.begin_update();
        backward(model.forward(batch).loss);
        buckets.finish_update();
        backward(reference.forward(batch).loss);
        std::map<std::string, std::vector<float>> want;
        reference.visit_parameters([&](const std::string& name, auto& p) { want[name] = p.grad().to_vector(); });
        std::size_t compared = 0;
        model.visit_parameters([&](const std::string& name, auto& p) {
            const std::vector<float> got = p.grad().to_vector();
            const std::vector<float>& w = want.at(name);
            REQUIRE(got.size() == w.size());
            std::size_t bad = 0;
            // Equal up to summation order: the embedding tables' atomicAdd scatter, and kernels whose order may
            // depend on where a gradient starts inside the flat buffer (on the CPU, bias gradients in the buffer
            // differ from separately allocated ones by about an ulp).
            for (std::size_t i = 0; i < w.size(); ++i)
                if (!(std::abs(got[i] - w[i]) <= 1e-6f + 1e-5f * std::abs(w[i]))) ++bad;
            INFO(name << ": " << bad << " of " << w.size() << " differ");
            CHECK(bad == 0);
            ++compared;
        });
        CHECK(compared == want.size());
        model.zero_grad(), reference.zero_grad();
    }
    const dist::SyncStats& stats = buckets.stats();
    CHECK(stats.updates == 2);
    CHECK(stats.buckets >= 2);
    std::size_t values = 0;
    model.visit_parameters([&](const std::string&, auto& p) { values += p.value().numel(); });
    CHECK(stats.bytes == values * sizeof(float));  // every parameter has a gradient after backward
}
