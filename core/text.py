"""Text normalisation: full-width -> half-width, Simplified -> Traditional, query normalisation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any


def to_halfwidth(s: str) -> str:
    """Full-width ASCII (Ａ１２％) to half-width; ideographic space to space. CJK punctuation kept."""
    out = []
    for ch in s:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        elif code == 0x3000:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=1)
def _s2t() -> Any:
    import opencc  # opencc-python-reimplemented: pure Python, offline

    return opencc.OpenCC("s2tw")


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    """Characters used in the shipped Traditional-Chinese laws (generated from the corpus)."""
    corpus = (Path(__file__).with_name("zh_tw_chars.txt")).read_text(encoding="utf-8")
    # valid Traditional characters that OpenCC rewrites in some phrases but the laws happen not to use
    return frozenset(corpus + _ALSO_TRADITIONAL)


_ALSO_TRADITIONAL = "霉后台里余制准布回面局占杆群托致只背污雇秘核床巨才干松范谷丑冬斗"


def to_traditional(s: str) -> str:
    """Normalise Simplified Chinese to Traditional (Taiwan standard characters).

    OpenCC alone also rewrites characters that are valid Traditional (巨->鉅, 布->佈, 回->迴, 台->臺),
    which would break matching against the laws. So a character is replaced only when OpenCC changes
    it AND the original is not a character the Traditional law texts use.
    """
    if not s:
        return s
    converted = _s2t().convert(s)
    if converted == s or len(converted) != len(s):
        return converted if len(converted) != len(s) else s
    known = _traditional_chars()
    return "".join(o if (o == c or o in known) else c for o, c in zip(s, converted, strict=True))


def normalize_query(s: str) -> str:
    """Query normalisation: NFC, full-width ASCII to half-width, Simplified -> Traditional, squeezed spaces."""
    s = to_halfwidth(unicodedata.normalize("NFC", s))
    s = to_traditional(s)
    return re.sub(r"\s+", " ", s).strip()
