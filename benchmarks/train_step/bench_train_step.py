#!/usr/bin/env python3
"""Side-by-side fine-tuning step: tinybert (bench_train_step, or bench_train_step_cuda with --device cuda) vs PyTorch
eager on the same device, same config, batch, sequence length (and CPU thread count), in one run. Both:
BertForSequenceClassification, train mode (dropout on), forward + backward + clip 1.0 + AdamW + zero_grad, fp32 (on CUDA: no TF32, PyTorch's default attention kernel); tinybert reports Google Benchmark's
mean over the iterations that fit in --min-seconds after one warm-up step (the device synchronised after each step),
PyTorch the median step after 2 warm-up steps (torch.cuda.synchronize() before each clock read on CUDA). Prints a
table with the ratio.

usage: python bench_train_step.py --bench build/benchmarks/bench_train_step --config .cache/all-MiniLM-L6-v2/config.json
       [--shapes 8x128,32x128] [--threads 2] [--steps 10] [--min-seconds 10] [--device cpu|cuda]
"""
import argparse
import json
import subprocess
import time

import torch
from transformers import BertConfig, BertForSequenceClassification


def torch_step_ms(config_path, batch, seq, steps, device):
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
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()
        sync()
        if i >= 2:
            times.append(time.perf_counter() - t)
    times.sort()
    return 1000 * times[len(times) // 2]


def tinybert_step_ms(bench, config_path, batch, seq, min_seconds):
    out = subprocess.run([bench, "--config", config_path, "--batch", str(batch), "--seq", str(seq),
                          "--benchmark_format=json", f"--benchmark_min_time={min_seconds}"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["benchmarks"][0]["real_time"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--shapes", default="8x128,32x128")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--min-seconds", type=float, default=10)
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    where = torch.cuda.get_device_name() if a.device == "cuda" else f"{a.threads} CPU threads"
    print(f"torch {torch.__version__}, {where}, float32 matmul precision {torch.get_float32_matmul_precision()}, "
          f"config {a.config}")
    print("| batch x seq | tinybert ms/step | PyTorch ms/step | tinybert seq/s | PyTorch seq/s | speed-up |")
    print("|---|---|---|---|---|---|")
    for shape in a.shapes.split(","):
        b, s = (int(x) for x in shape.split("x"))
        tb = tinybert_step_ms(a.bench, a.config, b, s, a.min_seconds)
        pt = torch_step_ms(a.config, b, s, a.steps, a.device)
        print(f"| {b}x{s} | {tb:.1f} | {pt:.1f} | {1000 * b / tb:.1f} | {1000 * b / pt:.1f} | {pt / tb:.2f}x |")


if __name__ == "__main__":
    main()
