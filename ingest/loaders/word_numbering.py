"""Word automatic numbering (numbering.xml) rendered as text, so 一、 / (一) / 1.1 markers survive.

python-docx returns paragraph text without its list number; official templates (e.g. PCC 投標須知範本)
number every point automatically, and without the number the structure parser cannot find the points.
"""

from __future__ import annotations

import re
from typing import Any

from core.numerals import int_to_cn

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_LEGAL = "零壹貳參肆伍陸柒捌玖拾"
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_DIGITAL = "〇一二三四五六七八九"
_ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]


def _roman(n: int) -> str:
    out = ""
    for value, sym in _ROMAN:
        while n >= value:
            out += sym
            n -= value
    return out


def format_number(n: int, fmt: str) -> str:
    """One counter in a Word number format (decimal, taiwaneseCountingThousand, ideographTraditional …)."""
    if fmt in ("taiwaneseCountingThousand", "taiwaneseCounting", "chineseCounting", "chineseCountingThousand",
               "japaneseCounting", "koreanCounting"):
        return int_to_cn(n) if 0 <= n < 10000 else str(n)
    if fmt in ("taiwaneseDigital", "ideographDigital", "japaneseDigitalTenThousand"):
        return "".join(_DIGITAL[int(d)] for d in str(n))
    if fmt in ("chineseLegalSimplified", "ideographLegalTraditional", "japaneseLegal"):
        if n <= 10:
            return _LEGAL[n]
        return int_to_cn(n).translate(str.maketrans("一二三四五六七八九十百", "壹貳參肆伍陸柒捌玖拾佰"))
    if fmt == "ideographTraditional" and 1 <= n <= 10:
        return _STEMS[n - 1]
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return "".join(chr(ord(d) + 0xFEE0) for d in str(n))
    if fmt == "decimalEnclosedParen":
        return f"({n})"
    if fmt == "decimalEnclosedCircle" and 1 <= n <= 20:
        return chr(0x245F + n)
    if fmt == "lowerLetter" and 1 <= n <= 26:
        return chr(96 + n)
    if fmt == "upperLetter" and 1 <= n <= 26:
        return chr(64 + n)
    if fmt == "lowerRoman":
        return _roman(n)
    if fmt == "upperRoman":
        return _roman(n).upper()
    return str(n)


def _val(el: Any, tag: str, default: str) -> str:
    child = el.find(f"{W}{tag}")
    if child is None:
        return default
    return str(child.get(f"{W}val", default))


class Numbering:
    """Counters for the numbered paragraphs of one document, in document order."""

    def __init__(self, document: Any) -> None:
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}
        self.counters: dict[str, list[int | None]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[int, str, str]]] = {}
        for an in root.findall(f"{W}abstractNum"):
            levels = {}
            for lvl in an.findall(f"{W}lvl"):
                ilvl = int(lvl.get(f"{W}ilvl", "0"))
                levels[ilvl] = (int(_val(lvl, "start", "1")), _val(lvl, "numFmt", "decimal"), _val(lvl, "lvlText", ""))
            abstract[str(an.get(f"{W}abstractNumId"))] = levels
        for num in root.findall(f"{W}num"):
            aid = num.find(f"{W}abstractNumId")
            if aid is not None:
                self.levels[str(num.get(f"{W}numId"))] = abstract.get(str(aid.get(f"{W}val")), {})

    @staticmethod
    def num_pr(paragraph: Any) -> tuple[str, int] | None:
        """(numId, ilvl) from the paragraph or, failing that, from its style chain."""
        pr = paragraph._p.find(f"{W}pPr/{W}numPr")
        style = paragraph.style
        while pr is None and style is not None:
            pr = style.element.find(f"{W}pPr/{W}numPr")
            style = style.base_style
        if pr is None:
            return None
        num_id = _val(pr, "numId", "0")
        if num_id == "0":
            return None
        return num_id, int(_val(pr, "ilvl", "0"))

    def label(self, paragraph: Any) -> str:
        """The rendered list number of ``paragraph`` ("一、", "(二)", "1.2 "), or "" when not numbered."""
        pr = self.num_pr(paragraph)
        if pr is None:
            return ""
        num_id, ilvl = pr
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels:
            return ""
        counters = self.counters.setdefault(num_id, [None] * 9)
        start, fmt, text = levels[ilvl]
        current = counters[ilvl]
        counters[ilvl] = start if current is None else current + 1
        for k in range(ilvl + 1, 9):
            counters[k] = None
        if fmt in ("bullet", "none") or not text:
            return ""

        def one(m: re.Match[str]) -> str:
            k = int(m[1]) - 1
            lv = levels.get(k, (1, "decimal", ""))
            n = counters[k] if k < 9 and counters[k] is not None else lv[0]
            return format_number(int(n or 0), lv[1])

        out = re.sub(r"%([1-9])", one, text)
        return out + " " if out and out[-1] in "0123456789." else out  # "1.1 範圍" needs a space
