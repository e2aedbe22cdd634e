"""Evidence: choose the 項/款 of an article that answer a question, and quote them verbatim.

An article's stored text has one 項 or 款/目 per line. Each line is scored by the weighted share of
the question's content terms it contains; the best lines become quotes (always whole stored lines,
so verbatim by construction — and checked), labelled with their 項/款 numbers (``core.citation``).
"""

from __future__ import annotations

import re
import unicodedata

from assistant.models import AnswerCitation
from core.citation import Line, article_lines
from core.dates import roc_date
from core.vocab import CONTENT_TOKEN, QUESTION_WORDS
from knowledge.base import Article


def content_terms(tokens: list[str]) -> list[str]:
    seen: list[str] = []
    for t in tokens:
        if t.startswith("#") or not CONTENT_TOKEN.match(t) or t in QUESTION_WORDS or t in seen:
            continue
        seen.append(t)
    return seen


def line_score(line: str, terms: list[str], weights: dict[str, float]) -> float:
    hay = unicodedata.normalize("NFC", line).lower()  # terms are lower-cased by the tokenizer (AED -> aed)
    return sum(weights.get(t, 1.0) for t in terms if t in hay)


# a line that matches the question and holds the kind of value it asks for (a period for 多久, an amount for
# 多少錢) gains this share of the best match score: 「多久要辦一次」 is answered by 「每半年至少應舉辦一次」,
# not by the lead line that repeats the topic's name
KIND_BONUS = 0.5
# the kinds whose value a line shows unmistakably (a number with its unit); a role or an office word is
# in too many lines to tell the answering one
VALUE_KINDS = frozenset({"duration", "amount", "count", "date"})


def best_lines(article: Article, terms: list[str], weights: dict[str, float], max_lines: int = 2,
               kind: str | None = None) -> list[Line]:
    """The best-matching lines; a 款 comes with the 項 line that introduces it (its context). ``kind``: the
    answer type asked (assistant.answer_type); lines that carry one are preferred among matching lines."""
    lines = article_lines(article.text)
    if not lines:
        return []
    raw = [line_score(ln.text, terms, weights) for ln in lines]
    if kind in VALUE_KINDS and raw and max(raw) > 0:
        from assistant.answer_type import answer_types

        types, bonus = answer_types(), KIND_BONUS * max(raw)
        carrying = [s > 0 and types.carries(kind, ln.text) for s, ln in zip(raw, lines, strict=True)]
        if any(carrying) and not all(carrying):
            raw = [s + bonus if c else s for s, c in zip(raw, carrying, strict=True)]
    scored = sorted(((s, i) for i, s in enumerate(raw)), key=lambda x: (-x[0], x[1]))
    if scored[0][0] <= 0:
        return lines[:1]
    picked: list[int] = []
    top = scored[0][0]
    for s, i in scored:
        if len(picked) >= max_lines or s < 0.5 * top:
            break
        picked.append(i)
    out: list[int] = []
    for i in sorted(picked):
        for j in _heads(lines, i):
            if j not in out:
                out.append(j)
        if i not in out:
            out.append(i)
    # a 款 keeps its 項 lead and a 目 its 款 heading (「二、乙類場所：」 is what the 目 belongs to)
    keep = max_lines + 1 + sum(1 for i in picked if lines[i].subitem is not None)
    return [lines[i] for i in out[:keep]]


# a quoted line that introduces a list (「檔案之銷毀方法如下：」) is quoted with its 款, at most this many: the
# lead alone answers nothing
LIST_ITEMS = 10
_INTRODUCES = re.compile(r"[：:]\s*$")


def with_items(article: Article, picked: list[Line]) -> list[Line]:
    """``picked`` with the 款 of each picked 項 lead that introduces a list, in the article's order."""
    lines = article_lines(article.text)
    out: list[Line] = []
    for ln in picked:
        if ln not in out:
            out.append(ln)
        if ln.item is not None or not _INTRODUCES.search(ln.text):
            continue
        items = [x for x in lines if x.paragraph == ln.paragraph and x.item is not None and x.subitem is None]
        out.extend(x for x in items[:LIST_ITEMS] if x not in out)
    return out


def _heads(lines: list[Line], i: int) -> list[int]:
    """The lines that introduce line ``i``: its 項 lead (for a 款 or 目) and its 款 heading (for a 目)."""
    ln = lines[i]
    if ln.item is None:
        return []
    same = [j for j in range(i - 1, -1, -1) if lines[j].paragraph == ln.paragraph]
    lead = next((j for j in same if lines[j].item is None), None)
    heading = (next((j for j in same if lines[j].item == ln.item and lines[j].subitem is None), None)
               if ln.subitem is not None else None)
    return [j for j in (lead, heading) if j is not None]


def label_for(article: Article, line: Line | None) -> str:
    base = f"{article.title}{article.label}"
    if line is None or article.unit.value != "article":
        return base
    lab = base + f"第{line.paragraph}項" if _has_multiple_paragraphs(article) or line.item else base
    if line.item:
        lab += f"第{line.item}款"
    if line.subitem:
        lab += f"第{line.subitem}目"
    return lab


def _has_multiple_paragraphs(article: Article) -> bool:
    return any(ln.paragraph > 1 for ln in article_lines(article.text))


def cite(article: Article, line: Line | None) -> AnswerCitation:
    quote = line.text.strip() if line else article.text.strip()
    if quote not in article.text:
        raise ValueError(f"quote not verbatim in {article.title} {article.no}")
    return AnswerCitation(
        title=article.title, no=article.no, quote=quote,
        amended=article.amended.isoformat() if article.amended else None,
        label=label_for(article, line), paragraph=line.paragraph if line else None,
        item=line.item if line else None, doc_id=article.doc_id, partial=article.partial,
        sample="範例" in article.title)


def amended_zh(article: Article) -> str:
    if article.amended is None:
        return "日期不詳"
    return f"{roc_date(article.amended)}修正" if article.unit.value == "article" else f"{roc_date(article.amended)}版"
