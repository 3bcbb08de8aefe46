#!/usr/bin/env python3
"""CPU inference side by side in one run (issue 19): tinybert (benchmarks/bench_infer.cpp) against PyTorch eager and
ONNX Runtime on the same weights, the same token ids and the same thread count, with every engine's output checked
equal to PyTorch's.

Models: the real all-MiniLM-L6-v2 (scripts/fetch_minilm.sh) and a bert-base-uncased config
(benchmarks/train_step/bert-base-uncased.config.json) with random weights, each as BertForSequenceClassification with
2 labels; the head (and bert-base's whole model) is initialised in PyTorch under torch.manual_seed(--seed) and saved
with save_pretrained, and all three engines load that folder.

Engines, each timed per call with the inputs already in its own format (tokenisation is not timed anywhere):
- PyTorch eager: BertForSequenceClassification.from_pretrained(folder) (transformers' default attention, SDPA), eval,
  torch.inference_mode(), torch.set_num_threads(T), model(input_ids, attention_mask, token_type_ids).logits.
- ONNX Runtime: the same folder loaded with attn_implementation="eager" (the attention graph ORT's fusions recognise),
  torch.onnx.export (TorchScript exporter, opset 17, dynamic batch and sequence axes), then
  onnxruntime.transformers.optimizer.optimize_model(model_type="bert", num_heads, hidden_size, opt_level=99) (fused
  EmbedLayerNormalization, Attention, SkipLayerNormalization, BiasGelu: the counts are printed), and an
  InferenceSession with graph_optimization_level=ORT_ENABLE_ALL, intra_op_num_threads=T, inter_op_num_threads=1,
  sequential execution, CPUExecutionProvider; session.run(["logits"], numpy int64 inputs).
- tinybert: bench_infer --output logits --threads T (and OMP_NUM_THREADS=T): Bert<Encoder<dynamic>,
  SequenceClassification>::from_pretrained(folder) and classification_logits, the path of `tinybert evaluate`
  (eval mode, no tape); its per-call time includes collating the features into the padded batch.

Rows: {MiniLM, bert-base} x {1x128 latency (p50/p99 ms), 32x128 throughput (sequences/s)} x {1, 2 threads}; with
--padded also 32x128 with rows of random lengths 16..128 (one row full, so every engine computes 32x128 positions).
Inputs: random ids in [1000, 30000) between [CLS] and [SEP], attention mask all ones (padded: ones then zeros, pad id 0).
Each engine: warm-up calls, then calls until --iters are done, or until --max-seconds have passed and at least
--min-iters are done; p50/p99 are nearest-rank percentiles of the per-call times; sequences/s = batch x calls / total
time of the timed calls. Engines run back to back for each row (PyTorch, ORT, tinybert).

Equality: each row's logits from ORT and tinybert against PyTorch's: max |diff| <= --tol x max |PyTorch| (1e-4), else
the script fails after the table. Once per model (untimed) tinybert's last hidden state and mean-pooled embedding
(bench_infer --output hidden / embedding, the bare BertModel) are checked against PyTorch's on 4 padded rows.

usage: HF_HUB_OFFLINE=1 /opt/ref/bin/python benchmarks/infer/bench_infer.py --bench build-infer/benchmarks/bench_infer
       [--models minilm,bert-base] [--threads 1,2] [--padded] [--quick] [--json-out FILE] [--workdir DIR]
"""
import argparse
import collections
import json
import math
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import BertConfig, BertForSequenceClassification  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = {
    "minilm": ("all-MiniLM-L6-v2", None),  # the real checkpoint (scripts/fetch_minilm.sh), seeded head
    "bert-base": ("bert-base-uncased config", os.path.join(REPO, "benchmarks/train_step/bert-base-uncased.config.json")),
}
CLS, SEP, PAD = 101, 102, 0


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def percentile(values, p):
    """Nearest rank, as bench_infer.cpp computes it."""
    v = sorted(values)
    return v[min(len(v), max(1, math.ceil(p / 100 * len(v)))) - 1]


def summarise(engine, ms, batch):
    return {"engine": engine, "iters": len(ms), "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99),
            "mean_ms": sum(ms) / len(ms), "seq_per_s": 1000 * batch * len(ms) / sum(ms), "latencies_ms": ms}


def timed_calls(call, plan):
    """plan: (warmup, iters, min_iters, max_seconds). Returns (per-call ms, last output)."""
    warmup, iters, min_iters, max_seconds = plan
    out = None
    for _ in range(warmup):
        out = call()
    ms, start = [], time.perf_counter()
    while True:
        t0 = time.perf_counter()
        out = call()
        t1 = time.perf_counter()
        ms.append(1000 * (t1 - t0))
        if len(ms) >= iters or (t1 - start >= max_seconds and len(ms) >= min_iters):
            return ms, out


