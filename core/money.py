"""New Taiwan Dollar amounts, parsed and formatted exactly (integers, no floats). The one amount parser of
mishu: questions, calculator inputs, draft fields and imported records all read amounts here.

``parse_amount("250萬") == 2_500_000``; accepted forms include 250萬元, 新臺幣2,500,000元, NT$2.5M,
2,500,000, 二百五十萬, 壹佰伍拾萬元整, 1.5億, 3千萬, 1億5,000萬, and a non-negative ``int`` as is. Anything else
raises ``ValueError`` with a zh-TW message. ``format_twd(2_500_000) == "新臺幣2,500,000元（250萬元）"``.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from core.numerals import BIG_UNITS, DIGITS, UNITS

_LATIN_SUFFIX = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}

# Simplified forms users type (两百五十万, 1.5亿) are folded to Traditional before parsing (so the Simplified
# and full-width keys of the numeral tables are never reached here).
_SIMPLIFIED = str.maketrans({"万": "萬", "亿": "億", "两": "兩", "贰": "貳", "陆": "陸", "圆": "圓", "币": "幣"})
_PREFIX_RE = re.compile(r"^(?:新臺幣|新台幣|NT\$|NTD|TWD|NT)")
_SUFFIX_RE = re.compile(r"(?:元整|圓整|元|圓|整|NTD|TWD)$")
_ARABIC_RE = re.compile(r"\d[\d,]*(?:\.\d+)?")
_GROUPED_RE = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def _err(text: str, why: str) -> ValueError:
    return ValueError(f"無法解析金額「{text}」：{why}。請寫成例如 250萬元、新臺幣2,500,000元 或 1.5億")


def parse_amount(text: str | int) -> int:
    """Exact integer NT$ amount from common zh-TW / English notations (or a non-negative int, returned as is)."""
    if isinstance(text, bool):
        raise ValueError("金額格式不正確")
    if isinstance(text, int):
        if text < 0:
            raise ValueError("金額不可為負數")
        return text
    if not isinstance(text, str):
        raise ValueError(f"金額須為文字，收到 {type(text).__name__}")
    original = text
    s = unicodedata.normalize("NFKC", text).strip().translate(_SIMPLIFIED)
    if re.search(r"\d\s+\d", s):
        raise _err(original, "數字中間不可有空白")
    s = re.sub(r"\s+", "", s)
    if not s:
        raise _err(original, "內容為空")
    if s.startswith(("-", "−", "負")):
        raise _err(original, "金額不得為負數")
    s = _PREFIX_RE.sub("", s)
    s = _SUFFIX_RE.sub("", s)
    if not s:
        raise _err(original, "沒有數字")
    upper = s.upper()
    m = re.fullmatch(r"(\d[\d,]*(?:\.\d+)?)(K|M|MN|B|BN)", upper)
    if m:
        mult = _LATIN_SUFFIX[m.group(2)[0]]
        value = _decimal(m.group(1), original) * mult
        return _to_int(value, original)
    return _parse_mixed(s, original)


def _decimal(token: str, original: str) -> Decimal:
    if "," in token and not _GROUPED_RE.match(token):
        raise _err(original, f"千分位逗號位置不正確（{token}）")
    try:
        return Decimal(token.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - regex already guards the form
        raise _err(original, f"數字格式錯誤（{token}）") from exc


def _to_int(value: Decimal, original: str) -> int:
    if value != value.to_integral_value():
        raise _err(original, "金額須為整數元")
    if value < 0:
        raise _err(original, "金額不得為負數")
    return int(value)


def _parse_mixed(s: str, original: str) -> int:
    """Chinese numerals, Arabic digits or a mix (1億5,000萬, 3千萬, 二百五十萬)."""
    total = Decimal(0)
    section = Decimal(0)
    number: Decimal | None = None
    number_is_cn_digit = False
    number_digits = 0
    last_unit: int | None = None
    after_zero = False
    i = 0
    while i < len(s):
        ch = s[i]
        m = _ARABIC_RE.match(s, i)
        if m:
            if number is not None:
                raise _err(original, "數字之間缺少單位")
            number = _decimal(m.group(0), original)
            number_is_cn_digit = False
            number_digits = len(m.group(0).replace(",", "").split(".")[0])
            i = m.end()
            continue
        if ch in DIGITS:
            if number is not None and not (number == 0 and number_is_cn_digit):
                raise _err(original, "數字之間缺少單位")
            after_zero = after_zero or (ch in "零〇○")
            number = Decimal(DIGITS[ch])
            number_is_cn_digit = True
            number_digits = 1
        elif ch in UNITS:
            unit = UNITS[ch]
            if number is None and unit != 10:
                raise _err(original, f"「{ch}」前缺少數字")
            section += (number if number is not None else Decimal(1)) * unit
            number, last_unit, after_zero = None, unit, False
        elif ch in BIG_UNITS:
            unit = BIG_UNITS[ch]
            part = section + (number or 0)
            if part == 0:
                raise _err(original, f"「{ch}」前缺少數字")
            if unit == 100_000_000:
                total = (total + part) * unit
            else:
                total += part * unit
            section, number, last_unit, after_zero = Decimal(0), None, unit, False
        else:
            raise _err(original, f"含有無法辨識的字元「{ch}」")
        i += 1
    if number is not None:
        places = len(str(last_unit)) - 1 if last_unit is not None else 0
        if last_unit is not None and last_unit >= 100 and not after_zero and number != 0 \
                and number_digits < places:
            # 「一萬五」「二百五」「250萬5」 are colloquial for 15,000 / 250 / 2,550,000 but literally ambiguous
            raise _err(original, "末位數字未標單位，寫法不明確")
        section += number
    if total == 0 and section == 0 and number is None and last_unit is None:
        raise _err(original, "沒有數字")
    return _to_int(total + section, original)


def format_twd(n: int) -> str:
    """新臺幣2,500,000元（250萬元）; amounts under 1萬 have no parenthesised form."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"金額須為整數，收到 {n!r}")
    if n < 0:
        raise ValueError(f"金額不得為負數：{n}")
    head = f"新臺幣{n:,}元"
    if n < 10_000:
        return head
    return f"{head}（{short_twd(n)}）"


def twd_staff(n: int) -> str:
    """An amount as staff write it: the 萬 form, and when it is not a whole 萬 also the digits, because
    staff say 37.5萬 or 375,000元 but never 37萬5,000元 (375_000 -> 37萬5,000元（375,000元）; 250萬元 stays)."""
    s = short_twd(n)
    return s if n < 10_000 or n % 10_000 == 0 else f"{s}（{n:,}元）"


def short_twd(n: int) -> str:
    """2_500_000 -> 250萬元; 123_456_789 -> 1億2,345萬6,789元; 9_999 -> 9,999元."""
    if n < 0:
        raise ValueError(f"金額不得為負數：{n}")
    yi, rest = divmod(n, 100_000_000)
    wan, one = divmod(rest, 10_000)
    parts = []
    if yi:
        parts.append(f"{yi:,}億")
    if wan:
        parts.append(f"{wan:,}萬")
    if one or not parts:
        parts.append(f"{one:,}")
    return "".join(parts) + "元"
