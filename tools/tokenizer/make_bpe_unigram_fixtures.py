#!/usr/bin/env python3
"""Fixtures for the byte-level BPE and Unigram tokenizers (tests/tokenizer/test_tokenizer_json*.cpp).

  --train     train the two small tokenizers with Hugging Face `tokenizers` on ../shared/data text (IMDb train
              reviews, SQuAD dev-train-subset contexts, WikiAnn validation; read in place) and write
              tests/fixtures/tokenizer/{bpe,unigram}/tokenizer.json (+ tokenizer_config.json,
              special_tokens_map.json) and bpe_files/{vocab.json,merges.txt,tokenizer_config.json}
  (always)    from the committed files: <kind>/conformance.jsonl (tricky cases, full encodings) and
              <kind>/corpus_expected.tsv (digests of the ../shared/data corpus, see corpus.py)

Kinds (= fixture folders, the C++ tests load the same folders):
  bpe          RoBERTa layout: ByteLevel(add_prefix_space=false), BPE, RobertaProcessing(trim_offsets), <mask> lstrip
  bpe_prefix   bpe with add_prefix_space=true in the pre-tokenizer and post-processor (written at test time from
               bpe/tokenizer.json by both sides; what RoBERTa NER uses for is_split_into_words)
  bpe_files    vocab.json + merges.txt + tokenizer_config.json (tokenizer_class RobertaTokenizer)
  unigram      XLM-R layout: Sequence[Strip, NFKC, Replace, Lowercase], Metaspace(always), Unigram,
               TemplateProcessing <s> $A </s> (</s> $B </s>), Metaspace decoder

The reference is transformers' AutoTokenizer on the folder, i.e. what a user gets.
Run: /opt/ref/bin/python tools/tokenizer/make_bpe_unigram_fixtures.py [--train]
     TINYBERT_SAVE_TOKENIZERS=/tmp/saved build/tests/tokenizer/test_tokenizer_json && \
     /opt/ref/bin/python tools/tokenizer/make_bpe_unigram_fixtures.py --check-saved /tmp/saved
"""
import argparse
import json
import os
import random
import shutil
import tempfile

import corpus
import hf_reference as hf

FIX = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "tokenizer"))
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def training_texts():
    """Text not in the conformance corpus: IMDb train reviews outside MANIFEST, SQuAD dev-trainsubset contexts."""
    texts = []
    root = os.path.join(corpus.DATA, "imdb", "aclImdb", "train")
    manifest = set()
    with open(os.path.join(corpus.DATA, "imdb", "MANIFEST.tsv"), encoding="utf-8") as f:
        next(f)
        manifest = {line.split("\t")[0] for line in f}
    for label in ("pos", "neg"):
        d = os.path.join(root, label)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d))[:1500]:
            if os.path.join("train", label, name) in manifest:
                continue
            with open(os.path.join(d, name), "rb") as r:
                texts.append(r.read().decode("utf-8", errors="replace"))
    with open(os.path.join(corpus.DATA, "squad-v1.1", "dev-v1.1-trainsubset.json"), encoding="utf-8") as f:
        for article in json.load(f)["data"]:
            for para in article["paragraphs"]:
                texts.append(para["context"])
                texts.extend(qa["question"] for qa in para["qas"])
    return texts


def config(tokenizer_class, **extra):
    c = {"tokenizer_class": tokenizer_class, "model_max_length": 512, "clean_up_tokenization_spaces": False,
         "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>", "pad_token": "<pad>",
         "cls_token": "<s>", "mask_token": "<mask>"}
    c.update(extra)
    return c


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def train():
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    texts = training_texts()
    print(len(texts), "training texts")
    specials = SPECIALS[:4] + [AddedToken("<mask>", lstrip=True, special=True)]

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=2000, min_frequency=2, special_tokens=specials,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    bpe.post_processor = processors.RobertaProcessing(("</s>", bpe.token_to_id("</s>")),
                                                      ("<s>", bpe.token_to_id("<s>")), trim_offsets=True,
                                                      add_prefix_space=False)
    d = os.path.join(FIX, "bpe")
    os.makedirs(d, exist_ok=True)
    bpe.save(os.path.join(d, "tokenizer.json"))
    write_json(os.path.join(d, "tokenizer_config.json"), config("PreTrainedTokenizerFast"))
    d2 = os.path.join(FIX, "bpe_files")
    os.makedirs(d2, exist_ok=True)
    bpe.model.save(d2)  # vocab.json + merges.txt
    write_json(os.path.join(d2, "tokenizer_config.json"), config("RobertaTokenizer", add_prefix_space=False))

    uni = Tokenizer(models.Unigram())
    uni.normalizer = normalizers.Sequence([normalizers.Strip(), normalizers.NFKC(),
                                           normalizers.Replace("``", '"'), normalizers.Replace("''", '"'),
                                           normalizers.Lowercase()])
    uni.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    uni.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    uni.train_from_iterator(texts, trainers.UnigramTrainer(vocab_size=2000, special_tokens=specials,
                                                           unk_token="<unk>", shrinking_factor=0.75))
    uni.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", uni.token_to_id("<s>")), ("</s>", uni.token_to_id("</s>"))])
    d = os.path.join(FIX, "unigram")
    os.makedirs(d, exist_ok=True)
    uni.save(os.path.join(d, "tokenizer.json"))
    write_json(os.path.join(d, "tokenizer_config.json"), config("PreTrainedTokenizerFast"))
    for k in ("bpe", "unigram"):
        write_json(os.path.join(FIX, k, "special_tokens_map.json"),
                   {key: config("x")[key] for key in ("bos_token", "eos_token", "unk_token", "sep_token",
                                                      "pad_token", "cls_token", "mask_token")})


