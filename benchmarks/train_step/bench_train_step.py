#!/usr/bin/env python3
"""Side-by-side fine-tuning step: tinybert (bench_train_step, or bench_train_step_cuda with --device cuda) vs PyTorch
eager (and, with --compile, torch.compile of the same model) on the same device, same config, batch, sequence length
(and CPU thread count), in one run. Both: BertForSequenceClassification (--head token: BertForTokenClassification, 9
labels; --head qa: BertForQuestionAnswering, start/end positions), train mode (dropout on), forward + backward + clip
1.0 + AdamW + zero_grad (--inference: the forward of the eval-mode model without autograd instead), in the
precision --precision names: fp32 (on CUDA: no TF32, PyTorch's default attention kernel), tf32 (allow_tf32 / tinybert's
TF32 GEMMs), bf16 or fp16 (torch.autocast with fp32 master weights, fp16 with a GradScaler / tinybert's bf16/fp16
GEMMs, fp16 with its loss-scaling work); tinybert reports Google Benchmark's
mean over the iterations that fit in --min-seconds after one warm-up step (the device synchronised after each step),
PyTorch the median step after 2 warm-up steps (torch.cuda.synchronize() before each clock read on CUDA). Each side runs
in its own process with the same thread count (OMP_NUM_THREADS for tinybert, torch.set_num_threads for PyTorch), and
each reports its peak resident set (getrusage ru_maxrss of that process: host memory, the Python interpreter and the
libraries included on PyTorch's side) and, on a GPU, its peak GPU memory (torch.cuda.max_memory_allocated/reserved;
tinybert's caching allocator's peak bytes in tensors/reserved). Prints a table with the ratios, and each side's model
TFLOP/s: the matmul FLOPs of a step (2 per multiply-add of every linear layer and of the two attention products, ×3
for a training step's forward and backward) over its time, also as a share of the device's measured GEMM rate in the
same precision (a 4096² × 4096 matmul on the GPU, 1024² on the CPU, timed by this script).

usage: python bench_train_step.py --bench build/benchmarks/bench_train_step --config .cache/all-MiniLM-L6-v2/config.json
       [--shapes 8x128,32x128] [--threads 2] [--steps 10] [--min-seconds 10] [--device cpu|cuda]
       [--precision fp32|tf32|bf16|fp16] [--head classification|token|qa] [--inference] [--compile]
"""
import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import time

import torch
from transformers import (BertConfig, BertForQuestionAnswering, BertForSequenceClassification,
                          BertForTokenClassification)

HEADS = {"classification": (BertForSequenceClassification, 2), "token": (BertForTokenClassification, 9),
         "qa": (BertForQuestionAnswering, 2)}


def head_labels(head, batch, seq):
    """The labels of train_step.hpp's add_labels: class i % 2, tag (b·S + s) % 9, or the span [s0, s0 + 3]."""
    if head == "classification":
        return {"labels": torch.arange(batch) % 2}
    if head == "token":
        return {"labels": torch.arange(batch * seq).reshape(batch, seq) % 9}
    start = (torch.arange(batch) * 5) % (seq - 3)
    return {"start_positions": start, "end_positions": start + 3}


def step_flops(config_path, batch, seq, inference):
    """Matmul FLOPs of one step: 2 per multiply-add of the encoder's linear layers and attention products (the
    embeddings, pooler and heads are left out), ×3 for forward + backward."""
    cfg = json.load(open(config_path))
    h, i, n = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    tokens = batch * seq
    forward = n * (2 * tokens * (4 * h * h + 2 * h * i) + 2 * 2 * batch * seq * seq * h)
    return forward if inference else 3 * forward


def gemm_tflops(device, precision):
    """The device's measured matmul rate in the precision (TFLOP/s): the best of 10 square products."""
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    n = 4096 if device == "cuda" else 1024
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32) \
        if device == "cuda" else torch.float32
    a, b = (torch.randn(n, n, device=device, dtype=dtype) for _ in range(2))
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    best = float("inf")
    for _ in range(12):
        sync()
        t = time.perf_counter()
        a @ b
        sync()
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e12