# ---------------------------------------------------------------------------------------------------------- model
def make_model_folder(name, workdir, seed):
    """Saves the BertForSequenceClassification every engine loads; returns (folder, config)."""
    folder = os.path.join(workdir, name)
    if os.path.exists(os.path.join(folder, "model.safetensors")):
        return folder, BertConfig.from_pretrained(folder)
    torch.manual_seed(seed)
    if name == "minilm":
        src = subprocess.run(["bash", os.path.join(REPO, "scripts/fetch_minilm.sh")], check=True, capture_output=True,
                             text=True).stdout.strip()
        model = BertForSequenceClassification.from_pretrained(src, num_labels=2)
    else:
        cfg = BertConfig.from_json_file(MODELS[name][1])
        cfg.num_labels = 2
        model = BertForSequenceClassification(cfg)
    model.eval().save_pretrained(folder)
    return folder, model.config


def export_onnx(folder, cfg, workdir, name):
    """torch.onnx.export + ORT's BERT fusions at opt_level 99; returns (path, fused-op counts)."""
    raw, opt_path = os.path.join(workdir, f"{name}.onnx"), os.path.join(workdir, f"{name}.opt.onnx")
    stats_path = opt_path + ".stats.json"
    if os.path.exists(opt_path) and os.path.exists(stats_path):
        with open(stats_path) as f:
            return opt_path, json.load(f)
    model = BertForSequenceClassification.from_pretrained(folder, attn_implementation="eager").eval()
    ids = torch.full((2, 16), 1000, dtype=torch.int64)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with torch.no_grad():
        torch.onnx.export(model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), raw, dynamo=False,
                          input_names=names, output_names=["logits"], opset_version=17,
                          dynamic_axes={**{n: {0: "batch", 1: "seq"} for n in names}, "logits": {0: "batch"}})
    from onnxruntime.transformers.optimizer import optimize_model
    opt = optimize_model(raw, model_type="bert", num_heads=cfg.num_attention_heads, hidden_size=cfg.hidden_size,
                         opt_level=99, use_gpu=False)
    stats = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
    stats["nodes"] = dict(collections.Counter(n.op_type for n in opt.model.graph.node).most_common())
    opt.save_model_to_file(opt_path)
    with open(stats_path, "w") as f:
        json.dump(stats, f)
    return opt_path, stats


def ort_session(path, threads):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


# ---------------------------------------------------------------------------------------------------------- inputs
def make_inputs(batch, seq, padded, rng):
    ids = rng.integers(1000, 30000, size=(batch, seq), dtype=np.int64)
    lengths = np.full(batch, seq)
    if padded:
        lengths = rng.integers(16, seq + 1, size=batch)
        lengths[0] = seq
    mask = (np.arange(seq)[None, :] < lengths[:, None]).astype(np.int64)
    ids[:, 0] = CLS
    ids[np.arange(batch), lengths - 1] = SEP
    ids[mask == 0] = PAD
    return ids, mask


def write_ids(path, ids, mask):
    with open(path, "w") as f:
        f.write(f"{ids.shape[0]} {ids.shape[1]}\n")
        for a in (ids, mask):
            for row in a:
                f.write(" ".join(map(str, row.tolist())) + "\n")


def run_tinybert(bench, folder, ids_path, out_path, threads, plan, output="logits", extra=()):
    warmup, iters, min_iters, max_seconds = plan
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [bench, "--model", folder, "--ids", ids_path, "--output", output, "--threads", str(threads), "--warmup",
           str(warmup), "--iters", str(iters), "--min-iters", str(min_iters), "--max-seconds", str(max_seconds),
           "--out", out_path, *extra]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench_infer failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr}")
    res = json.loads(r.stdout.strip().splitlines()[-1])
    out = np.fromfile(out_path, dtype=np.float32).reshape(res["shape"])
    return res, out


def max_diff(a, ref):
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(ref, dtype=np.float64))))


