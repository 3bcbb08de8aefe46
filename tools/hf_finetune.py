#!/usr/bin/env python3
"""Hugging Face reference for `tinybert finetune`: the same data files, flags and defaults, trained with HF Trainer.

    HF_HUB_OFFLINE=1 python tools/hf_finetune.py --task classification|ner|qa --model DIR --train PATH --eval PATH
        --out DIR [--epochs 3] [--lr 5e-5] [--batch-size 8] [--max-length L] [--warmup-ratio 0] [--weight-decay 0]
        [--seed 42] [--threads 2] [--max-train-examples N] [--max-eval-examples N] [--doc-stride 128]
        [--device cpu|cuda] [--precision fp32|tf32|bf16|fp16]

--device and --precision are `tinybert finetune`'s: on a GPU, TrainingArguments(bf16=True) / (fp16=True) (autocast,
and for fp16 the GradScaler) / (tf32=True); fp32 is the default. bf16/fp16/tf32 need --device cuda.

The preprocessing, metrics and QA post-processing mirror the transformers example scripts run_glue.py, run_ner.py,
run_qa.py + utils_qa.py (postprocess_qa_predictions) and the official SQuAD v1.1 evaluation script. Data files are
read in their original formats by the parsers below (the same rules as tinybert's readers), never from the Hub.
Progress goes to stderr; stdout gets exactly one JSON line: the last epoch's evaluation metrics plus "eval_history".
"""

import argparse
import collections
import csv
import json
import math
import os
import re
import string
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Trainer's PrinterCallback (disable_tqdm=True) prints logs on stdout: send everything to stderr and keep the real
# stdout for the one result line.
_RESULT_OUT = sys.stdout
sys.stdout = sys.stderr

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import (  # noqa: E402
    AutoModelForQuestionAnswering,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
    DataCollatorForTokenClassification,
    DataCollatorWithPadding,
    Trainer,
    TrainingArguments,
    default_data_collator,
)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------------------------
# Data readers (tinybert's rules: include/tinybert/data/*.hpp)
# ----------------------------------------------------------------------------------------------------------------


def resolve_labels(raw, names):
    """raw: list of int | str. names given: map onto it; else all-int -> "0".."max", else sorted set of strings."""
    def as_int(v):
        if isinstance(v, int):
            return v
        try:
            return int(v)
        except ValueError:
            return None

    if names:
        ids = []
        for v in raw:
            i = names.index(v) if isinstance(v, str) and v in names else as_int(v)
            if i is None or not 0 <= i < len(names):
                raise SystemExit(f"label {v!r} is not in the label list {names}")
            ids.append(i)
        return ids, names
    if all(as_int(v) is not None for v in raw):
        ids = [as_int(v) for v in raw]
        return ids, [str(i) for i in range(max(ids) + 1)]
    names = sorted(set(raw))
    return [names.index(v) for v in raw], names


def read_text_dataset(path, label_names=None):
    """IMDb split folder (neg=0 then pos=1, files sorted by name as bytes), CSV text,label[,text_pair] or JSONL."""
    if os.path.isdir(path):
        texts, labels = [], []
        for label, cls in enumerate(["neg", "pos"]):
            d = os.fsencode(os.path.join(path, cls))
            for name in sorted(n for n in os.listdir(d) if n.endswith(b".txt")):
                with open(os.path.join(d, name), "rb") as f:
                    texts.append(f.read().decode("utf-8"))
                labels.append(label)
        return [(t, None) for t in texts], labels, ["neg", "pos"]
    rows, raw = [], []
    if path.lower().endswith(".csv"):
        with open(path, newline="", encoding="utf-8-sig") as f:
            for rec in csv.DictReader(f):
                rows.append((rec["text"], rec.get("text_pair")))
                raw.append(rec["label"])
    else:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rec = json.loads(line)
                    rows.append((rec["text"], rec.get("text_pair")))
                    raw.append(rec["label"])
    ids, names = resolve_labels(raw, list(label_names or []))
    return rows, ids, names


