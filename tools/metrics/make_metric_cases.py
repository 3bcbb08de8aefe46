#!/usr/bin/env python3
"""Write the reference fixtures under tests/fixtures/metrics/ that the C++ metric tests compare against.

- seqeval_cases.json: random IOB tag sequences scored by the real chakki-works/seqeval 1.2.x, reported the way
  HF evaluate's "seqeval" metric reports them (default mode, and mode="strict" with scheme=IOB2).
- classification_cases.json: random labels scored by scikit-learn (accuracy, binary and macro P/R/F1).
- squad_cases.json: tricky answer strings scored by the official SQuAD v1.1 evaluate script's functions.
- qa_postprocess_cases.json: random logits/offsets post-processed by a numpy re-implementation of HF
  examples/pytorch/question-answering/utils_qa.py postprocess_qa_predictions (ties: reversed stable argsort).

Run with the reference environment:  /opt/ref/bin/pip install seqeval scikit-learn numpy
                                      /opt/ref/bin/python tools/metrics/make_metric_cases.py
"""
import collections
import json
import random
import re
import string
import sys
import warnings
from pathlib import Path

import numpy as np
from seqeval.metrics import accuracy_score, classification_report
from seqeval.scheme import IOB2
from sklearn.metrics import accuracy_score as sk_accuracy
from sklearn.metrics import precision_recall_fscore_support

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "metrics"
warnings.filterwarnings("ignore")


# ---------------------------------------------------------------- seqeval (HF evaluate metrics/seqeval/seqeval.py)
def hf_seqeval(references, predictions, mode=None, scheme=None):
    report = classification_report(y_true=references, y_pred=predictions, output_dict=True, mode=mode,
                                   scheme=scheme, zero_division="warn")
    report.pop("macro avg")
    report.pop("weighted avg")
    overall = report.pop("micro avg")
    scores = {t: {"precision": float(s["precision"]), "recall": float(s["recall"]), "f1": float(s["f1-score"]),
                  "number": int(s["support"])} for t, s in report.items()}
    return {"per_type": scores, "overall_precision": float(overall["precision"]),
            "overall_recall": float(overall["recall"]), "overall_f1": float(overall["f1-score"]),
            "overall_accuracy": float(accuracy_score(y_true=references, y_pred=predictions))}


def random_tags(rng, n, types, prefixes):
    tags = []
    for _ in range(n):
        if rng.random() < 0.45:
            tags.append("O")
        else:
            tags.append(rng.choice(prefixes) + "-" + rng.choice(types))
    return tags


def perturb(rng, seq, types, prefixes):
    out = list(seq)
    for i in range(len(out)):
        if rng.random() < 0.25:
            out[i] = "O" if rng.random() < 0.4 else rng.choice(prefixes) + "-" + rng.choice(types)
    return out


def seqeval_cases(rng):
    cases = []
    for k in range(80):
        iobes = k >= 60  # the last cases use E-/S- prefixes: default mode only (strict IOB2 rejects them)
        prefixes = ["B", "I", "E", "S"] if iobes else ["B", "I"]
        types = rng.sample(["PER", "LOC", "ORG", "MISC"], rng.randint(1, 4))
        y_true, y_pred = [], []
        for _ in range(rng.randint(1, 4)):
            seq = random_tags(rng, rng.randint(0, 12), types, prefixes)
            y_true.append(seq)
            y_pred.append(perturb(rng, seq, types + ["DATE"], prefixes))
        if sum(len(s) for s in y_true) == 0:
            y_true[0], y_pred[0] = ["O"], ["B-PER"]
        case = {"y_true": y_true, "y_pred": y_pred, "default": hf_seqeval(y_true, y_pred)}
        if not iobes:
            case["strict"] = hf_seqeval(y_true, y_pred, mode="strict", scheme=IOB2)
        cases.append(case)
    return cases


# ---------------------------------------------------------------- scikit-learn classification metrics
def classification_cases(rng):
    cases = []
    for k in range(40):
        n = rng.randint(1, 30)
        if k < 20:
            labels = [rng.randint(0, 1) for _ in range(n)]
            preds = [rng.randint(0, 1) if rng.random() < 0.5 else labels[i] for i in range(n)]
            if k == 0:
                labels, preds = [0] * n, [0] * n  # no positives anywhere: binary scores are 0
        else:
            c = rng.randint(2, 6)
            labels = [rng.randint(0, c - 1) for _ in range(n)]
            preds = [rng.randint(0, c) for _ in range(n)]  # may predict a class absent from gold
        case = {"labels": labels, "preds": preds, "accuracy": float(sk_accuracy(labels, preds))}
        if k < 20:
            p, r, f, _ = precision_recall_fscore_support(labels, preds, average="binary", zero_division=0)
            case["binary"] = [float(p), float(r), float(f)]
        p, r, f, _ = precision_recall_fscore_support(labels, preds, average="macro", zero_division=0)
        case["macro"] = [float(p), float(r), float(f)]
        cases.append(case)
    return cases


