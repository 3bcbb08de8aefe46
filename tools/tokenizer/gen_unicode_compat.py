#!/usr/bin/env python3
"""Generate include/tinybert/tokenizer/unicode_compat.hpp.

tinybert takes its Unicode data from utf8proc (Unicode 15). Hugging Face `tokenizers` takes general categories and
the NFD table from older crates (about Unicode 9-12) and lowercase from Rust's std (newer than 15). This script runs
every code point through the installed `tokenizers` (BertNormalizer / BertPreTokenizer) and through the utf8proc
shared library that tinybert links, and writes the ranges where they disagree. Run: python gen_unicode_compat.py OUT
"""
import ctypes
import sys

from tokenizers import normalizers, pre_tokenizers

u = ctypes.CDLL("libutf8proc.so.2")
u.utf8proc_category.restype = ctypes.c_int
u.utf8proc_tolower.restype = ctypes.c_int32
u.utf8proc_decompose_char.restype = ctypes.c_ssize_t
u.utf8proc_unicode_version.restype = ctypes.c_char_p
MN, MC, ME, CC, CF, CS, CO, ZS, ZL, ZP = 6, 7, 8, 26, 27, 28, 29, 23, 24, 25
PUNCT = (12, 13, 14, 15, 16, 17, 18)
DECOMPOSE = 1 << 3

clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
strip = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
lower = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=True)
pretok = pre_tokenizers.BertPreTokenizer()
strip_marks = normalizers.StripAccents()
buf = (ctypes.c_int32 * 32)()
bound = ctypes.c_int(0)


def is_ascii_punct(cp):
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126


tables = {k: [] for k in ("kept_format", "not_punct", "extra_punct", "not_mn", "extra_mn", "no_decomposition",
                          "not_mark", "extra_mark")}
lower_delta = []
for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF:
        continue
    c = chr(cp)
    cat = u.utf8proc_category(cp)
    # 1. clean: deleted (Cc Cf Cs Co, NUL, U+FFFD) / whitespace / kept
    hf = clean.normalize_str("a" + c + "a")
    hf_kind = {"a" + c + "a": "keep", "aa": "del", "a a": "ws"}[hf]
    if cp in (9, 10, 13):
        ours = "ws"
    elif cp == 0 or cp == 0xFFFD or cat in (CC, CF, CS, CO):
        ours = "del"
    elif cat in (ZS, ZL, ZP):
        ours = "ws"
    else:
        ours = "keep"
    if hf_kind != ours:
        assert hf_kind == "keep" and ours == "del" and cat == CF, (hex(cp), hf_kind, ours)
        tables["kept_format"].append(cp)
    # 2. strip accents: NFD of the single char, then drop Mn
    bound.value = 0
    n = u.utf8proc_decompose_char(cp, buf, 32, DECOMPOSE, ctypes.byref(bound))
    parts = [buf[i] for i in range(n)]
    ours = "".join(chr(p) for p in parts if u.utf8proc_category(p) != MN)
    hf = strip.normalize_str(c)
    if hf != ours:
        if hf == c and ours == "":
            tables["not_mn"].append(cp)
        elif hf == "" and ours == c:
            tables["extra_mn"].append(cp)
        elif hf == c and len(parts) > 1:
            tables["no_decomposition"].append(cp)
        else:
            raise SystemExit("unhandled strip difference at U+%04X" % cp)
    # 3. lowercase (Rust char::to_lowercase; U+0130 is the one unconditional multi-char mapping)
    hf = lower.normalize_str(c)
    ours = "i\u0307" if cp == 0x130 else chr(u.utf8proc_tolower(cp))
    if hf != ours:
        assert len(hf) == 1 and ours == c, hex(cp)
        lower_delta.append((cp, ord(hf) - cp))
    # 4. punctuation (isolated by BertPreTokenizer)
    n_pieces = len(pretok.pre_tokenize_str("a" + c + "a"))
    hf_p = n_pieces == 3
    ours_p = is_ascii_punct(cp) or cat in PUNCT
    if hf_p != ours_p:
        tables["extra_punct" if hf_p else "not_punct"].append(cp)
    # 5. the StripAccents normalizer (SentencePiece conversions): removes General_Category Mark (Mn, Mc, Me)
    hf_m = strip_marks.normalize_str("a" + c) == "a"
    ours_m = cat in (MN, MC, ME)
    if hf_m != ours_m:
        tables["extra_mark" if hf_m else "not_mark"].append(cp)


def ranges(cps):
    out = []
    for cp in cps:
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


def delta_ranges(items):
    out = []
    for cp, d in items:
        if out and out[-1][1] == cp - 1 and out[-1][2] == d:
            out[-1][1] = cp
        else:
            out.append([cp, cp, d])
    return out


import tokenizers  # noqa: E402

notes = {
    "kept_format": "Cf in utf8proc, unassigned (kept) in tokenizers: not deleted by clean_text",
    "not_punct": "P* in utf8proc, not punctuation in tokenizers: not isolated",
    "extra_punct": "punctuation in tokenizers (older category), not P* in utf8proc: isolated",
    "not_mn": "Mn in utf8proc, not Mn in tokenizers: kept by strip_accents",
    "extra_mn": "Mn in tokenizers (older category), not Mn in utf8proc: removed by strip_accents",
    "no_decomposition": "canonical decomposition in utf8proc, none in tokenizers' NFD table: left whole",
    "not_mark": "M* in utf8proc, not a mark in tokenizers: kept by the StripAccents normalizer",
    "extra_mark": "a mark in tokenizers (older category), not M* in utf8proc: removed by the StripAccents normalizer",
}
lines = [
    "// tinybert/tokenizer/unicode_compat.hpp: GENERATED by tools/tokenizer/gen_unicode_compat.py, do not edit.",
    "// Code points where Hugging Face tokenizers %s (older Unicode tables for categories and NFD, newer Rust std"
    % tokenizers.__version__,
    "// lowercase) disagrees with utf8proc %s (Unicode %s), found by running every code point through both."
    % ("2.x", u.utf8proc_unicode_version().decode()),
    "#pragma once",
    "",
    "#include <cstdint>",
    "",
    "namespace tinybert::detail::unicode_compat {",
    "",
    "struct Range {",
    "    char32_t first, last;",
    "};",
    "struct DeltaRange {",
    "    char32_t first, last;",
    "    std::int32_t delta;  // lowercase = code point + delta",
    "};",
    "",
]
for name, cps in tables.items():
    rs = ranges(cps)
    lines.append("// %s" % notes[name])
    lines.append("inline constexpr Range %s[] = {" % name)
    row = []
    for a, b in rs:
        row.append("{0x%X, 0x%X}," % (a, b))
        if len(row) == 6:
            lines.append("    " + " ".join(row))
            row = []
    if row:
        lines.append("    " + " ".join(row))
    if not rs:
        lines.append("    {0x110000, 0x110000},  // none")
    lines.append("};")
    lines.append("")
lines.append("// lowercase mappings that Rust's std has and utf8proc lacks (characters newer than utf8proc's Unicode)")
lines.append("inline constexpr DeltaRange extra_lower[] = {")
for a, b, d in delta_ranges(lower_delta):
    lines.append("    {0x%X, 0x%X, %d}," % (a, b, d))
if not lower_delta:
    lines.append("    {0x110000, 0x110000, 0},  // none")
lines.append("};")
lines.append("")
lines.append("}  // namespace tinybert::detail::unicode_compat")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
print("wrote", sys.argv[1], {k: len(ranges(v)) for k, v in tables.items()}, "lower", len(lower_delta))
