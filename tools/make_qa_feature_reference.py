#!/usr/bin/env python3
"""Expected SQuAD training features for tests/train/test_features.cpp: run_qa.py's prepare_train_features (fast
tokenizer from the bert-base-uncased vocab) on data/samples/squad/train.json, for two window settings, with the one
documented difference applied: the start-label scan stops at the last context token (run_qa.py's scan runs on into
[SEP]/padding). Also counts how many features that difference touches.

usage: python tools/make_qa_feature_reference.py VOCAB_TXT [OUT_JSON]
"""
import json
import os
import shutil
import sys
import tempfile

from transformers import AutoTokenizer

ROOT = os.path.join(os.path.dirname(__file__), "..")


def features(tok, examples, max_length, stride):
    out, defect = [], 0
    for ei, ex in enumerate(examples):
        enc = tok(ex["question"].lstrip(), ex["context"], truncation="only_second", max_length=max_length,
                  stride=stride, return_overflowing_tokens=True, return_offsets_mapping=True, padding="max_length")
        for w in range(len(enc["input_ids"])):
            offsets, seq = enc["offset_mapping"][w], enc.sequence_ids(w)
            sc = ex["answer_start"]
            ec = sc + len(ex["text"])
            ts = 0
            while seq[ts] != 1:
                ts += 1
            te = len(enc["input_ids"][w]) - 1
            while seq[te] != 1:
                te -= 1
            if not (offsets[ts][0] <= sc and offsets[te][1] >= ec):
                start = end = 0
            else:
                hf = ts
                while hf < len(offsets) and offsets[hf][0] <= sc:
                    hf += 1
                while ts <= te and offsets[ts][0] <= sc:
                    ts += 1
                start = ts - 1
                defect += (hf - 1) != start
                while offsets[te][1] >= ec:
                    te -= 1
                end = te + 1
            out.append({"example": ei, "start": start, "end": end, "n_ids": sum(enc["attention_mask"][w])})
    return out, defect


def main():
    with tempfile.TemporaryDirectory() as d:  # BertTokenizerFast(vocab_file=...) ignores the file in transformers 5
        shutil.copy(sys.argv[1], os.path.join(d, "vocab.txt"))
        json.dump({"do_lower_case": True, "tokenizer_class": "BertTokenizer", "model_max_length": 512},
                  open(os.path.join(d, "tokenizer_config.json"), "w"))
        tok = AutoTokenizer.from_pretrained(d)
    assert tok("hello world")["input_ids"] == [101, 7592, 2088, 102], "vocab did not load"
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "tests", "fixtures", "qa_features", "train_labels.json")
    data = json.load(open(os.path.join(ROOT, "data", "samples", "squad", "train.json"), encoding="utf-8"))
    examples = [{"question": q["question"], "context": p["context"], "answer_start": q["answers"][0]["answer_start"],
                 "text": q["answers"][0]["text"]}
                for a in data["data"] for p in a["paragraphs"] for q in p["qas"]]
    result = {}
    for max_length, stride in [(384, 128), (64, 16)]:
        feats, defect = features(tok, examples, max_length, stride)
        result[f"{max_length}_{stride}"] = feats
        print(f"max_length {max_length} stride {stride}: {len(feats)} features, run_qa.py defect touches {defect}")
    json.dump(result, open(out, "w"), separators=(",", ":"))


if __name__ == "__main__":
    main()
