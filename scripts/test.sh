#!/usr/bin/env bash
# README command 2: install the build dependencies, build everything, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
# The real all-MiniLM-L6-v2 weights for the real-model tests (they skip, with a warning, when this fails).
if minilm=$(bash scripts/fetch_minilm.sh); then export TINYBERT_MINILM_DIR="$minilm"; fi
build=${TINYBERT_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DTINYBERT_WERROR=ON -DTINYBERT_BUILD_TESTS=ON \
      -DTINYBERT_BUILD_EXAMPLES=ON -DTINYBERT_CUDA=OFF "$@"
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
