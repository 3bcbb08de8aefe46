#!/usr/bin/env python3
"""Side-by-side fine-tuning step: tinybert (bench_train_step, or bench_train_step_cuda with --device cuda) vs PyTorch
eager on the same device, same config, batch, sequence length (and CPU thread count), in one run. Both:
BertForSequenceClassification, train mode (dropout on), forward + backward + clip 1.0 + AdamW + zero_grad, in the
precision --precision names: fp32 (on CUDA: no TF32, PyTorch's default attention kernel), tf32 (allow_tf32 / tinybert's
TF32 GEMMs), bf16 or fp16 (torch.autocast with fp32 master weights, fp16 with a GradScaler / tinybert's bf16/fp16
GEMMs, fp16 with its loss-scaling work); tinybert reports Google Benchmark's
mean over the iterations that fit in --min-seconds after one warm-up step (the device synchronised after each step),
PyTorch the median step after 2 warm-up steps (torch.cuda.synchronize() before each clock read on CUDA). Each side runs
in its own process with the same thread count (OMP_NUM_THREADS for tinybert, torch.set_num_threads for PyTorch), and
each reports its peak resident set (getrusage ru_maxrss of that process: host memory, the Python interpreter and the
libraries included on PyTorch's side) and, on a GPU, its peak GPU memory (torch.cuda.max_memory_allocated/reserved;
tinybert's caching allocator's peak bytes in tensors/reserved). Prints a table with the ratios.

usage: python bench_train_step.py --bench build/benchmarks/bench_train_step --config .cache/all-MiniLM-L6-v2/config.json
       [--shapes 8x128,32x128] [--threads 2] [--steps 10] [--min-seconds 10] [--device cpu|cuda]
       [--precision fp32|tf32|bf16|fp16]
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
from transformers import BertConfig, BertForSequenceClassification


def torch_step_ms(config_path, batch, seq, steps, device, precision):
    """(median ms per step, peak GPU MB allocated, peak GPU MB reserved) of PyTorch eager."""
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    scaler = torch.amp.GradScaler(device) if precision == "fp16" else None
    cfg = BertConfig.from_json_file(config_path)
    cfg.num_labels = 2
    model = BertForSequenceClassification(cfg).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01)
    ids = ((torch.arange(batch * seq).reshape(batch, seq) * 7919) % 20000 + 1000).to(device)
    labels = (torch.arange(batch) % 2).to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    times = []
    for i in range(steps + 2):
        sync()
        t = time.perf_counter()
        with torch.autocast(device, dtype=dtype) if dtype else contextlib.nullcontext():
            loss = model(input_ids=ids, labels=labels).loss
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
        if i >= 2:
            times.append(time.perf_counter() - t)
    times.sort()
    mb = 1 << 20
    gpu = (torch.cuda.max_memory_allocated() / mb, torch.cuda.max_memory_reserved() / mb) if device == "cuda" else (0, 0)
    return (1000 * times[len(times) // 2],) + gpu


def torch_side(config_path, batch, seq, steps, device, threads, precision):
    """{ms, rss_mb, gpu_mb, gpu_reserved_mb} of PyTorch in a fresh process of this script."""
    out = subprocess.run([sys.executable, __file__, "--torch-worker", "--config", config_path, "--shapes",
                          f"{batch}x{seq}", "--steps", str(steps), "--device", device, "--threads", str(threads),
                          "--precision", precision], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def tinybert_side(bench, config_path, batch, seq, min_seconds, threads, precision):
    """{ms, rss_mb, gpu_mb, gpu_reserved_mb} of the tinybert benchmark program."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([bench, "--config", config_path, "--batch", str(batch), "--seq", str(seq),
                          "--precision", precision, "--benchmark_format=json",
                          f"--benchmark_min_time={min_seconds}"], check=True, capture_output=True, text=True,
                         env=env).stdout
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
    ap.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.torch_worker:  # one shape, PyTorch only: prints {"ms", "rss_mb"}
        b, s = (int(x) for x in a.shapes.split("x"))
        ms, gpu_mb, gpu_reserved_mb = torch_step_ms(a.config, b, s, a.steps, a.device, a.precision)
        print(json.dumps({"ms": ms, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                          "gpu_mb": gpu_mb, "gpu_reserved_mb": gpu_reserved_mb}))
        return
    if not a.bench:
        ap.error("--bench is required")
    where = torch.cuda.get_device_name() if a.device == "cuda" else f"{cpu_name()}, {a.threads} CPU threads"
    print(f"torch {torch.__version__}, {where}, precision {a.precision} on both sides, config {a.config}")
    gpu = a.device == "cuda"
    print("| batch x seq | tinybert ms/step | PyTorch ms/step | tinybert seq/s | PyTorch seq/s | speed-up "
          "| tinybert peak RSS MB | PyTorch peak RSS MB |" +
          (" tinybert peak GPU MB (reserved) | PyTorch peak GPU MB (reserved) |" if gpu else ""))
    print("|---|---|---|---|---|---|---|---|" + ("---|---|" if gpu else ""))
    for shape in a.shapes.split(","):
        b, s = (int(x) for x in shape.split("x"))
        tb = tinybert_side(a.bench, a.config, b, s, a.min_seconds, a.threads, a.precision)
        pt = torch_side(a.config, b, s, a.steps, a.device, a.threads, a.precision)
        row = (f"| {b}x{s} | {tb['ms']:.1f} | {pt['ms']:.1f} | {1000 * b / tb['ms']:.1f} | {1000 * b / pt['ms']:.1f} "
               f"| {pt['ms'] / tb['ms']:.2f}x | {tb['rss_mb']:.0f} | {pt['rss_mb']:.0f} |")
        if gpu:
            row += (f" {tb['gpu_mb']:.0f} ({tb['gpu_reserved_mb']:.0f}) | {pt['gpu_mb']:.0f} "
                    f"({pt['gpu_reserved_mb']:.0f}) |")
        print(row)


if __name__ == "__main__":
    main()
