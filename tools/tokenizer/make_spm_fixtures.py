#!/usr/bin/env python3
"""Fixtures for SentencePiece-converted tokenizers: the Precompiled normalizer (tests/tokenizer/test_tokenizer_spm*.cpp).

  --train     train two SentencePiece unigram models (vocab 2000) on ../shared/data text (the training texts of
              make_bpe_unigram_fixtures.py) plus generated multilingual lines full of NFKC-relevant characters:
                xlmr    normalization_rule_name nmt_nfkc (the default), XLM-R's piece layout (<unk> <s> </s>)
                albert  nmt_nfkc_cf (NFKC + case folding), ALBERT's layout (<pad> <unk> [CLS] [SEP] [MASK])
              and convert them as transformers' XLMRobertaConverter / AlbertConverter do (the layout of the hub's
              tokenizer.json files: Precompiled + Replace(Regex " {2,}") ...), written to
              tests/fixtures/tokenizer/spm_{xlmr,albert}/{tokenizer.json,tokenizer_config.json}
  (always)    from the committed files: <kind>/conformance.jsonl (make_bpe_unigram_fixtures' cases + normalisation
              cases: every character the charsmap rewrites, in running text, graphemes, removals at the start) and
              <kind>/corpus_expected.tsv (digests of the ../shared/data corpus, see corpus.py)
  --train     also writes tests/fuzz/corpus/tokenizer_json/spm_precompiled.json (a small charsmap, see fuzz_seed())

Kinds (the C++ tests load the same folders):
  spm_xlmr       the folder as AutoTokenizer loads it: tokenizer_class XLMRobertaTokenizer, which transformers 5
                 rebuilds as Precompiled -> Sequence[WhitespaceSplit, Metaspace] (dropping the file's Replace)
  spm_xlmr_file  the same tokenizer.json read as it is (tokenizer_class PreTrainedTokenizerFast, written at test time
                 by both sides): Precompiled -> Replace(Regex " {2,}", " ") -> Metaspace
  spm_albert     tokenizer_class AlbertTokenizer (do_lower_case, not keep_accents): Replace `` '' -> NFKD ->
                 StripAccents -> Lowercase -> Precompiled, Sequence[WhitespaceSplit, Metaspace], [CLS] $A [SEP]

Run: /opt/ref/bin/python tools/tokenizer/make_spm_fixtures.py [--train] [--no-corpus]
"""
import argparse
import io
import json
import os
import shutil
import tempfile

import corpus
import hf_reference as hf
import make_bpe_unigram_fixtures as base

FIX = base.FIX
KINDS = ("spm_xlmr", "spm_xlmr_file", "spm_albert")


def nfkc_lines():
    """Multilingual text with characters NFKC (and the charsmap) rewrites, repeated so that they are in the vocab."""
    lines = [
        "Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ ａｂｃ １２３ ！？ ｶﾀｶﾅ ﾊﾟﾋﾟ ｡｢｣ ﬁnance ﬂow ﬀ ﬃ ﬄ ﬅ ﬆ",
        "① ② ⑩ ⑴ ⒜ ㈱ ㎞ ㎏ ㏄ ™ ℡ № ½ ¼ ⅞ x² y³ H₂O ℃ ℉ Ⅻ ⅳ µ Å K ſ ǆ ĳ ŉ",
        "Cafe\u0301 re\u0301sume\u0301 nai\u0308ve e\u0301\u0301 a\u0308\u0301 n\u0303 Zoe\u0308 A\u030a",
        "한국어 안녕하세요 \u1100\u1161\u11a8 \u1112\u1161\u11ab \u3131\u314f ㈜ ㉠ 中文字符 日本語のテキスト 漢字 ｱｲｳ",
        "👨\u200d👩\u200d👧 ❤️ 👍🏽 🇫🇷🇩🇪 #\ufe0f\u20e3 a\u200bb a\u00a0b a\u3000b a\u2002b a\u2009b \u00ad soft",
        "\x01\x1f control \x7f \u200e\u200f \ufeff bom \u2028 ls \u2029 ps \t tab \r\n crlf \x0b\x0c",
        "ﻻ ﷺ ﺍﻟﻌﺮﺑﻴﺔ Ελληνικά ΣΟΦΟΣ Русский İstanbul ǅ ß ẞ ﬓ ℌ 𝐀𝐁𝐂 𝔄 ⓐ Ⓐ ︵ ﹏ ＿",
        "हिन्दी क्षत्रिय ไทย ภาษา ދިވެހި ཀྵ ῾ ΐ ᾳ ῷ ㋿ ㍿ ‥ … ‼ ⁇ ′″ ″ ‴ ⁗ ℀ ℁ ℅",
    ]
    return [line for line in lines for _ in range(40)]


def train_model(texts, normalization, **ids):
    import sentencepiece as spm

    f = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(texts), model_writer=f, vocab_size=2000,
                                   model_type="unigram", normalization_rule_name=normalization,
                                   character_coverage=0.9995, max_sentence_length=100000, minloglevel=2,
                                   num_threads=1, **ids)
    from sentencepiece import sentencepiece_model_pb2 as pb

    proto = pb.ModelProto()
    proto.ParseFromString(f.getvalue())
    assert proto.normalizer_spec.precompiled_charsmap, "expected a precompiled charsmap"
    return proto