def prefix_variant(text):
    """bpe_prefix's tokenizer.json from bpe's (the C++ test makes the same two replacements)."""
    assert text.count('"add_prefix_space": false') == 2, "expected it off in the pre-tokenizer and processor"
    return text.replace('"add_prefix_space": false', '"add_prefix_space": true')


def load(kind):
    from transformers import AutoTokenizer

    if kind == "bpe_prefix":
        d = tempfile.mkdtemp(prefix="tinybert_bpe_prefix_")
        with open(os.path.join(FIX, "bpe", "tokenizer.json"), encoding="utf-8") as f:
            text = f.read()
        with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
            f.write(prefix_variant(text))
        shutil.copy(os.path.join(FIX, "bpe", "tokenizer_config.json"), d)
        tok = AutoTokenizer.from_pretrained(d)
        shutil.rmtree(d)
    else:
        tok = AutoTokenizer.from_pretrained(os.path.join(FIX, kind))
    assert tok.is_fast
    return tok


TRICKY = [
    "", " ", "   ", "Hello world", " Hello world", "Hello  world", "Hello   world  ", "hello\tworld\nnew line\r\n",
    "don't I'll we've they're she'd it's 'quoted' ''double'' ``tex``", "DON'T It'S",
    "Café Déjà vu", "Cafe\u0301 e\u0301", "naïve résumé", "İstanbul ΣΟΦΟΣ", "我爱NLP 你好", "한국어 안녕하세요",
    "ひらがなカタカナｶﾀｶﾅ", "ﬁnance ﬂow ①②③ ㎞ ＡＢＣ", "5€ ©2020 hi😀 x×y 30° ™", "👨\u200d👩\u200d👧 family ❤️ 👍🏽",
    "a\u200bb a\u00a0b a\u3000b a\u2028b", "\x00\x01 control \x7f chars", "numbers 123 4567 3.14 1,000,000",
    "e-mail: someone@example.com https://x.org/a?b=c#d", "tabs\t\tand  spaces   ", "...!!!???", "a" * 300,
    "supercalifragilisticexpialidocious antidisestablishmentarianism", "ALL CAPS SENTENCE HERE",
    "hello <mask> world", "hello<mask>world", "hello   <mask>   world", "<s>literal</s> <pad><unk>",
    "<s> <S> <mask> <MASK>", "x</s></s>y", "\u2581already\u2581meta space", "  leading and trailing  ",
    "\u00a0nbsp start", "Ǆ ǅ ǆ Å Å", "e\u0301\u0301 a\u0308\u0301", "\ufeffbom start", "tab\tsep",
]


def cases():
    out = []

    def case(name, inp, **opts):
        out.append({"name": name, "input": inp, "options": opts})

    for i, s in enumerate(TRICKY):
        case("text_%d" % i, {"text": s})
        case("text_nospecial_%d" % i, {"text": s}, add_special_tokens=False)
    rng = random.Random(1234)
    for i in range(0, len(TRICKY) - 1, 2):
        case("pair_%d" % i, {"text": TRICKY[i], "text_pair": TRICKY[i + 1]})
    case("pair_empty", {"text": "", "text_pair": ""})
    for i, words in enumerate([["Hello", "world"], ["New", "York", "City", "."], ["don't", "U.S.", "e-mail"],
                               ["", "a", " ", "b"], [" spaced", "word "], ["Café", "naïve", "我爱"],
                               ["<mask>", "x", "<s>"], ["a" * 50, "b"]]):
        case("words_%d" % i, {"words": words})
        case("words_trunc_%d" % i, {"words": words}, truncation="longest_first", max_length=5)
    long_a = " ".join("alpha%d" % k for k in range(30))
    long_b = " ".join("beta%d bravo" % k for k in range(40))
    for a, b in [(4, 4), (2, 8), (8, 2), (10, 10), (1, 20), (20, 1), (7, 0), (0, 9)]:
        case("longest_first_%d_%d" % (a, b), {"text": " ".join("a" * (k + 1) for k in range(a)),
                                             "text_pair": " ".join("b" * (k + 1) for k in range(b))},
             truncation="longest_first", max_length=12)
    case("only_second_ok", {"text": "who is he", "text_pair": long_b}, truncation="only_second", max_length=24)
    case("only_second_question_too_long", {"text": long_a, "text_pair": "ctx"}, truncation="only_second",
         max_length=16)
    case("only_first", {"text": long_a, "text_pair": "second text"}, truncation="only_first", max_length=12)
    case("stride_too_large", {"text": "q", "text_pair": long_b}, truncation="only_second", max_length=10, stride=6,
         overflow=True)
    for stride in (0, 3, 7):
        case("overflow_only_second_%d" % stride, {"text": "what is it", "text_pair": long_b},
             truncation="only_second", max_length=24, stride=stride, overflow=True, padding="max_length")
        case("overflow_longest_first_%d" % stride, {"text": long_a, "text_pair": long_b},
             truncation="longest_first", max_length=30, stride=stride, overflow=True)
        case("overflow_single_%d" % stride, {"text": long_b}, truncation="longest_first", max_length=16,
             stride=stride, overflow=True, padding="longest")
    case("batch_longest", {"batch": ["short", "a somewhat longer text here", ""]}, padding="longest")
    case("pad_max_length", {"text": "pad me"}, padding="max_length", max_length=12)
    for i in range(20):
        words = [rng.choice(["the", "The", " ", "cat", "naïve", "don't", "3.5", "!!", "<mask>", "😀", "ﬁ", "é",
                             "\u2581", "''", "``", "\t", "Σ", "x" * rng.randint(1, 12)]) for _ in range(rng.randint(1, 14))]
        case("random_%d" % i, {"text": "".join(w if rng.random() < 0.5 else w + " " for w in words)})
    return out


