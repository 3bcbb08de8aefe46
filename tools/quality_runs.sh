#!/usr/bin/env bash
# The docs/results.md runs: tinybert finetune and tools/hf_finetune.py (transformers Trainer) on the same data, model,
# hyperparameters and seed, one after the other. Results go to $OUT_DIR/<run>.json (one JSON line each).
# usage: tools/quality_runs.sh [wikiann|imdb squad ...]   (needs build/apps/tinybert/tinybert and /opt/ref python)
# Environment (defaults: the CPU runs of docs/results.md): MODEL (all-MiniLM-L6-v2 from scripts/fetch_minilm.sh),
# TINYBERT, PYTHON, DATA (../shared/data), OUT_DIR (out/quality), DEVICE and PRECISION (both sides' --device and
# --precision; tools/gpu_quality.sh sets cuda and bf16), EXTRA (more flags for both sides, e.g. --max-train-examples).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${MODEL:-$(bash scripts/fetch_minilm.sh)}
tb=${TINYBERT:-build/apps/tinybert/tinybert}
py=${PYTHON:-/opt/ref/bin/python}
D=${DATA:-../shared/data}
out=${OUT_DIR:-out/quality}
flags=()
[[ -n ${DEVICE:-} ]] && flags+=(--device "$DEVICE")
[[ -n ${PRECISION:-} ]] && flags+=(--precision "$PRECISION")
read -r -a extra <<< "${EXTRA:-}"
flags+=("${extra[@]}")
mkdir -p "$out"
run() {  # name, then the common flags
    local name=$1; shift
    "$tb" finetune --model "$model" --out "$out/tinybert-$name" --quiet "$@" "${flags[@]}" > "$out/tinybert-$name.json"
    HF_HUB_OFFLINE=1 "$py" tools/hf_finetune.py --model "$model" --out "$out/hf-$name" "$@" "${flags[@]}" \
        > "$out/hf-$name.json"
}
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(wikiann imdb squad)
for what in "${runs[@]}"; do
    case $what in
        wikiann) run wikiann --task ner --train $D/wikiann-en/train.tsv --eval $D/wikiann-en/validation.tsv --epochs 3 ;;
        imdb) run imdb --task classification --train $D/imdb/aclImdb/train --eval $D/imdb/aclImdb/test --max-length 256 --epochs 1 ;;
        squad) run squad --task qa --train $D/squad-v1.1/train-v1.1-subset.json --eval $D/squad-v1.1/dev-v1.1-devsubset.json --epochs 1 ;;
        *) echo "unknown run '$what' (wikiann, imdb or squad)" >&2; exit 2 ;;
    esac
done