# ---------------------------------------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", required=True, help="build-infer/benchmarks/bench_infer")
    ap.add_argument("--models", default="minilm,bert-base")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--padded", action="store_true", help="also a 32x128 row with padded rows (lengths 16..128)")
    ap.add_argument("--quick", action="store_true", help="a few calls per row, to check the script")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=1e-4, help="max |diff| <= tol x max |PyTorch| for every output")
    ap.add_argument("--workdir", help="model folders and ONNX files (reused when present); default: a temp folder")
    ap.add_argument("--json-out", help="write every measurement (with per-call times) here")
    ap.add_argument("--tinybert-arg", action="append", default=[],
                    help="extra argument for bench_infer (repeatable), e.g. for a later int8 mode")
    a = ap.parse_args()
    bench = os.path.abspath(a.bench)
    threads_list = [int(t) for t in a.threads.split(",")]
    # (warm-up, iters, min iters, max seconds) for latency rows (batch 1) and throughput rows (batch 32)
    plan = {"latency": (1, 5, 2, 0.0), "throughput": (1, 2, 1, 0.0)} if a.quick else \
        {"latency": (3, 200, 10, 6.0), "throughput": (1, 20, 2, 8.0)}
    shapes = [("latency", 1, 128, False), ("throughput", 32, 128, False)]
    if a.padded:
        shapes.append(("throughput", 32, 128, True))

    tmp = None
    if a.workdir:
        workdir = os.path.abspath(a.workdir)
        os.makedirs(workdir, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench_infer_")
        workdir = tmp.name
    t_start = time.time()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    log(f"torch {torch.__version__}, transformers {transformers.__version__}, onnxruntime {ort.__version__}, "
        f"CPU {cpu} ({os.cpu_count()} logical), load average {os.getloadavg()}")
    rows, failures, checks, attn_impls = [], [], [], set()
    rng = np.random.default_rng(a.seed)
    for model_name in a.models.split(","):
        label = MODELS[model_name][0]
        t0 = time.time()
        folder, cfg = make_model_folder(model_name, workdir, a.seed)
        onnx_path, fused = export_onnx(folder, cfg, workdir, model_name)
        log(f"{label}: folder {folder}, ONNX {onnx_path} ({time.time() - t0:.1f} s to save/export/optimise); ORT fused "
            f"ops {({k: v for k, v in fused.items() if k != 'nodes'})}, nodes {fused['nodes']}")
        pt = BertForSequenceClassification.from_pretrained(folder).eval()
        attn_impls.add(pt.config._attn_implementation)
        log(f"{label}: PyTorch attention implementation {pt.config._attn_implementation}")

        # untimed structure check: last hidden state and mean-pooled embedding on 4 padded rows
        ids, mask = make_inputs(4, 128, True, rng)
        ids_path = os.path.join(workdir, f"{model_name}.check.ids")
        write_ids(ids_path, ids, mask)
        with torch.inference_mode():
            hidden = pt.bert(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                             token_type_ids=torch.zeros_like(torch.from_numpy(ids))).last_hidden_state
            m = torch.from_numpy(mask).unsqueeze(-1).float()
            emb = torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1), dim=-1).numpy()
            hidden = hidden.numpy()
        for output, ref in (("hidden", hidden), ("embedding", emb)):
            _, got = run_tinybert(bench, folder, ids_path, ids_path + f".{output}.bin", threads_list[-1],
                                  (0, 1, 1, 0.0), output, a.tinybert_arg)
            d = max_diff(got, ref)
            ok = d <= a.tol * float(np.max(np.abs(ref)))
            checks.append({"model": label, "output": output, "max_abs_diff": d, "ok": ok})
            log(f"{label}: tinybert {output} (4x128, padded) vs PyTorch: max |diff| {d:.2e} {'ok' if ok else 'FAIL'}")
            if not ok:
                failures.append(f"{label} tinybert {output}: max |diff| {d:.2e}")

        for kind, batch, seq, padded in shapes:
            ids, mask = make_inputs(batch, seq, padded, rng)
            ids_path = os.path.join(workdir, f"{model_name}.{batch}x{seq}{'.padded' if padded else ''}.ids")
            write_ids(ids_path, ids, mask)
            tids, tmask = torch.from_numpy(ids), torch.from_numpy(mask)
            ttypes = torch.zeros_like(tids)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            for threads in threads_list:
                shape = f"{batch}x{seq}{' padded' if padded else ''}"
                torch.set_num_threads(threads)
                with torch.inference_mode():
                    pt_ms, pt_out = timed_calls(
                        lambda: pt(input_ids=tids, attention_mask=tmask, token_type_ids=ttypes).logits, plan[kind])
                pt_out = pt_out.numpy()
                sess = ort_session(onnx_path, threads)
                ort_ms, ort_out = timed_calls(lambda: sess.run(["logits"], feed)[0], plan[kind])
                del sess
                tb_res, tb_out = run_tinybert(bench, folder, ids_path, ids_path + ".out.bin", threads, plan[kind],
                                              "logits", a.tinybert_arg)
                scale = float(np.max(np.abs(pt_out)))
                row = {"model": label, "kind": kind, "shape": shape, "batch": batch, "seq": seq, "threads": threads,
                       "pytorch": summarise("pytorch", pt_ms, batch), "ort": summarise("ort", ort_ms, batch),
                       "tinybert": summarise("tinybert", tb_res["latencies_ms"], batch),
                       "ort_max_abs_diff": max_diff(ort_out, pt_out), "tinybert_max_abs_diff": max_diff(tb_out, pt_out),
                       "load_average": os.getloadavg()}
                for eng in ("ort", "tinybert"):
                    if row[f"{eng}_max_abs_diff"] > a.tol * scale:
                        failures.append(f"{label} {shape} {threads}T: {eng} logits max |diff| "
                                        f"{row[f'{eng}_max_abs_diff']:.2e} > {a.tol * scale:.1e}")
                rows.append(row)
                p, o, t = row["pytorch"], row["ort"], row["tinybert"]
                log(f"{label} {shape} {threads}T: p50 ms PyTorch {p['p50_ms']:.1f} ({p['iters']} calls), ORT "
                    f"{o['p50_ms']:.1f} ({o['iters']}), tinybert {t['p50_ms']:.1f} ({t['iters']}); seq/s "
                    f"{p['seq_per_s']:.1f} / {o['seq_per_s']:.1f} / {t['seq_per_s']:.1f}; max |diff| vs PyTorch: ORT "
                    f"{row['ort_max_abs_diff']:.1e}, tinybert {row['tinybert_max_abs_diff']:.1e}; load "
                    f"{row['load_average'][0]:.2f}")
        del pt

    elapsed = time.time() - t_start
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"torch": torch.__version__, "onnxruntime": ort.__version__,
                       "transformers": transformers.__version__, "cpu": cpu, "seconds": elapsed, "quick": a.quick,
                       "checks": checks, "rows": rows, "failures": failures}, f, indent=1)

    # the table: speed ratios > 1 mean tinybert is faster (latency rows: other p50 / tinybert p50; throughput rows:
    # tinybert seq/s / other seq/s)
    print(f"\ntorch {torch.__version__} (eager, attention {'/'.join(sorted(attn_impls))}), onnxruntime {ort.__version__} (opt_level 99 + "
          f"ORT_ENABLE_ALL), CPU {cpu}; {'--quick: few calls, not a measurement; ' if a.quick else ''}"
          f"whole run {elapsed:.0f} s\n")
    print("| model | batch × seq | threads | metric | PyTorch | ONNX Runtime | tinybert | tinybert / ORT | "
          "tinybert / PyTorch | max abs diff ORT, tinybert | calls PT/ORT/tb |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        p, o, t = r["pytorch"], r["ort"], r["tinybert"]
        calls = f"{p['iters']}/{o['iters']}/{t['iters']}"
        diffs = f"{r['ort_max_abs_diff']:.1e}, {r['tinybert_max_abs_diff']:.1e}"
        head = f"| {r['model']} | {r['shape']} | {r['threads']} |"
        if r["kind"] == "latency":
            print(f"{head} p50 ms | {p['p50_ms']:.1f} | {o['p50_ms']:.1f} | {t['p50_ms']:.1f} | "
                  f"{o['p50_ms'] / t['p50_ms']:.2f}× | {p['p50_ms'] / t['p50_ms']:.2f}× | {diffs} | {calls} |")
            print(f"{head} p99 ms | {p['p99_ms']:.1f} | {o['p99_ms']:.1f} | {t['p99_ms']:.1f} | "
                  f"{o['p99_ms'] / t['p99_ms']:.2f}× | {p['p99_ms'] / t['p99_ms']:.2f}× | | |")
        else:
            print(f"{head} seq/s | {p['seq_per_s']:.1f} | {o['seq_per_s']:.1f} | {t['seq_per_s']:.1f} | "
                  f"{t['seq_per_s'] / o['seq_per_s']:.2f}× | {t['seq_per_s'] / p['seq_per_s']:.2f}× | {diffs} | "
                  f"{calls} |")
    print("\nRatios are speed-ups of tinybert (> 1: tinybert faster). Goal: ≥ 1× ORT and ≥ 2× PyTorch on every row.")
    for c in checks:
        print(f"check: {c['model']} tinybert {c['output']} vs PyTorch, max abs diff {c['max_abs_diff']:.1e} "
              f"{'ok' if c['ok'] else 'FAIL'}")
    if tmp:
        tmp.cleanup()
    if failures:
        sys.exit("OUTPUTS DIFFER beyond --tol:\n  " + "\n  ".join(failures))
    print(f"all outputs equal to PyTorch's: max |diff| <= {a.tol} × max |PyTorch| everywhere")


if __name__ == "__main__":
    main()
