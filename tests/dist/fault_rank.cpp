// A 2-process job in which rank 1 fails (tests/dist/CMakeLists.txt runs it under mpirun): `exit` — rank 1 exits
// before a collective that rank 0 waits in; `hang` — rank 1 sleeps past rank 0's collective timeout (2 s). Either way
// the job must end with a non-zero status, in bounded time (the ctest TIMEOUT), and `hang` with the timeout's message.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "tinybert/dist/mpi.hpp"

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode != "exit" && mode != "hang") {
        std::fprintf(stderr, "usage: fault_rank exit|hang\n");
        return 2;
    }
    tinybert::dist::MpiCommunicator comm(tinybert::dist::MpiOptions{.timeout_seconds = 2});
    if (comm.rank() == 1) {
        if (mode == "exit") std::_Exit(3);
        std::this_thread::sleep_for(std::chrono::seconds(60));
    }
    double x = 1;
    comm.all_reduce_sum(&x, 1);
    std::printf("the collective completed (sum %g): the failure went unnoticed\n", x);
    return 0;
}
