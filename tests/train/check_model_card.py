"""Loads the model card (README.md) the tiny run (report_run) saved next to its model with the Hub's own parser,
huggingface_hub.ModelCard, and checks its metadata against the run's metrics.jsonl: license, library, base model,
dataset, and the model-index eval results (task, dataset, each metric with its value).

usage: check_model_card.py REPORT_RUN WORK_DIR    (exit 77 = skipped: huggingface_hub is not installed)
"""
import json
import os
import subprocess
import sys

try:
    from huggingface_hub import ModelCard
except ImportError:
    print("SKIPPED: the huggingface_hub Python package is not installed (pip install huggingface_hub)")
    sys.exit(77)


def main():
    report_run, work = sys.argv[1], sys.argv[2]
    out = os.path.join(work, "card")
    subprocess.run([report_run, out], check=True)
    assert os.path.exists(os.path.join(out, "config.json"))
    card = ModelCard.load(os.path.join(out, "README.md"))
    data = card.data
    assert data.license == "apache-2.0", data.license
    assert data.library_name == "tinybert", data.library_name
    assert data.base_model == "tinybert-tests/sequence-classification", data.base_model
    assert data.datasets == ["synthetic"], data.datasets
    assert "generated_from_trainer" in data.tags, data.tags
    # No metric_for_best_model: the saved model is the last evaluated one.
    evals = [json.loads(l) for l in open(os.path.join(out, "metrics.jsonl")) if '"eval_accuracy"' in l]
    want = {k[5:]: v for k, v in evals[-1].items() if k.startswith("eval_")}
    got = {r.metric_type: r.metric_value for r in data.eval_results}
    assert got == want, (got, want)
    for r in data.eval_results:
        assert r.task_type == "text-classification", r.task_type
        assert r.dataset_name == "synthetic" and r.dataset_type == "synthetic", (r.dataset_name, r.dataset_type)
    assert data.model_name == "card", data.model_name
    assert "## Training procedure" in card.text and "| Training Loss | Epoch | Step |" in card.text
    print(f"{out}/README.md: ModelCard.load reads {got}, base_model {data.base_model}, license {data.license}")
    print("OK")


if __name__ == "__main__":
    main()
