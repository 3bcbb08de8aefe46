#!/usr/bin/env python3
"""Writes `tinybert parity` fixtures with Hugging Face transformers + torch (never needed by the C++ build).

For each family (bert, roberta, xlm-roberta, distilbert, electra) and head (sequence classification, token
classification, question answering) it builds a tiny random model, saves it with save_pretrained (config.json +
model.safetensors, float32) into OUT/<head>/ (bert) or OUT/<family>/<head>/, and writes reference.safetensors there
with, computed in float64 from those same float32 weights:
  input_ids, attention_mask, token_type_ids (int64 [B,S]); labels (label_labels or label_start/end_positions);
  logits (or start_logits/end_logits), loss [1], grad.<name> for every parameter,
  train_losses [3] and after3.<name>: three AdamW steps (lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01
  except biases and LayerNorm weights, linear schedule 1 warmup step of 4, clip at global norm 1.0; each loss is
  taken before its update; the no-decay group is the Trainer's: LayerNorm modules' parameters and biases).
Dropout is 0 in the fixtures' config.json. RoBERTa/XLM-R inputs pad with pad_token_id 1 (position ids skip it) and
have one token type; DistilBERT takes no token_type_ids (zeros are stored for the C++ side, which ignores them);
ELECTRA's embeddings are 8 wide, projected to 16.

The multi_label and regression heads (sequence classification with float labels: BCEWithLogitsLoss over (B,C),
MSELoss over (B)) are written only when asked for with --heads, so the existing fixtures stay as they are:
  python tools/make_reference.py tests/fixtures/parity bert roberta --heads=multi_label,regression

usage: python tools/make_reference.py [OUT=tests/fixtures/parity] [FAMILY...] [--heads=H1,H2]
       (default: every family, the heads sequence_classification, token_classification, question_answering)
"""
import os
import sys

import torch
from safetensors.torch import save_file
import transformers
from transformers import get_linear_schedule_with_warmup

B, S = 3, 7
LENGTHS = [7, 5, 3]  # rows 1 and 2 are padded


# family -> (class name prefix, config class, pad id, token types)
FAMILIES = {
    "bert": ("Bert", "BertConfig", 0, 2),
    "roberta": ("Roberta", "RobertaConfig", 1, 1),
    "xlm-roberta": ("XLMRoberta", "XLMRobertaConfig", 1, 1),
    "distilbert": ("DistilBert", "DistilBertConfig", 0, 0),
    "electra": ("Electra", "ElectraConfig", 0, 2),
}
HEADS = {"sequence_classification": ("ForSequenceClassification", 3, 1),
         "token_classification": ("ForTokenClassification", 5, 2),
         "question_answering": ("ForQuestionAnswering", 2, 3),
         # the other problem types of *ForSequenceClassification (float labels, stored as label_float_labels)
         "multi_label": ("ForSequenceClassification", 3, 4),
         "regression": ("ForSequenceClassification", 1, 5)}
# The heads written when no --heads is given: the first three (the fixtures of every family).
DEFAULT_HEADS = ["sequence_classification", "token_classification", "question_answering"]
# config.json problem_type of the multi_label and regression fixtures: null (transformers infers it from num_labels
# and the labels' dtype at the first forward) or explicit, so that both ways are tested.
PROBLEM_TYPES = {("bert", "multi_label"): None, ("bert", "regression"): "regression",
                 ("roberta", "multi_label"): "multi_label_classification", ("roberta", "regression"): None}


def tiny_config(family, num_labels):
    _, config_cls, pad, types = FAMILIES[family]
    labels = dict(num_labels=num_labels, id2label={i: f"LABEL_{i}" for i in range(num_labels)},
                  label2id={f"LABEL_{i}": i for i in range(num_labels)})
    config_cls = getattr(transformers, config_cls)
    if family == "distilbert":
        return config_cls(vocab_size=50, dim=16, n_layers=2, n_heads=4, hidden_dim=24, max_position_embeddings=16,
                          dropout=0.0, attention_dropout=0.0, qa_dropout=0.0, seq_classif_dropout=0.0,
                          pad_token_id=pad, **labels)
    extra = {"embedding_size": 8} if family == "electra" else {}
    return config_cls(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                      intermediate_size=24, max_position_embeddings=16, type_vocab_size=types, pad_token_id=pad,
                      hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, **extra, **labels)


