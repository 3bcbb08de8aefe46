#!/usr/bin/env python3
"""Write tests/fixtures/tokenizer/conformance.jsonl: tricky tokenizer cases with Hugging Face's expected output.

Each line: {"name", "config", "input", "options", "expected": [encodings]} or {..., "error": message} when
transformers raises. Run with the reference Python (transformers + tokenizers):
    /opt/ref/bin/python tools/tokenizer/make_conformance.py
"""
import json
import os
import random

import hf_reference as hf

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "tokenizer", "conformance.jsonl")

cases = []


def case(name, inp, config="uncased", **opts):
    cases.append({"name": name, "config": config, "input": inp, "options": opts})


def text(name, s, config="uncased", **opts):
    case(name, {"text": s}, config, **opts)


# --- spec §9 edge cases -------------------------------------------------------------------------------------------
text("empty", "")
case("empty_pair", {"text": "", "text_pair": ""})
text("only_whitespace_controls", "  \t\n\u200b\x00")
text("zwsp_joins", "a\u200bb")
text("nbsp_splits", "a\u00a0b")
text("ideographic_space_splits", "a\u3000b")
text("cafe_deja", "Café Déjà")
text("cafe_deja_cased", "Café Déjà", "cased")
text("decomposed_cased", "Cafe\u0301 e\u0301", "cased")
text("decomposed_uncased", "Cafe\u0301 e\u0301")
text("istanbul", "İstanbul")
text("istanbul_keep_accents", "İstanbul", "uncased_keep_accents")
text("istanbul_cased", "İstanbul", "cased")
text("sigma", "ΣΟΦΟΣ")
text("sigma_keep_accents", "ΣΟΦΟΣ ὈΔΥΣΣΕΎΣ", "uncased_keep_accents")
text("cjk_mix", "我爱NLP")
text("cjk_no_isolation", "我爱NLP", "no_cjk")
text("hangul", "한국어 안녕하세요")
text("hangul_cased", "한국어", "cased")
text("kana", "ひらがなカタカナｶﾀｶﾅ")
text("word_100", "a" * 100)
text("word_101", "a" * 101)
text("word_100_after_punct", "x." + "b" * 100)
text("word_101_accents", "é" * 101)
text("word_100_accents", "é" * 100)
text("snowman_unk", "hello☃world")
text("dont_us", "don't U.S. $5.00 e-mail")
text("symbols_glued", "5€ ©2020 hi😀 x×y 30° ™")
text("emoji_zwj", "👨\u200d👩\u200d👧 family ❤️ ok 👍🏽")
text("emoji_zwj_cased", "👨\u200d👩\u200d👧 ❤️", "cased")
text("literal_specials", "hello [SEP] world [MASK] [sep] [CLS][PAD][UNK]")
text("literal_special_glued", "HELLO[MASK]there[SEP]x")
text("literal_special_partial", "[SE P] [SEP [MASK [[SEP]]")
text("literal_special_after_removed", "\u200b[SEP]x")
for n, (a, b) in enumerate([(4, 4), (2, 8), (8, 2), (10, 10), (1, 20), (20, 1), (7, 0), (0, 9), (5, 6), (6, 5)]):
    case("longest_first_%d_%d" % (a, b), {"text": " ".join("a" * (k + 1) for k in range(a)),
                                         "text_pair": " ".join("b" * (k + 1) for k in range(b))},
         truncation="longest_first", max_length=10)
case("only_second_ok", {"text": "who is he", "text_pair": "he is a very long answer " * 5},
     truncation="only_second", max_length=16)
case("only_second_question_too_long", {"text": "word " * 20, "text_pair": "ctx " * 10},
     truncation="only_second", max_length=16)
case("only_second_fits", {"text": "word " * 20, "text_pair": "ctx"}, truncation="only_second", max_length=30)
case("only_first", {"text": "first " * 20, "text_pair": "second text"}, truncation="only_first", max_length=12)
case("only_first_too_short", {"text": "a b", "text_pair": "c " * 20}, truncation="only_first", max_length=12)
case("stride_too_large", {"text": "q", "text_pair": "c " * 30}, truncation="only_second", max_length=10, stride=6,
     overflow=True)
case("overflow_only_second", {"text": "what is it", "text_pair": " ".join("w%d" % i for i in range(60))},
     truncation="only_second", max_length=20, stride=5, overflow=True, padding="max_length")
case("overflow_longest_first_both", {"text": "a b c d e f g h i j", "text_pair": "k l m n o p q r s t"},
     truncation="longest_first", max_length=9, stride=1, overflow=True)
case("overflow_single", {"text": " ".join("tok%d" % i for i in range(40))}, truncation="longest_first",
     max_length=16, stride=4, overflow=True, padding="longest")
