// tinybert/dist/nccl.cuh: data parallelism on NVIDIA GPUs. The gradients of a Cuda model are summed over the ranks by
// NCCL on the GPU (no copy through host memory), on a stream of their own, so that a bucket's all-reduce overlaps the
// rest of backward (dist/grad_buckets.hpp). The NCCL communicator is set up over the host Communicator (MPI): rank 0
// makes NCCL's unique id and broadcasts it.
//
// Needs NCCL ≥ 2.14 and nvcc: link the tinybert::nccl CMake target (it defines TINYBERT_WITH_NCCL; grad_buckets.hpp
// then includes this header, so GradientBuckets<T, Cuda> uses NCCL). One GPU per process: call select_device(comm)
// before anything touches the GPU.
//
// Streams. tinybert runs a thread's work on its current stream (cuda::current_stream(), backend/cuda/device.cuh; the
// legacy default stream unless a StreamScope names another). The all-reduces run on a non-blocking stream: a
// blocking one would synchronise implicitly with the legacy stream, so an all-reduce would wait for the whole
// backward queued before it and block everything queued after it. Events order the two: the all-reduce waits for the
// kernels that produced its gradients, and wait() makes the compute stream (the one current at start()) wait for the
// all-reduce.
//
// Never a silent hang. The communicator is non-blocking (ncclConfig_t::blocking = 0): setup and collective calls
// return at once, and completion is polled (ncclCommGetAsyncError, cudaEventQuery) against a deadline,
// `timeout_seconds` after the call (Hugging Face's ddp_timeout, as the MPI communicator's). Past it, the NCCL
// communicator is aborted and the job ended through the host Communicator's abort(message, 3). An error that NCCL
// reports throws tinybert::Error.
#pragma once

#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "tinybert/backend/cuda/device.cuh"
#include "tinybert/core/error.hpp"
#include "tinybert/dist/communicator.hpp"
#include "tinybert/dist/grad_buckets.hpp"

#if !defined(NCCL_VERSION_CODE) || NCCL_VERSION_CODE < NCCL_VERSION(2, 14, 0)
#error "tinybert/dist/nccl.cuh needs NCCL 2.14 or newer (non-blocking communicators, ncclCommFinalize)"
#endif

namespace tinybert::dist::detail {

inline std::string nccl_error_text(ncclResult_t status) {
    std::string text = ncclGetErrorString(status);
    // The last error's details (e.g. "Duplicate GPU detected"), which the result code alone does not say.
    const char* last = ncclGetLastError(nullptr);
    if (last != nullptr && *last != '\0') text += std::string(": ") + last;
    return text;
}

inline void check_nccl(ncclResult_t status, const char* call, const char* file, int line) {
    if (status == ncclSuccess) return;
    ::tinybert::detail::fail_at(file, line,
                                ::tinybert::detail::concat("NCCL error ", nccl_error_text(status), " in ", call));
}

}  // namespace tinybert::dist::detail

// Throw tinybert::Error with file:line and NCCL's error string unless the NCCL call succeeded. (Calls on the
// non-blocking communicator may also answer ncclInProgress: NcclCommunicator handles those itself.)
#define TINYBERT_NCCL_CHECK(call) ::tinybert::dist::detail::check_nccl((call), #call, __FILE__, __LINE__)

namespace tinybert::dist {

// Makes this process's GPU the current device: local rank modulo the devices it sees (so that both one process per
// GPU with every GPU visible and a launcher that gives each process its own CUDA_VISIBLE_DEVICES work). Call it before
// anything allocates on the GPU: the caching allocator and cuBLAS bind to the device current at their first use.
// Returns the device index.
inline int select_device(const Communicator& comm) {
    std::string reason;
    const int count = cuda::device_count(&reason);
    TINYBERT_CHECK(count > 0, "dist: rank ", comm.rank(), " (local rank ", comm.local_rank(), ") sees no CUDA device (",
                   reason, "); data parallelism on GPUs needs one GPU per process");
    const int device = comm.local_rank() % count;
    TINYBERT_CUDA_CHECK(cudaSetDevice(device));
    return device;
}

struct NcclOptions {
    double timeout_seconds = 1800;  // of setup and of every collective (HF ddp_timeout)
};

// One rank's NCCL communicator over the ranks of a host Communicator, bound to the device current at construction,
// with the stream its collectives run on. Construction is collective: every rank constructs one, in the same order
// as its other collectives.
class NcclCommunicator {
public:
    using Clock = std::chrono::steady_clock;

