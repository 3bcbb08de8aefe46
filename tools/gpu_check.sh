#!/usr/bin/env bash
# tools/gpu_check.sh: the one prepared check of the CUDA backend on a machine with an NVIDIA GPU (H100/H200, sm_90).
# Builds test_cuda_parity, test_umbrella_nvcc and bench_ops_cuda, runs the parity tests (also under
# compute-sanitizer memcheck when it is installed), runs the benchmarks, and prints a summary table last.
# Budget: about 2-4 minutes on a 16-core H100 machine (the build dominates).
#
#   tools/gpu_check.sh                   run the check (from any directory)
#   tools/gpu_check.sh --pack-deps DIR   on a development machine: copy what a bare GPU machine lacks (Eigen and
#                                        Catch2 headers, Google Benchmark headers + shared library) into DIR
#
# When the project's CMake configure fails (a bare machine without Eigen/simdjson/utf8proc/Catch2/benchmark), the
# check compiles the parity test and the benchmark directly with nvcc against TINYBERT_GPU_DEPS (default
# <repo>/.gpu_deps, made with --pack-deps); test_umbrella_nvcc needs the full dependency set and is skipped then.
# Environment: BUILD_DIR (default /tmp/tinybert-gpu-check), OUT (if set, logs and bench.json are copied there).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ "${1:-}" == "--pack-deps" ]]; then
    dest=${2:?usage: tools/gpu_check.sh --pack-deps DIR}
    mkdir -p "$dest/include" "$dest/lib"
    cp -r /usr/include/eigen3/Eigen "$dest/include/"
    cp -r /usr/include/catch2 "$dest/include/"
    cp -r /usr/include/benchmark "$dest/include/"
    lib=$(readlink -f /usr/lib/x86_64-linux-gnu/libbenchmark.so)
    soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
    cp "$lib" "$dest/lib/libbenchmark.so"
    [[ -n "$soname" ]] && cp "$lib" "$dest/lib/$soname"
    du -sh "$dest"
    exit 0
fi

BUILD=${BUILD_DIR:-/tmp/tinybert-gpu-check}
DEPS=${TINYBERT_GPU_DEPS:-$ROOT/.gpu_deps}
JOBS=$(nproc 2>/dev/null || echo 4)
mkdir -p "$BUILD"
LOG="$BUILD/gpu_check.log"
: >"$LOG"
declare -a SUMMARY=()

note() { echo "== $*" | tee -a "$LOG"; }
# step NAME TIMEOUT_S COMMAND...: run, log, time, and remember the outcome for the table
step() {
    local name=$1 limit=$2
    shift 2
    note "$name: $*"
    local t0=$SECONDS
    timeout "$limit" "$@" 2>&1 | tee -a "$LOG"
    local rc=${PIPESTATUS[0]}
    local status=ok
    [[ $rc -eq 124 ]] && status="TIMEOUT(${limit}s)"
    [[ $rc -ne 0 && $rc -ne 124 ]] && status="FAILED(rc=$rc)"
    SUMMARY+=("$(printf '%-28s %-16s %5ss' "$name" "$status" $((SECONDS - t0)))")
    return "$rc"
}

note "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee -a "$LOG"
nvcc --version 2>&1 | tail -2 | tee -a "$LOG"

PARITY="" UMBRELLA="" BENCH=""
if cmake -S "$ROOT" -B "$BUILD/cmake" -DCMAKE_BUILD_TYPE=Release -DTINYBERT_CUDA=ON -DTINYBERT_WERROR=ON \
    -DTINYBERT_BUILD_BENCHMARKS=ON -DTINYBERT_BUILD_EXAMPLES=OFF -DCMAKE_CUDA_ARCHITECTURES="90-real;90-virtual" \
    >>"$LOG" 2>&1; then
    SUMMARY+=("$(printf '%-28s %-16s' "configure (cmake)" ok)")
    for target in test_cuda_parity test_umbrella_nvcc bench_ops_cuda; do
        step "build $target" 420 cmake --build "$BUILD/cmake" -j "$JOBS" --target "$target" || true
    done
    PARITY="$BUILD/cmake/tests/cuda/test_cuda_parity"
    UMBRELLA="$BUILD/cmake/tests/cuda/test_umbrella_nvcc"
    BENCH="$BUILD/cmake/benchmarks/bench_ops_cuda"
else
    SUMMARY+=("$(printf '%-28s %-16s' "configure (cmake)" "failed: nvcc")")
    note "CMake configure failed (see $LOG); building directly with nvcc against $DEPS"
    flags=(-std=c++20 -O3 -DNDEBUG -arch=sm_90 --expt-relaxed-constexpr -DTINYBERT_WITH_CUDA=1 -DEIGEN_NO_CUDA
        -Xcompiler=-fopenmp -I"$ROOT/include" -I"$ROOT/tests" -isystem "$DEPS/include")
    step "build test_cuda_parity" 420 nvcc "${flags[@]}" "$ROOT/tests/cuda/test_cuda_parity.cu" \
        "$ROOT/tests/support/catch_main.cpp" -lcublas -lgomp -o "$BUILD/test_cuda_parity" && PARITY="$BUILD/test_cuda_parity"
    step "build bench_ops_cuda" 300 nvcc "${flags[@]}" "$ROOT/benchmarks/bench_ops_cuda.cu" -L"$DEPS/lib" \
        -lbenchmark -lcublas -lgomp -lpthread -o "$BUILD/bench_ops_cuda" && BENCH="$BUILD/bench_ops_cuda"
    export LD_LIBRARY_PATH="$DEPS/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

[[ -x "$PARITY" ]] && step "run test_cuda_parity" 120 "$PARITY" --durations yes
[[ -x "$UMBRELLA" ]] && step "run test_umbrella_nvcc" 60 "$UMBRELLA"
if [[ -x "$PARITY" ]] && command -v compute-sanitizer >/dev/null; then
    step "memcheck test_cuda_parity" 240 compute-sanitizer --tool memcheck --error-exitcode 1 "$PARITY"
fi
BENCH_TABLE=""
if [[ -x "$BENCH" ]]; then
    step "run bench_ops_cuda" 180 "$BENCH" --benchmark_min_time=0.2 --benchmark_out="$BUILD/bench.json" \
        --benchmark_out_format=json --benchmark_counters_tabular=true
    BENCH_TABLE=$(sed -n '/^== run bench_ops_cuda/,$p' "$LOG" | grep -E '^(Benchmark|BM_|-{10})')
fi

if [[ -n "${OUT:-}" ]]; then
    cp "$LOG" "$OUT/" 2>/dev/null
    [[ -f "$BUILD/bench.json" ]] && cp "$BUILD/bench.json" "$OUT/"
fi

echo
echo "================ tinybert CUDA check: summary ================"
[[ -n "$BENCH_TABLE" ]] && printf '%s\n\n' "$BENCH_TABLE"
printf '%-28s %-16s %6s\n' step status time
for line in "${SUMMARY[@]}"; do echo "$line"; done
for line in "${SUMMARY[@]}"; do [[ "$line" == *FAILED* || "$line" == *TIMEOUT* ]] && exit 1; done
exit 0
