"""Reads the TensorBoard event files of the tiny run (report_run) with TensorBoard's own reader (EventAccumulator) and
checks them against the run's metrics.jsonl: every number of every record under the Hugging Face tag (eval_x ->
eval/x, other keys -> train/key) at its step, stored as float32, plus train/grad_norm at every logging step; nothing
else. A run killed at update 7 and resumed (two event files in one run folder) must read back as its truncated
metrics.jsonl, with no step twice.

usage: read_tensorboard.py REPORT_RUN WORK_DIR    (exit 77 = skipped: tensorboard is not installed)
"""
import glob
import json
import math
import os
import struct
import subprocess
import sys

try:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator, SCALARS
except ImportError:
    print("SKIPPED: the tensorboard Python package is not installed (pip install tensorboard)")
    sys.exit(77)


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def expected_scalars(out):
    """tag -> [(step, float32 value)] from out/metrics.jsonl; the closing summary has no step: the run's last."""
    records = [json.loads(line) for line in open(os.path.join(out, "metrics.jsonl"))]
    last = max(r["step"] for r in records if "step" in r)
    tags = {}
    for r in records:
        step = r.get("step", last)
        for key, value in r.items():
            if key == "step":
                continue
            tag = "eval/" + key[5:] if key.startswith("eval_") else "train/" + key
            tags.setdefault(tag, []).append((step, f32(value)))
    return tags


def check_run(report_run, out, crash_at, files):
    subprocess.run([report_run, out] + ([str(crash_at)] if crash_at else []), check=True)
    runs = glob.glob(os.path.join(out, "runs", "*"))
    assert len(runs) == 1, runs
    events = sorted(glob.glob(os.path.join(runs[0], "events.out.tfevents.*")))
    assert len(events) == files, events
    acc = EventAccumulator(runs[0], size_guidance={SCALARS: 0})
    acc.Reload()
    want = expected_scalars(out)
    got = {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
    norms = got.pop("train/grad_norm")
    assert got == want, (got, want)
    assert [s for s, _ in norms] == [s for s, _ in want["train/loss"]], norms
    assert all(math.isfinite(v) and v > 0 for _, v in norms), norms
    for tag in ("train/loss", "train/learning_rate", "train/epoch", "eval/accuracy", "eval/f1", "train/train_runtime"):
        assert tag in got, tag
    print(f"{out}: {len(events)} event file(s), {sum(map(len, got.values())) + len(norms)} scalars under "
          f"{len(got) + 1} tags match metrics.jsonl")
    return got


def main():
    report_run, work = sys.argv[1], sys.argv[2]
    straight = check_run(report_run, os.path.join(work, "straight"), 0, 1)
    resumed = check_run(report_run, os.path.join(work, "resumed"), 7, 2)
    # The resumed curves are the uninterrupted run's (dropout 0); only the closing summary's per-process numbers differ
    # (runtimes, and train_loss: the mean over the batches this process ran).
    per_process = {"train/train_runtime", "eval/runtime", "train/train_samples_per_second", "train/train_loss"}
    for tag in straight:
        if tag not in per_process:
            assert resumed[tag] == straight[tag], (tag, resumed[tag], straight[tag])
    print("OK")


if __name__ == "__main__":
    main()