    explicit NcclCommunicator(const Communicator& comm, NcclOptions opts = {}) : host_(&comm), opts_(opts) {
        TINYBERT_CHECK(opts_.timeout_seconds > 0, "NcclCommunicator: timeout_seconds must be positive, got ",
                       opts_.timeout_seconds);
        TINYBERT_CUDA_CHECK(cudaGetDevice(&device_));
        const ncclUniqueId id = unique_id(comm);
        TINYBERT_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_.handle, cudaStreamNonBlocking));
        ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
        config.blocking = 0;  // return at once; completion is polled against the deadline
        const auto deadline = deadline_from_now();
        const ncclResult_t status = ncclCommInitRankConfig(&comm_, comm.size(), id, comm.rank(), &config);
        // A failed non-blocking setup may still have made a communicator, which only ncclCommAbort frees (the
        // destructor does not run for a constructor that throws).
        try {
            if (status == ncclInProgress)
                settle("communicator setup", deadline);
            else if (status != ncclSuccess)
                fail("communicator setup", status);
        } catch (...) {  // fail() aborted it already; settle()'s own NCCL call may have thrown before
            if (comm_ != nullptr) (void)ncclCommAbort(comm_);
            comm_ = nullptr;
            throw;
        }
    }

    // While an exception unwinds the stack (other ranks may never join a clean shutdown), the communicator is
    // aborted, which waits for nobody. Otherwise it is finalized (every issued collective flushed) within the
    // timeout, then destroyed; a finalize that fails or does not end in time aborts it instead. (After an error it
    // was aborted already.)
    ~NcclCommunicator() {
        if (comm_ == nullptr) return;
        if (std::uncaught_exceptions() > 0 || !finalize())
            (void)ncclCommAbort(comm_);
        else
            (void)ncclCommDestroy(comm_);
    }
    NcclCommunicator(const NcclCommunicator&) = delete;
    NcclCommunicator& operator=(const NcclCommunicator&) = delete;

    const Communicator& host() const { return *host_; }
    ncclComm_t get() const { return comm_; }
    cudaStream_t stream() const { return stream_.handle; }
    int device() const { return device_; }
    double timeout_seconds() const { return opts_.timeout_seconds; }
    Clock::time_point deadline_from_now() const {
        return Clock::now() +
               std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opts_.timeout_seconds));
    }

    // The message of a call that `what` names and that missed its deadline.
    std::string timeout_message(const std::string& what) const {
        return what + " did not complete within " + std::to_string(opts_.timeout_seconds) + " s on rank " +
               std::to_string(host_->rank()) + ": another rank died, hangs or runs a different program";
    }

    // Issues the sum of n values at device address `data` over the ranks, in place, on stream(); returns once NCCL
    // has queued it (the GPU may not have run it yet). Waiting for the data and for the result is the caller's.
    void issue_all_reduce_sum(void* data, std::size_t n, ncclDataType_t type, Clock::time_point deadline) {
        check_usable("all-reduce");
        const ncclResult_t status = ncclAllReduce(data, data, n, type, ncclSum, comm_, stream_.handle);
        if (status == ncclInProgress)
            settle("all-reduce", deadline);
        else if (status != ncclSuccess)
            fail("all-reduce", status);
    }

    // Throws if NCCL reported an error in the background (a peer that failed, a network error).
    void check_async_error(const char* what) {
        check_usable(what);
        ncclResult_t state = ncclSuccess;
        TINYBERT_NCCL_CHECK(ncclCommGetAsyncError(comm_, &state));
        if (state != ncclSuccess && state != ncclInProgress) fail(what, state);
    }

    // Ends the job: aborts the NCCL communicator (its kernels stop waiting for peers), then the host Communicator's
    // abort(why, 3). (With SingleProcess, whose abort throws, this communicator is unusable afterwards.)
    [[noreturn]] void abort(const std::string& why) {
        if (comm_ != nullptr) (void)ncclCommAbort(comm_);
        comm_ = nullptr;
        host_->abort("NCCL: " + why, 3);
        // Not reached (Communicator::abort never returns), but g++ does not apply [[noreturn]] to a virtual call.
        std::terminate();
    }

