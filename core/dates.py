"""Dates: ISO, ROC (民國113年5月1日, 113.05.01) and AD zh forms in; ROC text out."""

from __future__ import annotations

import re
from datetime import date, datetime

from core.numerals import DIGITS, cn_to_int
from core.text import to_halfwidth

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
    if all(ch in DIGITS for ch in y) and len(y) >= 2:
        return int("".join(str(DIGITS[ch]) for ch in y))
    return cn_to_int(y)


def roc_date(d: date) -> str:
    """2024-05-01 -> 民國113年5月1日."""
    return f"民國{d.year - 1911}年{d.month}月{d.day}日"


def roc_full(d: date) -> str:
    """2026-11-27 -> 中華民國115年11月27日 (公文程式條例第6條: 國曆年月日)."""
    return "中華" + roc_date(d)


def roc_datetime(dt: datetime) -> str:
    """2024-05-01 14:30 -> 民國113年5月1日下午2時30分."""
    half = "上午" if dt.hour < 12 else "下午"
    hour = dt.hour if dt.hour <= 12 else dt.hour - 12
    return f"{roc_date(dt.date())}{half}{hour}時{dt.minute:02d}分"