def inputs(gen, family):
    _, _, pad, type_vocab = FAMILIES[family]
    ids = torch.randint(5, 50, (B, S), generator=gen)
    mask = torch.zeros(B, S, dtype=torch.int64)
    types = torch.zeros(B, S, dtype=torch.int64)
    for b, n in enumerate(LENGTHS):
        mask[b, :n] = 1
        ids[b, 0], ids[b, n - 1] = 2, 3  # [CLS] ... [SEP] stand-ins
        ids[b, n:] = pad
        if type_vocab > 1:
            types[b, n // 2:n] = 1  # both token types in every row
    return ids, mask, types


def no_decay_names(model):
    """The Trainer's no-decay group: parameters of LayerNorm modules, and every bias."""
    norms = {f"{m}.{p}" if m else p for m, module in model.named_modules() if isinstance(module, torch.nn.LayerNorm)
             for p, _ in module.named_parameters(recurse=False)}
    return {n for n, _ in model.named_parameters() if n in norms or "bias" in n}


def make(family, head, out_dir):
    suffix, num_labels, seed = HEADS[head]
    cls = getattr(transformers, FAMILIES[family][0] + suffix)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    config = tiny_config(family, num_labels)
    if head in ("multi_label", "regression"):
        config.problem_type = PROBLEM_TYPES.get((family, head))
    model = cls(config).float()
    # Non-trivial LayerNorm/bias values so their gradients and updates are exercised.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name or name.endswith("bias"):
                p.add_(0.1 * torch.randn(p.shape, generator=gen))
    path = os.path.join(out_dir, head) if family == "bert" else os.path.join(out_dir, family, head)
    model.save_pretrained(path, safe_serialization=True)

    model = cls.from_pretrained(path).double()
    model.train()  # dropout is 0, so train mode equals eval mode numerically
    ids, mask, types = inputs(gen, family)
    ref = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
    model_inputs = {"input_ids": ids, "attention_mask": mask}
    if family != "distilbert":
        model_inputs["token_type_ids"] = types
    if head == "sequence_classification":
        labels = torch.tensor([1, 0, 2])
        ref["label_labels"] = labels
        kwargs = {"labels": labels}
    elif head == "multi_label":  # float multi-hot targets (B,C); row 1 has no label
        labels = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 0.0]], dtype=torch.float64)
        ref["label_float_labels"] = labels
        kwargs = {"labels": labels}
    elif head == "regression":  # float targets (B), exact in float32 (tinybert's float labels are float32)
        labels = torch.tensor([0.5, -1.25, 2.0], dtype=torch.float64)
        ref["label_float_labels"] = labels
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
    out = model(**model_inputs, **kwargs)
    if head == "question_answering":
        ref["start_logits"], ref["end_logits"] = out.start_logits.detach(), out.end_logits.detach()
    else:
        ref["logits"] = out.logits.detach()
    ref["loss"] = out.loss.detach().reshape(1)
    out.loss.backward()
    for name, p in params.items():
        ref["grad." + name] = p.grad.detach().clone()
    model.zero_grad()

    no_decay = no_decay_names(model)
    groups = [{"params": [p for n, p in params.items() if n not in no_decay], "weight_decay": 0.01},
              {"params": [p for n, p in params.items() if n in no_decay], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=1, num_training_steps=4)
    losses = []
    for _ in range(3):
        loss = model(**model_inputs, **kwargs).loss
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
    heads = DEFAULT_HEADS
    args = []
    for a in sys.argv[1:]:
        if a.startswith("--heads="):
            heads = a[len("--heads="):].split(",")
            unknown = [h for h in heads if h not in HEADS]
            if unknown:
                sys.exit(f"unknown heads {unknown}; known: {list(HEADS)}")
        else:
            args.append(a)
    out_dir = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "parity")
    families = args[1:] or list(FAMILIES)
    torch.use_deterministic_algorithms(True)
    for family in families:
        for head in heads:
            make(family, head, out_dir)


if __name__ == "__main__":
    main()
