#!/usr/bin/env python3
"""Side by side: DIR/hf.json (tools/lockstep/qa_lockstep.py) and DIR/tinybert.json (qa_lockstep.cpp).
Prints the loss and gradient norm of the first updates and every 10th, then the mean loss per window of updates.

    python tools/lockstep/compare.py DIR [--window 25]
"""
import argparse
import json
import os


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--window", type=int, default=25)
    a = ap.parse_args()
    h = json.load(open(os.path.join(a.dir, "hf.json")))
    t = json.load(open(os.path.join(a.dir, "tinybert.json")))
    n = min(len(h["losses"]), len(t["losses"]))
    print(f"dropout: {h['dropout']}, {n} updates of batch {h['batch_size']}, schedule over {h['total_steps']}")
    print("update  hf loss  tinybert  diff     hf |g|  tinybert |g|")
    for s in range(n):
        if s < 5 or (s + 1) % 10 == 0:
            print(f"{s + 1:6d} {h['losses'][s]:8.4f} {t['losses'][s]:9.4f} {t['losses'][s] - h['losses'][s]:+8.4f} "
                  f"{h['grad_norms'][s]:8.3f} {t['grad_norms'][s]:9.3f}")
    print(f"mean loss per {a.window} updates")
    for s in range(0, n, a.window):
        e = min(n, s + a.window)
        hl = sum(h["losses"][s:e]) / (e - s)
        tl = sum(t["losses"][s:e]) / (e - s)
        print(f"{s + 1:4d}-{e:<4d} hf {hl:.4f} tinybert {tl:.4f} diff {tl - hl:+.4f}")
    print(f"all {n}: hf {sum(h['losses'][:n]) / n:.4f} tinybert {sum(t['losses'][:n]) / n:.4f}")


if __name__ == "__main__":
    main()
