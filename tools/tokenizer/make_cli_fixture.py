#!/usr/bin/env python3
"""Write the `tinybert tokenize` CLI fixtures: tests/fixtures/tokenizer/cli_input.jsonl and, for each option set
below, cli_expected_<name>.jsonl holding Hugging Face's output in the CLI's line format (tiny_vocab.txt, uncased);
also tiny_model/, a cased tokenizer saved by transformers.
Run: /opt/ref/bin/python tools/tokenizer/make_cli_fixture.py
"""
import json
import os

import hf_reference as hf

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "tokenizer")
OPTION_SETS = {
    "plain": {},
    "windows": {"max_length": 14, "truncation": "longest_first", "stride": 2, "overflow": True, "padding": "max_length"},
    "longest": {"max_length": 12, "truncation": "longest_first", "padding": "longest"},
}
RECORDS = [
    {"id": 0, "text": "UNwant\u00e9d,running"},
    {"id": 1, "text": "hello [SEP] world [sep]", "text_pair": "a b x y z a b x y z a"},
    {"id": "two", "words": ["U.S.", "hello", "\u200b", "[SEP]", "x"], "text_pair_absent": None},
    {"text": "line\u2028separator\u2029and\u0085nel\rcr", "text_pair": "caf\u00e9"},
    {"text": "\u6211\u7231NLP \u03a3\u039f\u03a6\u039f\u03a3 \u0130stanbul", "text_pair": ""},
    {"text": "", "text_pair": "unaffable " * 6},
]


def cli_line(record, enc):
    out = {k: v for k, v in record.items() if k not in ("text", "text_pair", "words")}
    out.update(input_ids=enc["input_ids"], token_type_ids=enc["token_type_ids"], attention_mask=enc["attention_mask"],
               offsets=enc["offsets"], word_ids=enc["word_ids"], overflow_to_sample=enc["overflow_to_sample"])
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def main():
    tok = hf.load("uncased", vocab=os.path.join(FIX, "tiny_vocab.txt"))
    with open(os.path.join(FIX, "cli_input.jsonl"), "w", encoding="utf-8") as f:
        for r in RECORDS:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    for name, opts in OPTION_SETS.items():
        lines = []
        if opts.get("padding") == "longest":  # the CLI pads to the longest encoding of the whole input
            per = [hf.encode(tok, r, dict(opts, padding=None)) for r in RECORDS]
            longest = max(len(e["input_ids"]) for encs in per for e in encs)
            per = [_pad(encs, longest, tok.pad_token_id) for encs in per]
        else:
            per = [hf.encode(tok, r, opts) for r in RECORDS]
        for k, (r, encs) in enumerate(zip(RECORDS, per)):
            for e in encs:
                e["overflow_to_sample"] = k
                lines.append(cli_line(r, e))
        with open(os.path.join(FIX, "cli_expected_%s.jsonl" % name), "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
    # A transformers-saved folder (tokenizer.json + tokenizer_config.json) of a cased tokenizer, for from_pretrained.
    hf.load("cased", vocab=os.path.join(FIX, "tiny_vocab.txt")).save_pretrained(os.path.join(FIX, "tiny_model"))
    print("wrote CLI fixtures and tiny_model/ to", os.path.normpath(FIX))


def _pad(encs, length, pad_id):
    for e in encs:
        n = length - len(e["input_ids"])
        e["input_ids"] += [pad_id] * n
        e["token_type_ids"] += [0] * n
        e["attention_mask"] += [0] * n
        e["offsets"] += [[0, 0]] * n
        e["word_ids"] += [None] * n
    return encs


if __name__ == "__main__":
    main()