case("overflow_single_exact", {"text": "a b c d e f"}, truncation="longest_first", max_length=8, overflow=True)
case("truncation_no_max_length_uses_512", {"text": "word " * 700}, truncation="longest_first")
case("no_truncation_long", {"text": "word " * 700})
case("padding_max_length", {"text": "hello world"}, max_length=12, padding="max_length")
case("padding_max_length_pair", {"text": "hello", "text_pair": "world"}, max_length=12, padding="max_length",
     truncation="longest_first")
case("no_special_tokens", {"text": "hello world"}, add_special_tokens=False)
case("no_special_tokens_pair", {"text": "hello", "text_pair": "world"}, add_special_tokens=False)
case("batch_padding_longest", {"batch": ["short", "a much longer text with many words in it", "", "mid size"]},
     padding="longest")
case("batch_overflow", {"batch": ["one two three four five six seven", "x", "a b c d e f g h i j k l"]},
     truncation="longest_first", max_length=6, stride=1, overflow=True, padding="max_length")
case("words_basic", {"words": ["U.S.", "hello", "\u200b", "[SEP]", "x"]})
case("words_ner", {"words": ["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."]})
case("words_accents", {"words": ["Café", "Déjà", "vu", "naïve", "İstanbul"]})
case("words_empty_list", {"words": []})
case("words_truncated", {"words": ["word%d" % i for i in range(30)]}, truncation="longest_first", max_length=12)
case("words_cased", {"words": ["Hello", "World", "ÉCOLE"]}, "cased")

# --- character classes -------------------------------------------------------------------------------------------
specials = {
    "controls": "a\x01b\x0bc\x0cd\x1fe\x7ff\x85g\x9fh",
    "tab_newline_cr": "a\tb\nc\rd\r\ne",
    "line_para_sep": "a\u2028b\u2029c",
    "unicode_spaces": "a\u1680b\u2000c\u2009d\u200ae\u202ff\u205fg",
    "zero_width": "a\u200cb\u200dc\u2060d\ufeffe\u00adf\u180eg",
    "bidi_marks": "a\u200eb\u200fc\u202ad\u202ee\u2066f",
    "replacement_char": "a\ufffdb\ufffd",
    "private_use": "a\ue000b\U000f0000c",
    "unassigned": "a\u0378b\U0001fffe c\uffff",
    "noncharacter_fdd0": "x\ufdd0y",
    "tags": "a\U000e0001b\U000e0041c",
    "arabic_format": "a\u0600b\u061cc\u06ddd",
    "newer_format_kept": "a\u0890b\u08e2c\U00013430d",
    "newer_punct_not_isolated": "a\u2e43b\u2e5dc\u061dd",
    "old_punct_isolated": "a\u166db",
    "newer_marks_kept": "a\u07fdb\u0898c\u1abfd",
    "mc_to_mn": "a\u1734b",
    "no_decomposition_11938": "a\U00011938b",
    "newer_lowercase": "\u1c89 \ua7cb \ua7dc \U00010d50",
    "new_lower_cased": "\ua7cb\U00010d50",
    "ascii_punct": "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "unicode_punct": "¡¿«»‹›“”‘’„‚–—―…‰′″§¶·•†‡※‼⁇⁈、。「」『』【】〜・！？",
    "symbols": "€£¥₹$¢©®™°±×÷√∞≈≠≤≥←→↑↓★☆♠♣♥♦♪♫☃☀",
    "math_letters": "𝐀𝐁𝐂 𝔄𝔅 ℌℍ ℕℚℝ",
    "ligatures_compat": "ﬁﬂ ﬀ Ⅻ ① ² ½ ㎏ ℃",
    "angstrom_ohm_kelvin": "Å Ω K Å",
    "greek_tonos": "ἄνθρωπος Ἀθῆναι ΐ",
    "cyrillic": "Привет мир Ёлка й",
    "arabic_diacritics": "مَرْحَبًا بِالْعَالَمِ",
    "hebrew_points": "שָׁלוֹם",
    "devanagari": "नमस्ते दुनिया क्षत्रिय",
    "thai": "สวัสดีครับ",
    "vietnamese": "Tiếng Việt có dấu Đà Nẵng",
    "turkish": "IĞDIR ığdır İi Iı",
    "german": "Straße STRASSE ẞ Äpfel",
    "titlecase": "ǅ ǈ ǋ ǲ",
    "combining_stack": "a\u0301\u0323\u0302 z\u0335\u0336",
    "enclosing_marks": "a\u20dd b\u20e3",
    "variation_selectors": "☃\ufe0f ✈\ufe0e 葛\U000e0100",
    "cjk_ext_b": "\U00020000\U0002a6df x\U0002a700",
    "cjk_gap_2b820": "\U0002b820\U0002b91f\U0002b920",
    "cjk_compat": "\uf900\ufa0e \U0002f800",
    "cjk_radicals": "⺀⼀ ㄅ ㆠ",
    "fullwidth": "ＡＢＣ１２３！",
    "halfwidth_katakana": "ｱｲｳ",
    "flags_skin": "🇺🇸🇯🇵 👋🏻👋🏿",
    "keycap": "1\ufe0f\u20e3 #\ufe0f\u20e3",
    "emoji_modern": "🥰🫨🪿 ok",
    "surrogate_region_neighbours": "\ud7ff\ue000\ufffc",
    "url_email": "see https://example.com/a?b=c&d=e#f or mail x.y@z.org",
    "html": "<br /><br />This is <i>great</i>&amp;more",
    "numbers": "3.14159 1,000,000 -42 +7 1e10 0x1F 50% 24/7",
    "contractions": "I'm you're they've we'd can't won't it's y'all",
    "repeated_punct": "wow!!! really??? ... --- ***",
    "mixed_scripts": "Hello世界Мир🌍مرحبا",
    "whitespace_runs": "   leading and trailing   \n\n  ",
    "unk_in_middle": "good ☃ bad",
    "long_sentence": "The quick brown fox jumps over the lazy dog. " * 40,
    "long_mixed": ("Naïve café owners in Zürich — “smart” résumés, 東京 and 서울! " * 12),
    "apostrophes": "it’s Rock ’n’ Roll ‘quoted’",
    "dashes": "a‐b‑c‒d–e—f―g−h",
    "superscripts": "x² H₂O ⁿ",
    "subword_heavy": "unaffable antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "hash_prefix_text": "##ing ## #hash #",
}
for name, s in specials.items():
    text(name, s)
