#!/usr/bin/env bash
# The docs/results.md runs: tinybert finetune and tools/hf_finetune.py (transformers Trainer) on the same data, model,
# hyperparameters and seed, one after the other. Results go to out/quality/<run>.json (one JSON line each).
# usage: tools/quality_runs.sh [wikiann|imdb|squad ...]   (needs build/apps/tinybert/tinybert and /opt/ref python)
set -euo pipefail
cd "$(dirname "$0")/.."
model=$(bash scripts/fetch_minilm.sh)
tb=build/apps/tinybert/tinybert
py=${PYTHON:-/opt/ref/bin/python}
D=../shared/data
mkdir -p out/quality
run() {  # name, then the common flags
    local name=$1; shift
    "$tb" finetune --model "$model" --out out/quality/tinybert-$name --quiet "$@" > out/quality/tinybert-$name.json
    HF_HUB_OFFLINE=1 "$py" tools/hf_finetune.py --model "$model" --out out/quality/hf-$name "$@" > out/quality/hf-$name.json
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