def _lang_prefix(tok):
    n = 0
    while n < len(tok) and n < 3 and "a" <= tok[n] <= "z":
        n += 1
    if n >= 2 and n < len(tok) and tok[n] == ":" and n + 1 < len(tok):
        return tok[: n + 1]
    return ""


def read_conll(path):
    """token<TAB>tag per line, blank line between sentences; a language prefix shared by every token is stripped."""
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    sents = [[]]
    for row in text.split("\n"):
        row = row.rstrip("\r \t")
        if not row.strip(" \t"):
            if sents[-1]:
                sents.append([])
            continue
        sep = "\t" if "\t" in row else " "
        tok, tag = row[: row.find(sep)], row[row.rfind(sep) + 1:]
        if tok != "-DOCSTART-":
            sents[-1].append((tok, tag))
    if not sents[-1]:
        sents.pop()
    prefix = _lang_prefix(sents[0][0][0])
    if prefix and not all(t.startswith(prefix) and len(t) > len(prefix) for s in sents for t, _ in s):
        prefix = ""
    return [([t[len(prefix):] for t, _ in s], [g for _, g in s]) for s in sents]


def read_squad(path):
    """SQuAD JSON -> examples in file order, as the HF `squad` loading script builds them."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    out = []
    for article in doc["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                out.append({
                    "id": qa["id"],
                    "question": qa["question"],
                    "context": para["context"],
                    "answers": {"answer_start": [a["answer_start"] for a in qa["answers"]],
                                "text": [a["text"] for a in qa["answers"]]},
                })
    return out


def take(xs, n):
    return xs[:n] if n and n > 0 else xs


class ListDataset(torch.utils.data.Dataset):
    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]


def columns_to_rows(enc, keys):
    return [{k: enc[k][i] for k in keys} for i in range(len(enc["input_ids"]))]


# ----------------------------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------------------------


def classification_metrics(preds, labels, num_labels):
    preds, labels = np.asarray(preds), np.asarray(labels)
    acc = float((preds == labels).mean())

    def prf(c):
        tp = int(((preds == c) & (labels == c)).sum())
        fp = int(((preds == c) & (labels != c)).sum())
        fn = int(((preds != c) & (labels == c)).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    if num_labels == 2:
        f1 = prf(1)  # sklearn f1_score(average="binary", pos_label=1, zero_division=0)
    else:  # sklearn macro over the labels present in y_true or y_pred
        f1 = float(np.mean([prf(c) for c in np.union1d(preds, labels)]))
    return {"accuracy": acc, "f1": f1}


def normalize_answer(s):
    """Official SQuAD v1.1: lower case, remove punctuation, articles and extra whitespace."""
    def remove_articles(text):
        return re.sub(r"\b(a|an|the)\b", " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    return white_space_fix(remove_articles(remove_punc(s.lower())))


def squad_f1(prediction, ground_truth):
    p, g = normalize_answer(prediction).split(), normalize_answer(ground_truth).split()
    common = collections.Counter(p) & collections.Counter(g)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision, recall = 1.0 * num_same / len(p), 1.0 * num_same / len(g)
    return (2 * precision * recall) / (precision + recall)


def squad_em(prediction, ground_truth):
    return normalize_answer(prediction) == normalize_answer(ground_truth)


def squad_evaluate(examples, predictions):
    em = f1 = 0.0
    for ex in examples:
        if ex["id"] not in predictions:
            log(f"unanswered question {ex['id']} will receive score 0")
            continue
        gts, pred = ex["answers"]["text"], predictions[ex["id"]]
        em += max(squad_em(pred, gt) for gt in gts)
        f1 += max(squad_f1(pred, gt) for gt in gts)
    n = len(examples)
    return {"exact_match": 100.0 * em / n, "f1": 100.0 * f1 / n}


# ----------------------------------------------------------------------------------------------------------------
# QA features (run_qa.py prepare_train_features / prepare_validation_features) and post-processing (utils_qa.py)
# ----------------------------------------------------------------------------------------------------------------


def qa_tokenize(tokenizer, examples, max_length, stride):
    pad_on_right = tokenizer.padding_side == "right"
    questions = [e["question"].lstrip() for e in examples]
    contexts = [e["context"] for e in examples]
    return pad_on_right, tokenizer(
        questions if pad_on_right else contexts,
        contexts if pad_on_right else questions,
        truncation="only_second" if pad_on_right else "only_first",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding="max_length",
    )


def prepare_train_features(tokenizer, examples, max_length, stride):
    pad_on_right, enc = qa_tokenize(tokenizer, examples, max_length, stride)
    sample_mapping = enc.pop("overflow_to_sample_mapping")
    offset_mapping = enc.pop("offset_mapping")
    starts, ends = [], []
    for i, offsets in enumerate(offset_mapping):
        input_ids = enc["input_ids"][i]
        if tokenizer.cls_token_id in input_ids:
            cls_index = input_ids.index(tokenizer.cls_token_id)
        elif tokenizer.bos_token_id in input_ids:
            cls_index = input_ids.index(tokenizer.bos_token_id)
        else:
            cls_index = 0
        sequence_ids = enc.sequence_ids(i)
        answers = examples[sample_mapping[i]]["answers"]
        if len(answers["answer_start"]) == 0:
            starts.append(cls_index)
            ends.append(cls_index)
            continue
        start_char = answers["answer_start"][0]
        end_char = start_char + len(answers["text"][0])
        token_start_index = 0
        while sequence_ids[token_start_index] != (1 if pad_on_right else 0):
            token_start_index += 1
        token_end_index = len(input_ids) - 1
        while sequence_ids[token_end_index] != (1 if pad_on_right else 0):
            token_end_index -= 1
        if not (offsets[token_start_index][0] <= start_char and offsets[token_end_index][1] >= end_char):
            starts.append(cls_index)
            ends.append(cls_index)
        else:
            while token_start_index < len(offsets) and offsets[token_start_index][0] <= start_char:
                token_start_index += 1
            starts.append(token_start_index - 1)
            while offsets[token_end_index][1] >= end_char:
                token_end_index -= 1
            ends.append(token_end_index + 1)
    enc["start_positions"], enc["end_positions"] = starts, ends
    keys = [k for k in ("input_ids", "token_type_ids", "attention_mask", "start_positions", "end_positions") if k in enc]
    return columns_to_rows(enc, keys)


def prepare_validation_features(tokenizer, examples, max_length, stride):
    pad_on_right, enc = qa_tokenize(tokenizer, examples, max_length, stride)
    sample_mapping = enc.pop("overflow_to_sample_mapping")
    context_index = 1 if pad_on_right else 0
    meta = []
    for i in range(len(enc["input_ids"])):
        sequence_ids = enc.sequence_ids(i)
        meta.append({
            "example_id": examples[sample_mapping[i]]["id"],
            "offset_mapping": [(o if sequence_ids[k] == context_index else None)
                               for k, o in enumerate(enc["offset_mapping"][i])],
        })
    keys = [k for k in ("input_ids", "token_type_ids", "attention_mask") if k in enc]
    return columns_to_rows(enc, keys), meta


def postprocess_qa_predictions(examples, features, predictions, n_best_size=20, max_answer_length=30):
    """utils_qa.postprocess_qa_predictions with version_2_with_negative=False: question id -> answer text."""
    all_start_logits, all_end_logits = predictions
    example_id_to_index = {e["id"]: i for i, e in enumerate(examples)}
    features_per_example = collections.defaultdict(list)
    for i, feature in enumerate(features):
        features_per_example[example_id_to_index[feature["example_id"]]].append(i)
    all_predictions = collections.OrderedDict()
    for example_index, example in enumerate(examples):
        prelim_predictions = []
        for feature_index in features_per_example[example_index]:
            start_logits = all_start_logits[feature_index]
            end_logits = all_end_logits[feature_index]
            offset_mapping = features[feature_index]["offset_mapping"]
            start_indexes = np.argsort(start_logits)[-1: -n_best_size - 1: -1].tolist()
            end_indexes = np.argsort(end_logits)[-1: -n_best_size - 1: -1].tolist()
            for start_index in start_indexes:
                for end_index in end_indexes:
                    if (start_index >= len(offset_mapping) or end_index >= len(offset_mapping)
                            or offset_mapping[start_index] is None or len(offset_mapping[start_index]) < 2
                            or offset_mapping[end_index] is None or len(offset_mapping[end_index]) < 2):
                        continue
                    if end_index < start_index or end_index - start_index + 1 > max_answer_length:
                        continue
                    prelim_predictions.append({
                        "offsets": (offset_mapping[start_index][0], offset_mapping[end_index][1]),
                        "score": start_logits[start_index] + end_logits[end_index],
                    })
        preds = sorted(prelim_predictions, key=lambda x: x["score"], reverse=True)[:n_best_size]
        context = example["context"]
        for pred in preds:
            offsets = pred.pop("offsets")
            pred["text"] = context[offsets[0]: offsets[1]]
        if len(preds) == 0 or (len(preds) == 1 and preds[0]["text"] == ""):
            preds.insert(0, {"text": "empty", "score": 0.0})
        all_predictions[example["id"]] = preds[0]["text"]
    return all_predictions


# ----------------------------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------------------------


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", required=True, choices=["classification", "ner", "qa"])
    ap.add_argument("--model", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--max-length", type=int, default=None, help="default 128 / 512 / 384 for classification / ner / qa")
    ap.add_argument("--warmup-ratio", type=float, default=0.0)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-train-examples", type=int, default=0)
    ap.add_argument("--max-eval-examples", type=int, default=0)
    ap.add_argument("--doc-stride", type=int, default=128)
    ap.add_argument("--logging-steps", type=int, default=50, help="training-loss log interval (stderr)")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--precision", choices=["fp32", "tf32", "bf16", "fp16"], default="fp32")
    ap.add_argument("--group-by-length", action="store_true", help="TrainingArguments(group_by_length=True)")
    a = ap.parse_args(argv)
    if a.precision != "fp32" and a.device != "cuda":
        ap.error(f"--precision {a.precision} is a GPU mode here; add --device cuda")
    if a.max_length is None:
        a.max_length = {"classification": 128, "ner": 512, "qa": 384}[a.task]
    return a


def versions():
    import tokenizers
    import safetensors
    v = {"python": sys.version.split()[0], "torch": torch.__version__, "transformers": transformers.__version__,
         "tokenizers": tokenizers.__version__, "safetensors": safetensors.__version__, "numpy": np.__version__}
    try:
        import accelerate
        v["accelerate"] = accelerate.__version__
    except ImportError:
        pass
    try:
        from importlib.metadata import version
        v["seqeval"] = version("seqeval")
    except Exception:
        pass
    return v


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    transformers.set_seed(a.seed)
    log("versions:", json.dumps(versions()))
    t0 = time.time()
    tok = AutoTokenizer.from_pretrained(a.model)
    L = a.max_length
    info = {}
    compute_metrics = None

    if a.task == "classification":
        train_rows, train_y, names = read_text_dataset(a.train)
        eval_rows, eval_y, _ = read_text_dataset(a.eval, names)
        train_rows, train_y = take(train_rows, a.max_train_examples), take(train_y, a.max_train_examples)
        eval_rows, eval_y = take(eval_rows, a.max_eval_examples), take(eval_y, a.max_eval_examples)

        def encode(rows, ys):  # run_glue preprocess_function (no padding: the collator pads per batch)
            firsts = [r[0] for r in rows]
            pairs = [r[1] for r in rows]
            enc = tok(firsts, pairs, truncation=True, max_length=L) if any(p is not None for p in pairs) \
                else tok(firsts, truncation=True, max_length=L)
            keys = [k for k in ("input_ids", "token_type_ids", "attention_mask") if k in enc]
            out = columns_to_rows(enc, keys)
            for r, y in zip(out, ys):
                r["labels"] = y
            return out

        train_ds, eval_ds = encode(train_rows, train_y), encode(eval_rows, eval_y)
        info.update(train_examples=len(train_rows), eval_examples=len(eval_rows))
        model = AutoModelForSequenceClassification.from_pretrained(
            a.model, num_labels=len(names), id2label=dict(enumerate(names)),
            label2id={n: i for i, n in enumerate(names)}, dtype=torch.float32)
        collator = DataCollatorWithPadding(tok)

        def compute_metrics(p):
            logits = p.predictions[0] if isinstance(p.predictions, tuple) else p.predictions
            return classification_metrics(np.argmax(logits, axis=1), p.label_ids, len(names))

    elif a.task == "ner":
        from seqeval.metrics import accuracy_score, f1_score, precision_score, recall_score

        train_sents = read_conll(a.train)
        label_list = sorted({t for _, tags in train_sents for t in tags})  # from the whole training file
        eval_sents = read_conll(a.eval)
        unknown = sorted({t for _, tags in eval_sents for t in tags} - set(label_list))
        if unknown:
            raise SystemExit(f"{a.eval}: tags {unknown} are not in the training label list {label_list}")
        train_sents, eval_sents = take(train_sents, a.max_train_examples), take(eval_sents, a.max_eval_examples)
        label_to_id = {l: i for i, l in enumerate(label_list)}

        def tokenize_and_align_labels(sents):  # run_ner.py, label_all_tokens=False, padding=False
            enc = tok([w for w, _ in sents], truncation=True, max_length=L, is_split_into_words=True)
            labels = []
            for i, (_, tags) in enumerate(sents):
                word_ids = enc.word_ids(batch_index=i)
                previous_word_idx = None
                label_ids = []
                for word_idx in word_ids:
                    if word_idx is None:
                        label_ids.append(-100)
                    elif word_idx != previous_word_idx:
                        label_ids.append(label_to_id[tags[word_idx]])
                    else:
                        label_ids.append(-100)
                    previous_word_idx = word_idx
                labels.append(label_ids)
            keys = [k for k in ("input_ids", "token_type_ids", "attention_mask") if k in enc]
            rows = columns_to_rows(enc, keys)
            for r, lab in zip(rows, labels):
                r["labels"] = lab
            return rows

        train_ds, eval_ds = tokenize_and_align_labels(train_sents), tokenize_and_align_labels(eval_sents)
        info.update(train_examples=len(train_sents), eval_examples=len(eval_sents), labels=label_list)
        model = AutoModelForTokenClassification.from_pretrained(
            a.model, num_labels=len(label_list), id2label=dict(enumerate(label_list)), label2id=label_to_id,
            dtype=torch.float32)
        collator = DataCollatorForTokenClassification(tok)

        def compute_metrics(p):
            predictions = np.argmax(p.predictions, axis=2)
            true_predictions = [[label_list[q] for (q, l) in zip(pred, lab) if l != -100]
                                for pred, lab in zip(predictions, p.label_ids)]
            true_labels = [[label_list[l] for (q, l) in zip(pred, lab) if l != -100]
                           for pred, lab in zip(predictions, p.label_ids)]
            return {"precision": precision_score(true_labels, true_predictions),
                    "recall": recall_score(true_labels, true_predictions),
                    "f1": f1_score(true_labels, true_predictions),
                    "accuracy": accuracy_score(true_labels, true_predictions)}

    else:  # qa
        train_examples = take(read_squad(a.train), a.max_train_examples)
        eval_examples = take(read_squad(a.eval), a.max_eval_examples)
        train_ds = prepare_train_features(tok, train_examples, L, a.doc_stride)
        eval_ds, eval_meta = prepare_validation_features(tok, eval_examples, L, a.doc_stride)
        info.update(train_examples=len(train_examples), eval_examples=len(eval_examples))
        model = AutoModelForQuestionAnswering.from_pretrained(a.model, dtype=torch.float32)
        collator = default_data_collator

    info.update(train_features=len(train_ds), eval_features=len(eval_ds))
    log(f"{info['train_examples']} training examples ({len(train_ds)} features), "
        f"{info['eval_examples']} evaluation examples ({len(eval_ds)} features); preprocessing {time.time() - t0:.1f}s")

    steps = math.ceil(len(train_ds) / a.batch_size) * a.epochs
    warmup = a.warmup_ratio if a.warmup_ratio < 1 else math.ceil(steps * a.warmup_ratio)
    per_epoch_eval = a.task != "qa"  # QA: one evaluation after training (post-processing is expensive)
    args = TrainingArguments(
        output_dir=a.out,
        num_train_epochs=a.epochs,
        learning_rate=a.lr,
        per_device_train_batch_size=a.batch_size,
        per_device_eval_batch_size=32,
        warmup_steps=warmup,  # transformers 5: a value < 1 is a ratio of the total steps (was warmup_ratio)
        weight_decay=a.weight_decay,
        optim="adamw_torch",
        lr_scheduler_type="linear",
        max_grad_norm=1.0,
        seed=a.seed,
        eval_strategy="epoch" if per_epoch_eval else "no",
        save_strategy="no",
        logging_strategy="steps",
        logging_steps=a.logging_steps,
        report_to=[],
        use_cpu=a.device == "cpu",
        bf16=a.precision == "bf16",
        fp16=a.precision == "fp16",
        tf32=True if a.precision == "tf32" else None,
        dataloader_num_workers=0,
        group_by_length=a.group_by_length,
        disable_tqdm=True,
    )
    trainer = Trainer(model=model, args=args, data_collator=collator, train_dataset=ListDataset(train_ds),
                      eval_dataset=ListDataset(eval_ds) if per_epoch_eval else None, processing_class=tok,
                      compute_metrics=compute_metrics)
    train_out = trainer.train()
    m = train_out.metrics

    history = []
    if per_epoch_eval:
        history = [{k: v for k, v in e.items() if k.startswith("eval_") or k == "epoch"}
                   for e in trainer.state.log_history if "eval_loss" in e]
    else:
        t1 = time.time()
        pred = trainer.predict(ListDataset(eval_ds))
        start_logits, end_logits = pred.predictions[:2] if isinstance(pred.predictions, tuple) else pred.predictions
        answers = postprocess_qa_predictions(eval_examples, eval_meta, (start_logits, end_logits))
        scores = squad_evaluate(eval_examples, answers)
        history = [{"epoch": float(a.epochs), **{f"eval_{k}": v for k, v in scores.items()},
                    "eval_runtime": round(time.time() - t1, 4)}]
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "eval_predictions.json"), "w", encoding="utf-8") as f:
            json.dump(answers, f, ensure_ascii=False, indent=1)

    result = {"task": a.task, "train_examples": info["train_examples"], "train_loss": m["train_loss"],
              "train_runtime": m["train_runtime"], "train_samples_per_second": m["train_samples_per_second"],
              "train_features": info["train_features"], "eval_examples": info["eval_examples"],
              "eval_features": info["eval_features"], "updates": trainer.state.global_step}
    if history:
        result.update({k: v for k, v in history[-1].items() if k != "epoch"})
    result["eval_history"] = history
    result["device"], result["precision"] = a.device, a.precision
    if a.device == "cuda":
        result["gpu"] = torch.cuda.get_device_name(0)
    result["versions"] = versions()
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "hf_result.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result), file=_RESULT_OUT, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