def make_conformance(kind):
    tok = load(kind)
    lines = []
    for c in cases():
        c = dict(c, config=kind)
        try:
            c["expected"] = hf.encode(tok, c["input"], c["options"])
            if "text" in c["input"] and "text_pair" not in c["input"]:
                ids = c["expected"][0]["input_ids"]
                c["decoded"] = tok.decode(ids, skip_special_tokens=True)
                c["decoded_special"] = tok.decode(ids, skip_special_tokens=False)
        except BaseException as e:  # noqa: BLE001 - a Rust panic too; the C++ side must raise
            c["error"] = str(e).splitlines()[0] if str(e) else type(e).__name__
        lines.append(json.dumps(c, ensure_ascii=False, separators=(",", ":")))
    path = os.path.join(FIX, kind if kind != "bpe_prefix" else "bpe", "conformance%s.jsonl" %
                        ("_prefix" if kind == "bpe_prefix" else ""))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", path, len(lines), "cases")


def make_corpus(kind, out):
    tok = load(kind)
    lines = ["# set\tsample\tn_encodings\tn_tokens\tids\ttypes_masks\toffsets\tword_seq_ids"]
    for name in corpus.SETS:
        if kind == "bpe" and name == "wikiann":
            continue  # word lists: bpe_prefix (RoBERTa NER sets add_prefix_space=True)
        if kind == "bpe_prefix" and name != "wikiann":
            continue
        groups = corpus.encode_set(tok, name)
        for i, g in enumerate(groups):
            lines.append("\t".join([name, str(i)] + corpus.digest(g)))
        print(kind, name, len(groups), "samples,", sum(len(g) for g in groups), "encodings")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", out)


def check_saved(root):
    """Folders written by tinybert's save_pretrained (TINYBERT_SAVE_TOKENIZERS=DIR test_tokenizer_json) must load in
    transformers' AutoTokenizer and encode every conformance case exactly as the original fixture does."""
    from transformers import AutoTokenizer

    bad = 0
    for kind in ("bpe", "bpe_prefix", "bpe_files", "unigram"):
        saved = AutoTokenizer.from_pretrained(os.path.join(root, kind))
        ref = load(kind)
        n = 0
        for c in cases():
            try:
                want = hf.encode(ref, c["input"], c["options"])
            except BaseException:  # noqa: BLE001 - cases the reference rejects
                continue
            got = hf.encode(saved, c["input"], c["options"])
            n += 1
            if got != want:
                bad += 1
                print("DIFFERENT", kind, c["name"])
        print(kind, type(saved).__name__, n, "cases compared")
    print("check-saved:", "all identical" if bad == 0 else "%d differ" % bad)
    return bad == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", action="store_true", help="retrain the fixture tokenizers first")
    ap.add_argument("--check-saved", metavar="DIR", help="only compare tinybert-saved folders DIR/<kind> with HF")
    ap.add_argument("--no-corpus", action="store_true", help="skip the corpus digests")
    args = ap.parse_args()
    if args.check_saved:
        raise SystemExit(0 if check_saved(args.check_saved) else 1)
    if args.train:
        train()
    for kind in ("bpe", "bpe_prefix", "bpe_files", "unigram"):
        make_conformance(kind)
    if not args.no_corpus:
        make_corpus("bpe", os.path.join(FIX, "bpe", "corpus_expected.tsv"))
        make_corpus("bpe_prefix", os.path.join(FIX, "bpe", "corpus_expected_prefix.tsv"))
        make_corpus("unigram", os.path.join(FIX, "unigram", "corpus_expected.tsv"))


if __name__ == "__main__":
    main()
