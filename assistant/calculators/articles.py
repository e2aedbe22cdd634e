"""Article texts of the shipped law JSON files, for verbatim quotes.

``ArticleIndex.load(root)`` reads every law file under ``root`` (files with ``title_zh`` and
``articles``); ``index.quote(title, no, needle)`` returns a :class:`QuotedCitation` and raises
:class:`QuoteNotFoundError` when ``needle`` is not a verbatim substring of that article.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from core.citation import article_label, article_lines, line_at
from knowledge.shipped import SHIPPED_SOURCES

from .models import QuotedCitation


class QuoteNotFoundError(LookupError):
    """The cited article does not exist, or the quote is not verbatim in it."""


@dataclass(frozen=True)
class LawText:
    title: str
    amended: str | None
    unit: str
    articles: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)  # identity equality: an index keys the caches of the rule tables
class ArticleIndex:
    laws: dict[str, LawText]

    @classmethod
    def load(cls, root: Path = SHIPPED_SOURCES) -> ArticleIndex:
        return _load_cached(Path(root).resolve())

    def text(self, title: str, no: str) -> str:
        law = self.laws.get(title)
        if law is None:
            raise QuoteNotFoundError(f"知識庫中找不到法規「{title}」")
        art = law.articles.get(no)
        if art is None:
            raise QuoteNotFoundError(f"{title}{article_label(no, law.unit)}不存在於知識庫")
        return art

    def quote(self, title: str, no: str, needle: str) -> QuotedCitation:
        """QuotedCitation whose quote is ``needle``; raises if ``needle`` is not verbatim in the article."""
        body = self.text(title, no)
        if not needle or needle not in body:
            raise QuoteNotFoundError(
                f"引文非{title}{article_label(no, self.laws[title].unit)}之原文：{needle!r}")
        return QuotedCitation(title=title, no=no, quote=needle, amended=self.laws[title].amended)

    def label(self, citation: QuotedCitation) -> str:
        """Display form, e.g. 招標期限標準第9條第1項第2款 (項/款 located from the quote)."""
        law = self.laws[citation.title]
        base = f"{citation.title}{article_label(citation.no, law.unit)}"
        body = self.text(citation.title, citation.no)
        pos = body.find(citation.quote)
        line = line_at(body, pos) if pos >= 0 and "\n" not in citation.quote else None
        if line is None or law.unit != "article":
            return base
        out = base
        if any(ln.paragraph > 1 for ln in article_lines(body)):
            out += f"第{line.paragraph}項"
        if line.item is not None:
            out += f"第{line.item}款"
        return out


@lru_cache(maxsize=8)
def _load_cached(root: Path) -> ArticleIndex:
    if not root.exists():
        raise FileNotFoundError(f"找不到法規資料夾：{root}")
    laws: dict[str, LawText] = {}
    for path in sorted(root.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"法規檔案無法讀取：{path}（{exc}）") from exc
        if not isinstance(data, dict) or "title_zh" not in data or "articles" not in data:
            continue  # excerpts and other non-law files
        arts = {str(a["no"]): str(a.get("text") or "") for a in data["articles"]}
        laws[data["title_zh"]] = LawText(title=data["title_zh"], amended=data.get("last_amended"),
                                         unit=data.get("unit", "article"), articles=arts)
    if not laws:
        raise ValueError(f"法規資料夾中沒有法規檔案：{root}")
    return ArticleIndex(laws=laws)


def quote(title: str, no: str, needle: str, root: Path = SHIPPED_SOURCES) -> QuotedCitation:
    """Convenience wrapper over ``ArticleIndex.load(root).quote``."""
    return ArticleIndex.load(root).quote(title, no, needle)
