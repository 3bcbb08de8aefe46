#!/usr/bin/env python3
"""Write tests/fixtures/tokenizer/corpus_expected.tsv: per ../shared/data sample, Hugging Face's encoding digest
(see corpus.py). With --full DIR also write every encoding in full as DIR/<set>.jsonl (not committed) to debug a
mismatch. Run: /opt/ref/bin/python tools/tokenizer/make_corpus_expected.py [--full /tmp/tinybert_corpus]
"""
import argparse
import json
import os

import corpus
import hf_reference as hf

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "tokenizer", "corpus_expected.tsv")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", help="folder for full expected JSONL per set (debugging)")
    args = ap.parse_args()
    tok = hf.load("uncased")
    lines = ["# set\tsample\tn_encodings\tn_tokens\tids\ttypes_masks\toffsets\tword_seq_ids"]
    for name in corpus.SETS:
        groups = corpus.encode_set(tok, name)
        if args.full:
            os.makedirs(args.full, exist_ok=True)
            with open(os.path.join(args.full, name + ".jsonl"), "w", encoding="utf-8") as f:
                for g in groups:
                    for e in g:
                        f.write(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n")
        for i, g in enumerate(groups):
            lines.append("\t".join([name, str(i)] + corpus.digest(g)))
        print(name, len(groups), "samples,", sum(len(g) for g in groups), "encodings")
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