private:
    struct Stream {
        cudaStream_t handle = nullptr;
        // Called at destruction only, after the communicator (declared later) is gone: never throws.
        ~Stream() {
            if (handle != nullptr) (void)cudaStreamDestroy(handle);
        }
    };

    // Rank 0's new id on every rank. A rank 0 that cannot make one still broadcasts (no bytes), so that the others
    // fail at once instead of waiting for the broadcast until the host communicator's timeout.
    static ncclUniqueId unique_id(const Communicator& comm) {
        ncclUniqueId id{};
        std::vector<char> bytes;
        std::exception_ptr error;
        if (comm.rank() == 0) {
            try {
                TINYBERT_NCCL_CHECK(ncclGetUniqueId(&id));
                bytes.resize(sizeof id);
                std::memcpy(bytes.data(), &id, sizeof id);
            } catch (...) {
                error = std::current_exception();
            }
        }
        comm.broadcast(bytes, 0);
        if (error) std::rethrow_exception(error);
        TINYBERT_CHECK(bytes.size() == sizeof id, "NCCL: rank 0 could not make the communicator's unique id (got ",
                       bytes.size(), " bytes, not ", sizeof id, "; see rank 0's error)");
        std::memcpy(&id, bytes.data(), sizeof id);
        return id;
    }

    void check_usable(const char* what) const {
        TINYBERT_CHECK(comm_ != nullptr, "NCCL ", what, " on rank ", host_->rank(),
                       ": the communicator was aborted or failed before");
    }

    // Polls a call that answered ncclInProgress until it is done, fails, or the deadline passes (then the job ends).
    void settle(const char* what, Clock::time_point deadline) {
        for (int spins = 0;; ++spins) {
            ncclResult_t state = ncclSuccess;
            TINYBERT_NCCL_CHECK(ncclCommGetAsyncError(comm_, &state));
            if (state == ncclSuccess) return;
            if (state != ncclInProgress) fail(what, state);
            if (Clock::now() > deadline) abort(timeout_message(what));
            // Spin briefly (a local call finishes in microseconds), then poll every 50 µs so that a rank waiting on
            // a slow one leaves the core to the others.
            if (spins > 1000) std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
    }

    // NCCL's rule after an error: abort the communicator. Done at once, so that its kernels stop waiting for peers
    // and the streams ordered after them (the compute stream, through a Request) do not hang.
    [[noreturn]] void fail(const char* what, ncclResult_t status) {
        const std::string error = detail::nccl_error_text(status);
        if (comm_ != nullptr) (void)ncclCommAbort(comm_);
        comm_ = nullptr;
        std::string hint;
        if (host_->local_size() > 1)
            hint = "; each process needs its own GPU: call dist::select_device(comm) before anything uses the GPU";
        TINYBERT_FAIL("NCCL ", what, " failed on rank ", host_->rank(), " of ", host_->size(), " (device ", device_,
                      "): ", error, hint);
    }

    // Finalize: flush what was issued and wait (within the timeout) until NCCL says the communicator is quiescent.
    // Never throws (called from the destructor); false: abort instead.
    bool finalize() noexcept {
        ncclResult_t state = ncclCommFinalize(comm_);
        if (state != ncclSuccess && state != ncclInProgress) return false;
        const auto deadline = deadline_from_now();
        for (int spins = 0;; ++spins) {
            if (ncclCommGetAsyncError(comm_, &state) != ncclSuccess) return false;
            if (state == ncclSuccess) return true;
            if (state != ncclInProgress || Clock::now() > deadline) {
                std::fprintf(stderr, "tinybert: rank %d: the NCCL communicator did not finalize (%s); aborting it\n",
                             host_->rank(), state == ncclInProgress ? "timeout" : ncclGetErrorString(state));
                return false;
            }
            if (spins > 1000) std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
    }

    const Communicator* host_;
    NcclOptions opts_;
    int device_ = 0;
    Stream stream_;              // declared before comm_: destroyed after it
    ncclComm_t comm_ = nullptr;  // nullptr once aborted (after an error, a timeout or abort())
};

// GradientReducer for Cuda gradients: ncclAllReduce (sum, in place) on the NCCL communicator's stream, ordered after
// the work that produced the gradients on the current stream. start() returns as soon as NCCL has queued the
// all-reduce; the host does not wait for the GPU until Request::wait().
template <class T>
class GradientReducer<T, Cuda> {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "GradientReducer<T, Cuda>: NCCL gradients are float or double");

public:
    // The same signature as the CPU reducer (GradientBuckets constructs it so): a new NCCL communicator over `comm`,
    // on the current device, with the communicator's timeout. Collective.
    explicit GradientReducer(const Communicator& comm)
        : nccl_(std::make_shared<NcclCommunicator>(comm, NcclOptions{.timeout_seconds = comm.timeout_seconds()})) {}
    // Over an NCCL communicator made by the program (its own timeout; or shared by several reducers).
    explicit GradientReducer(std::shared_ptr<NcclCommunicator> nccl) : nccl_(std::move(nccl)) {
        TINYBERT_CHECK(nccl_ != nullptr, "GradientReducer<T, Cuda>: no NCCL communicator");
    }

    // Sum of n values at device address `data` over all ranks, in place. `data` must stay allocated until the
    // request has been waited for or destroyed (either orders the compute stream after the all-reduce, which is what
    // makes the caching allocator's reuse of the block, on that stream, safe).
    std::unique_ptr<Request> start(T* data, std::size_t n) const {
        auto r = std::make_unique<Pending>(nccl_, n, cuda::current_stream());
        if (n == 0) return r;  // nothing to sum on any rank (every rank has the same layout)
        int current = -1;
        TINYBERT_CUDA_CHECK(cudaGetDevice(&current));
        TINYBERT_CHECK(current == nccl_->device(), "GradientReducer<T, Cuda>: the current device is ", current,
                       " but the NCCL communicator was made on device ", nccl_->device());
        // The gradients were produced by kernels queued on the compute stream: the all-reduce starts after them,
        // without making the host or the compute stream wait.
        TINYBERT_CUDA_CHECK(cudaEventRecord(r->produced, r->compute));
        TINYBERT_CUDA_CHECK(cudaStreamWaitEvent(nccl_->stream(), r->produced, 0));
        nccl_->issue_all_reduce_sum(data, n, std::is_same_v<T, float> ? ncclFloat32 : ncclFloat64, r->deadline);
        TINYBERT_CUDA_CHECK(cudaEventRecord(r->done, nccl_->stream()));
        r->issued = true;
        return r;
    }

    const std::shared_ptr<NcclCommunicator>& communicator() const { return nccl_; }

private:
    struct Event {
        Event() { TINYBERT_CUDA_CHECK(cudaEventCreateWithFlags(&handle, cudaEventDisableTiming)); }
        // An event still pending is released by the runtime once it completes: destroying it early is allowed.
        ~Event() { (void)cudaEventDestroy(handle); }
        Event(const Event&) = delete;
        Event& operator=(const Event&) = delete;
        operator cudaEvent_t() const { return handle; }
        cudaEvent_t handle = nullptr;
    };

    struct Pending final : Request {
        Pending(std::shared_ptr<NcclCommunicator> c, std::size_t count, cudaStream_t stream)
            : nccl(std::move(c)), n(count), compute(stream), deadline(nccl->deadline_from_now()) {}
        // Dropped without wait() (an exception on the way): the compute stream still waits for the all-reduce, so
        // that nothing queued later on it (a kernel, a new tensor in the reused block) touches `data` while NCCL
        // writes it. Never throws; the host does not wait.
        ~Pending() override {
            if (issued && !ordered) (void)cudaStreamWaitEvent(compute, done, 0);
        }
        bool test() override {
            if (!issued || finished) return true;
            nccl->check_async_error("all-reduce");
            const cudaError_t status = cudaEventQuery(done);
            if (status == cudaErrorNotReady) return false;
            TINYBERT_CUDA_CHECK(status);
            finished = true;
            return true;
        }
        void wait() override {
            for (int spins = 0; !test(); ++spins) {
                if (NcclCommunicator::Clock::now() > deadline)
                    nccl->abort(nccl->timeout_message("all-reduce of " + std::to_string(n) + " values"));
                if (spins > 1000) std::this_thread::sleep_for(std::chrono::microseconds(50));
            }
            if (issued && !ordered) {
                // `done` has completed, so this costs the device nothing: it states the dependency in the compute
                // stream itself, which is what orders the kernels queued after wait() after the sums.
                TINYBERT_CUDA_CHECK(cudaStreamWaitEvent(compute, done, 0));
                ordered = true;
            }
        }
        std::shared_ptr<NcclCommunicator> nccl;  // outlives the events: their stream's communicator stays alive
        std::size_t n;
        cudaStream_t compute;  // the stream that produced the gradients and waits for their sum
        NcclCommunicator::Clock::time_point deadline;
        Event produced, done;
        bool issued = false, finished = false, ordered = false;
    };

    std::shared_ptr<NcclCommunicator> nccl_;
};

}  // namespace tinybert::dist
