#!/usr/bin/env bash
# CI stage: ThreadSanitizer build of the thread-safety tests (tests/threads: a model in eval mode and a Tokenizer
# shared by 8 threads, the batch tokenizer from several threads, the DataLoader's background batch) and of the
# tokenizer unit tests. TINYBERT_OPENMP=OFF: libgomp is not instrumented, so TSan would report its (correctly
# synchronised) hand-offs as races; with the omp pragmas compiled out, every thread is one of ours (std::thread,
# std::async) and every report is real. Any report fails the stage (halt_on_error).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
build=${TINYBERT_TSAN_BUILD_DIR:-build-tsan}
cxx=${TINYBERT_TSAN_CXX:-clang++-14}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_CXX_FLAGS="-O1 -fsanitize=thread -fno-omit-frame-pointer" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
      -DTINYBERT_WERROR=ON -DTINYBERT_OPENMP=OFF -DTINYBERT_BUILD_TESTS=ON -DTINYBERT_BUILD_EXAMPLES=OFF \
      -DTINYBERT_BUILD_BENCHMARKS=OFF -DTINYBERT_CUDA=OFF
cmake --build "$build" -j "$(nproc)" --target test_thread_safety test_tokenizer
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    ctest --test-dir "$build" --output-on-failure -j "$(nproc)" -R "^(test_thread_safety|test_tokenizer):"
echo "tsan stage: $(($(date +%s) - start)) s"
