#!/usr/bin/env bash
# CI stage: ThreadSanitizer builds of the thread-safety tests (tests/threads: models in eval mode and a Tokenizer shared
# by 8 threads, the batch tokenizer from several threads, the DataLoader's background batch); docs/reliability.md,
# "Thread safety". Any report fails the stage (halt_on_error). Two builds, clang-14:
#  1. TINYBERT_OPENMP=OFF, with the tokenizer unit tests too: the omp pragmas are compiled out, so every thread is one
#     of ours (std::thread, std::async) and TSan checks everything they touch, libstdc++ included.
#  2. OpenMP on, LLVM's libomp with its Archer tool, 2 OpenMP threads per caller: checks the kernels' OpenMP loops as
#     well. libomp is not instrumented; Archer tells TSan about OpenMP's synchronisation, and
#     ignore_noninstrumented_modules (Archer's documented setting) stops TSan from reading libomp's own internals,
#     which it would otherwise report (and with them any other uninstrumented library, hence build 1).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

bash scripts/deps.sh clang-14 libclang-rt-14-dev libomp-14-dev  # clang++-14, its TSan runtime, libomp and Archer

tsan_flags=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-14
            -DCMAKE_CXX_FLAGS="-O1 -fsanitize=thread -fno-omit-frame-pointer" -DCMAKE_CXX_FLAGS_DEBUG="-gline-tables-only"
            -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread"
            -DTINYBERT_WERROR=ON -DTINYBERT_BUILD_TESTS=ON -DTINYBERT_BUILD_EXAMPLES=OFF -DTINYBERT_BUILD_BENCHMARKS=OFF
            -DTINYBERT_CUDA=OFF -DTINYBERT_ONEDNN=OFF)  # oneDNN's JIT-compiled GEMMs are invisible to TSan: Eigen's

cmake -S . -B build-tsan "${tsan_flags[@]}" -DTINYBERT_OPENMP=OFF >/dev/null
cmake --build build-tsan -j "$(nproc)" --target test_thread_safety test_tokenizer
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    ctest --test-dir build-tsan --output-on-failure -j "$(nproc)" -R "^(test_thread_safety|test_tokenizer):"
echo "=== tsan, OpenMP off: $(($(date +%s) - start)) s ==="

cmake -S . -B build-tsan-omp "${tsan_flags[@]}" -DTINYBERT_OPENMP=ON >/dev/null
grep -q "^OpenMP_CXX_FLAGS:STRING=-fopenmp=libomp$" build-tsan-omp/CMakeCache.txt ||
    { echo "build-tsan-omp: clang++-14 did not pick LLVM's libomp, which Archer needs" >&2; exit 1; }
cmake --build build-tsan-omp -j "$(nproc)" --target test_thread_safety
OMP_NUM_THREADS=2 OMP_TOOL_LIBRARIES=/usr/lib/llvm-14/lib/libarcher.so \
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1" \
    ctest --test-dir build-tsan-omp --output-on-failure -j "$(nproc)" -R "^test_thread_safety:"
echo "=== tsan, OpenMP on (libomp + Archer): $(($(date +%s) - start)) s ==="
