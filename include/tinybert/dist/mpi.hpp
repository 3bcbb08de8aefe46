// tinybert/dist/mpi.hpp: the Communicator of a job launched by `mpirun -np N` (or Slurm's srun with PMIx), over MPI.
// Needs <mpi.h>: link the tinybert::mpi CMake target (it defines TINYBERT_WITH_MPI), e.g. OpenMPI's libopenmpi-dev.
// Every collective is issued non-blocking and completed by polling with a deadline (`timeout_seconds`, Hugging Face's
// ddp_timeout): a rank that died makes mpirun end the job; one that hangs makes the others end it here, with an
// error naming the collective, after at most the timeout. Never a silent hang.
#pragma once

#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tinybert/dist/communicator.hpp"

namespace tinybert::dist {

// True when this process was started by an MPI launcher (mpirun/mpiexec of OpenMPI, MPICH or Intel MPI, srun with
// PMI/PMIx), so that MPI_Init finds its job; a program started by hand runs as a group of one.
inline bool launched_by_mpi() {
    for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
        if (std::getenv(var) != nullptr) return true;
    return false;
}

struct MpiOptions {
    double timeout_seconds = 1800;  // of every collective (HF ddp_timeout)
};

class MpiCommunicator final : public Communicator {
public:
    explicit MpiCommunicator(MpiOptions opts = {}) : opts_(opts) {
        int initialized = 0;
        MPI_Initialized(&initialized);
        if (!initialized) {
            int provided = 0;
            check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
            owns_mpi_ = true;
        }
        check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
        MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
        MPI_Comm_rank(comm_, &rank_);
        MPI_Comm_size(comm_, &size_);
        check(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node_), "MPI_Comm_split_type");
        MPI_Comm_rank(node_, &local_rank_);
        MPI_Comm_size(node_, &local_size_);
    }
    ~MpiCommunicator() override {
        MPI_Comm_free(&node_);
        MPI_Comm_free(&comm_);
        if (owns_mpi_) MPI_Finalize();
    }
    MpiCommunicator(const MpiCommunicator&) = delete;
    MpiCommunicator& operator=(const MpiCommunicator&) = delete;

    using Communicator::all_reduce_sum;  // the typed forms
    using Communicator::start_all_reduce_sum;
    int rank() const override { return rank_; }
    int size() const override { return size_; }
    int local_rank() const override { return local_rank_; }
    int local_size() const override { return local_size_; }
    double timeout_seconds() const override { return opts_.timeout_seconds; }

