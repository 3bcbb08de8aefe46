#!/usr/bin/env python3
"""Proves that directories written by tinybert's save_pretrained load in transformers with the same logits.

Runs the save_for_hf program (built from tests/nn/save_for_hf.cpp) on MODEL_DIR (any family tinybert runs), which
fine-tunes two steps per head and saves, then loads each saved directory with AutoModelFor*.from_pretrained and
compares transformers' eval-mode logits with tinybert's. Exit status 1 if any max |Δ| exceeds 1e-5, or if a saved
directory's class is not the one tinybert wrote in config.json.

usage: python tools/check_hf_roundtrip.py SAVE_FOR_HF_BINARY MODEL_DIR OUT_DIR
"""
import json
import os
import subprocess
import sys

import torch
from safetensors.torch import load_file
from transformers import (AutoModelForQuestionAnswering, AutoModelForSequenceClassification,
                          AutoModelForTokenClassification)


def main():
    binary, model_dir, out_dir = sys.argv[1:4]
    saved = subprocess.run([binary, model_dir, out_dir], check=True, capture_output=True, text=True).stdout.split()
    worst = 0.0
    autos = {"ForSequenceClassification": AutoModelForSequenceClassification,
             "ForTokenClassification": AutoModelForTokenClassification,
             "ForQuestionAnswering": AutoModelForQuestionAnswering}
    for d in saved:
        arch = json.load(open(os.path.join(d, "config.json")))["architectures"][0]
        auto = next(a for suffix, a in autos.items() if arch.endswith(suffix))
        ours = load_file(f"{d}/tinybert_outputs.safetensors")
        model = auto.from_pretrained(d).eval()
        assert type(model).__name__ == arch, type(model).__name__
        inputs = {"input_ids": ours["input_ids"], "attention_mask": ours["attention_mask"]}
        if model.config.model_type != "distilbert":
            inputs["token_type_ids"] = ours["token_type_ids"]
        with torch.no_grad():
            out = model(**inputs)
        names = ["start_logits", "end_logits"] if arch.endswith("ForQuestionAnswering") else ["logits"]
        for n in names:
            diff = (getattr(out, n) - ours[n]).abs().max().item()
            worst = max(worst, diff)
            print(f"{arch:38s} {n:13s} max |Δ| = {diff:.3e}  labels={model.config.id2label}")
    print(f"worst max |Δ| = {worst:.3e}")
    sys.exit(0 if worst <= 1e-5 else 1)


if __name__ == "__main__":
    main()
