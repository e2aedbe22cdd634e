"""Chinese numerals: 二十二 <-> 22, and the numeral pattern used in article/point labels."""

from __future__ import annotations

import re

from core.text import to_halfwidth

DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "○": 0, "Ｏ": 0, "一": 1, "壹": 1, "二": 2, "貳": 2, "兩": 2, "两": 2, "三": 3, "參": 3,
    "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陸": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
    "九": 9, "玖": 9}
UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS: dict[str, int] = {"萬": 10_000, "万": 10_000, "億": 100_000_000, "亿": 100_000_000}
CN_NUMERAL_CHARS = "".join(DIGITS) + "".join(UNITS) + "".join(BIG_UNITS)
CN_NUM_RE = f"[{CN_NUMERAL_CHARS}]+"

# Numerals as written in labels and references (第二十二條, 五、, 第1項): Arabic digits or these characters.
LABEL_CN = "零〇○一二三四五六七八九十百千兩"
LABEL_NUM_RE = rf"(?:[0-9]+|[{LABEL_CN}]+)"


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
        if ch in DIGITS:
            digit = DIGITS[ch]
            seen = True
        elif ch in UNITS:
            section += (digit if digit is not None else 1) * UNITS[ch]
            digit = None
            seen = True
        elif ch in BIG_UNITS:
            section += digit or 0
            total += (section or 1) * BIG_UNITS[ch]
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


def label_int(s: str) -> int:
    """A label numeral (``LABEL_NUM_RE``) to int, spaces inside ignored: "二 十" -> 20."""
    return cn_to_int(re.sub(r"\s+", "", s))


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
