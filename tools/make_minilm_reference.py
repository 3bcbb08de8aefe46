#!/usr/bin/env python3
"""Reference outputs of the real all-MiniLM-L6-v2 (transformers BertModel, eval mode) for a few real sentences.

Writes tests/fixtures/minilm/reference.safetensors: input_ids, attention_mask, token_type_ids (int64 [B,S], padded),
last_hidden_state and pooler_output in float32 (the model's dtype) and float64 (the same weights, .double()).

usage: python tools/make_minilm_reference.py MODEL_DIR [OUT_FILE]   (MODEL_DIR from scripts/fetch_minilm.sh)
"""
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoTokenizer, BertModel

SENTENCES = [
    "This movie was a complete waste of two hours.",
    "A warm, funny and beautifully acted film; I loved it!",
    "Frédéric Chopin was born in Żelazowa Wola, near Warsaw.",
    ("Who founded the University of Notre Dame?",
     "The University of Notre Dame was founded by Father Edward Sorin in 1842."),
]


def main():
    model_dir = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures",
                                                             "minilm", "reference.safetensors")
    tok = AutoTokenizer.from_pretrained(model_dir)
    firsts = [s if isinstance(s, str) else s[0] for s in SENTENCES]
    seconds = [None if isinstance(s, str) else s[1] for s in SENTENCES]
    enc = [tok(a, b) for a, b in zip(firsts, seconds)]
    batch = tok.pad(enc, padding="longest", return_tensors="pt")
    model = BertModel.from_pretrained(model_dir).eval()
    ref = {k: batch[k].long() for k in ("input_ids", "attention_mask", "token_type_ids")}
    with torch.no_grad():
        o32 = model(**ref)
        o64 = model.double()(**ref)
    ref["last_hidden_state_f32"] = o32.last_hidden_state.float()
    ref["pooler_output_f32"] = o32.pooler_output.float()
    ref["last_hidden_state_f64"] = o64.last_hidden_state.double()
    ref["pooler_output_f64"] = o64.pooler_output.double()
    save_file({k: v.contiguous() for k, v in ref.items()}, out, metadata={"format": "pt"})
    print(out, tuple(ref["input_ids"].shape))


if __name__ == "__main__":
    main()
