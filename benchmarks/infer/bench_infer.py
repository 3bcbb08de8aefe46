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
Inputs: random ids in [1000, 30000) between [CLS] and [SEP], attention mask all ones (padded: ones, then zeros and
pad id 0).
Each engine: warm-up calls, then calls until --iters are done, or until --max-seconds have passed and at least
--min-iters are done; p50/p99 are nearest-rank percentiles of the per-call times; sequences/s = batch x calls / total
time of the timed calls. Engines run back to back for each row (PyTorch, ORT, tinybert).

Equality: each row's logits from ORT and tinybert against PyTorch's: max |diff| <= --tol x max |PyTorch| (1e-4), else
the script fails after the table. Once per model (untimed) tinybert's last hidden state and mean-pooled embedding
(bench_infer --output hidden / embedding, the bare BertModel) are checked against PyTorch's on 4 padded rows.

--int8 runs every engine with int8 dynamic quantisation of the encoder's linears instead (per-channel int8 weights,
activations quantised per call): PyTorch torch.ao.quantization.quantize_dynamic on bert.encoder with
per_channel_dynamic_qconfig (x86 engine); ORT onnxruntime.quantization.quantize_dynamic of the optimised model,
op_types_to_quantize MatMul and Attention (the pooler and classifier stay float), per_channel=True, QInt8 weights;
tinybert bench_infer --int8 (quantize_dynamic, quant/model.hpp). Outputs are then compared with the float PyTorch
model's, and tinybert fails the check when its error is over twice the larger of PyTorch's and ORT's int8 errors
(and over --tol).

usage: HF_HUB_OFFLINE=1 /opt/ref/bin/python benchmarks/infer/bench_infer.py --bench build-infer/benchmarks/bench_infer
       [--models minilm,bert-base] [--threads 1,2] [--padded] [--quick] [--int8] [--json-out FILE] [--workdir DIR]
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
    "bert-base": ("bert-base-uncased config",
                  os.path.join(REPO, "benchmarks/train_step/bert-base-uncased.config.json")),
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


