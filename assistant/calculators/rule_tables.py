"""Shared pieces of the calculators' rule tables (assistant/data/*_rules.json).

A rule table is a JSON file parsed into frozen pydantic models (unknown keys are an error), checked for
consistency by its own module, and checked against the law texts: every quote must be verbatim in the
article it names. :func:`load_table` reports every problem of a table at once in one
:class:`RuleTableError` that names the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .articles import ArticleIndex, QuoteNotFoundError
from .models import QuotedCitation

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


class RuleTableError(ValueError):
    """A rule table is malformed, inconsistent or quotes a text that is not in the cited article."""


class Rule(BaseModel):
    """Base of every table model: frozen, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Quote(Rule):
    """A verbatim passage of article ``no`` of ``title`` (the table's law when ``title`` is empty)."""

    title: str = ""
    no: str
    text: str

    @field_validator("no", "text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    def cite(self, articles: ArticleIndex, law: str) -> QuotedCitation:
        return articles.quote(self.title or law, self.no, self.text)


class Sourced(Rule):
    """An entry that names the article it comes from and says why it is there."""

    source: str
    reason: str

    @field_validator("source", "reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


Table = TypeVar("Table", bound=BaseModel)


def load_table(path: Path, model: type[Table], check: Callable[[Table], Iterable[str]],
               quotes: Callable[[Table], Iterable[tuple[str, Quote]]], articles: ArticleIndex) -> Table:
    """Parse ``path`` as ``model``, then collect the problems ``check`` finds and every quote (given as
    ``(law, quote)``) that is not verbatim in ``articles``; raise one :class:`RuleTableError` listing them."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuleTableError(f"規則表無法讀取：{path}（{exc}）") from exc
    if isinstance(raw, dict):
        raw.pop("_about", None)
    try:
        table = model.model_validate(raw)
    except ValidationError as exc:
        raise RuleTableError(f"規則表格式錯誤：{path}\n{exc}") from exc
    problems = list(check(table))
    for law, q in quotes(table):
        try:
            q.cite(articles, law)
        except QuoteNotFoundError as exc:
            problems.append(str(exc))
    if problems:
        raise RuleTableError(f"規則表有誤：{path}\n" + "\n".join(f"- {p}" for p in problems))
    return table
