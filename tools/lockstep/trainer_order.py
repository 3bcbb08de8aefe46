#!/usr/bin/env python3
"""The order in which transformers.Trainer, as tools/hf_finetune.py runs it, feeds the training features: the same
flags as hf_finetune.py, but Trainer.training_step is a no-op (each epoch's permutation is drawn before its first
step, from the same RNG state as in the real run) and the run stops at the first evaluation (after epoch 1 for
classification and NER; after the last epoch for QA, so every epoch is recorded). Writes ORDER_JSON, a list of
feature indices, for tools/lockstep/qa_lockstep.py --order.

    python tools/lockstep/trainer_order.py ORDER_JSON --task qa --model DIR --train PATH --eval PATH --out DIR [...]
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import hf_finetune as hf  # noqa: E402
import transformers  # noqa: E402

order = []
_getitem = hf.ListDataset.__getitem__
training_rows = {"n": None}


def recording_getitem(self, i):
    if len(self.rows) == training_rows["n"]:
        order.append(int(i))
    return _getitem(self, i)


def no_training_step(self, model, inputs, num_items_in_batch=None):
    return torch.tensor(0.0)


def stop_before_evaluation(self, *args, **kwargs):
    with open(sys.argv[1], "w") as f:
        json.dump(order, f)
    raise SystemExit(0)


_train = transformers.Trainer.train


def train(self, *args, **kwargs):
    training_rows["n"] = len(self.train_dataset)
    _train(self, *args, **kwargs)
    stop_before_evaluation(self)


hf.ListDataset.__getitem__ = recording_getitem
transformers.Trainer.training_step = no_training_step
transformers.Trainer.train = train
transformers.Trainer.predict = stop_before_evaluation
transformers.Trainer.evaluate = stop_before_evaluation

if __name__ == "__main__":
    hf.main(sys.argv[2:])
