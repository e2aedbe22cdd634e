"""The post-generation check of an LLM answer: the model is never trusted with citations or quotes.

- Markdown/HTML images and links are removed from the text (``core.markdown``) and flagged.
- Every 「…」 of ``min_quote`` characters or more is checked against the articles the caller may see.
  A quote verbatim in the article the model cited keeps that citation; a quote verbatim elsewhere keeps
  its source, the first allowed article that holds it (those retrieved in this turn first, then the
  knowledge base in title order), and that citation is re-attached; a quote found nowhere is removed
  with its citation marker and flagged.
- A citation marker 〔法規第N條〕 must name an article retrieved in this turn (passages, tools) or one a
  verbatim quote was found in; otherwise it is removed and flagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.evidence import best_lines, cite, content_terms, label_for
from assistant.models import AnswerCitation
from core.access import AccessLevel
from core.citation import article_lines
from core.markdown import remove_links_and_images
from core.numerals import cn_to_int
from knowledge.base import Article, KnowledgeBase

CITATION = re.compile(
    r"〔([^〔〕]{2,60}?)第\s*([0-9一二三四五六七八九十百零]+)\s*(條|點)(?:之\s*([0-9一二三四五六七八九十]+))?"
    r"((?:第[0-9一二三四五六七八九十]+[項款目])*)〕"
)
# a quote and, when the model gave one, the citation marker right after it
QUOTE = re.compile(r"「([^「」]*)」(\s*〔[^〔〕]*〕)?")
MIN_QUOTE = 6
REMOVED_QUOTE = "〔已移除無法核對的引文〕"
LINKS_FLAG = "已移除模型回答中的 Markdown 圖片或連結"

Key = tuple[str, str]


@dataclass
class CheckResult:
    text: str
    citations: list[AnswerCitation]
    flags: list[str]


def _no(num: str, sub: str | None) -> str:
    base = str(cn_to_int(num))
    return f"{base}-{cn_to_int(sub)}" if sub else base


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def holds(art: Article, quote: str) -> bool:
    """The quote is verbatim in the article (white space aside: the stored text breaks lines)."""
    return not art.deleted and _squash(quote) in _squash(art.text)


def marker_for(art: Article) -> str:
    """〔政府採購法第31條〕, 〔…第22條之1〕, 〔…第3點〕 for an article (the form the checker reads back);
    a section without an article number (a document's 全文) is cited by its title."""
    base, _, sub = art.no.partition("-")
    if not base.isdigit() or (sub and not sub.isdigit()):
        return f"〔{art.title}〕"
    unit = "點" if "點" in art.label else "條"
    return f"〔{art.title}第{base}{unit}{'之' + sub if sub else ''}〕"


def _citation(art: Article, quote: str) -> AnswerCitation:
    """The citation of a verified quote, labelled with the 項/款 of the line that holds it."""
    line = next((ln for ln in article_lines(art.text) if _squash(quote) in _squash(ln.text)), None)
    return AnswerCitation(
        title=art.title,
        no=art.no,
        quote=quote,
        amended=art.amended.isoformat() if art.amended else None,
        label=label_for(art, line),
        paragraph=line.paragraph if line else None,
        item=line.item if line else None,
        doc_id=art.doc_id,
        partial=art.partial,
        sample="範例" in art.title,
    )


class CitationChecker:
    """Verifies the citations and quotes of a generated answer (see the module docstring)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        titles: list[str],
        allowed: set[AccessLevel] | None = None,
        min_quote: int = MIN_QUOTE,
    ):
        self.kb = kb
        self.titles = titles
        self.allowed = allowed
        self.min_quote = min_quote

    def _resolve_title(self, raw: str) -> str | None:
        raw = raw.strip()
        if raw in self.titles:
            return raw
        from knowledge.lexicon import resolve_titles

        found = resolve_titles(raw, self.titles)
        return found[-1][0] if found else None

    def key_of(self, marker: str) -> Key | None:
        m = CITATION.fullmatch(marker.strip())
        if not m:
            return None
        title = self._resolve_title(m.group(1))
        if title is None:
            return None
        try:
            return title, _no(m.group(2), m.group(4))
        except ValueError:
            return None

    def _visible(self) -> Iterator[Article]:
        for title in self.titles:
            yield from self.kb.articles_of(title, allowed=self.allowed)

    def holder(self, quote: str, cited: Article | None, retrieved: dict[Key, Article]) -> Article | None:
        """The article a quote keeps: the cited one when verbatim there, else the first that holds it."""
        if cited is not None and holds(cited, quote):
            return cited
        for art in retrieved.values():
            if holds(art, quote):
                return art
        return next((a for a in self._visible() if holds(a, quote)), None)

    def check(self, text: str, retrieved: dict[Key, Article]) -> CheckResult:
        flags: list[str] = []
        verified: dict[Key, AnswerCitation] = {}
        seen = dict(retrieved)  # articles a marker may name: retrieved, or holding a verified quote
        text, stripped = remove_links_and_images(text)
        if stripped:
            flags.append(LINKS_FLAG)

        def check_quote(m: re.Match[str]) -> str:
            quote, marker = m.group(1).strip(), m.group(2)
            if len(_squash(quote)) < self.min_quote:
                return m.group(0)  # a term in quotation marks, not a quotation; its marker is judged below
            key = self.key_of(marker) if marker else None
            cited = None
            if key is not None:
                cited = seen.get(key) or self.kb.get_article(*key, allowed=self.allowed)
            art = self.holder(quote, cited, seen)
            if art is None:
                flags.append(f"已移除無法核對的引文（不在可查閱的條文原文中）：「{quote[:40]}」")
                return REMOVED_QUOTE
            found = (art.title, art.no)
            seen.setdefault(found, art)
            verified.setdefault(found, _citation(art, quote))
            if cited is not None and found == (cited.title, cited.no):
                return m.group(0)
            if marker:
                flags.append(f"引文「{quote[:40]}」不在{marker.strip()}中，出處改為{marker_for(art)}")
            return f"「{quote}」{marker_for(art)}"

        text = QUOTE.sub(check_quote, text)

        def check_marker(m: re.Match[str]) -> str:
            key = self.key_of(m.group(0))
            if key is None or key not in seen:
                flags.append(f"已移除未經檢索的引用：{m.group(0)}")
                return ""
            art = seen[key]
            if key not in verified:
                lines = best_lines(art, content_terms(self.kb.tokenizer(text)), {}, max_lines=1)
                verified[key] = cite(art, lines[-1] if lines else None)
            return m.group(0)

        text = CITATION.sub(check_marker, text)
        return CheckResult(text=text.strip(), citations=list(verified.values()), flags=flags)


__all__ = ["CITATION", "MIN_QUOTE", "CheckResult", "CitationChecker", "holds", "marker_for"]
