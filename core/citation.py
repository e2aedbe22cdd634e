"""Citations: the citation key and quoted citation types, labels, and the 項/款/目 numbering of an article's lines.

An article's stored text has one 項 (paragraph), 款 (item, 一、) or 目 (sub-item, （一）) per line. A line
that is neither an item nor a sub-item starts a new 項; the first line always does. This numbering is
used to split long articles into chunks (ingest.chunking), to label calculator quotes
(assistant.calculators.articles) and to choose and label quoted lines (assistant.evidence).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from core.numerals import cn_to_int


class CitationKey(BaseModel):
    """The citation key of docs/DESIGN.md: the document's exact title and the article number ("22-1")."""

    model_config = ConfigDict(frozen=True)

    title: str
    no: str


class QuotedCitation(CitationKey):
    """A citation key with a verbatim quote of the article and its amendment date (YYYY-MM-DD), the
    ``{title, no, quote, amended}`` citation of docs/DESIGN.md. Every other citation type extends it."""

    quote: str
    amended: str | None = None


def article_label(no: str, unit: str = "article") -> str:
    """"22-1" -> 第22條之1 ; points -> 第5點 ; sections returned as given."""
    if unit == "point":
        return f"第{no}點"
    if unit == "article":
        base, _, sub = no.partition("-")
        return f"第{base}條" + (f"之{sub}" if sub else "")
    return no


_ITEM = re.compile(r"^\s*([一二三四五六七八九十百]+)、")
_SUBITEM = re.compile(r"^\s*[（(]([一二三四五六七八九十]+)[）)]")


@dataclass(frozen=True)
class Line:
    text: str
    paragraph: int  # 項
    item: int | None  # 款
    subitem: int | None  # 目


def article_lines(text: str) -> list[Line]:
    """The non-blank lines of an article with their 項/款/目 numbers."""
    out: list[Line] = []
    para, item = 0, None
    for raw in text.split("\n"):
        if not raw.strip():
            continue
        m_item, m_sub = _ITEM.match(raw), _SUBITEM.match(raw)
        if m_item and para:
            item = _num(m_item.group(1))
            out.append(Line(raw, para, item, None))
        elif m_sub and para:
            out.append(Line(raw, para, item, _num(m_sub.group(1))))
        else:
            para += 1
            item = None
            out.append(Line(raw, para, None, None))
    return out


def line_at(text: str, pos: int) -> Line | None:
    """The numbered line of ``text`` that contains character offset ``pos`` (None on a blank line)."""
    offset, index = 0, 0
    for raw in text.split("\n"):
        if offset <= pos < offset + len(raw) + 1:
            return article_lines(text)[index] if raw.strip() else None
        offset += len(raw) + 1
        index += 1 if raw.strip() else 0
    return None


def _num(s: str) -> int | None:
    try:
        return cn_to_int(s)
    except ValueError:
        return None
