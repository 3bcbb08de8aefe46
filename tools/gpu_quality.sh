#!/usr/bin/env bash
# tools/gpu_quality.sh: issue 13, item 6 on a GPU. The docs/results.md fine-tuning recipes of all-MiniLM-L6-v2
# (WikiAnn NER, IMDb classification, SQuAD QA; tools/quality_runs.sh) with `tinybert finetune --device cuda
# --precision P` and with the Hugging Face Trainer (tools/hf_finetune.py --device cuda --precision P: bf16=True) on
# the same GPU, one after the other; prints each run's score, train loss and wall time side by side, last.
#
#   tools/gpu_quality.sh --pack FILE   on a development machine (/opt/ref python with torch and safetensors): MiniLM
#                                      as a bf16 safetensors copy (45 MB instead of 91: what fits the 64 MB carried to
#                                      a GPU machine), its tokenizer files and the recipes' data files (../shared/data)
#                                      in one .tar.xz (~40 MB)
#   tools/gpu_quality.sh [FILE]        on the GPU machine: unpack FILE (default <repo>/.gpu_quality.tar.xz) and run.
#                                      TINYBERT (default <repo>/.gpu_prebuilt/tinybert, from .gpu_prebuilt.tar.xz if
#                                      need be; LD_LIBRARY_PATH gets its lib/),
#                                      PYTHON (python3), PRECISION (bf16), RUNS ("wikiann imdb squad"), WORK
#                                      (/tmp/tinybert-gpu-quality), OUT (if set, the result lines are copied there),
#                                      EXTRA (more flags for both sides), DEVICE (cuda; cpu checks the script here)
# Both sides start from the same bf16-rounded weights, so their scores compare with each other directly and with
# the CPU runs of docs/results.md (fp32 weights) within the rounding of the start. HF's NER run needs seqeval in
# PYTHON; without it that run is reported as failed and the rest goes on.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ "${1:-}" == "--pack" ]]; then
    dest=${2:?usage: tools/gpu_quality.sh --pack FILE}
    py=${PYTHON:-/opt/ref/bin/python}
    model=$(cd "$ROOT" && bash scripts/fetch_minilm.sh) || exit 1
    data=$ROOT/../shared/data
    stage=$(mktemp -d) && trap 'rm -rf "$stage"' EXIT
    mkdir -p "$stage/model" "$stage/data/wikiann-en" "$stage/data/imdb/aclImdb" "$stage/data/squad-v1.1"
    cp "$model"/{config.json,vocab.txt,tokenizer.json,tokenizer_config.json,special_tokens_map.json} "$stage/model/"
    "$py" - "$model/model.safetensors" "$stage/model/model.safetensors" <<'PY' || exit 1
import sys, torch
from safetensors.torch import load_file, save_file
tensors = load_file(sys.argv[1])
save_file({k: v.to(torch.bfloat16) for k, v in tensors.items()}, sys.argv[2], metadata={"format": "pt"})
PY
    cp "$data"/wikiann-en/{train,validation}.tsv "$stage/data/wikiann-en/"
    cp -r "$data"/imdb/aclImdb/{train,test} "$stage/data/imdb/aclImdb/"
    cp "$data"/squad-v1.1/{train-v1.1-subset.json,dev-v1.1-devsubset.json} "$stage/data/squad-v1.1/"
    tar -C "$stage" -cJf "$dest" model data || exit 1
    du -h "$dest"
    exit 0
fi

pack=${1:-$ROOT/.gpu_quality.tar.xz}
work=${WORK:-/tmp/tinybert-gpu-quality}
tb=${TINYBERT:-$ROOT/.gpu_prebuilt/tinybert}
# the programs carried compressed (tools/gpu_check.sh --pack-prebuilt): unpack them when gpu_check.sh has not
[[ ! -x "$tb" && -z "${TINYBERT:-}" && -f "$ROOT/.gpu_prebuilt.tar.xz" ]] && tar -C "$ROOT" -xJf "$ROOT/.gpu_prebuilt.tar.xz"
[[ -d "$(dirname "$tb")/lib" ]] && export LD_LIBRARY_PATH="$(dirname "$tb")/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
rm -rf "$work" && mkdir -p "$work" && tar -C "$work" -xJf "$pack" || { echo "cannot unpack $pack" >&2; exit 1; }
status=0
for run in ${RUNS:-wikiann imdb squad}; do
    echo "== $run" >&2
    MODEL=$work/model DATA=$work/data OUT_DIR=$work/results TINYBERT=$tb PYTHON=${PYTHON:-python3} \
        DEVICE=${DEVICE:-cuda} PRECISION=${PRECISION:-bf16} EXTRA=${EXTRA:-} \
        bash "$ROOT/tools/quality_runs.sh" "$run" || { echo "== $run: FAILED" >&2; status=1; }
done
[[ -n "${OUT:-}" ]] && cp "$work"/results/*.json "$OUT/" 2>/dev/null

echo
echo "================ tinybert vs Hugging Face Trainer: ${DEVICE:-cuda} ${PRECISION:-bf16} ================"
python3 - "$work/results" <<'PY'
import glob, json, os, sys
metric = {"wikiann": "eval_f1", "imdb": "eval_accuracy", "squad": "eval_f1"}
print("| run | metric | tinybert | Hugging Face | tinybert train loss | HF train loss | tinybert s | HF s | HF s / tinybert s |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for run, key in metric.items():
    sides = {}
    for side in ("tinybert", "hf"):
        path = os.path.join(sys.argv[1], f"{side}-{run}.json")
        try:
            sides[side] = json.loads(open(path).read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError):
            sides[side] = None
    if not any(sides.values()):
        continue
    def get(side, k, fmt):
        r = sides[side]
        return fmt.format(r[k]) if r and isinstance(r.get(k), (int, float)) else "failed"
    t, h = sides["tinybert"], sides["hf"]
    ratio = (f"{h['train_runtime'] / t['train_runtime']:.2f}×" if t and h and t.get("train_runtime") else "")
    score = lambda side: get(side, key, "{:.4f}") if key != "eval_f1" or run != "squad" else get(side, key, "{:.2f}")
    print(f"| {run} | {key[5:]} | {score('tinybert')} | {score('hf')} | {get('tinybert', 'train_loss', '{:.4f}')} | "
          f"{get('hf', 'train_loss', '{:.4f}')} | {get('tinybert', 'train_runtime', '{:.1f}')} | "
          f"{get('hf', 'train_runtime', '{:.1f}')} | {ratio} |")
PY
exit $status
