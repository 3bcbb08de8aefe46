#!/usr/bin/env bash
# Data-parallel fine-tuning on the CPU (docs/performance.md, "Data parallelism"): `tinybert finetune` of
# all-MiniLM-L6-v2 on IMDb, the same global batch and examples three ways, one table at the end:
#   1 process  × all cores        --batch-size G
#   N processes × cores/N threads --batch-size G/N, gradient buckets of 25 MB overlapping backward (the default)
#   N processes, --ddp-bucket-cap-mb 0: one bucket summed after backward (no overlap)
# Throughput counts training only (train_runtime − eval_runtime: evaluation and checkpoint saves are left out);
# "wait/update" is the time an update waited for the gradient sum after backward (what backward did not hide).
# usage: benchmarks/data_parallel/run.sh TINYBERT [N=2] [EXAMPLES=64] [GLOBAL_BATCH=16] [MAX_LENGTH=128]
# env: TINYBERT_MINILM_DIR (default .cache/all-MiniLM-L6-v2), DATA (default ../shared/data/imdb/aclImdb, else
# data/samples/imdb/aclImdb), MPIRUN (default: mpirun --oversubscribe --bind-to none), NETNS=1: the N-process runs go
# through tools/netns_cluster.sh (one simulated host per process, MPI over TCP).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tinybert=$1 n=${2:-2} examples=${3:-64} global=${4:-16} length=${5:-128}
model=${TINYBERT_MINILM_DIR:-$root/.cache/all-MiniLM-L6-v2}
data=${DATA:-$root/../shared/data/imdb/aclImdb}
[[ -d $data/train ]] || data=$root/data/samples/imdb/aclImdb
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
read -r -a mpirun <<< "${MPIRUN:-mpirun --oversubscribe --bind-to none}"
cores=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(finetune --task classification --model "$model" --train "$data/train" --eval "$data/test" --epochs 1
        --max-train-examples "$examples" --max-eval-examples 8 --eval-batch-size 8 --max-length "$length"
        --report-to none --quiet)
field() { grep -o "\"$1\":[^,}]*" "$2" | cut -d: -f2 || true; }
run_n() {  # run_n OUT ARGS...: N processes
    local out=$1
    shift
    if [[ ${NETNS:-0} == 1 ]]; then
        "$root/tools/netns_cluster.sh" run "$n" -- -np "$n" "$tinybert" "$@" > "$out"
    else
        "${mpirun[@]}" -np "$n" "$tinybert" "$@" > "$out"
    fi
}
"$tinybert" "${common[@]}" --out "$work/one" --batch-size "$global" --threads "$cores" > "$work/one.json"
# --threads explicitly: simulated hosts each see every core, and 2 OpenMP threads per process on 2 cores oversubscribe
per=$((cores / n > 0 ? cores / n : 1))
run_n "$work/overlap.json" "${common[@]}" --out "$work/overlap" --batch-size $((global / n)) --threads "$per"
run_n "$work/serial.json" "${common[@]}" --out "$work/serial" --batch-size $((global / n)) --threads "$per" \
    --ddp-bucket-cap-mb 0

printf '\n%s examples of %s, max length %s, global batch %s, %s cores, %s\n' "$examples" "$data" "$length" "$global" \
    "$cores" "$(if [[ ${NETNS:-0} == 1 ]]; then echo "$n simulated hosts (TCP)"; else echo "one host"; fi)"
printf '| run | updates | train seq/s | vs 1 process | buckets | wait/update (ms) |\n|---|---|---|---|---|---|\n'
base=""
for r in one overlap serial; do
    f=$work/$r.json
    updates=$(field updates "$f")
    seconds=$(awk -v t="$(field train_runtime "$f")" -v e="$(field eval_runtime "$f")" 'BEGIN { print t - e }')
    rate=$(awk -v n="$examples" -v s="$seconds" 'BEGIN { printf "%.2f", n / s }')
    [[ -n $base ]] || base=$rate
    wait_ms=$(awk -v w="$(field allreduce_wait_seconds "$f")" -v u="$updates" 'BEGIN { if (w == "") print "-"; else printf "%.1f", 1000 * w / u }')
    buckets=$(field gradient_buckets "$f")
    case $r in
        one) name="1 process × $cores threads, batch $global" ;;
        overlap) name="$n processes × $per thread(s), batch $((global / n)), 25 MB buckets" ;;
        serial) name="$n processes, one bucket after backward" ;;
    esac
    printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$updates" "$rate" \
        "$(awk -v a="$rate" -v b="$base" 'BEGIN { printf "%.2f×", a / b }')" "${buckets:--}" "$wait_ms"
done