def save(tok, kind, cfg):
    d = os.path.join(FIX, kind)
    os.makedirs(d, exist_ok=True)
    tok.save(os.path.join(d, "tokenizer.json"))
    base.write_json(os.path.join(d, "tokenizer_config.json"), cfg)


def train():
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    texts = base.training_texts() + nfkc_lines()
    print(len(texts), "training texts")

    # XLM-R: XLMRobertaConverter on a model with <unk>=0 <s>=1 </s>=2, i.e. the hub's xlm-roberta-base layout.
    proto = train_model(texts, "nmt_nfkc", unk_id=0, bos_id=1, eos_id=2, pad_id=-1)
    vocab = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    vocab += [(p.piece, p.score) for p in proto.pieces[3:]] + [("<mask>", 0.0)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=3, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.Precompiled(proto.normalizer_spec.precompiled_charsmap),
                                           normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in ("<s>", "<pad>", "</s>", "<unk>")]
                           + [AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))])
    save(tok, "spm_xlmr", base.config("XLMRobertaTokenizer"))

    # ALBERT: AlbertConverter (pieces that are not numbers with commas lose 100 of score) on nmt_nfkc_cf.
    proto = train_model(texts, "nmt_nfkc_cf", pad_id=0, unk_id=1, bos_id=-1, eos_id=-1,
                        control_symbols=["[CLS]", "[SEP]", "[MASK]"])
    from transformers.convert_slow_tokenizer import check_number_comma

    vocab = [(p.piece, p.score if check_number_comma(p.piece) else p.score - 100) for p in proto.pieces]
    tok = Tokenizer(models.Unigram(vocab, unk_id=1, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Replace("``", '"'), normalizers.Replace("''", '"'), normalizers.NFKD(), normalizers.StripAccents(),
        normalizers.Lowercase(), normalizers.Precompiled(proto.normalizer_spec.precompiled_charsmap),
        normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                                 pre_tokenizers.Metaspace(replacement="\u2581",
                                                                          prepend_scheme="always")])
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in ("<pad>", "<unk>", "[CLS]", "[SEP]")]
                           + [AddedToken("[MASK]", lstrip=True, special=True, normalized=False)])
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    cfg = {"tokenizer_class": "AlbertTokenizer", "model_max_length": 512, "do_lower_case": True,
           "keep_accents": False, "bos_token": "[CLS]", "eos_token": "[SEP]", "unk_token": "<unk>",
           "sep_token": "[SEP]", "pad_token": "<pad>", "cls_token": "[CLS]", "mask_token": "[MASK]"}
    save(tok, "spm_albert", cfg)


def fuzz_seed():
    """tests/fuzz/corpus/tokenizer_json/spm_precompiled.json: a small XLM-R layout tokenizer.json whose ~1 KB
    charsmap comes from a SentencePiece model trained with six custom normalisation rules."""
    import base64

    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    d = tempfile.mkdtemp(prefix="tinybert_spm_seed_")
    rules = os.path.join(d, "rules.tsv")
    with open(rules, "w") as f:  # FULLWIDTH A, TM, a removed control, (1), the fi ligature, ideographic space
        f.write("FF21\t41\n2122\t54 4D\n1E\t\n2474\t28 31 29\nFB01\t66 69\n3000\t20\n")
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(["hello world \uff21 \u2122 \ufb01 (1)"] * 50),
                                   model_writer=buf, vocab_size=30, model_type="unigram", normalization_rule_tsv=rules,
                                   minloglevel=2, hard_vocab_limit=False, num_threads=1)
    shutil.rmtree(d)
    proto = pb.ModelProto()
    proto.ParseFromString(buf.getvalue())
    vocab = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    vocab += [(p.piece, p.score) for p in proto.pieces[3:]] + [("<mask>", 0.0)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=3, byte_fallback=False))
    charsmap = proto.normalizer_spec.precompiled_charsmap
    tok.normalizer = normalizers.Sequence([normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace()])
    tok.decoder = decoders.Metaspace()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in ("<s>", "<pad>", "</s>", "<unk>")]
                           + [AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))])
    out = os.path.join(FIX, "..", "..", "fuzz", "corpus", "tokenizer_json", "spm_precompiled.json")
    with open(out, "w", encoding="utf-8") as f:
        f.write(tok.to_str() + "\n")
    print("wrote", os.path.normpath(out), len(charsmap), "charsmap bytes,", len(base64.b64encode(charsmap)), "base64")


def folder(kind):
    return os.path.join(FIX, "spm_xlmr" if kind == "spm_xlmr_file" else kind)