# ---------------------------------------------------------------- SQuAD v1.1 official evaluate script functions
def normalize_answer(s):
    def remove_articles(text):
        return re.sub(r"\b(a|an|the)\b", " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    return white_space_fix(remove_articles(remove_punc(s.lower())))


def f1_score(prediction, ground_truth):
    prediction_tokens = normalize_answer(prediction).split()
    ground_truth_tokens = normalize_answer(ground_truth).split()
    common = collections.Counter(prediction_tokens) & collections.Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def exact_match_score(prediction, ground_truth):
    return normalize_answer(prediction) == normalize_answer(ground_truth)


def squad_evaluate(dataset, predictions):
    f1 = exact_match = total = 0
    for qa in dataset:
        total += 1
        if qa["id"] not in predictions:
            continue
        pred = predictions[qa["id"]]
        exact_match += max(exact_match_score(pred, g) for g in qa["answers"])
        f1 += max(f1_score(pred, g) for g in qa["answers"])
    return {"exact_match": 100.0 * exact_match / total, "f1": 100.0 * f1 / total}


SQUAD_PIECES = ["The", "the", "a", "An", "an", "THE", "Beatles", "beatles!", "the-end", "don’t", "don't", "“quoted”",
                "Zoë", "İstanbul", "ΣΟΦΟΣ", "ΌΣΟΣ.", "Straße", "Éclair", "東京", "a_b", "théâtre", "ana", "anthem",
                "(1999)", "—", "$5.00", "U.S.", "ÀN", "l'an", "x\u00a0the\u2003y", "\u3000the\u2028", "\t", "tHe",
                "\u0301a", "aͅ", "Σ'Σ", "ΑΣ\u0301", "1st", "²the", "_a_"]


def squad_cases(rng):
    pairs = [["Denver Broncos", "Denver Broncos"], ["Denver Broncos", "The Denver Broncos"],
             ["the Broncos", "Denver Broncos"], ["The Beatles!", "beatles"], ["a", "the"], ["", ""]]
    for _ in range(150):
        pairs.append([" ".join(rng.choice(SQUAD_PIECES) for _ in range(rng.randint(0, 5))),
                      " ".join(rng.choice(SQUAD_PIECES) for _ in range(rng.randint(0, 5)))])
    strings = sorted({s for p in pairs for s in p} | set(SQUAD_PIECES))
    normalized = [[s, normalize_answer(s)] for s in strings]
    scored = [{"prediction": p, "gold": g, "em": float(exact_match_score(p, g)), "f1": float(f1_score(p, g))}
              for p, g in pairs]
    dataset, predictions = [], {}
    for i in range(40):
        answers = [" ".join(rng.choice(SQUAD_PIECES) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(1, 4))]
        dataset.append({"id": f"q{i}", "answers": answers})
        if rng.random() < 0.85:
            predictions[f"q{i}"] = rng.choice(answers) if rng.random() < 0.3 else " ".join(
                rng.choice(SQUAD_PIECES) for _ in range(rng.randint(0, 3)))
    return {"normalize": normalized, "pairs": scored,
            "evaluate": {"dataset": dataset, "predictions": predictions, "scores": squad_evaluate(dataset, predictions)}}


# ---------------------------------------------------------------- QA post-processing (utils_qa.py logic)
def postprocess_example(context, features, v2, n_best_size=20, max_answer_length=30, threshold=0.0):
    min_null = None
    prelim = []
    for feat in features:
        start_logits = np.array(feat["start_logits"], dtype=np.float32)
        end_logits = np.array(feat["end_logits"], dtype=np.float32)
        offsets = feat["offsets"]
        null_score = start_logits[0] + end_logits[0]
        if min_null is None or min_null["score"] > null_score:
            min_null = {"offsets": (0, 0), "score": null_score, "start_logit": start_logits[0],
                        "end_logit": end_logits[0]}
        starts = np.argsort(start_logits, kind="stable")[-1: -n_best_size - 1: -1].tolist()
        ends = np.argsort(end_logits, kind="stable")[-1: -n_best_size - 1: -1].tolist()
        for s in starts:
            for e in ends:
                if s >= len(offsets) or e >= len(offsets) or offsets[s] is None or offsets[e] is None:
                    continue
                if e < s or e - s + 1 > max_answer_length:
                    continue
                prelim.append({"offsets": (offsets[s][0], offsets[e][1]), "score": start_logits[s] + end_logits[e],
                               "start_logit": start_logits[s], "end_logit": end_logits[e]})
    if v2:
        prelim.append(min_null)
        null_score = min_null["score"]
    preds = sorted(prelim, key=lambda x: x["score"], reverse=True)[:n_best_size]
    if v2 and not any(p["offsets"] == (0, 0) for p in preds):
        preds.append(min_null)
    for p in preds:
        p["text"] = context[p["offsets"][0]: p["offsets"][1]]
    if len(preds) == 0 or (len(preds) == 1 and preds[0]["text"] == ""):
        preds.insert(0, {"offsets": None, "text": "empty", "start_logit": 0.0, "end_logit": 0.0, "score": 0.0})
    scores = np.array([p["score"] for p in preds], dtype=np.float64)
    exp = np.exp(scores - np.max(scores))
    probs = exp / exp.sum()
    out = {"n_best": [{"text": p["text"], "offsets": None if p["offsets"] is None else list(p["offsets"]),
                       "score": float(p["score"]), "start_logit": float(p["start_logit"]),
                       "end_logit": float(p["end_logit"]), "probability": float(pr)} for p, pr in zip(preds, probs)]}
    if not v2:
        out["answer"] = preds[0]["text"]
    else:
        i = 0
        while preds[i]["text"] == "":
            i += 1
        best = preds[i]
        diff = np.float32(null_score) - np.float32(best["start_logit"]) - np.float32(best["end_logit"])
        out["score_diff"] = float(diff)
        out["answer"] = "" if diff > threshold else best["text"]
    return out


QA_WORDS = ["Paris", "is", "the", "capital", "of", "France", "Zoë", "東京", "naïve", "café", "river", "Rhine",
            "1999", "(BC)", "über", "—", "x"]


def qa_postprocess_cases(rng, nrng):
    cases = []
    for k in range(24):
        words = [rng.choice(QA_WORDS) for _ in range(rng.randint(3, 45))]
        context = " ".join(words)
        spans, pos = [], 0
        for w in words:
            spans.append([pos, pos + len(w)])
            pos += len(w) + 1
        q = rng.randint(1, 6)  # question tokens: offsets None, like [CLS] question [SEP]
        window = rng.randint(4, 40)
        stride = max(1, window - rng.randint(1, 3))
        features = []
        begin = 0
        while True:
            chunk = spans[begin: begin + window]
            offsets = [None] * (q + 2) + chunk + [None]
            offsets += [None] * rng.randint(0, 5)  # padding
            n = len(offsets)
            if k % 3 == 0:  # coarse logits: many exact ties in logits and in scores
                sl = nrng.integers(-3, 4, size=n).astype(np.float32)
                el = nrng.integers(-3, 4, size=n).astype(np.float32)
            else:
                sl = np.round(nrng.normal(0, 3, size=n), 2).astype(np.float32)
                el = np.round(nrng.normal(0, 3, size=n), 2).astype(np.float32)
            features.append({"start_logits": [round(float(x), 2) for x in sl], "end_logits": [round(float(x), 2) for x in el],
                             "offsets": offsets})
            if begin + window >= len(spans):
                break
            begin += stride
        v2 = k % 2 == 1
        cases.append({"context": context, "version_2_with_negative": v2, "features": features,
                      "expected": postprocess_example(context, features, v2)})
    return cases


def main():
    rng = random.Random(20240611)
    nrng = np.random.default_rng(20240611)
    OUT.mkdir(parents=True, exist_ok=True)
    files = {"seqeval_cases.json": seqeval_cases(rng), "classification_cases.json": classification_cases(rng),
             "squad_cases.json": squad_cases(rng), "qa_postprocess_cases.json": qa_postprocess_cases(rng, nrng)}
    for name, data in files.items():
        (OUT / name).write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"wrote {OUT / name}", file=sys.stderr)


if __name__ == "__main__":
    main()
