"""Evidence: choose the 項/款 of an article that answer a question, and quote them verbatim.

An article's stored text has one 項 or 款/目 per line. Each line is scored by the weighted share of
the question's content terms it contains; the best lines become quotes (always whole stored lines,
so verbatim by construction — and checked), labelled with their 項/款 numbers (``core.citation``).
"""

from __future__ import annotations

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
    hay = unicodedata.normalize("NFC", line)
    return sum(weights.get(t, 1.0) for t in terms if t in hay)


def best_lines(article: Article, terms: list[str], weights: dict[str, float], max_lines: int = 2) -> list[Line]:
    """The best-matching lines; a 款 comes with the 項 line that introduces it (its context)."""
    lines = article_lines(article.text)
    if not lines:
        return []
    scored = sorted(((line_score(ln.text, terms, weights), i) for i, ln in enumerate(lines)),
                    key=lambda x: (-x[0], x[1]))
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
        ln = lines[i]
        if ln.item is not None:
            lead = next((j for j in range(i, -1, -1) if lines[j].item is None and lines[j].paragraph == ln.paragraph), None)
            if lead is not None and lead not in out:
                out.append(lead)
        if i not in out:
            out.append(i)
    return [lines[i] for i in out[: max_lines + 1]]


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
