"""The ../shared/data tokenizer corpus, read exactly as tests/tokenizer/test_tokenizer_corpus.cpp reads it.

Sets (all with the uncased bert-base vocabulary):
  imdb          3,000 IMDb reviews (MANIFEST.tsv order), untruncated
  imdb128       the same reviews, truncation longest_first, max_length 128
  squad         SQuAD v1.1 (train subset, then dev subset) question/context pairs: only_second, max_length 384,
                stride 128, overflowing windows, padding max_length
  wikiann       WikiAnn-en train then validation sentences as word lists, truncation, max_length 512
"""
import json
import os

import hf_reference as hf

DATA = os.path.join(hf.SHARED, "data")
SQUAD_FILES = ["train-v1.1-subset.json", "dev-v1.1-devsubset.json"]
WIKIANN_FILES = ["train.tsv", "validation.tsv"]


def imdb_texts():
    out = []
    with open(os.path.join(DATA, "imdb", "MANIFEST.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            rel = line.split("\t")[0]
            with open(os.path.join(DATA, "imdb", "aclImdb", rel), "rb") as r:
                out.append(r.read().decode("utf-8", errors="replace"))
    return out


def squad_pairs():
    out = []
    for name in SQUAD_FILES:
        with open(os.path.join(DATA, "squad-v1.1", name), encoding="utf-8") as f:
            doc = json.load(f)
        for article in doc["data"]:
            for para in article["paragraphs"]:
                for qa in para["qas"]:
                    out.append((qa["question"], para["context"]))
    return out


def wikiann_sentences():
    out = []
    for name in WIKIANN_FILES:
        words = []
        with open(os.path.join(DATA, "wikiann-en", name), encoding="utf-8", newline="") as f:
            for line in f.read().split("\n"):
                if line == "":
                    if words:
                        out.append(words)
                    words = []
                else:
                    words.append(line.split("\t")[0])
        if words:
            out.append(words)
    return out


SETS = {
    "imdb": (imdb_texts, {}),
    "imdb128": (imdb_texts, {"truncation": "longest_first", "max_length": 128}),
    "squad": (squad_pairs, {"truncation": "only_second", "max_length": 384, "stride": 128, "overflow": True,
                            "padding": "max_length"}),
    "wikiann": (wikiann_sentences, {"truncation": "longest_first", "max_length": 512}),
}


def encode_set(tok, name):
    """All encodings of a set, grouped per sample (list of lists of encodings)."""
    load, opts = SETS[name]
    samples = load()
    kw = dict(return_offsets_mapping=True, return_special_tokens_mask=True, return_token_type_ids=True)
    if "truncation" in opts:
        kw.update(truncation=opts["truncation"], max_length=opts["max_length"])
    if opts.get("overflow"):
        kw.update(return_overflowing_tokens=True, stride=opts["stride"])
    if opts.get("padding"):
        kw["padding"] = opts["padding"]
    if name == "squad":
        enc = tok([q for q, _ in samples], [c for _, c in samples], **kw)
    elif name == "wikiann":
        enc = tok(samples, is_split_into_words=True, **kw)
    else:
        enc = tok(samples, **kw)
    groups = [[] for _ in samples]
    mapping = enc["overflow_to_sample_mapping"] if "overflow_to_sample_mapping" in enc else range(len(samples))
    for i, s in enumerate(mapping):
        groups[s].append({
            "input_ids": enc["input_ids"][i],
            "token_type_ids": enc["token_type_ids"][i],
            "attention_mask": enc["attention_mask"][i],
            "special_tokens_mask": enc["special_tokens_mask"][i],
            "offsets": [list(p) for p in enc["offset_mapping"][i]],
            "word_ids": enc.word_ids(i),
            "sequence_ids": enc.sequence_ids(i),
        })
    return groups


class Fnv:
    """FNV-1a 64 over int64 little-endian values, reported as 32 bits (hi ^ lo) in 8 hex digits."""

    def __init__(self):
        self.h = 0xCBF29CE484222325

    def add(self, v):
        v &= 0xFFFFFFFFFFFFFFFF
        for _ in range(8):
            self.h ^= v & 0xFF
            self.h = (self.h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
            v >>= 8

    def hex(self):
        return "%08x" % ((self.h >> 32) ^ (self.h & 0xFFFFFFFF))


def digest(encodings):
    """One line's fields for a sample: n_encodings, n_tokens, then hashes of ids, type ids + masks, offsets,
    word ids + sequence ids (None = -1); each encoding contributes its length first."""
    hs = [Fnv() for _ in range(4)]
    n_tok = 0
    for e in encodings:
        n = len(e["input_ids"])
        n_tok += n
        for h in hs:
            h.add(n)
        for v in e["input_ids"]:
            hs[0].add(v)
        for key in ("token_type_ids", "attention_mask", "special_tokens_mask"):
            for v in e[key]:
                hs[1].add(v)
        for s, t in e["offsets"]:
            hs[2].add(s)
            hs[2].add(t)
        for key in ("word_ids", "sequence_ids"):
            for v in e[key]:
                hs[3].add(-1 if v is None else v)
    return [str(len(encodings)), str(n_tok)] + [h.hex() for h in hs]
