#!/usr/bin/env bash
# tools/gpu_cli_check.sh TINYBERT [WORK]: the `tinybert` command line on a GPU (run by tools/gpu_check.sh). For each
# task, `finetune --device cuda` on a tiny random ELECTRA folder (tests/fixtures/families/electra, WordPiece) and a few
# data/samples examples, next to the same run with `--device cpu --dropout-stream counter` (the same dropout masks):
# the train losses and the evaluation metrics must agree within float tolerance (rtol 1e-3); then `evaluate` and
# `predict` of the saved folder on the GPU, one `--precision tf32` run (its loss within 1e-2 of fp32), and bf16 and fp16
# runs on the GPU next to the same precision on the CPU (which rounds the GEMM inputs as the GPU does: rtol 1e-2).
# Exit 1 on any miss.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TB=${1:?usage: tools/gpu_cli_check.sh TINYBERT [WORK]}
WORK=${2:-/tmp/tinybert-gpu-cli}
rm -rf "$WORK" && mkdir -p "$WORK/model"
F="$ROOT/tests/fixtures"
cp "$F/families/electra/config.json" "$F/families/electra/model.safetensors" "$F/families/wordpiece/"*.txt \
    "$F/families/wordpiece/"*.json "$WORK/model/"
cp "$F/families/electra/tokenizer_config.json" "$WORK/model/tokenizer_config.json"
S="$ROOT/data/samples"

# close A B RTOL: |a-b| <= rtol*max(|a|,|b|,1e-6) for every number of the two JSON objects' shared keys
close() {
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
a, b, rtol = json.loads(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3])
bad = [k for k in a if k in b and isinstance(a[k], (int, float)) and not isinstance(a[k], bool)
       and k not in ("train_runtime", "eval_runtime", "train_samples_per_second")
       and abs(a[k] - b[k]) > rtol * max(abs(a[k]), abs(b[k]), 1e-6)]
print("  differ: " + ", ".join(f"{k} {a[k]} vs {b[k]}" for k in bad) if bad else f"  equal within rtol {rtol}")
sys.exit(1 if bad else 0)
PY
}

status=0 cls_cpu=""
for task in classification ner qa; do
    case $task in
        classification) train=$S/imdb/aclImdb/train eval=$S/imdb/aclImdb/test extra=() ;;
        ner) train=$S/wikiann/train.tsv eval=$S/wikiann/validation.tsv extra=() ;;
        qa) train=$S/squad/train.json eval=$S/squad/dev.json extra=(--doc-stride 32) ;;
    esac
    common=(finetune --task "$task" --model "$WORK/model" --train "$train" --eval "$eval" --epochs 1 --batch-size 4
            --max-length 64 --quiet --report-to none "${extra[@]}")
    cpu=$("$TB" "${common[@]}" --out "$WORK/$task-cpu" --device cpu --dropout-stream counter)
    gpu=$("$TB" "${common[@]}" --out "$WORK/$task-gpu" --device cuda)
    echo "$task cpu: $cpu"
    echo "$task gpu: $gpu"
    [[ $task == classification ]] && cls_cpu=$cpu
    close "$cpu" "$gpu" 1e-3 || status=1
    "$TB" evaluate --task "$task" --model "$WORK/$task-gpu" --data "$eval" --max-length 64 --device cuda "${extra[@]}" ||
        status=1
done
echo '{"text": "A wonderful, moving film."}' | "$TB" predict --task classification --model "$WORK/classification-gpu" \
    --device cuda || status=1
cls=(finetune --task classification --model "$WORK/model" --train "$S/imdb/aclImdb/train" --eval "$S/imdb/aclImdb/test"
     --epochs 1 --batch-size 4 --max-length 64 --quiet --report-to none)
tf32=$("$TB" "${cls[@]}" --out "$WORK/tf32" --device cuda --precision tf32)
echo "classification tf32: $tf32"
close "$cls_cpu" "$tf32" 1e-2 || status=1
for p in bf16 fp16; do
    cpu=$("$TB" "${cls[@]}" --out "$WORK/$p-cpu" --device cpu --dropout-stream counter --precision "$p")
    gpu=$("$TB" "${cls[@]}" --out "$WORK/$p-gpu" --device cuda --precision "$p")
    echo "classification $p cpu: $cpu"
    echo "classification $p gpu: $gpu"
    close "$cpu" "$gpu" 1e-2 || status=1
    "$TB" evaluate --task classification --model "$WORK/$p-gpu" --data "$S/imdb/aclImdb/test" --max-length 64 \
        --device cuda --precision "$p" || status=1
done
exit $status