    void all_reduce_sum(void* data, std::size_t n, Scalar type) const override {
        start_all_reduce_sum(data, n, type)->wait();
    }
    std::unique_ptr<Request> start_all_reduce_sum(void* data, std::size_t n, Scalar type) const override {
        auto r = std::make_unique<Pending>(*this, "all-reduce");
        check(MPI_Iallreduce(MPI_IN_PLACE, data, count(n), datatype(type), MPI_SUM, comm_, &r->request),
              "MPI_Iallreduce");
        return r;
    }
    void broadcast(std::vector<char>& bytes, int root) const override {
        auto n = static_cast<std::int64_t>(bytes.size());
        complete([&](MPI_Request* r) { return MPI_Ibcast(&n, 1, MPI_INT64_T, root, comm_, r); }, "broadcast");
        bytes.resize(static_cast<std::size_t>(n));
        complete([&](MPI_Request* r) { return MPI_Ibcast(bytes.data(), count(bytes.size()), MPI_CHAR, root, comm_, r); },
                 "broadcast");
    }
    std::vector<std::vector<char>> all_gather(const std::vector<char>& bytes) const override {
        std::vector<std::int64_t> sizes(static_cast<std::size_t>(size_));
        const auto mine = static_cast<std::int64_t>(bytes.size());
        complete([&](MPI_Request* r) { return MPI_Iallgather(&mine, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T, comm_, r); },
                 "all-gather");
        std::vector<int> counts, offsets;
        std::size_t total = 0;
        for (const std::int64_t s : sizes) {
            offsets.push_back(count(total));
            counts.push_back(count(static_cast<std::size_t>(s)));
            total += static_cast<std::size_t>(s);
        }
        std::vector<char> all(total);
        complete([&](MPI_Request* r) {
            return MPI_Iallgatherv(bytes.data(), count(bytes.size()), MPI_CHAR, all.data(), counts.data(),
                                   offsets.data(), MPI_CHAR, comm_, r);
        }, "all-gather");
        std::vector<std::vector<char>> out;
        for (std::size_t i = 0; i < sizes.size(); ++i)
            out.emplace_back(all.begin() + offsets[i], all.begin() + offsets[i] + counts[i]);
        return out;
    }
    void barrier() const override {
        complete([&](MPI_Request* r) { return MPI_Ibarrier(comm_, r); }, "barrier");
    }
    [[noreturn]] void abort(const std::string& why, int code) const override {
        std::fprintf(stderr, "tinybert: rank %d of %d: %s; ending the job\n", rank_, size_, why.c_str());
        std::fflush(stderr);
        MPI_Abort(comm_, code);
        std::_Exit(code);  // MPI_Abort does not return; this is for the compiler
    }

private:
    // A started collective, completed by polling MPI_Test until the deadline.
    struct Pending final : Request {
        Pending(const MpiCommunicator& c, const char* what)
            : comm(c), name(what), deadline(std::chrono::steady_clock::now() + std::chrono::duration_cast<
                                               std::chrono::steady_clock::duration>(
                                               std::chrono::duration<double>(c.opts_.timeout_seconds))) {}
        ~Pending() override {  // a request must not outlive its buffer unfinished
            if (done) return;
            try {
                wait();
            } catch (const std::exception& e) {
                comm.abort(e.what(), 3);
            }
        }
        bool test() override {
            if (!done) {
                int flag = 0;
                comm.check(MPI_Test(&request, &flag, MPI_STATUS_IGNORE), name);
                done = flag != 0;
            }
            return done;
        }
        void wait() override {
            // Spin briefly (collectives of small messages finish in microseconds), then poll every 50 µs so that a
            // rank waiting on a slow one leaves the core to the compute threads.
            for (int spins = 0; !test(); ++spins) {
                if (std::chrono::steady_clock::now() > deadline)
                    comm.abort(std::string(name) + " did not complete within " +
                                   std::to_string(comm.opts_.timeout_seconds) +
                                   " s: another rank died, hangs or runs a different program",
                               3);
                if (spins > 1000) std::this_thread::sleep_for(std::chrono::microseconds(50));
            }
        }
        const MpiCommunicator& comm;
        const char* name;
        std::chrono::steady_clock::time_point deadline;
        MPI_Request request = MPI_REQUEST_NULL;
        bool done = false;
    };

    template <class Start>
    void complete(Start&& start, const char* what) const {
        Pending p(*this, what);
        check(start(&p.request), what);
        p.wait();
    }

    void check(int rc, const char* what) const {
        if (rc == MPI_SUCCESS) return;
        char text[MPI_MAX_ERROR_STRING];
        int len = 0;
        MPI_Error_string(rc, text, &len);
        TINYBERT_FAIL("MPI ", what, " failed on rank ", rank_, ": ", std::string(text, static_cast<std::size_t>(len)));
    }
    static int count(std::size_t n) {
        TINYBERT_CHECK(n <= static_cast<std::size_t>(INT_MAX), "dist: ", n, " values in one MPI call (at most ", INT_MAX,
                       ")");
        return static_cast<int>(n);
    }
    static MPI_Datatype datatype(Scalar t) {
        return t == Scalar::f32 ? MPI_FLOAT : t == Scalar::f64 ? MPI_DOUBLE : MPI_INT64_T;
    }

    MpiOptions opts_;
    bool owns_mpi_ = false;
    MPI_Comm comm_ = MPI_COMM_NULL, node_ = MPI_COMM_NULL;
    int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
};

}  // namespace tinybert::dist