def load(kind):
    from transformers import AutoTokenizer

    if kind == "spm_xlmr_file":  # the tokenizer.json as it is
        d = tempfile.mkdtemp(prefix="tinybert_spm_file_")
        shutil.copy(os.path.join(FIX, "spm_xlmr", "tokenizer.json"), d)
        with open(os.path.join(FIX, "spm_xlmr", "tokenizer_config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
        base.write_json(os.path.join(d, "tokenizer_config.json"), cfg)
        tok = AutoTokenizer.from_pretrained(d)
        shutil.rmtree(d)
    else:
        tok = AutoTokenizer.from_pretrained(folder(kind))
    assert tok.is_fast
    return tok


def changed_chars(kind):
    """Every code point the kind's Precompiled charsmap rewrites on its own (surrogates skipped), in order."""
    import base64

    from tokenizers import normalizers

    with open(os.path.join(folder(kind), "tokenizer.json"), encoding="utf-8") as f:
        n = json.load(f)["normalizer"]
    steps = n["normalizers"] if n["type"] == "Sequence" else [n]
    charsmap = [st for st in steps if st["type"] == "Precompiled"][0]["precompiled_charsmap"]
    norm = normalizers.Precompiled(base64.b64decode(charsmap))
    out = []
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        c = chr(cp)
        if norm.normalize_str(c) != c:
            out.append(c)
    return out


# Graphemes and sequences where spm_precompiled's grapheme rule, its removals and expansions meet offsets.
NORM_TRICKY = [
    "\x01abc", "\x01\x02 abc", "\u200bword", "\ufeff\ufeffx", "™\x1eg", "a™\x1e\x1eb", "x\x01", "ab\x7f\x7f",
    "Ａ\u0301 ｅ\u0301\u0302 ﬁ\u0301", "e\u0301 e\u0301\u0301\u0301 \u1100\u1161\u11a8 \u1100\u1161",
    "\r\n\r\n x\r\ny", "🇫🇷🇩🇪🇺 ok", "👨\u200d👩\u200d👧\u200d👦 ❤\ufe0f 👍🏽", "#\ufe0f\u20e3 1\ufe0f\u20e3",
    "ｶﾞｷﾞ ﾊﾟ", "ﾞﾟ", "①②③④⑤⑥⑦⑧⑨⑩", "㍻㍼㍽㍾", "  ＡＢＣ  ", "a  \u3000  b", "\u00a0\u00a0x\u00a0\u00a0",
    "x\u3000\u3000\u3000y", "ǄǅǆĲĳ", "ﷺ ﷻ ﷽", "𝐀𝐁𝐂 𝟎𝟏", "ＨｅｌｌｏＷｏｒｌｄ", "...\u2026\u2025", "℡™℠",
    "\u0300\u0301 start with marks", "ｱ\u3099 ｶ\u309a", "\u1100\u1100\u1161\u1161", "\u00ad\u00adsoft",
    "trailing spaces   ", "   leading spaces", "tab\t\tnew\n\nline", "\x00nul\x00", "Ⅻ ⅻ Ⅷ",
]


def cases(kind):
    out = base.cases()

    def case(name, inp, **opts):
        out.append({"name": name, "input": inp, "options": opts})

    for i, s in enumerate(NORM_TRICKY):
        case("norm_%d" % i, {"text": s})
        case("norm_pair_%d" % i, {"text": s, "text_pair": NORM_TRICKY[(i + 7) % len(NORM_TRICKY)]})
    chars = changed_chars(kind)
    print(len(chars), "characters rewritten by the charsmap")
    for i in range(0, len(chars), 48):
        chunk = chars[i:i + 48]
        case("changed_%d" % i, {"text": "".join(chunk)}, add_special_tokens=False)
        case("changed_spaced_%d" % i, {"text": "a" + " ".join(c + "b" for c in chunk) + " "}, add_special_tokens=False)
    case("changed_words", {"words": chars[:64]})
    case("changed_windows", {"text": " ".join(chars[:300])}, truncation="longest_first", max_length=40, stride=9,
         overflow=True)
    return out


def make_conformance(kind):
    tok = load(kind)
    lines = []
    for c in cases(kind):
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
    path = os.path.join(folder(kind), "conformance%s.jsonl" % ("_file" if kind == "spm_xlmr_file" else ""))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", path, len(lines), "cases")


def make_corpus(kind):
    tok = load(kind)
    lines = ["# set\tsample\tn_encodings\tn_tokens\tids\ttypes_masks\toffsets\tword_seq_ids"]
    for name in corpus.SETS:
        groups = corpus.encode_set(tok, name)
        for i, g in enumerate(groups):
            lines.append("\t".join([name, str(i)] + corpus.digest(g)))
        print(kind, name, len(groups), "samples,", sum(len(g) for g in groups), "encodings")
    out = os.path.join(folder(kind), "corpus_expected%s.tsv" % ("_file" if kind == "spm_xlmr_file" else ""))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", action="store_true", help="retrain the SentencePiece models and rewrite the folders")
    ap.add_argument("--no-corpus", action="store_true", help="skip the corpus digests")
    args = ap.parse_args()
    if args.train:
        train()
        fuzz_seed()
    for kind in KINDS:
        make_conformance(kind)
    if not args.no_corpus:
        for kind in KINDS:
            make_corpus(kind)


if __name__ == "__main__":
    main()
