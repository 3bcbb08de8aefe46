#!/usr/bin/env python3
"""PyTorch's side of bench_ops_cuda: the same ops at the same shapes, fp32 (no TF32), timed with CUDA events (mean of
the iterations after 3 warm-ups), printed as a table next to tinybert's numbers when --tinybert bench.json is given.

  linear_forward/OUT/IN/M y (4096, OUT) = x (4096, IN) · Wᵀ + b             (torch.nn.functional.linear)
                          M = 0: fp32; M = 1, 2: bf16 autocast from fp32 x, W, b (the casts included), tinybert's
                          bias broadcast first (1) and in cuBLASLt's epilogue (2)
  linear_backward/OUT/IN/M  dx, dW, db of the same layer (autograd.grad), M = 0 fp32, 1 bf16 autocast
  attention_forward/S/M   B 32, S, H 768, NH 12, key mask, dropout 0.1  (scaled_dot_product_attention, as BERT)
                          M = 0: fp32 at S 128; M = 1, 2: bf16 (autocast's dtype) at S 128 and 512, tinybert's GEMM
                          path (1) and flash attention (2), PyTorch's SDPA on both (with a mask: its
                          memory-efficient kernel)
  attention_backward/S/M  dq, dk, dv of the same
  layernorm_forward/backward (4096, 768); gelu_forward/backward (4096, 3072), exact erf

usage: python3 benchmarks/ops_cuda_torch.py [--tinybert bench.json] [--iters 200]
"""
import argparse
import json

import torch
import torch.nn.functional as F

ROWS, HIDDEN, INTER, B, S, NH = 4096, 768, 3072, 32, 128, 12


def timed_us(f, iters):
    for _ in range(3):
        f()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    for _ in range(iters):
        f()
    stop.record()
    torch.cuda.synchronize()
    return 1000 * start.elapsed_time(stop) / iters


def cases():
    r = lambda *shape: torch.randn(*shape, device="cuda", requires_grad=True)  # noqa: E731
    for out, inp in ((HIDDEN, HIDDEN), (INTER, HIDDEN)):
        x, w, b = r(ROWS, inp), r(out, inp), r(out)
        for forward_modes, backward_mode, autocast in (((0,), 0, False), ((1, 2), 1, True)):
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
                y = F.linear(x, w, b)
            dy = torch.randn_like(y)

            def linear(x=x, w=w, b=b, autocast=autocast):
                with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
                    return F.linear(x, w, b)
            for mode in forward_modes:
                yield f"linear_forward/{out}/{inp}/{mode}", linear
            yield f"linear_backward/{out}/{inp}/{backward_mode}", lambda y=y, dy=dy, x=x, w=w, b=b: \
                torch.autograd.grad(y, (x, w, b), dy, retain_graph=True)
    for seq, dtype, modes in ((S, torch.float32, (0,)), (S, torch.bfloat16, (1, 2)), (512, torch.bfloat16, (1, 2))):
        q, k, v = (torch.randn(B, NH, seq, HIDDEN // NH, device="cuda", dtype=dtype, requires_grad=True)
                   for _ in range(3))
        mask = torch.zeros(B, 1, 1, seq, device="cuda", dtype=dtype)
        attn = lambda q=q, k=k, v=v, mask=mask: F.scaled_dot_product_attention(  # noqa: E731
            q, k, v, attn_mask=mask, dropout_p=0.1)
        ctx = attn()
        dctx = torch.randn_like(ctx)
        for mode in modes:
            yield f"attention_forward/{seq}/{mode}", attn
            yield f"attention_backward/{seq}/{mode}", lambda ctx=ctx, dctx=dctx, q=q, k=k, v=v: \
                torch.autograd.grad(ctx, (q, k, v), dctx, retain_graph=True)
    x, g, beta = r(ROWS, HIDDEN), r(HIDDEN), r(HIDDEN)
    yield "layernorm_forward", lambda: F.layer_norm(x, (HIDDEN,), g, beta, 1e-12)
    y = F.layer_norm(x, (HIDDEN,), g, beta, 1e-12)
    dy = torch.randn_like(y)
    yield "layernorm_backward", lambda: torch.autograd.grad(y, (x, g, beta), dy, retain_graph=True)
    x = r(ROWS, INTER)
    yield "gelu_forward", lambda: F.gelu(x)
    y = F.gelu(x)
    dy = torch.randn_like(y)
    yield "gelu_backward", lambda: torch.autograd.grad(y, (x,), dy, retain_graph=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tinybert", help="bench_ops_cuda --benchmark_out=FILE --benchmark_out_format=json")
    ap.add_argument("--iters", type=int, default=200)
    a = ap.parse_args()
    ours = {}
    if a.tinybert:
        for bm in json.load(open(a.tinybert))["benchmarks"]:
            ours[bm["name"].removeprefix("BM_").removesuffix("/manual_time")] = bm["real_time"]
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}, "
          f"float32 matmul precision {torch.get_float32_matmul_precision()}")
    print("| op | tinybert us | PyTorch us | speed-up |")
    print("|---|---|---|---|")
    for name, f in cases():
        pt = timed_us(f, a.iters)
        tb = ours.get(name)
        print(f"| {name} | {tb:.1f} | {pt:.1f} | {pt / tb:.2f}x |" if tb else f"| {name} | - | {pt:.1f} | - |")


if __name__ == "__main__":
    main()
