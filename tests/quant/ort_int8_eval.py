#!/usr/bin/env python3
"""ONNX Runtime's quantize_dynamic on a tinybert fine-tuned folder, for the "int8 inference" table of docs/results.md
(not run by ctest). Exports the folder with torch.onnx (eager attention, opset 17), quantises it with
onnxruntime.quantization.quantize_dynamic (QInt8 weights; per-tensor = ORT's default, and per-channel), and scores
the float and int8 ONNX models on the same eval file with the metrics of tools/hf_finetune.py (accuracy; seqeval
entity F1 with run_ner.py's first-sub-token labels).

    HF_HUB_OFFLINE=1 PYTHONPATH=<dir with seqeval> /opt/ref/bin/python tests/quant/ort_int8_eval.py \\
        --task classification|ner --model DIR --data PATH --max-length L --work DIR [--threads 2]

Prints one JSON line: {"pytorch_fp32": {...}, "ort_fp32": {...}, "ort_int8_per_tensor": {...},
"ort_int8_per_channel": {...}} plus versions.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import hf_finetune  # noqa: E402  (data readers and metrics; it sends stdout to stderr on import)

RESULT_OUT = hf_finetune._RESULT_OUT

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: E402
from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer  # noqa: E402


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def batches(rows, size):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def pad(rows, pad_id):
    L = max(len(r["input_ids"]) for r in rows)
    out = {}
    for k in ("input_ids", "attention_mask", "token_type_ids"):
        fill = pad_id if k == "input_ids" else 0
        out[k] = np.array([r[k] + [fill] * (L - len(r[k])) for r in rows], dtype=np.int64)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--task", choices=["classification", "ner"], required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--max-length", type=int, required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-examples", type=int, default=0, help="the first N examples (0: all), for a smoke test")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(a.work, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(a.model)
    cls = AutoModelForSequenceClassification if a.task == "classification" else AutoModelForTokenClassification
    model = cls.from_pretrained(a.model, dtype=torch.float32, attn_implementation="eager").eval()
    id2label = [model.config.id2label[i] for i in range(model.config.num_labels)]

    if a.task == "classification":
        texts, gold, _ = hf_finetune.read_text_dataset(a.data, id2label)
        texts, gold = hf_finetune.take(texts, a.max_examples), hf_finetune.take(gold, a.max_examples)
        enc = tok([t for t, _ in texts], truncation=True, max_length=a.max_length)
        rows = [{k: enc[k][i] for k in ("input_ids", "attention_mask", "token_type_ids")} for i in range(len(texts))]

        def score(logits):
            return hf_finetune.classification_metrics([int(np.argmax(l)) for l in logits], gold, len(id2label))
    else:
        from seqeval.metrics import f1_score, precision_score, recall_score

        sents = hf_finetune.take(hf_finetune.read_conll(a.data), a.max_examples)
        label_to_id = {l: i for i, l in enumerate(id2label)}
        enc = tok([w for w, _ in sents], truncation=True, max_length=a.max_length, is_split_into_words=True)
        rows, label_ids = [], []
        for i, (_, tags) in enumerate(sents):
            prev, ids = None, []
            for w in enc.word_ids(batch_index=i):
                ids.append(-100 if w is None or w == prev else label_to_id[tags[w]])
                prev = w
            label_ids.append(ids)
            rows.append({k: enc[k][i] for k in ("input_ids", "attention_mask", "token_type_ids")})

        def score(logits):
            preds = [np.argmax(l, axis=-1) for l in logits]
            true_p = [[id2label[q] for q, l in zip(pr, lab) if l != -100] for pr, lab in zip(preds, label_ids)]
            true_l = [[id2label[l] for q, l in zip(pr, lab) if l != -100] for pr, lab in zip(preds, label_ids)]
            return {"precision": precision_score(true_l, true_p), "recall": recall_score(true_l, true_p),
                    "f1": f1_score(true_l, true_p)}

    def run(forward):  # per-example logits (unpadded length for NER)
        out = []
        for b in batches(rows, a.batch_size):
            logits = forward(pad(b, tok.pad_token_id))
            for r, l in zip(b, logits):
                out.append(l if a.task == "classification" else l[:len(r["input_ids"])])
        return out

    results = {}
    t0 = time.time()
    with torch.no_grad():
        results["pytorch_fp32"] = score(run(lambda x: model(**{k: torch.from_numpy(v) for k, v in x.items()}).logits.numpy()))
    log(f"pytorch fp32 {results['pytorch_fp32']} ({time.time() - t0:.0f}s)")

    fp32_path = os.path.join(a.work, "model.onnx")
    dummy = pad(rows[:2], tok.pad_token_id)
    torch.onnx.export(model, tuple(torch.from_numpy(dummy[k]) for k in ("input_ids", "attention_mask", "token_type_ids")),
                      fp32_path, input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                      dynamic_axes={k: {0: "batch", 1: "seq"} for k in ("input_ids", "attention_mask", "token_type_ids")},
                      opset_version=17, dynamo=False)
    paths = {"ort_fp32": fp32_path}
    for name, per_channel in (("ort_int8_per_tensor", False), ("ort_int8_per_channel", True)):
        paths[name] = os.path.join(a.work, name + ".onnx")
        quantize_dynamic(fp32_path, paths[name], weight_type=QuantType.QInt8, per_channel=per_channel)
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    for name, path in paths.items():
        t0 = time.time()
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        results[name] = score(run(lambda x: sess.run(["logits"], x)[0]))
        log(f"{name} {results[name]} ({time.time() - t0:.0f}s)")
    results["versions"] = {"onnxruntime": ort.__version__, "torch": torch.__version__,
                           "transformers": transformers.__version__}
    print(json.dumps(results), file=RESULT_OUT, flush=True)


if __name__ == "__main__":
    main()
