// apps/tinybert/distributed.hpp: the process group of `tinybert finetune` and `evaluate`: MPI's when the program was
// started by mpirun/srun (and built with MPI: the tinybert::mpi target), else a group of one (docs/distributed.md).
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "args.hpp"
#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/dist/communicator.hpp"
#if defined(TINYBERT_WITH_MPI)
#include "tinybert/dist/mpi.hpp"
#endif

namespace tinybert::cli {

// How many processes the launcher started, from its environment (Open MPI, MPICH/Intel MPI, a Slurm step; 1 when none
// did).
inline int launcher_world_size() {
    for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"})
        if (const char* v = std::getenv(var)) return std::max(1, std::atoi(v));
    return 1;
}

// The job's communicator; --ddp-timeout S bounds every collective (a rank that died or hangs ends the job).
class Job {
public:
    explicit Job(Args& args) {
        const double timeout = args.number("--ddp-timeout", 1800);
        TINYBERT_CHECK(timeout > 0, "--ddp-timeout needs a positive number of seconds");
#if defined(TINYBERT_WITH_MPI)
        if (dist::launched_by_mpi()) mpi_ = std::make_unique<dist::MpiCommunicator>(dist::MpiOptions{timeout});
#else
        TINYBERT_CHECK(launcher_world_size() == 1, "this tinybert was built without MPI, and a launcher started ",
                       launcher_world_size(), " copies of it, which would train alone side by side; rebuild with "
                       "MPI (Debian: libopenmpi-dev openmpi-bin; see docs/distributed.md)");
#endif
    }
    const dist::Communicator& comm() const { return mpi_ ? *mpi_ : dist::single_process(); }

    // --threads T, or (0, the default) the cores shared by the processes on this host.
    void apply_threads(Args& args) const {
        const long long t = args.integer("--threads", 0);
        const auto cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
        if (t > 0) set_num_threads(static_cast<int>(t));
        else if (comm().local_size() > 1) set_num_threads(std::max(1, cores / comm().local_size()));
    }

    // Runs f(); an error on one process ends the whole job at once (the others would wait for it in a collective
    // until the timeout), with the message and the rank.
    template <class F>
    int run(const char* command, F&& f) const {
        try {
            return f();
        } catch (const std::exception& e) {
            if (comm().size() > 1) comm().abort(std::string("tinybert ") + command + ": error: " + e.what(), 1);
            throw;
        }
    }

private:
    std::unique_ptr<dist::Communicator> mpi_;  // set under an MPI launcher
};

}  // namespace tinybert::cli