for name in ("controls", "zero_width", "unicode_punct", "greek_tonos", "cyrillic", "arabic_diacritics",
             "vietnamese", "turkish", "german", "titlecase", "combining_stack", "hangul_jamo", "fullwidth",
             "long_mixed", "newer_lowercase", "newer_marks_kept", "mc_to_mn", "no_decomposition_11938"):
    if name in specials:
        text(name + "_cased", specials[name], "cased")
        text(name + "_cased_strip", specials[name], "cased_strip")
        text(name + "_keep_accents", specials[name], "uncased_keep_accents")

# --- deterministic random strings over a pool of tricky characters ------------------------------------------------
pool = (list("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789") + list(" \t\n.,;:!?'\"-()[]{}#$%&*") +
        ["é", "É", "ñ", "ü", "ß", "İ", "ı", "Σ", "ς", "ж", "我", "爱", "한", "ア", "😀", "👍🏽", "\u200b", "\u200d",
         "\u00a0", "\u3000", "\x00", "\x0b", "\ufffd", "\u0301", "\ufe0f", "€", "©", "—", "“", "”", "…", "\u2028",
         "[SEP]", "[MASK]", "[CLS]", "[sep]", "##", "\U00020000", "\uf900", "ﬁ", "Å", "\u1734", "\u2e43"])
rng = random.Random(1234)
for i in range(60):
    s = "".join(rng.choice(pool) for _ in range(rng.randint(1, 80)))
    cfg = ["uncased", "cased", "cased_strip", "uncased_keep_accents", "no_cjk"][i % 5]
    text("random_%02d" % i, s, cfg)
for i in range(10):
    a = "".join(rng.choice(pool) for _ in range(rng.randint(1, 20)))
    b = "".join(rng.choice(pool) for _ in range(rng.randint(1, 120)))
    case("random_pair_%02d" % i, {"text": a, "text_pair": b}, truncation=["longest_first", "only_second"][i % 2],
         max_length=rng.randint(24, 48), stride=rng.randint(0, 3), overflow=True, padding="max_length")

tokenizers = {}
with open(OUT, "w", encoding="utf-8") as f:
    for c in cases:
        tok = tokenizers.setdefault(c["config"], hf.load(c["config"]))
        try:
            c["expected"] = hf.encode(tok, c["input"], c["options"])
        except (Exception, BaseException) as e:  # raised (or a Rust panic): tinybert must throw as well
            if isinstance(e, KeyboardInterrupt):
                raise
            c["error"] = str(e).splitlines()[0] if str(e) else type(e).__name__
        f.write(json.dumps(c, ensure_ascii=False, separators=(",", ":")) + "\n")
print("wrote", len(cases), "cases to", os.path.normpath(OUT),
      "(%d errors)" % sum("error" in c for c in cases))
