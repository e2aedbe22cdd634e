"""Parse NT$ amounts as written by procurement staff: 1,500,000 / 150萬 / 1.5億 / 新臺幣150萬元 / 一百五十萬."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ingest.zh import cn_to_int, to_halfwidth

_UNIT = {"億": 100_000_000, "萬": 10_000, "千": 1_000, "仟": 1_000, "": 1}
_SEGMENT = re.compile(r"(\d+(?:\.\d+)?)(億|萬|千|仟)?")
_COMMA_TOKEN = re.compile(r"[\d,]+(?:\.\d+)?")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_PREFIXES = ("新臺幣", "新台幣", "NTD", "NT$", "NT", "$")


def parse_amount(text: str | int) -> int:
    """Amount in whole NT dollars; raises ValueError with a zh-TW message when it is not an amount."""
    if isinstance(text, bool):
        raise ValueError("金額格式不正確")
    if isinstance(text, int):
        if text < 0:
            raise ValueError("金額不可為負數")
        return text
    raw = text
    t = to_halfwidth(text).strip().replace(" ", "")
    for token in _COMMA_TOKEN.findall(t):
        if "," in token and not _GROUPED.fullmatch(token):
            raise ValueError(f"千分位逗號位置不正確：「{raw}」")
    t = t.replace(",", "")
    for p in _PREFIXES:
        if t.upper().startswith(p):
            t = t[len(p):]
            break
    if t.endswith("元"):
        t = t[:-1]
    if not t:
        raise ValueError(f"金額格式不正確：「{raw}」")
    if t.startswith("-"):
        raise ValueError(f"金額不可為負數：「{raw}」")
    total = Decimal(0)
    pos = 0
    for m in _SEGMENT.finditer(t):
        if m.start() != pos:
            break
        try:
            total += Decimal(m[1]) * _UNIT[m[2] or ""]
        except InvalidOperation as exc:  # pragma: no cover - regex guarantees digits
            raise ValueError(f"金額格式不正確：「{raw}」") from exc
        pos = m.end()
    if pos != len(t):
        # Chinese numerals such as 一百五十萬
        try:
            return cn_to_int(t)
        except ValueError:
            raise ValueError(f"金額格式不正確：「{raw}」（請用 1,500,000 或 150萬）") from None
    if total != total.to_integral_value():
        raise ValueError(f"金額須為整數元：「{raw}」")
    return int(total)
