#!/usr/bin/env bash
# `tinybert finetune` under mpirun on the real all-MiniLM-L6-v2 (skips without it), a few data/samples examples:
#  1. equality, on WikiAnn NER (shards differ in labelled tokens): 2 processes × --batch-size 4 save the weights of
#     1 process × --batch-size 8 (dropout set to 0 in a copy of the checkpoint), within float summation noise, with the
#     same evaluation metrics;
#     `tinybert evaluate` (SQuAD, MiniLM with a fresh QA head: F1 ≈ 7) under mpirun prints the one-process metrics;
#  2. kill and resume: a 2-process run (dropout 0.1, evaluation and checkpoint after every update) is killed with
#     SIGTERM once a checkpoint exists, resumed with --resume, and ends with the weights of an uninterrupted run, bit
#     for bit (each rank's dropout stream comes back from the checkpoint).
# usage: cli_flow.sh TINYBERT COMPARE_WEIGHTS MODEL_DEFAULT SAMPLES WORK MPIEXEC [MPIEXEC FLAGS...]
set -euo pipefail
tinybert=$1 compare=$2 model_default=$3 samples=$4 work=$5
shift 5
mpirun=("$@")
model=${TINYBERT_MINILM_DIR:-$model_default}
if [[ ! -f $model/model.safetensors ]]; then
    echo "SKIPPED: no all-MiniLM-L6-v2 at $model (scripts/fetch_minilm.sh)"
    exit 0
fi
rm -rf "$work" && mkdir -p "$work/nodropout"
cp "$model"/{config.json,model.safetensors,vocab.txt,tokenizer_config.json} "$work/nodropout/" 2>/dev/null ||
    cp "$model"/{config.json,model.safetensors,vocab.txt} "$work/nodropout/"
sed -Ei 's/("(hidden|attention_probs)_dropout_prob": *)[0-9.]+/\10.0/' "$work/nodropout/config.json"
grep -q '"hidden_dropout_prob": *0.0' "$work/nodropout/config.json"

common=(finetune --max-length 64 --quiet --report-to none)
ner=(--task ner --train "$samples/wikiann/train.tsv" --eval "$samples/wikiann/validation.tsv" --max-train-examples 40
     --max-eval-examples 40)
imdb=(--task classification --train "$samples/imdb/aclImdb/train" --eval "$samples/imdb/aclImdb/test"
      --max-train-examples 16 --max-eval-examples 16)
field() { grep -o "\"$1\":[^,}]*" "$2" | cut -d: -f2; }

echo "== 1 process x batch 8 vs 2 processes x batch 4"
"$tinybert" "${common[@]}" "${ner[@]}" --model "$work/nodropout" --out "$work/one" --epochs 1 --batch-size 8 \
    > "$work/one.json"
"${mpirun[@]}" "$tinybert" "${common[@]}" "${ner[@]}" --model "$work/nodropout" --out "$work/two" --epochs 1 \
    --batch-size 4 > "$work/two.json"
cat "$work/one.json" "$work/two.json"
[[ $(grep -c . "$work/two.json") == 1 ]] || { echo "FAIL: rank 0 alone prints the result"; exit 1; }
[[ $(field world_size "$work/two.json") == 2 ]] || { echo "FAIL: no world_size 2 in the result"; exit 1; }
"$compare" "$work/one/checkpoint/model.safetensors" "$work/two/checkpoint/model.safetensors" 2e-5
for m in eval_precision eval_recall eval_f1 eval_accuracy updates; do
    [[ $(field $m "$work/one.json") == $(field $m "$work/two.json") ]] || { echo "FAIL: $m differs"; exit 1; }
done
echo "== tinybert evaluate (QA, sliding windows): 2 processes, each every other batch, = 1 process"
evaluate=(evaluate --task qa --model "$model" --data "$samples/squad/dev.json" --max-examples 40 --batch-size 8
          --max-length 128 --doc-stride 32)
"$tinybert" "${evaluate[@]}" > "$work/evaluate_one.json"
"${mpirun[@]}" "$tinybert" "${evaluate[@]}" > "$work/evaluate_two.json"
cat "$work/evaluate_two.json"
cmp "$work/evaluate_one.json" "$work/evaluate_two.json" || { echo "FAIL: sharded evaluate differs"; exit 1; }

echo "== kill a 2-process run after its first checkpoint, resume it"
resume_args=("${imdb[@]}" --model "$model" --epochs 2 --batch-size 4 --eval-steps 1)
"${mpirun[@]}" "$tinybert" "${common[@]}" "${resume_args[@]}" --out "$work/straight" > /dev/null
"${mpirun[@]}" "$tinybert" "${common[@]}" "${resume_args[@]}" --out "$work/resumed" > "$work/killed.json" &
job=$!
for _ in $(seq 1 1500); do
    [[ -f $work/resumed/checkpoint/trainer_state.json ]] && break
    sleep 0.2
done
kill -TERM "$job"
status=0
wait "$job" || status=$?
echo "killed run: exit status $status, checkpoint at update $(field updates "$work/resumed/checkpoint/trainer_state.json")"
[[ $status != 0 && ! -s $work/killed.json ]] || { echo "FAIL: the run finished before it was killed"; exit 1; }
"${mpirun[@]}" "$tinybert" "${common[@]}" "${resume_args[@]}" --out "$work/resumed" --resume > "$work/resumed.json"
[[ $(field updates "$work/resumed.json") == 4 ]] || { echo "FAIL: the resumed run did not end at update 4"; exit 1; }
"$compare" "$work/straight/checkpoint/model.safetensors" "$work/resumed/checkpoint/model.safetensors" 0
echo "PASSED"
