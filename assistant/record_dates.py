"""Dates a record question states, read against an injectable "today": 今年、去年、前年、明年、這個月、
上個月、民國111年、115年度、2025年, and elapsed periods such as 超過半年沒檢查."""

from __future__ import annotations

import calendar
import re
from datetime import date

from core.numerals import cn_to_int

DateSpan = tuple[date, date]

_RELATIVE_YEAR = {
    "今年": 0,
    "本年": 0,
    "今年度": 0,
    "本年度": 0,
    "去年": -1,
    "上一年": -1,
    "前年": -2,
    "明年": 1,
}
_RELATIVE_MONTH = {"這個月": 0, "本月": 0, "這月": 0, "上個月": -1, "上月": -1, "下個月": 1}
_ROC_YEAR = re.compile(
    r"(?:民國|中華民國)\s*([一二三四五六七八九十百零\d]{2,6})\s*年|(?<![\d/.-])(\d{2,3})\s*年度?(?![\d月])"
)
_AD_YEAR = re.compile(r"(?:西元)?(?<!\d)(20\d{2}|19\d{2})\s*年(?!\d)")
_ELAPSED = re.compile(
    r"(?:超過|逾|已經?|過了)\s*(半年|[一二三四五六七八九十兩\d]+\s*(?:個月|年))\s*(?:沒|未|以上沒|都沒)"
)


def _month_span(today: date, delta: int) -> DateSpan:
    y, m = divmod(today.year * 12 + today.month - 1 + delta, 12)
    m += 1
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def date_span(q: str, today: date) -> DateSpan | None:
    """The period a question names, or None. A year is the whole calendar year (today's year up to today)."""
    for word, delta in sorted(_RELATIVE_MONTH.items(), key=lambda kv: -len(kv[0])):
        if word in q:
            return _month_span(today, delta)
    for word, delta in sorted(_RELATIVE_YEAR.items(), key=lambda kv: -len(kv[0])):
        if word in q:
            y = today.year + delta
            return date(y, 1, 1), date(y, 12, 31)
    m = _AD_YEAR.search(q)
    if m:
        y = int(m.group(1))
        return date(y, 1, 1), date(y, 12, 31)
    m = _ROC_YEAR.search(q)
    if m:
        raw = m.group(1) or m.group(2)
        try:
            roc = int(raw) if raw.isdigit() else cn_to_int(raw)
        except ValueError:
            return None
        if 60 <= roc <= 150:
            return date(roc + 1911, 1, 1), date(roc + 1911, 12, 31)
    return None


def elapsed_before(q: str, today: date) -> date | None:
    """「超過半年沒檢查」 -> today minus six months: records last done before this date."""
    m = _ELAPSED.search(q)
    if not m:
        return None
    span = m.group(1).replace(" ", "")
    if span == "半年":
        months = 6
    else:
        n = cn_to_int(re.sub(r"個月|年", "", span).replace("兩", "二"))
        months = n * 12 if span.endswith("年") else n
    y, mth = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(y, mth + 1, min(today.day, calendar.monthrange(y, mth + 1)[1]))
