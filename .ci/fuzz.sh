#!/usr/bin/env bash
# CI fuzzing stage (docs/reliability.md, "Fuzzing"): builds the libFuzzer targets of tests/fuzz with clang-14 under
# ASan+UBSan and runs each for FUZZ_SECONDS (default 10) on a copy of its committed corpus, with its dictionary. Any
# crash, leak, sanitizer report or timeout fails the script; the input that caused it is left in
# <build>/fuzz-runs/<target>/ (add it to tests/fuzz/regressions/<target>/ with the fix). The build folder is
# FUZZ_BUILD_DIR when set (an existing clang build configured with TINYBERT_BUILD_FUZZERS=ON, as .ci/run's clang
# stage makes), else build-fuzz/, configured here.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
seconds=${FUZZ_SECONDS:-10}

bash scripts/deps.sh clang-14 libclang-rt-14-dev libomp-14-dev

build=${FUZZ_BUILD_DIR:-build-fuzz}
if [ -z "${FUZZ_BUILD_DIR:-}" ]; then
    cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-O1" \
          -DTINYBERT_WERROR=ON -DTINYBERT_BUILD_TESTS=ON -DTINYBERT_BUILD_EXAMPLES=OFF -DTINYBERT_CUDA=OFF \
          -DTINYBERT_NATIVE=OFF -DTINYBERT_BUILD_FUZZERS=ON >/dev/null
fi
grep -q "^TINYBERT_BUILD_FUZZERS:BOOL=ON$" "$build/CMakeCache.txt" ||
    { echo "$build is not configured with TINYBERT_BUILD_FUZZERS=ON" >&2; exit 1; }
cmake --build "$build" -j "$(nproc)" --target tinybert_fuzzers
bin=$(cd "$build/tests/fuzz" && pwd)
echo "=== fuzzers built ($(($(date +%s) - start)) s) ==="

# The dictionary of each target (tests/fuzz/<name>.dict).
dict_of() {
    case "$1" in
        safetensors) echo safetensors ;;
        torch_bin) echo torch_bin ;;
        csv) echo csv ;;
        conll) echo conll ;;
        imdb | vocab_txt) echo "" ;;
        *) echo json ;;
    esac
}

targets=$(ls tests/fuzz/fuzz_*.cpp | sed 's|.*/fuzz_\(.*\)\.cpp|\1|')  # one target per fuzz_<name>.cpp
# One target per core at a time (each libFuzzer process is single-threaded); the reports follow in target order.
fuzz_one() {  # target: its run in $build/fuzz-runs/<target>/ (log.txt, and rc: libFuzzer's exit status)
    local t=$1 work=$build/fuzz-runs/$1 d
    rm -rf "$work" && mkdir -p "$work/corpus"
    cp tests/fuzz/corpus/"$t"/* "$work/corpus/"  # libFuzzer adds inputs to its corpus folder: never the committed one
    d=$(dict_of "$t")
    local dict=(); [ -n "$d" ] && dict=(-dict="$PWD/tests/fuzz/$d.dict")
    local rc=0
    (cd "$work" && OMP_NUM_THREADS=1 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 "${dict[@]}" corpus >log.txt 2>&1) || rc=$?
    echo "$rc" > "$work/rc"
}
echo "--- every target for ${seconds} s, $(nproc) at a time"
for t in $targets; do
    while (($(jobs -rp | wc -l) >= $(nproc))); do wait -n || true; done
    fuzz_one "$t" &
done
wait
failed=()
for t in $targets; do
    work=$build/fuzz-runs/$t
    echo "--- fuzz_$t"
    if [ "$(cat "$work/rc" 2>/dev/null)" != 0 ]; then
        tail -40 "$work/log.txt" || true
        failed+=("$t")
    fi
    grep -E "^stat::number_of_executed_units|^#[0-9]+ *DONE" "$work/log.txt" | tr '\n' ' ' || true; echo
done
echo "=== fuzzing done in $(($(date +%s) - start)) s ==="
if ((${#failed[@]})); then
    echo "fuzz targets that failed: ${failed[*]} (logs and crash inputs in $build/fuzz-runs/)" >&2
    exit 1
fi