def torch_step_ms(config_path, batch, seq, steps, device, precision, head, inference, compile_model):
    """(median ms per step, peak GPU MB allocated, peak GPU MB reserved) of PyTorch eager (or torch.compile)."""
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    scaler = torch.amp.GradScaler(device) if precision == "fp16" and not inference else None
    cfg = BertConfig.from_json_file(config_path)
    model_class, cfg.num_labels = HEADS[head]
    model = model_class(cfg).to(device)
    model.train(not inference)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01)
    forward = torch.compile(model) if compile_model else model
    ids = ((torch.arange(batch * seq).reshape(batch, seq) * 7919) % 20000 + 1000).to(device)
    labels = {k: v.to(device) for k, v in head_labels(head, batch, seq).items()}
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    warmup = 3 if compile_model else 2  # compiling happens in the first calls
    times = []
    for i in range(steps + warmup):
        sync()
        t = time.perf_counter()
        if inference:
            with torch.inference_mode(), torch.autocast(device, dtype=dtype) if dtype else contextlib.nullcontext():
                forward(input_ids=ids)
            sync()
            if i >= warmup:
                times.append(time.perf_counter() - t)
            continue
        with torch.autocast(device, dtype=dtype) if dtype else contextlib.nullcontext():
            loss = forward(input_ids=ids, **labels).loss
        if scaler:
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        opt.zero_grad()
        sync()
        if i >= warmup:
            times.append(time.perf_counter() - t)
    times.sort()
    mb = 1 << 20
    gpu = (torch.cuda.max_memory_allocated() / mb, torch.cuda.max_memory_reserved() / mb) if device == "cuda" else (0, 0)
    return (1000 * times[len(times) // 2],) + gpu


def torch_side(a, batch, seq, compile_model=False):
    """{ms, rss_mb, gpu_mb, gpu_reserved_mb} of PyTorch in a fresh process of this script."""
    out = subprocess.run([sys.executable, __file__, "--torch-worker", "--config", a.config, "--shapes",
                          f"{batch}x{seq}", "--steps", str(a.steps), "--device", a.device, "--threads", str(a.threads),
                          "--precision", a.precision, "--head", a.head] + ["--inference"] * a.inference +
                         ["--compile"] * compile_model, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def tinybert_side(a, batch, seq):
    """{ms, rss_mb, gpu_mb, gpu_reserved_mb} of the tinybert benchmark program."""
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    out = subprocess.run([a.bench, "--config", a.config, "--batch", str(batch), "--seq", str(seq),
                          "--precision", a.precision, "--head", a.head] + ["--inference"] * a.inference +
                         ["--benchmark_format=json", f"--benchmark_min_time={a.min_seconds}"],
                         check=True, capture_output=True, text=True, env=env).stdout
    r = json.loads(out)["benchmarks"][0]
    return {"ms": r["real_time"], "rss_mb": r["peak_rss_mb"], "gpu_mb": r.get("peak_gpu_mb", 0),
            "gpu_reserved_mb": r.get("peak_gpu_reserved_mb", 0)}


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", help="the tinybert benchmark program (required except in the PyTorch worker)")
    ap.add_argument("--config", required=True)
    ap.add_argument("--shapes", default="8x128,32x128")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--min-seconds", type=float, default=10)
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--precision", choices=["fp32", "tf32", "bf16", "fp16"], default="fp32")
    ap.add_argument("--head", choices=sorted(HEADS), default="classification")
    ap.add_argument("--inference", action="store_true", help="time the eval-mode forward instead of a training step")
    ap.add_argument("--compile", action="store_true", help="add torch.compile of the PyTorch model as a third side")
    ap.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.torch_worker:  # one shape, PyTorch only: prints {"ms", "rss_mb", "gpu_mb", "gpu_reserved_mb"}
        b, s = (int(x) for x in a.shapes.split("x"))
        ms, gpu_mb, gpu_reserved_mb = torch_step_ms(a.config, b, s, a.steps, a.device, a.precision, a.head,
                                                    a.inference, a.compile)
        print(json.dumps({"ms": ms, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                          "gpu_mb": gpu_mb, "gpu_reserved_mb": gpu_reserved_mb}))
        return
    if not a.bench:
        ap.error("--bench is required")
    where = torch.cuda.get_device_name() if a.device == "cuda" else f"{cpu_name()}, {a.threads} CPU threads"
    rate = gemm_tflops(a.device, a.precision)
    mode = "inference (forward)" if a.inference else "training step"
    print(f"torch {torch.__version__}, {where}, precision {a.precision} on both sides, head {a.head}, {mode}, "
          f"config {a.config}; measured GEMM rate {rate:.1f} TFLOP/s")
    gpu = a.device == "cuda"
    print("| batch x seq | tinybert ms/step | PyTorch ms/step | tinybert seq/s | PyTorch seq/s | speed-up "
          "| tinybert peak RSS MB | PyTorch peak RSS MB |" +
          (" tinybert peak GPU MB (reserved) | PyTorch peak GPU MB (reserved) |" if gpu else "") +
          " tinybert TFLOP/s (% of GEMM rate) | PyTorch TFLOP/s |" +
          (" torch.compile ms/step | speed-up vs compile | torch.compile peak GPU MB |" if a.compile else ""))
    print("|---|---|---|---|---|---|---|---|" + ("---|---|" if gpu else "") + "---|---|" +
          ("---|---|---|" if a.compile else ""))
    for shape in a.shapes.split(","):
        b, s = (int(x) for x in shape.split("x"))
        tb = tinybert_side(a, b, s)
        pt = torch_side(a, b, s)
        flops = step_flops(a.config, b, s, a.inference)
        row = (f"| {b}x{s} | {tb['ms']:.1f} | {pt['ms']:.1f} | {1000 * b / tb['ms']:.1f} | {1000 * b / pt['ms']:.1f} "
               f"| {pt['ms'] / tb['ms']:.2f}x | {tb['rss_mb']:.0f} | {pt['rss_mb']:.0f} |")
        if gpu:
            row += (f" {tb['gpu_mb']:.0f} ({tb['gpu_reserved_mb']:.0f}) | {pt['gpu_mb']:.0f} "
                    f"({pt['gpu_reserved_mb']:.0f}) |")
        tb_tflops, pt_tflops = flops / tb["ms"] / 1e9, flops / pt["ms"] / 1e9
        row += f" {tb_tflops:.3g} ({100 * tb_tflops / rate:.0f} %) | {pt_tflops:.3g} |"
        if a.compile:
            pc = torch_side(a, b, s, compile_model=True)
            row += f" {pc['ms']:.1f} | {pc['ms'] / tb['ms']:.2f}x | {pc['gpu_mb']:.0f} |"
        print(row)


if __name__ == "__main__":
    main()