def quantize_onnx(opt_path):
    """ORT's int8 dynamic quantisation of the optimised model (encoder MatMul and Attention nodes)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    q_path = opt_path.replace(".opt.onnx", ".opt.int8.onnx")
    if not os.path.exists(q_path):
        import onnx
        # the pooler and classifier Gemms stay float (as in tinybert and PyTorch here): the quantiser turns a Gemm
        # into <name>_MatMul + <name>_Add before choosing nodes
        gemms = [n.name for n in onnx.load(opt_path, load_external_data=False).graph.node if n.op_type == "Gemm"]
        # DefaultTensorType: shape inference cannot type the outputs of the fused com.microsoft ops; they are float
        quantize_dynamic(opt_path, q_path, op_types_to_quantize=["MatMul", "Attention"], per_channel=True,
                         weight_type=QuantType.QInt8, nodes_to_exclude=gemms + [g + "_MatMul" for g in gemms],
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return q_path


def quantize_torch(model):
    """PyTorch's int8 dynamic quantisation of the encoder's nn.Linear modules (per-channel weights)."""
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
    return quantize_dynamic(model, {"bert.encoder": per_channel_dynamic_qconfig}, dtype=torch.qint8)


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
    ap.add_argument("--int8", action="store_true", help="int8 dynamic quantisation in every engine (see above)")
    ap.add_argument("--tinybert-arg", action="append", default=[], help="extra argument for bench_infer (repeatable)")
    a = ap.parse_args()
    bench = os.path.abspath(a.bench)
    tb_args = [*a.tinybert_arg, *(["--int8"] if a.int8 else [])]
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
        if a.int8:
            onnx_path = quantize_onnx(onnx_path)
            import onnx
            q_nodes = collections.Counter(n.op_type for n in onnx.load(onnx_path, load_external_data=False).graph.node)
            log(f"{label}: ORT int8 model {onnx_path}, nodes {dict(q_nodes.most_common())}")
        log(f"{label}: folder {folder}, ONNX {onnx_path} ({time.time() - t0:.1f} s to save/export/optimise); ORT fused "
            f"ops {({k: v for k, v in fused.items() if k != 'nodes'})}, nodes {fused['nodes']}")
        ref = BertForSequenceClassification.from_pretrained(folder).eval()  # float: the reference outputs
        pt = quantize_torch(ref) if a.int8 else ref  # the PyTorch model timed
        attn_impls.add(ref.config._attn_implementation)
        log(f"{label}: PyTorch attention implementation {ref.config._attn_implementation}"
            f"{', int8: ' + onnx_path if a.int8 else ''}")

        # untimed structure check: last hidden state and mean-pooled embedding on 4 padded rows
        ids, mask = make_inputs(4, 128, True, rng)
        ids_path = os.path.join(workdir, f"{model_name}.check.ids")
        write_ids(ids_path, ids, mask)
        def hidden_and_embedding(model):
            with torch.inference_mode():
                h = model.bert(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                               token_type_ids=torch.zeros_like(torch.from_numpy(ids))).last_hidden_state
                m = torch.from_numpy(mask).unsqueeze(-1).float()
                return {"hidden": h.numpy(), "embedding":
                        torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1).numpy()}

        expected = hidden_and_embedding(ref)
        pt_int8 = hidden_and_embedding(pt) if a.int8 else None
        for output in ("hidden", "embedding"):
            _, got = run_tinybert(bench, folder, ids_path, ids_path + f".{output}.bin", threads_list[-1],
                                  (0, 1, 1, 0.0), output, tb_args)
            d = max_diff(got, expected[output])
            bound = a.tol * float(np.max(np.abs(expected[output])))
            check = {"model": label, "output": output, "max_abs_diff": d}
            if a.int8:  # int8 error no larger than twice PyTorch's int8 error against the same float reference
                check["pytorch_int8_max_abs_diff"] = max_diff(pt_int8[output], expected[output])
                bound = max(bound, 2 * check["pytorch_int8_max_abs_diff"])
            check["ok"] = d <= bound
            checks.append(check)
            extra = f", PyTorch int8 {check['pytorch_int8_max_abs_diff']:.2e}" if a.int8 else ""
            log(f"{label}: tinybert {output} (4x128, padded) vs float PyTorch: max |diff| {d:.2e}{extra} (bound "
                f"{bound:.1e}) {'ok' if check['ok'] else 'FAIL'}")
            if not check["ok"]:
                failures.append(f"{label} tinybert {output}: max |diff| {d:.2e} > {bound:.1e}")

        for kind, batch, seq, padded in shapes:
            ids, mask = make_inputs(batch, seq, padded, rng)
            ids_path = os.path.join(workdir, f"{model_name}.{batch}x{seq}{'.padded' if padded else ''}.ids")
            write_ids(ids_path, ids, mask)
            tids, tmask = torch.from_numpy(ids), torch.from_numpy(mask)
            ttypes = torch.zeros_like(tids)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            shape = f"{batch}x{seq}{' padded' if padded else ''}"
            expected = None  # the float PyTorch logits (with --int8 computed once, untimed)
            if a.int8:
                with torch.inference_mode():
                    expected = ref(input_ids=tids, attention_mask=tmask, token_type_ids=ttypes).logits.numpy()
            for threads in threads_list:
                torch.set_num_threads(threads)
                with torch.inference_mode():
                    pt_ms, pt_out = timed_calls(
                        lambda: pt(input_ids=tids, attention_mask=tmask, token_type_ids=ttypes).logits, plan[kind])
                pt_out = pt_out.numpy()
                sess = ort_session(onnx_path, threads)
                ort_ms, ort_out = timed_calls(lambda: sess.run(["logits"], feed)[0], plan[kind])
                del sess
                tb_res, tb_out = run_tinybert(bench, folder, ids_path, ids_path + ".out.bin", threads, plan[kind],
                                              "logits", tb_args)
                want = pt_out if expected is None else expected
                row = {"model": label, "kind": kind, "shape": shape, "batch": batch, "seq": seq, "threads": threads,
                       "int8": a.int8, "pytorch": summarise("pytorch", pt_ms, batch),
                       "ort": summarise("ort", ort_ms, batch),
                       "tinybert": summarise("tinybert", tb_res["latencies_ms"], batch),
                       "ort_max_abs_diff": max_diff(ort_out, want), "tinybert_max_abs_diff": max_diff(tb_out, want),
                       "reference_max_abs": float(np.max(np.abs(want))), "load_average": os.getloadavg()}
                bound = a.tol * row["reference_max_abs"]
                engines = ("ort", "tinybert")
                if a.int8:  # int8 against float: tinybert's error within twice the larger of the references' errors
                    row["pytorch_max_abs_diff"] = max_diff(pt_out, want)
                    bound = max(bound, 2 * max(row["pytorch_max_abs_diff"], row["ort_max_abs_diff"]))
                    engines = ("tinybert",)
                for eng in engines:
                    if row[f"{eng}_max_abs_diff"] > bound:
                        failures.append(f"{label} {shape} {threads}T: {eng} logits max |diff| "
                                        f"{row[f'{eng}_max_abs_diff']:.2e} > {bound:.1e}")
                rows.append(row)
                p, o, t = row["pytorch"], row["ort"], row["tinybert"]
                pt_diff = f"PyTorch {row['pytorch_max_abs_diff']:.1e}, " if a.int8 else ""
                log(f"{label} {shape} {threads}T: p50 ms PyTorch {p['p50_ms']:.1f} ({p['iters']} calls), ORT "
                    f"{o['p50_ms']:.1f} ({o['iters']}), tinybert {t['p50_ms']:.1f} ({t['iters']}); seq/s "
                    f"{p['seq_per_s']:.1f} / {o['seq_per_s']:.1f} / {t['seq_per_s']:.1f}; max |diff| vs "
                    f"{'float ' if a.int8 else ''}PyTorch (max |logit| {row['reference_max_abs']:.1e}): {pt_diff}ORT "
                    f"{row['ort_max_abs_diff']:.1e}, tinybert {row['tinybert_max_abs_diff']:.1e}; load "
                    f"{row['load_average'][0]:.2f}")
        del pt, ref

    elapsed = time.time() - t_start
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"torch": torch.__version__, "onnxruntime": ort.__version__,
                       "transformers": transformers.__version__, "cpu": cpu, "seconds": elapsed, "quick": a.quick,
                       "int8": a.int8,
                       "checks": checks, "rows": rows, "failures": failures}, f, indent=1)

    # the table: speed ratios > 1 mean tinybert is faster (latency rows: other p50 / tinybert p50; throughput rows:
    # tinybert seq/s / other seq/s)
    print(f"\n{'int8 dynamic quantisation in every engine; ' if a.int8 else ''}torch {torch.__version__} (eager, "
          f"attention {'/'.join(sorted(attn_impls))}), onnxruntime {ort.__version__} (opt_level 99 + ORT_ENABLE_ALL), "
          f"CPU {cpu}; {'--quick: few calls, not a measurement; ' if a.quick else ''}whole run {elapsed:.0f} s\n")
    print("| model | batch × seq | threads | metric | PyTorch | ONNX Runtime | tinybert | tinybert / ORT | "
          "tinybert / PyTorch | max abs diff "
          f"{'PyTorch, ORT, tinybert vs float PyTorch' if a.int8 else 'ORT, tinybert'} | "
          "calls PT/ORT/tb |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        p, o, t = r["pytorch"], r["ort"], r["tinybert"]
        calls = f"{p['iters']}/{o['iters']}/{t['iters']}"
        diffs = f"{r['ort_max_abs_diff']:.1e}, {r['tinybert_max_abs_diff']:.1e}"
        if a.int8:
            diffs = f"{r['pytorch_max_abs_diff']:.1e}, " + diffs
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
    print("\nRatios are speed-ups of tinybert (> 1: tinybert faster; latency: other p50 or p99 / tinybert's, "
          "throughput: tinybert seq/s / other's). Goal: ≥ 1× ORT and ≥ 2× PyTorch on every row.")
    for c in checks:
        extra = f" (PyTorch int8: {c['pytorch_int8_max_abs_diff']:.1e})" if a.int8 else ""
        print(f"check: {c['model']} tinybert {c['output']} (4x128 padded) vs {'float ' if a.int8 else ''}PyTorch, max "
              f"abs diff {c['max_abs_diff']:.1e}{extra} {'ok' if c['ok'] else 'FAIL'}")
    if tmp:
        tmp.cleanup()
    if failures:
        sys.exit("OUTPUTS DIFFER beyond the bound:\n  " + "\n  ".join(failures))
    if a.int8:
        print(f"tinybert's int8 outputs are within max({a.tol} × max |float PyTorch|, 2 × the larger int8 error of "
              "PyTorch and ORT) of float PyTorch's everywhere")
    else:
        print(f"all outputs equal to PyTorch's: max |diff| <= {a.tol} × max |PyTorch| everywhere")


if __name__ == "__main__":
    main()
