#!/usr/bin/env python3
"""Writes `tinybert parity` fixtures with Hugging Face transformers + torch (never needed by the C++ build).

For each head (sequence classification, token classification, question answering) it builds a tiny random BERT,
saves it with save_pretrained (config.json + model.safetensors, float32) into OUT/<head>/, and writes
OUT/<head>/reference.safetensors with, computed in float64 from those same float32 weights:
  input_ids, attention_mask, token_type_ids (int64 [B,S]); labels (label_labels or label_start/end_positions);
  logits (or start_logits/end_logits), loss [1], grad.<name> for every parameter,
  train_losses [3] and after3.<name>: three AdamW steps (lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01
  except biases and LayerNorm weights, linear schedule 1 warmup step of 4, clip at global norm 1.0; each loss is
  taken before its update). Dropout is 0 in the fixtures' config.json.

usage: python tools/make_reference.py [OUT=tests/fixtures/parity]
"""
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import (BertConfig, BertForQuestionAnswering, BertForSequenceClassification,
                          BertForTokenClassification, get_linear_schedule_with_warmup)

B, S = 3, 7
LENGTHS = [7, 5, 3]  # rows 1 and 2 are padded


def tiny_config(num_labels):
    return BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                      intermediate_size=24, max_position_embeddings=16, type_vocab_size=2,
                      hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, num_labels=num_labels,
                      id2label={i: f"LABEL_{i}" for i in range(num_labels)},
                      label2id={f"LABEL_{i}": i for i in range(num_labels)})


def inputs(gen):
    ids = torch.randint(5, 50, (B, S), generator=gen)
    mask = torch.zeros(B, S, dtype=torch.int64)
    types = torch.zeros(B, S, dtype=torch.int64)
    for b, n in enumerate(LENGTHS):
        mask[b, :n] = 1
        ids[b, 0], ids[b, n - 1] = 2, 3  # [CLS] ... [SEP] stand-ins
        ids[b, n:] = 0
        types[b, n // 2:n] = 1  # both token types in every row
    return ids, mask, types


def no_decay(name):
    return "bias" in name or "LayerNorm.weight" in name


def make(head, cls, num_labels, out_dir, seed):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = cls(tiny_config(num_labels)).float()
    # Non-trivial LayerNorm/bias values so their gradients and updates are exercised.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name or name.endswith("bias"):
                p.add_(0.1 * torch.randn(p.shape, generator=gen))
    path = os.path.join(out_dir, head)
    model.save_pretrained(path, safe_serialization=True)

    model = cls.from_pretrained(path).double()
    model.train()  # dropout is 0, so train mode equals eval mode numerically
    ids, mask, types = inputs(gen)
    ref = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
    if head == "sequence_classification":
        labels = torch.tensor([1, 0, 2])
        ref["label_labels"] = labels
        kwargs = {"labels": labels}
    elif head == "token_classification":
        labels = torch.randint(0, num_labels, (B, S), generator=gen)
        labels[mask == 0] = -100
        labels[:, 0] = -100
        ref["label_labels"] = labels
        kwargs = {"labels": labels}
    else:
        starts, ends = torch.tensor([2, 1, 0]), torch.tensor([4, 3, 9])  # 9 >= S: clamped and ignored
        ref["label_start_positions"], ref["label_end_positions"] = starts, ends
        kwargs = {"start_positions": starts, "end_positions": ends}

    params = dict(model.named_parameters())
    out = model(input_ids=ids, attention_mask=mask, token_type_ids=types, **kwargs)
    if head == "question_answering":
        ref["start_logits"], ref["end_logits"] = out.start_logits.detach(), out.end_logits.detach()
    else:
        ref["logits"] = out.logits.detach()
    ref["loss"] = out.loss.detach().reshape(1)
    out.loss.backward()
    for name, p in params.items():
        ref["grad." + name] = p.grad.detach().clone()
    model.zero_grad()

    groups = [{"params": [p for n, p in params.items() if not no_decay(n)], "weight_decay": 0.01},
              {"params": [p for n, p in params.items() if no_decay(n)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=1, num_training_steps=4)
    losses = []
    for _ in range(3):
        loss = model(input_ids=ids, attention_mask=mask, token_type_ids=types, **kwargs).loss
        losses.append(loss.item())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
    ref["train_losses"] = torch.tensor(losses, dtype=torch.float64)
    for name, p in params.items():
        ref["after3." + name] = p.detach().clone()
    ref = {k: (v.double() if v.is_floating_point() else v.long()).contiguous() for k, v in ref.items()}
    save_file(ref, os.path.join(path, "reference.safetensors"), metadata={"format": "pt"})
    print(f"{path}: loss {ref['loss'].item():.6f}, {len(params)} parameters")


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests",
                                                                  "fixtures", "parity")
    torch.use_deterministic_algorithms(True)
    make("sequence_classification", BertForSequenceClassification, 3, out_dir, 1)
    make("token_classification", BertForTokenClassification, 5, out_dir, 2)
    make("question_answering", BertForQuestionAnswering, 2, out_dir, 3)


if __name__ == "__main__":
    main()
