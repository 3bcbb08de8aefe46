#!/usr/bin/env python3
"""Writes the tiny model folders of tests/fixtures/families (never needed by the C++ build).

For each family tinybert runs it saves a tiny random base model (RobertaModel, XLMRobertaModel, DistilBertModel,
ElectraModel: hidden 16, 2 layers) with transformers' save_pretrained (config.json + model.safetensors) into
OUT/<family>/, sized to the vocabulary of the tokenizer the CLI test pairs it with:
  roberta      tests/fixtures/tokenizer/bpe       (byte-level BPE, trained with the tokenizers library)
  xlm-roberta  tests/fixtures/tokenizer/unigram   (Unigram + Metaspace)
  distilbert, electra  OUT/wordpiece              (a WordPiece vocab.txt trained here on data/samples)
Each folder also gets the tokenizer_config.json such a checkpoint has (tokenizer_class RobertaTokenizer,
XLMRobertaTokenizer, DistilBertTokenizer, ElectraTokenizer: the first three take no token_type_ids; RoBERTa with
add_prefix_space, which pre-split NER input needs). The folders stand in for pretrained checkpoints in
tests/cli/families_flow.cmake, which copies the tokenizer files next to the weights (this tokenizer_config.json last)
and runs `tinybert finetune | evaluate | predict` on each.

usage: python tools/make_family_folders.py [OUT=tests/fixtures/families]
"""
import glob
import json
import os
import sys

import torch
import transformers
from tokenizers import BertWordPieceTokenizer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def sample_texts():
    """Training text for the WordPiece vocabulary: the repository's data/samples (IMDb, SQuAD, WikiAnn)."""
    texts = [open(p, encoding="utf-8").read() for p in glob.glob(f"{ROOT}/data/samples/imdb/aclImdb/*/*/*.txt")]
    for split in ("train", "dev"):
        for article in json.load(open(f"{ROOT}/data/samples/squad/{split}.json"))["data"]:
            for para in article["paragraphs"]:
                texts.append(para["context"])
                texts.extend(qa["question"] for qa in para["qas"])
    for split in ("train", "validation"):
        texts.extend(line.split("\t")[0] for line in open(f"{ROOT}/data/samples/wikiann/{split}.tsv", encoding="utf-8"))
    return texts


def wordpiece(out):
    os.makedirs(out, exist_ok=True)
    tok = BertWordPieceTokenizer(lowercase=True)
    tok.train_from_iterator(sample_texts(), vocab_size=1000, min_frequency=1,
                            special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok.save_model(out)  # vocab.txt
    json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": 512,
               "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
               "mask_token": "[MASK]"}, open(os.path.join(out, "tokenizer_config.json"), "w"), indent=2)
    return sum(1 for _ in open(os.path.join(out, "vocab.txt"), encoding="utf-8"))


def vocab_size(tokenizer_dir):
    return len(json.load(open(os.path.join(tokenizer_dir, "tokenizer.json")))["model"]["vocab"])


def model(family, vocab, out, seed):
    torch.manual_seed(seed)
    small = dict(vocab_size=vocab, initializer_range=0.2)  # a wide init: outputs differ visibly between tokens
    if family == "distilbert":
        config = transformers.DistilBertConfig(dim=16, n_layers=2, n_heads=4, hidden_dim=32,
                                               max_position_embeddings=128, pad_token_id=0, **small)
        cls = transformers.DistilBertModel
    else:
        roberta = family in ("roberta", "xlm-roberta")
        config_cls, cls = {"roberta": (transformers.RobertaConfig, transformers.RobertaModel),
                           "xlm-roberta": (transformers.XLMRobertaConfig, transformers.XLMRobertaModel),
                           "electra": (transformers.ElectraConfig, transformers.ElectraModel)}[family]
        extra = {"embedding_size": 8} if family == "electra" else {}
        config = config_cls(hidden_size=16, num_hidden_layers=2, num_attention_heads=4, intermediate_size=32,
                            max_position_embeddings=130 if roberta else 128, type_vocab_size=1 if roberta else 2,
                            pad_token_id=1 if roberta else 0, **extra, **small)
    cls(config).float().save_pretrained(os.path.join(out, family), safe_serialization=True)
    print(f"{out}/{family}: {type(cls(config)).__name__}, vocab {vocab}")


def tokenizer_config(family, tokenizer_dir, out):
    cfg = json.load(open(os.path.join(tokenizer_dir, "tokenizer_config.json")))
    cfg["tokenizer_class"] = {"roberta": "RobertaTokenizer", "xlm-roberta": "XLMRobertaTokenizer",
                              "distilbert": "DistilBertTokenizer", "electra": "ElectraTokenizer"}[family]
    if family == "roberta":
        cfg["add_prefix_space"] = True
    json.dump(cfg, open(os.path.join(out, family, "tokenizer_config.json"), "w"), indent=2)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "fixtures", "families")
    wp = wordpiece(os.path.join(out, "wordpiece"))
    tokenizers = {"roberta": f"{ROOT}/tests/fixtures/tokenizer/bpe",
                  "xlm-roberta": f"{ROOT}/tests/fixtures/tokenizer/unigram",
                  "distilbert": os.path.join(out, "wordpiece"), "electra": os.path.join(out, "wordpiece")}
    for seed, (family, tok_dir) in enumerate(tokenizers.items(), start=1):
        model(family, wp if tok_dir.endswith("wordpiece") else vocab_size(tok_dir), out, seed)
        tokenizer_config(family, tok_dir, out)


if __name__ == "__main__":
    main()
