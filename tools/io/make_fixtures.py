#!/usr/bin/env python3
"""Writes the checkpoint fixtures of tests/io into tests/fixtures/io (each a few KB).

Run with the reference environment:  /opt/ref/bin/python tools/io/make_fixtures.py
Needs torch, safetensors, transformers and numpy. Deterministic (fixed seed); rerunning rewrites identical tensors
(torch.save archives also embed a random serialization_id, so their bytes differ between runs).
Nothing here unpickles or executes the malicious fixture: evil_global.bin is assembled from hand-written pickle bytes.
"""
import collections
import json
import os
import struct
import sys
import zipfile

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import BertConfig, BertForSequenceClassification

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "io")


def path(*parts):
    return os.path.join(OUT, *parts)


def mixed_safetensors():
    # Values exactly representable in every dtype used, so the C++ test can spell them out.
    t = {
        "f32": torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.5 - 1.0,  # -1.0 -0.5 0 0.5 1 1.5
        "f16": torch.tensor([1.0, -2.0, 0.25, 65504.0], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -2.0, 0.25, 3.0e38], dtype=torch.bfloat16),
        "f64": torch.tensor([0.1, -1e300], dtype=torch.float64),
        "i64": torch.tensor([-1, 0, 2**40], dtype=torch.int64),
        "i32": torch.tensor([[7], [-8]], dtype=torch.int32),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }
    save_file(t, path("mixed.safetensors"), metadata={"format": "pt"})
    print("bf16 3.0e38 ->", t["bf16"][3].item())


def tiny_model():
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=32, hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=16,
                     max_position_embeddings=16, id2label={0: "neg", 1: "neu", 2: "pos"},
                     label2id={"neg": 0, "neu": 1, "pos": 2})
    model = BertForSequenceClassification(cfg).eval()
    model.save_pretrained(path("tiny_single"), safe_serialization=True)
    model.save_pretrained(path("tiny_sharded"), safe_serialization=True, max_shard_size="4KB")
    # transformers 5 only writes safetensors; pytorch_model.bin is what torch.save of the state dict gives.
    os.makedirs(path("tiny_bin"), exist_ok=True)
    sd = collections.OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
    torch.save(sd, path("tiny_bin", "pytorch_model.bin"))
    # Expected values for the C++ test: shape, sum (float64) and first element of every tensor.
    expected = {k: {"shape": list(v.shape), "sum": float(v.double().sum()), "first": float(v.reshape(-1)[0])}
                for k, v in sd.items()}
    with open(path("tiny_expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)

    # A bert-base-uncased style file: gamma/beta names, bert. prefix, pre-training heads, position_ids buffer.
    legacy = collections.OrderedDict()
    for k, v in sd.items():
        if k.startswith("classifier."):
            continue
        legacy[k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")] = v
    legacy["bert.embeddings.position_ids"] = torch.arange(16).reshape(1, 16)
    legacy["cls.predictions.bias"] = torch.zeros(32)
    legacy["cls.seq_relationship.weight"] = torch.zeros(2, 8)
    save_file(legacy, path("gamma_beta.safetensors"), metadata={"format": "pt"})


def views_bin():
    # Shared storages with offsets and strides, every storage dtype used by BERT checkpoints, and _metadata.
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    sd = collections.OrderedDict()
    sd["base"] = base
    sd["transposed"] = base.t()          # stride (1, 4)
    sd["slice"] = base[1:, 1:3]          # offset 5, stride (4, 1)
    sd["column"] = base[:, 2]            # offset 2, stride (4,)
    sd["half"] = torch.tensor([1.0, -0.5, 65504.0], dtype=torch.float16)
    sd["bfloat"] = torch.tensor([1.0, -0.5, 3.0e38], dtype=torch.bfloat16)
    sd["long"] = torch.tensor([-3, 2**40], dtype=torch.int64)
    sd["int"] = torch.tensor([5, -6], dtype=torch.int32)
    sd["double"] = torch.tensor(0.1, dtype=torch.float64)
    sd["expanded"] = torch.tensor([1.0, 2.0]).expand(3, 2)   # stride (0, 1)
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("base", {"version": 2})])
    torch.save(sd, path("views.bin"))

    # The same archive with data.pkl deflated: must be rejected as compressed.
    with zipfile.ZipFile(path("views.bin")) as src, zipfile.ZipFile(path("compressed.bin"), "w") as dst:
        for info in src.infolist():
            method = zipfile.ZIP_DEFLATED if info.filename.endswith("data.pkl") else zipfile.ZIP_STORED
            dst.writestr(info.filename, src.read(info.filename), compress_type=method)

    # Pre-1.6 (non-zip) format: must be rejected with a clear message.
    torch.save(collections.OrderedDict(w=torch.ones(2)), path("legacy.bin"), _use_new_zipfile_serialization=False)


def evil_bin():
    # Hand-written protocol-2 pickle equivalent to `os.system("echo pwned")`; assembled as bytes, never loaded.
    pickle = (b"\x80\x02" + b"cos\nsystem\n" + b"X" + struct.pack("<I", 10) + b"echo pwned" + b"\x85" + b"R" + b".")
    with zipfile.ZipFile(path("evil_global.bin"), "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")


def dtype_bits():
    # Bit patterns of float -> f16 / bf16 conversions (round to nearest even), pasted into tests/io/test_dtype.cpp.
    probes = np.array([0.0, -0.0, 1.0, -2.0, 0.1, 1.0 / 3.0, 65504.0, 65519.0, 65520.0, 1e-8, 2.0**-24, 2.0**-25,
                       3 * 2.0**-26, 6.0e-5, 1.00048828125, 1.00146484375, 3.0e38, 1.00390625, 1.01171875,
                       float("inf"), float("-inf"), float("nan")], dtype=np.float32)
    f16 = probes.astype(np.float16).view(np.uint16)
    bf16 = torch.from_numpy(probes).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    for p, h, b in zip(probes, f16, bf16):
        print(f"{{0x{p.view(np.uint32):08X}u, 0x{h:04X}u, 0x{b:04X}u}},  // {p!r}")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    mixed_safetensors()
    tiny_model()
    views_bin()
    evil_bin()
    if "--bits" in sys.argv:
        dtype_bits()
