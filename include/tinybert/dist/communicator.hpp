// tinybert/dist/communicator.hpp: the process group of a data-parallel run (docs/distributed.md): rank, world size,
// local rank, and the collectives the Trainer needs on host memory: sum all-reduce (blocking, or started now and
// completed later so that it overlaps backward), broadcast and all-gather of bytes, barrier, abort. SingleProcess is
// the group of one (every collective is a no-op); dist/mpi.hpp implements it over MPI; GPU gradients go through NCCL
// (dist/nccl.cuh), whose communicator is set up over this one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "tinybert/core/error.hpp"

namespace tinybert::dist {

enum class Scalar { f32, f64, i64 };

template <class T>
constexpr Scalar scalar_of() {
    if constexpr (std::is_same_v<T, float>) return Scalar::f32;
    else if constexpr (std::is_same_v<T, double>) return Scalar::f64;
    else {
        static_assert(std::is_same_v<T, std::int64_t>, "dist: collectives take float, double or int64 values");
        return Scalar::i64;
    }
}

// A collective that was started and is not known to be complete. test() drives its progress (MPI progresses
// non-blocking collectives only inside MPI calls) and says whether it has finished; wait() returns once it has, or
// ends the job with an error after the communicator's timeout (a rank that died or hangs).
class Request {
public:
    virtual ~Request() = default;
    virtual bool test() = 0;
    virtual void wait() = 0;
};

class Communicator {
public:
    virtual ~Communicator() = default;

    virtual int rank() const = 0;
    virtual int size() const = 0;
    virtual int local_rank() const = 0;  // among the processes on this host: the GPU a process takes
    virtual int local_size() const = 0;
    // How long a collective may take before the job is ended (HF's ddp_timeout); the NCCL communicator takes it over.
    virtual double timeout_seconds() const = 0;

    // Sum of n values at `data` over all ranks, in place, on host memory.
    virtual void all_reduce_sum(void* data, std::size_t n, Scalar type) const = 0;
    // The same, started now; `data` must stay alive and untouched until the request completes.
    virtual std::unique_ptr<Request> start_all_reduce_sum(void* data, std::size_t n, Scalar type) const = 0;
    // root's bytes on every rank (others' `bytes` are replaced).
    virtual void broadcast(std::vector<char>& bytes, int root) const = 0;
    // Every rank's bytes, in rank order.
    virtual std::vector<std::vector<char>> all_gather(const std::vector<char>& bytes) const = 0;
    virtual void barrier() const = 0;
    // Ends every process of the job now with `code`, after printing `why` (the one way out of a collective that a
    // failed rank will never join).
    [[noreturn]] virtual void abort(const std::string& why, int code) const = 0;

    bool is_main() const { return rank() == 0; }

    template <class T>
    void all_reduce_sum(T* data, std::size_t n) const {
        all_reduce_sum(static_cast<void*>(data), n, scalar_of<T>());
    }
    template <class T>
    std::unique_ptr<Request> start_all_reduce_sum(T* data, std::size_t n) const {
        return start_all_reduce_sum(static_cast<void*>(data), n, scalar_of<T>());
    }
    template <class T>
    T sum(T value) const {
        all_reduce_sum(&value, 1);
        return value;
    }
};

// The group of one process: what every run is without a launcher.
class SingleProcess final : public Communicator {
public:
    using Communicator::all_reduce_sum;  // the typed forms
    using Communicator::start_all_reduce_sum;
    int rank() const override { return 0; }
    int size() const override { return 1; }
    int local_rank() const override { return 0; }
    int local_size() const override { return 1; }
    double timeout_seconds() const override { return 1800; }
    void all_reduce_sum(void*, std::size_t, Scalar) const override {}
    std::unique_ptr<Request> start_all_reduce_sum(void*, std::size_t, Scalar) const override {
        return std::make_unique<Done>();
    }
    void broadcast(std::vector<char>&, int root) const override {
        TINYBERT_CHECK(root == 0, "dist: broadcast from rank ", root, " in a group of one");
    }
    std::vector<std::vector<char>> all_gather(const std::vector<char>& bytes) const override { return {bytes}; }
    void barrier() const override {}
    [[noreturn]] void abort(const std::string& why, int) const override { TINYBERT_FAIL(why); }

private:
    struct Done final : Request {
        bool test() override { return true; }
        void wait() override {}
    };
};

inline const Communicator& single_process() {
    static const SingleProcess one;
    return one;
}

// Bytes of trivially copyable values, and back (for broadcast / all_gather).
template <class T>
std::vector<char> to_bytes(const std::vector<T>& values) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<char> bytes(values.size() * sizeof(T));
    if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
}
template <class T>
std::vector<T> from_bytes(const std::vector<char>& bytes) {
    static_assert(std::is_trivially_copyable_v<T>);
    TINYBERT_CHECK(bytes.size() % sizeof(T) == 0, "dist: ", bytes.size(), " bytes are not a whole number of ",
                   sizeof(T), "-byte values");
    std::vector<T> values(bytes.size() / sizeof(T));
    if (!bytes.empty()) std::memcpy(values.data(), bytes.data(), bytes.size());
    return values;
}

// The dropout seed of rank r of a run seeded with `seed`: rank 0 keeps it (a run of one process is unchanged), the
// others get distinct streams that are a pure function of (seed, rank), so a run is reproducible.
inline std::uint64_t rank_seed(std::uint64_t seed, int rank) {
    if (rank == 0) return seed;
    std::uint64_t z = seed + std::uint64_t{0x9e3779b97f4a7c15} * static_cast<std::uint64_t>(rank);  // splitmix64
    z = (z ^ (z >> 30)) * std::uint64_t{0xbf58476d1ce4e5b9};
    z = (z ^ (z >> 27)) * std::uint64_t{0x94d049bb133111eb};
    return z ^ (z >> 31);
}

// Rows [begin, end) of `count` that rank r of n takes: as even as possible, in rank order (the first count % n ranks
// take one more). The ranks' shards of a global batch, concatenated in rank order, are that batch.
struct Shard {
    std::size_t begin = 0, end = 0;
};
inline Shard shard_of(std::size_t count, int rank, int n) {
    const auto r = static_cast<std::size_t>(rank), k = static_cast<std::size_t>(n);
    const std::size_t base = count / k, extra = count % k;
    const std::size_t begin = r * base + std::min(r, extra);
    return {begin, begin + base + (r < extra ? 1 : 0)};
}

}  // namespace tinybert::dist
