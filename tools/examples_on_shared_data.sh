#!/usr/bin/env bash
# The three examples/ programs on the real data of ../shared/data (one epoch each, the real all-MiniLM-L6-v2), with
# their output in out/examples/<task>.log. docs/results.md quotes the runs.
# usage: tools/examples_on_shared_data.sh [sentiment|ner|qa ...]   (after a build with -DTINYBERT_BUILD_EXAMPLES=ON)
set -euo pipefail
cd "$(dirname "$0")/.."
model=$(bash scripts/fetch_minilm.sh)
bin=${TINYBERT_BUILD_DIR:-build}/examples
D=../shared/data
mkdir -p out/examples
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(ner sentiment qa)
for what in "${runs[@]}"; do
    case $what in
        sentiment) cmd=("$bin/example_sentiment_imdb" "$model" $D/imdb/aclImdb out/examples/sentiment 1) ;;
        ner) cmd=("$bin/example_ner_wikiann" "$model" $D/wikiann-en out/examples/ner 1) ;;
        qa) cmd=("$bin/example_qa_squad" "$model" $D/squad-v1.1/train-v1.1-subset.json \
                 $D/squad-v1.1/dev-v1.1-devsubset.json out/examples/qa 1) ;;
        *) echo "unknown example '$what' (sentiment, ner or qa)" >&2; exit 2 ;;
    esac
    echo "== ${cmd[*]}"
    start=$(date +%s)
    "${cmd[@]}" 2>&1 | tr '\r' '\n' | grep -v '^\[' | tee out/examples/$what.log
    echo "($(($(date +%s) - start)) s)" | tee -a out/examples/$what.log
done
