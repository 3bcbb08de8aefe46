#!/usr/bin/env python3
"""tinybert vs Hugging Face tokenizers, side by side in one run on the same texts.

Texts: the 3,000 IMDb reviews and the SQuAD contexts of ../shared/data (bert-base-uncased vocabulary, specials
added, no truncation). Reference: the Rust tokenizer behind transformers' fast BertTokenizer, encode_batch with
TOKENIZERS_PARALLELISM=false (single thread) and =true (all cores, rayon). tinybert: bench_tokenizer (encode_batch,
OpenMP with 1 thread and with all cores). Both sides: best of --repeat runs; every id and offset is checked equal.
usage: /opt/ref/bin/python benchmarks/tokenizer/bench_tokenizer.py --bench BUILD/benchmarks/bench_tokenizer
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "tokenizer"))
import corpus  # noqa: E402
import hf_reference as hf  # noqa: E402

HF_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import hf_reference as hf
texts = [json.loads(l)["text"] for l in open(sys.argv[2], encoding="utf-8")]
tok = hf.load("uncased")._tokenizer
tok.no_truncation(); tok.no_padding()
best, out = 1e300, None
for _ in range(int(sys.argv[3])):
    t0 = time.perf_counter(); enc = tok.encode_batch(texts, add_special_tokens=True); dt = time.perf_counter() - t0
    if dt < best: best, out = dt, enc
with open(sys.argv[4], "w") as f:
    for e in out:
        f.write(" ".join(map(str, e.ids)) + "|" + " ".join("%d %d" % o for o in e.offsets) + "\n")
print(json.dumps({"seconds": best, "tokens": sum(len(e.ids) for e in out)}))
"""


def run_hf(texts_path, repeat, parallel, dump):
    env = dict(os.environ, TOKENIZERS_PARALLELISM="true" if parallel else "false")
    r = subprocess.run([sys.executable, "-c", HF_CHILD, os.path.join(HERE, "..", "..", "tools", "tokenizer"),
                        texts_path, str(repeat), dump], env=env, capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True, help="path of the bench_tokenizer binary")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    texts = corpus.imdb_texts() + sorted({c for _, c in corpus.squad_pairs()})
    tmp = tempfile.mkdtemp(prefix="tinybert_bench_")
    texts_path = os.path.join(tmp, "texts.jsonl")
    with open(texts_path, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)

    tb = json.loads(subprocess.run([args.bench, "--vocab", hf.VOCAB, "--texts", texts_path, "--repeat",
                                    str(args.repeat), "--dump", os.path.join(tmp, "tinybert.txt")],
                                   capture_output=True, text=True, check=True).stdout)
    hf1 = run_hf(texts_path, args.repeat, False, os.path.join(tmp, "hf1.txt"))
    hfn = run_hf(texts_path, args.repeat, True, os.path.join(tmp, "hfn.txt"))
    ours = open(os.path.join(tmp, "tinybert.txt")).read().splitlines()
    for name in ("hf1.txt", "hfn.txt"):
        ref = open(os.path.join(tmp, name)).read().splitlines()
        bad = [i for i, (a, b) in enumerate(zip(ours, ref)) if a != b]
        if len(ref) != len(ours) or bad:
            sys.exit("MISMATCH with Hugging Face (%s): %d texts differ, first %s" % (name, len(bad), bad[:5]))

    mb = n_bytes / 1e6
    rows = [("Hugging Face tokenizers %s, 1 thread" % __import__("tokenizers").__version__, hf1["seconds"],
             hf1["tokens"]),
            ("tinybert, 1 thread", tb["single"]["seconds"], tb["tokens"]),
            ("Hugging Face tokenizers, all %d cores" % tb["cores"], hfn["seconds"], hfn["tokens"]),
            ("tinybert, all %d cores" % tb["cores"], tb["all"]["seconds"], tb["tokens"])]
    print("%d texts, %.2f MB, %d tokens; outputs identical (ids and offsets of every token)\n"
          % (len(texts), mb, tb["tokens"]))
    print("| run | seconds | MB/s | tokens/s |")
    print("|---|---:|---:|---:|")
    for name, s, n in rows:
        print("| %s | %.3f | %.2f | %.0f |" % (name, s, mb / s, n / s))
    print("\nsingle-thread ratio tinybert / tokenizers: %.2fx (goal >= 2x)" % (hf1["seconds"] / tb["single"]["seconds"]))
    print("all-core ratio tinybert / tokenizers:      %.2fx (goal >= 1x)" % (hfn["seconds"] / tb["all"]["seconds"]))


if __name__ == "__main__":
    main()
