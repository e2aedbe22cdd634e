"""Chinese text utilities shared by every layer: numerals, ROC dates, width and script normalisation."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

_DIGITS = {"零": 0, "〇": 0, "○": 0, "Ｏ": 0, "一": 1, "壹": 1, "二": 2, "貳": 2, "兩": 2, "两": 2, "三": 3, "參": 3,
           "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陸": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
           "九": 9, "玖": 9}
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG = {"萬": 10_000, "万": 10_000, "億": 100_000_000, "亿": 100_000_000}
CN_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_UNITS) + "".join(_BIG)
CN_NUM_RE = f"[{CN_NUMERAL_CHARS}]+"


def cn_to_int(s: str) -> int:
    """Chinese (or Arabic/full-width) numeral to int: 二十二 -> 22, 一百零一 -> 101, 十 -> 10, ２２ -> 22.

    Raises ValueError on anything that is not a numeral.
    """
    s = to_halfwidth(s.strip())
    if not s:
        raise ValueError("empty numeral")
    if s.isdigit():
        return int(s)
    total, section, digit = 0, 0, None
    seen = False
    for ch in s:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
            seen = True
        elif ch in _UNITS:
            section += (digit if digit is not None else 1) * _UNITS[ch]
            digit = None
            seen = True
        elif ch in _BIG:
            section += digit or 0
            total += (section or 1) * _BIG[ch]
            section, digit = 0, None
            seen = True
        elif ch.isdigit():
            # mixed forms such as "2萬" or "1千"
            digit = (digit or 0) * 10 + int(ch)
            seen = True
        else:
            raise ValueError(f"not a numeral: {s!r}")
    if not seen:
        raise ValueError(f"not a numeral: {s!r}")
    return total + section + (digit or 0)


_SMALL = "零一二三四五六七八九"


def int_to_cn(n: int) -> str:
    """22 -> 二十二, 10 -> 十, 101 -> 一百零一 (as written in statute labels)."""
    if n < 0:
        raise ValueError("negative")
    if n < 10:
        return _SMALL[n]
    if n < 20:
        return "十" + (_SMALL[n - 10] if n % 10 else "")
    if n < 100:
        return _SMALL[n // 10] + "十" + (_SMALL[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        head = _SMALL[n // 100] + "百"
        if rest == 0:
            return head
        if rest < 10:
            return head + "零" + _SMALL[rest]
        return head + (_SMALL[rest // 10] + "十" + (_SMALL[rest % 10] if rest % 10 else ""))
    if n < 10000:
        rest = n % 1000
        head = _SMALL[n // 1000] + "千"
        if rest == 0:
            return head
        return head + ("零" if rest < 100 else "") + int_to_cn(rest)
    raise ValueError("too large for label numerals")


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
def _s2t():  # type: ignore[no-untyped-def]
    import opencc  # opencc-python-reimplemented: pure Python, offline

    return opencc.OpenCC("s2tw")


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    """Characters used in the shipped Traditional-Chinese laws (generated from the corpus)."""
    from pathlib import Path

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
    """Query normalisation: NFKC width folding for ASCII, Simplified -> Traditional, squeeze spaces."""
    s = to_halfwidth(unicodedata.normalize("NFC", s))
    s = to_traditional(s)
    return re.sub(r"\s+", " ", s).strip()


# --- dates ---------------------------------------------------------------------------------------
_ROC_FULL = re.compile(r"(?:民國|中華民國)?\s*(\d{2,3}|[一二三四五六七八九十百零〇○]+)\s*年\s*"
                       r"(\d{1,2}|[一二三四五六七八九十]+)\s*月\s*(\d{1,2}|[一二三四五六七八九十]+)\s*日")
_ROC_DOTTED = re.compile(r"^(?:民國)?\s*(\d{2,3})[./-](\d{1,2})[./-](\d{1,2})$")
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_AD_ZH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def _num(s: str) -> int:
    return int(s) if s.isdigit() else cn_to_int(s)


def parse_date(s: str | date | None) -> date | None:
    """Parse ISO (2024-05-01), ROC (民國113年5月1日, 113.05.01, 113/5/1, 一一三年五月一日) and AD zh dates.

    Returns None for None/empty input; raises ValueError for text that is not a date.
    """
    if s is None:
        return None
    if isinstance(s, date):
        return s
    t = to_halfwidth(s).strip()
    if not t:
        return None
    m = _ISO.match(t)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = _AD_ZH.search(t)
    if m and len(m[1]) == 4:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = _ROC_DOTTED.match(t)
    if m:
        return date(int(m[1]) + 1911, int(m[2]), int(m[3]))
    m = _ROC_FULL.search(t)
    if m:
        y = m[1]
        year = _roc_year(y)
        return date(year + 1911, _num(m[2]), _num(m[3]))
    raise ValueError(f"無法辨識的日期：{s!r}（請用 2024-05-01、113.05.01 或 民國113年5月1日）")


def _roc_year(y: str) -> int:
    if y.isdigit():
        return int(y)
    # "一一三" (digit by digit) or "一百一十三"
    if all(ch in _DIGITS for ch in y) and len(y) >= 2:
        return int("".join(str(_DIGITS[ch]) for ch in y))
    return cn_to_int(y)


def roc(d: date) -> str:
    """2024-05-01 -> 民國113年5月1日."""
    return f"民國{d.year - 1911}年{d.month}月{d.day}日"


# --- citation labels -----------------------------------------------------------------------------
def article_label(no: str, unit: str = "article") -> str:
    """"22-1" -> 第22條之1 ; points -> 第5點 ; sections returned as given."""
    if unit == "point":
        return f"第{no}點"
    if unit == "article":
        base, _, sub = no.partition("-")
        return f"第{base}條" + (f"之{sub}" if sub else "")
    return no
