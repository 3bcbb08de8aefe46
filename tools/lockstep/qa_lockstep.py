#!/usr/bin/env python3
"""Long-horizon training parity for extractive QA: Hugging Face (BertForQuestionAnswering, torch AdamW, linear
schedule, clip 1.0 — what Trainer does per update) trained for N updates on a fixed sequence of run_qa.py training
features, with the per-update loss and gradient norm recorded. tools/lockstep/qa_lockstep.cpp replays the same
batches from the same initial weights in tinybert; tools/lockstep/compare.py puts the two trajectories side by side.

    python tools/lockstep/qa_lockstep.py --model DIR --train SQUAD_JSON --out DIR [--steps 200] [--batch-size 8]
        [--lr 5e-5] [--total-steps T] [--dropout keep|0] [--seed 42] [--threads 2] [--eval DEV_JSON]
        [--order ORDER_JSON]

Writes DIR/init/ (the initial model, head included, config with the chosen dropout), DIR/batches.safetensors
(input_ids, token_type_ids, attention_mask, start_positions, end_positions: (N·B, L)) and DIR/hf.json
(losses, grad_norms, learning rates). The batches are the features in a seeded
torch.randperm order, or in the order of ORDER_JSON (a list of feature indices, e.g. the order Trainer used); the last
batch may be partial. With --eval, the trained model goes to DIR/hf-final and its SQuAD EM/F1 on
DEV_JSON (run_qa.py features, utils_qa.py post-processing, the official metric) into hf.json.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import hf_finetune as hf  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import AutoModelForQuestionAnswering, AutoTokenizer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--total-steps", type=int, default=0, help="schedule length (default: one epoch of the data)")
    ap.add_argument("--dropout", default="0", choices=["0", "keep"])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval", default="")
    ap.add_argument("--order", default="")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    tok = AutoTokenizer.from_pretrained(a.model)
    rows = hf.prepare_train_features(tok, hf.read_squad(a.train), 384, 128)
    order = json.load(open(a.order)) if a.order else \
        torch.randperm(len(rows), generator=torch.Generator().manual_seed(a.seed)).tolist()
    n = min(a.steps * a.batch_size, len(order))
    assert n > (a.steps - 1) * a.batch_size, f"{a.steps} steps of {a.batch_size} need more than {len(order)} features"
    picked = [rows[i] for i in order[:n]]
    batches = {k: torch.tensor([r[k] for r in picked], dtype=torch.int64)
               for k in ("input_ids", "token_type_ids", "attention_mask", "start_positions", "end_positions")}
    os.makedirs(a.out, exist_ok=True)
    save_file(batches, os.path.join(a.out, "batches.safetensors"))

    extra = {} if a.dropout == "keep" else {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}
    model = AutoModelForQuestionAnswering.from_pretrained(a.model, dtype=torch.float32, **extra)
    model.save_pretrained(os.path.join(a.out, "init"))
    tok.save_pretrained(os.path.join(a.out, "init"))

    total = a.total_steps or math.ceil(len(rows) / a.batch_size)
    decay = [p for nme, p in model.named_parameters() if "bias" not in nme and "LayerNorm" not in nme]
    no_decay = [p for nme, p in model.named_parameters() if "bias" in nme or "LayerNorm" in nme]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.0}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    model.train()
    losses, norms, lrs = [], [], []
    for s in range(a.steps):
        lr = a.lr * max(0.0, (total - s) / max(1, total))
        for g in opt.param_groups:
            g["lr"] = lr
        b = {k: v[s * a.batch_size:min(n, (s + 1) * a.batch_size)] for k, v in batches.items()}
        loss = model(**b).loss
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
        norms.append(norm.item())
        lrs.append(lr)
        if (s + 1) % 10 == 0:
            print(f"step {s + 1}: loss {loss.item():.4f} grad norm {norm.item():.4f}", file=sys.stderr, flush=True)
    result = {"losses": losses, "grad_norms": norms, "lrs": lrs, "total_steps": total, "batch_size": a.batch_size,
              "dropout": a.dropout}
    if a.eval:
        model.save_pretrained(os.path.join(a.out, "hf-final"))
        result.update(evaluate(model, tok, a.eval))
        print(f"eval: {result['exact_match']:.2f} EM, {result['f1']:.2f} F1", file=sys.stderr, flush=True)
    with open(os.path.join(a.out, "hf.json"), "w") as f:
        json.dump(result, f)


def evaluate(model, tok, path):
    examples = hf.read_squad(path)
    rows, meta = hf.prepare_validation_features(tok, examples, 384, 128)
    model.eval()
    starts, ends = [], []
    with torch.no_grad():
        for i in range(0, len(rows), 32):
            out = model(**{k: torch.tensor([r[k] for r in rows[i:i + 32]]) for k in rows[0]})
            starts += out.start_logits.tolist()
            ends += out.end_logits.tolist()
    answers = hf.postprocess_qa_predictions(examples, meta, (np.array(starts), np.array(ends)))
    return hf.squad_evaluate(examples, answers)


if __name__ == "__main__":
    main()
