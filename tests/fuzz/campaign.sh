#!/usr/bin/env bash
# The recorded fuzzing campaign (docs/reliability.md, "Fuzzing"): each target of build-fuzz (built by .ci/fuzz.sh)
# in turn, niced, for FUZZ_RUNS executions (default 1,000,000) or FUZZ_MAX_SECONDS (default 0 = no limit), whichever
# comes first, on a grown copy of its committed corpus in build-fuzz/campaign/<target>/ (log.txt, crash-* inputs).
set -uo pipefail
cd "$(dirname "$0")/../.."
runs=${FUZZ_RUNS:-1000000}
max_seconds=${FUZZ_MAX_SECONDS:-0}
targets=${*:-$(ls tests/fuzz/fuzz_*.cpp | sed 's|.*/fuzz_\(.*\)\.cpp|\1|')}
for t in $targets; do
    work=build-fuzz/campaign/$t
    mkdir -p "$work/corpus"
    cp -n tests/fuzz/corpus/"$t"/* "$work/corpus/"
    case "$t" in
        safetensors | torch_bin | csv | conll) dict=(-dict="$PWD/tests/fuzz/$t.dict") ;;
        imdb | vocab_txt) dict=() ;;
        *) dict=(-dict="$PWD/tests/fuzz/json.dict") ;;
    esac
    echo "=== $t $(date -u +%H:%M:%S)"
    (cd "$work" && OMP_NUM_THREADS=1 nice -n 10 "../../tests/fuzz/fuzz_$t" -runs="$runs" -max_total_time="$max_seconds" \
        -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" corpus >log.txt 2>&1)
    echo "exit $? $(grep -E '^#[0-9]+ *DONE|^stat::number_of_executed_units' "$work/log.txt" | tr '\n' ' ')"
done
