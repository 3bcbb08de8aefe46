#!/usr/bin/env bash
# tools/gpu_check.sh: the one prepared check of the CUDA backend on a machine with an NVIDIA GPU (H100/H200, sm_90).
# Runs the CUDA tests (test_cuda_parity: every kernel pair; test_cuda_bert: the whole model, its gradients, AdamW and
# the Trainer against the CPU; test_umbrella_nvcc), the `tinybert` program with --device cuda against --device cpu
# (tools/gpu_cli_check.sh), the full training step next to PyTorch on the same GPU (MiniLM-L6 and bert-base shapes in
# fp32; the bert-base rows of targets.md in bf16 against eager autocast and torch.compile (COMPILE=0: eager only),
# with model TFLOP/s and peak GPU memory; tf32 and fp16), the kernel benchmarks next to PyTorch's
# same ops, an Nsight Systems summary of a bf16 step and compute-sanitizer memcheck, racecheck and synccheck when
# installed; prints the tables and a summary last (about 3 minutes on an H200 with prebuilt programs, plus about a
# minute per torch.compile row).
#
#   tools/gpu_check.sh                       build (cmake) or take prebuilt binaries, then run everything
#   tools/gpu_check.sh --pack-prebuilt DIR   on a development machine with nvcc: copy the CUDA programs of build-cuda
#                                            (make tinybert_cuda_all) and the shared libraries a bare GPU machine lacks
#                                            (simdjson, utf8proc, Google Benchmark, libgomp, oneDNN, MPI) into DIR
#                                            (62 MB) and DIR.tar.xz (12 MB: carry this one; it is unpacked here)
#   tools/gpu_check.sh --pack-deps DIR       copy Eigen, Catch2 and Google Benchmark headers + library into DIR, for
#                                            the direct nvcc build on a bare machine (no prebuilt programs)
#
# Programs are taken from TINYBERT_GPU_PREBUILT (default <repo>/.gpu_prebuilt) when it holds them (LD_LIBRARY_PATH
# gets its lib/); otherwise the project is configured with CMake, or, when that fails (a bare machine without
# Eigen/simdjson/utf8proc/Catch2/benchmark), the parity test and the kernel benchmark are compiled directly with nvcc
# against TINYBERT_GPU_DEPS (default <repo>/.gpu_deps, made with --pack-deps).
# Environment: BUILD_DIR (default /tmp/tinybert-gpu-check), OUT (if set, logs and bench.json are copied there).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ "${1:-}" == "--pack-prebuilt" ]]; then
    dest=${2:?usage: tools/gpu_check.sh --pack-prebuilt DIR}
    from=${3:-$ROOT/build-cuda}
    mkdir -p "$dest/lib"
    for p in tests/cuda/test_cuda_parity tests/cuda/test_cuda_bert tests/cuda/test_umbrella_nvcc \
        benchmarks/bench_ops_cuda benchmarks/bench_train_step_cuda; do
        cp "$from/$p" "$dest/" || exit 1
    done
    # the nvcc-built `tinybert` (configured with TINYBERT_BUILD_EXAMPLES=ON) and the libraries it adds
    [[ -x "$from/apps/tinybert/tinybert" ]] && cp "$from/apps/tinybert/tinybert" "$dest/"
    # the .cu consumer of the installed package (ctest -R consumer:install_cuda builds it)
    consumer=$from/tests/consumer/work_cuda/cuda_consumer/cuda_consumer
    [[ -x "$consumer" ]] && cp "$consumer" "$dest/"
    # NCCL data parallelism (world size 1); libnccl itself (~200 MB) is not packed: the GPU machine's PyTorch has one
    [[ -x "$from/tests/cuda/test_nccl" ]] && cp "$from/tests/cuda/test_nccl" "$dest/"
    for lib in libsimdjson libutf8proc libbenchmark libgomp libcpp-httplib libdnnl libmpi libopen-pal libopen-rte \
        libhwloc libevent libpmix libbrotli; do
        ldd "$dest"/* 2>/dev/null | awk -v l="$lib" '$1 ~ "^" l {print $3}' | sort -u | while read -r f; do
            cp -L "$f" "$dest/lib/$(basename "$f")"
        done
    done
    # oneDNN alone is 40 MB: the compressed copy (~12 MB) is what fits the 64 MB carried to a GPU machine
    tar -C "$(dirname "$dest")" -cJf "$dest.tar.xz" "$(basename "$dest")" || exit 1
    du -sh "$dest" "$dest.tar.xz"
    exit 0
fi

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
    SUMMARY+=("$(printf '%-42s %-16s %5ss' "$name" "$status" $((SECONDS - t0)))")
    return "$rc"
}

note "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee -a "$LOG"
nvcc --version 2>&1 | tail -2 | tee -a "$LOG"

PREBUILT=${TINYBERT_GPU_PREBUILT:-$ROOT/.gpu_prebuilt}
# carried compressed (--pack-prebuilt writes DIR.tar.xz next to DIR): unpack it next to where it lies
if [[ ! -x "$PREBUILT/test_cuda_parity" && -f "$PREBUILT.tar.xz" ]]; then
    tar -C "$(dirname "$PREBUILT")" -xJf "$PREBUILT.tar.xz" 2>&1 | tee -a "$LOG"
fi
PARITY="" UMBRELLA="" BENCH="" BERT="" STEP="" NCCL="" CLI=""
if [[ -x "$PREBUILT/test_cuda_parity" ]]; then
    SUMMARY+=("$(printf '%-42s %-16s' "prebuilt programs" "$PREBUILT")")
    export LD_LIBRARY_PATH="$PREBUILT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    ldd "$PREBUILT/test_cuda_parity" | grep 'not found' | tee -a "$LOG"
    PARITY="$PREBUILT/test_cuda_parity" UMBRELLA="$PREBUILT/test_umbrella_nvcc" BENCH="$PREBUILT/bench_ops_cuda"
    BERT="$PREBUILT/test_cuda_bert" STEP="$PREBUILT/bench_train_step_cuda" NCCL="$PREBUILT/test_nccl"
    CLI="$PREBUILT/tinybert"
elif cmake -S "$ROOT" -B "$BUILD/cmake" -DCMAKE_BUILD_TYPE=Release -DTINYBERT_CUDA=ON -DTINYBERT_WERROR=ON \
    -DTINYBERT_BUILD_BENCHMARKS=ON -DTINYBERT_BUILD_EXAMPLES=ON -DCMAKE_CUDA_ARCHITECTURES="90-real;90-virtual" \
    >>"$LOG" 2>&1; then
    SUMMARY+=("$(printf '%-42s %-16s' "configure (cmake)" ok)")
    for target in test_cuda_parity test_cuda_bert test_umbrella_nvcc test_nccl bench_ops_cuda bench_train_step_cuda \
        tinybert_cli; do
        step "build $target" 420 cmake --build "$BUILD/cmake" -j "$JOBS" --target "$target" || true
    done
    PARITY="$BUILD/cmake/tests/cuda/test_cuda_parity"
    UMBRELLA="$BUILD/cmake/tests/cuda/test_umbrella_nvcc"
    BENCH="$BUILD/cmake/benchmarks/bench_ops_cuda"
    BERT="$BUILD/cmake/tests/cuda/test_cuda_bert"
    STEP="$BUILD/cmake/benchmarks/bench_train_step_cuda"
    NCCL="$BUILD/cmake/tests/cuda/test_nccl"
    CLI="$BUILD/cmake/apps/tinybert/tinybert"
else
    SUMMARY+=("$(printf '%-42s %-16s' "configure (cmake)" "failed: nvcc")")
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
[[ -x "$BERT" ]] && step "run test_cuda_bert" 120 "$BERT" --durations yes
# issue 14, item 2: the whole model again with the linear layers' bias in cuBLASLt's epilogue (opt-in)
[[ -x "$BERT" ]] && TINYBERT_CUDA_GEMM=lt step "run test_cuda_bert, TINYBERT_CUDA_GEMM=lt" 120 "$BERT"
[[ -x "$UMBRELLA" ]] && step "run test_umbrella_nvcc" 60 "$UMBRELLA"
[[ -x "$PREBUILT/cuda_consumer" ]] && step "run the package's .cu consumer" 60 "$PREBUILT/cuda_consumer"
[[ -x "$CLI" ]] && step "tinybert --device cuda vs cpu" 300 bash "$ROOT/tools/gpu_cli_check.sh" "$CLI" "$BUILD/cli"
if [[ -x "$NCCL" ]]; then  # libnccl.so.2 from PyTorch's nvidia-nccl wheel when the system has none
    nccl_lib=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib"))' 2>/dev/null)
    LD_LIBRARY_PATH="${nccl_lib:+$nccl_lib:}${LD_LIBRARY_PATH:-}" step "run test_nccl" 120 "$NCCL" --durations yes
fi
STEP_TABLE=""
if [[ -x "$STEP" ]]; then
    for cfg in all-MiniLM-L6-v2 bert-base-uncased; do
        step "train step vs PyTorch: $cfg" 150 python3 "$ROOT/benchmarks/train_step/bench_train_step.py" --device cuda \
            --bench "$STEP" --config "$ROOT/benchmarks/train_step/$cfg.config.json" --shapes 32x128,16x384 \
            --steps 20 --min-seconds 1.5
    done
    # issue 13, item 7: the BERT-base rows of ../shared/reference/targets.md in bf16 against PyTorch eager bf16
    # (autocast) and, unless COMPILE=0, torch.compile bf16 (each compile takes the worker's first calls: ~1 min)
    compile_flag=(--compile)
    [[ "${COMPILE:-1}" == 0 ]] && compile_flag=()
    for row in "classification 32x128,32x512" "token 32x128" "qa 32x384" "classification 128x128 --inference"; do
        read -r head shapes extra <<< "$row"
        step "train step vs PyTorch: bert-base bf16 $head $shapes ${extra:-}" 300 python3 \
            "$ROOT/benchmarks/train_step/bench_train_step.py" --device cuda --precision bf16 --bench "$STEP" \
            --config "$ROOT/benchmarks/train_step/bert-base-uncased.config.json" --head "$head" --shapes "$shapes" \
            ${extra:+"$extra"} "${compile_flag[@]}" --steps 20 --min-seconds 1.5
    done
    # issue 14, item 1: the bf16 training rows again with flash attention (TINYBERT_CUDA_ATTENTION=flash: no S×S
    # matrix; flash_attention.cuh), against PyTorch eager bf16, to choose the default by measurement
    for row in "classification 32x128,32x512" "qa 32x384"; do
        read -r head shapes <<< "$row"
        TINYBERT_CUDA_ATTENTION=flash step "train step vs PyTorch: bert-base bf16 flash attention $head $shapes" 200 \
            python3 "$ROOT/benchmarks/train_step/bench_train_step.py" --device cuda --precision bf16 --bench "$STEP" \
            --config "$ROOT/benchmarks/train_step/bert-base-uncased.config.json" --head "$head" --shapes "$shapes" \
            --steps 20 --min-seconds 1.5
    done
    # and with flash attention plus the bias epilogue (TINYBERT_CUDA_GEMM=lt: cublaslt.cuh), both opt-in so far
    for row in "classification 32x128,32x512" "qa 32x384"; do
        read -r head shapes <<< "$row"
        TINYBERT_CUDA_ATTENTION=flash TINYBERT_CUDA_GEMM=lt step \
            "train step vs PyTorch: bert-base bf16 flash + lt $head $shapes" 200 python3 \
            "$ROOT/benchmarks/train_step/bench_train_step.py" --device cuda --precision bf16 --bench "$STEP" \
            --config "$ROOT/benchmarks/train_step/bert-base-uncased.config.json" --head "$head" --shapes "$shapes" \
            --steps 20 --min-seconds 1.5
    done
    # tf32 and fp16 (GradScaler) against PyTorch eager in the same precision
    for precision in tf32 fp16; do
        step "train step vs PyTorch: bert-base $precision" 150 python3 \
            "$ROOT/benchmarks/train_step/bench_train_step.py" --device cuda --precision "$precision" --bench "$STEP" \
            --config "$ROOT/benchmarks/train_step/bert-base-uncased.config.json" --shapes 32x128,32x512 \
            --steps 20 --min-seconds 1.5
    done
    STEP_TABLE=$(sed -n '/^== train step vs PyTorch/,$p' "$LOG" | grep -E '^(torch |\|)')
fi
BENCH_TABLE=""
if [[ -x "$BENCH" ]]; then
    step "run bench_ops_cuda" 90 "$BENCH" --benchmark_min_time=0.1 --benchmark_out="$BUILD/bench.json" \
        --benchmark_out_format=json --benchmark_counters_tabular=true
    BENCH_TABLE=$(sed -n '/^== run bench_ops_cuda/,$p' "$LOG" | grep -E '^(Benchmark|BM_|-{10})')
    if [[ -f "$BUILD/bench.json" ]]; then
        step "ops vs PyTorch" 90 python3 "$ROOT/benchmarks/ops_cuda_torch.py" --tinybert "$BUILD/bench.json"
        BENCH_TABLE=$(sed -n '/^== ops vs PyTorch/,$p' "$LOG" | grep -E '^(torch |\|)')
    fi
fi
# where a bf16 training step's GPU time goes and how often the host waits (issue 14: measure first): Nsight
# Systems' kernel and CUDA API summaries of bert-base 32x128 steps, when nsys is installed
NSYS_TABLE=""
if [[ -x "$STEP" ]] && command -v nsys >/dev/null; then
    step "nsys profile: bert-base 32x128 bf16" 120 nsys profile --force-overwrite true -o "$BUILD/step_bf16" \
        "$STEP" --config "$ROOT/benchmarks/train_step/bert-base-uncased.config.json" --batch 32 --seq 128 \
        --precision bf16 --benchmark_min_time=1
    if [[ -f "$BUILD/step_bf16.nsys-rep" ]]; then
        step "nsys: top kernels" 90 bash -c "nsys stats --report cuda_gpu_kern_sum '$BUILD/step_bf16.nsys-rep' | head -40"
        step "nsys: CUDA API calls" 90 bash -c "nsys stats --report cuda_api_sum '$BUILD/step_bf16.nsys-rep' | head -30"
        NSYS_TABLE=$(sed -n '/^== nsys: top kernels/,$p' "$LOG" | head -45)
    fi
fi
# last: memcheck is the slowest step; the caching allocator is bypassed so that every use after free is seen
if command -v compute-sanitizer >/dev/null; then
    export TINYBERT_CUDA_NO_CACHE=1
    [[ -x "$PARITY" ]] && step "memcheck test_cuda_parity" 100 compute-sanitizer --tool memcheck --error-exitcode 1 "$PARITY"
    [[ -x "$BERT" ]] && step "memcheck test_cuda_bert" 90 compute-sanitizer --tool memcheck --error-exitcode 1 "$BERT"
    # issue 14, item 6: the kernels that share memory between warps (flash attention, the fused and column-sum
    # kernels) under racecheck (shared-memory hazards) and synccheck (barrier misuse)
    for tool in racecheck synccheck; do
        [[ -x "$PARITY" ]] && step "$tool flash + fused kernels" 100 compute-sanitizer --tool "$tool" \
            --error-exitcode 1 "$PARITY" "[flash],[fused],cuda column reductions*"
    done
    unset TINYBERT_CUDA_NO_CACHE
fi

if [[ -n "${OUT:-}" ]]; then
    [[ "$BUILD" -ef "$OUT" ]] || { cp "$LOG" "$OUT/"; [[ -f "$BUILD/bench.json" ]] && cp "$BUILD/bench.json" "$OUT/"; }
fi

echo
echo "================ tinybert CUDA check: summary ================"
[[ -n "$BENCH_TABLE" ]] && printf '%s\n\n' "$BENCH_TABLE"
[[ -n "$STEP_TABLE" ]] && printf '%s\n\n' "$STEP_TABLE"
[[ -n "$NSYS_TABLE" ]] && printf '%s\n\n' "$NSYS_TABLE"
printf '%-42s %-16s %6s\n' step status time
for line in "${SUMMARY[@]}"; do echo "$line"; done
for line in "${SUMMARY[@]}"; do [[ "$line" == *FAILED* || "$line" == *TIMEOUT* ]] && exit 1; done
exit 0
