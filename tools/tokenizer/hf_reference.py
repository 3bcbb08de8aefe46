"""Shared helpers for the tokenizer tools: build the Hugging Face reference tokenizers and encode with them.

Every tool builds its reference exactly as a user would: AutoTokenizer.from_pretrained on a folder holding the
real vocab.txt and a tokenizer_config.json, i.e. transformers' fast BertTokenizer (Rust `tokenizers`).
"""
import json
import os
import shutil
import tempfile

from transformers import AutoTokenizer

SHARED = os.environ.get("TINYBERT_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared"))
VOCAB = os.path.join(SHARED, "models", "bert-base-uncased", "vocab.txt")

# name -> tokenizer_config.json options; the C++ tests build the same TokenizerOptions from these names.
CONFIGS = {
    "uncased": {"do_lower_case": True},
    "cased": {"do_lower_case": False},
    "cased_strip": {"do_lower_case": False, "strip_accents": True},
    "uncased_keep_accents": {"do_lower_case": True, "strip_accents": False},
    "no_cjk": {"do_lower_case": True, "tokenize_chinese_chars": False},
}


def load(config_name, vocab=VOCAB):
    d = tempfile.mkdtemp(prefix="tinybert_hf_")
    shutil.copy(vocab, os.path.join(d, "vocab.txt"))
    cfg = dict(CONFIGS[config_name], model_max_length=512, tokenizer_class="BertTokenizer")
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f)
    tok = AutoTokenizer.from_pretrained(d)
    shutil.rmtree(d)
    assert tok.is_fast
    return tok


def encode(tok, inp, opts):
    """Encode one input ({"text"}, {"text","text_pair"}, {"words"} or {"batch": [...]}) -> list of encodings."""
    kw = dict(return_offsets_mapping=True, return_special_tokens_mask=True, return_token_type_ids=True,
              add_special_tokens=opts.get("add_special_tokens", True))
    if opts.get("max_length") is not None:
        kw["max_length"] = opts["max_length"]
    if opts.get("truncation"):
        kw["truncation"] = opts["truncation"]
    if opts.get("padding"):
        kw["padding"] = opts["padding"]
    if opts.get("overflow"):
        kw["return_overflowing_tokens"] = True
        kw["stride"] = opts.get("stride", 0)
    elif opts.get("stride"):
        kw["stride"] = opts["stride"]
    if "batch" in inp:
        enc = tok(inp["batch"], **kw)
    elif "words" in inp:
        enc = tok([inp["words"]], is_split_into_words=True, **kw)
    elif "text_pair" in inp:
        enc = tok([inp["text"]], [inp["text_pair"]], **kw)
    else:
        enc = tok([inp["text"]], **kw)
    out = []
    for i in range(len(enc["input_ids"])):
        out.append({
            "input_ids": enc["input_ids"][i],
            "token_type_ids": enc["token_type_ids"][i],
            "attention_mask": enc["attention_mask"][i],
            "special_tokens_mask": enc["special_tokens_mask"][i],
            "offsets": [list(p) for p in enc["offset_mapping"][i]],
            "word_ids": enc.word_ids(i),
            "sequence_ids": enc.sequence_ids(i),
            "overflow_to_sample": enc["overflow_to_sample_mapping"][i] if "overflow_to_sample_mapping" in enc else i,
        })
    return out
