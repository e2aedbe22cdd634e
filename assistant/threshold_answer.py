"""A procurement threshold asked directly (「小額採購是多少錢以下？」「公告金額現在是多少？」「工程的查核金額是多少？」)
answered with the figure from the threshold table (knowledge/data/thresholds.json, in force on the day asked)
and the article that sets it, instead of quotes that name the threshold without its figure (issue 8 item 6).

The question must name a threshold (小額、公告金額、查核金額、巨額), ask for a figure (the answer type
``amount`` or ``definition``, or 多少／上限／門檻), and carry no amount of its own: a question with an amount is
a tier question (procurement_tier), and one that asks for a period or a bond is a calculation (the calculators); the tier intent without an
amount is this question.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import BaseModel

from assistant.answer_type import answer_types
from assistant.calculators import ThresholdTable
from assistant.calculators.articles import ArticleIndex
from assistant.calculators.models import QuotedCitation, ThresholdKind
from assistant.clarify import calc_intents
from assistant.nlu import Understanding
from core.money import short_twd
from core.vocab import CATEGORIES, Category

ACT = "政府採購法"
BELOW_RULES = "中央機關未達公告金額採購招標辦法"
LARGE_STD = "投標廠商資格與特殊或巨額採購認定標準"

# the threshold a question names; 「未達公告金額」 asks about the 公告金額 itself
_NAMED: list[tuple[ThresholdKind, re.Pattern[str]]] = [
    ("小額", re.compile(r"小額")),
    ("查核金額", re.compile(r"查核金額")),
    ("巨額", re.compile(r"巨額")),
    ("公告金額", re.compile(r"公告金額(?!十分之一)")),
]
_FIGURE = re.compile(r"多少|上限|門檻|幾萬|幾元|以下是|訂多少|定多少")
_FIGURE_KINDS = frozenset({"amount", "definition"})

# the article lines that set each threshold (verbatim; checked by ArticleIndex.quote)
_RULES: dict[ThresholdKind, list[tuple[str, str, str]]] = {
    "小額": [(ACT, "47", "小額採購之金額，在中央由主管機關定之；在地方由直轄市或縣（市）政府定之。但均不得逾公告金額十分之一。"),
             (BELOW_RULES, "5", "公告金額十分之一以下採購之招標，得不經公告程序，逕洽廠商採購，免提供報價或企劃書。")],
    "公告金額": [(ACT, "13", "公告金額應低於查核金額，由主管機關參酌國際標準定之。")],
    "查核金額": [(ACT, "12", "查核金額由主管機關定之。")],
    "巨額": [(LARGE_STD, "8", "採購金額在下列金額以上者，為巨額採購")],
}
_LARGE_ITEM = {"工程": "一、工程採購，為新台幣二億元。", "財物": "二、財物採購，為新台幣一億元。",
               "勞務": "三、勞務採購，為新台幣二千萬元。"}


class ThresholdAnswer(BaseModel):
    answer_zh: str
    citations: list[QuotedCitation]
    details: dict[str, Any]


def asked_threshold(u: Understanding) -> ThresholdKind | None:
    """The threshold a question asks the figure of, or None."""
    if u.amount is not None or u.amounts or calc_intents(u) - {"tier"}:
        return None
    kind = next((k for k, pat in _NAMED if pat.search(u.text)), None)
    if kind is None:
        return None
    if answer_types().classify(u.text) in _FIGURE_KINDS or _FIGURE.search(u.text):
        return kind
    return None


def threshold_calls(u: Understanding) -> list[tuple[str, dict[str, Any]]]:
    kind = asked_threshold(u)
    if kind is None:
        return []
    args: dict[str, Any] = {"kind": kind}
    if u.category and sum(c in u.text for c in CATEGORIES) <= 1:  # 「工程跟財物的查核金額」: every category
        args["category"] = u.category
    return [("procurement_threshold", args)]


def _figures(kind: ThresholdKind, cats: list[Category], on: date, table: ThresholdTable) -> str:
    if kind in ("小額", "公告金額"):  # one amount for every category
        e = table.get(kind, cats[0], on)
        if kind == "小額":
            return (f"中央機關小額採購為新臺幣{short_twd(e.amount)}以下（公告金額十分之一以下）；"
                    "地方由直轄市或縣（市）政府定之，地方未定者比照中央")
        return f"公告金額為新臺幣{short_twd(e.amount)}"
    parts = [f"{c}採購新臺幣{short_twd(table.get(kind, c, on).amount)}" for c in cats]
    return ("查核金額：" if kind == "查核金額" else "巨額採購（以上）：") + "、".join(parts)


def threshold_answer(kind: ThresholdKind, on: date, category: Category | None = None, *,
                     table: ThresholdTable | None = None, articles: ArticleIndex | None = None) -> ThresholdAnswer:
    """The figure of ``kind`` in force on ``on`` (per category when it differs), with the article that sets it."""
    table = table or ThresholdTable.load()
    articles = articles or ArticleIndex.load()
    cats: list[Category] = [category] if category else list(CATEGORIES)
    entries = [table.get(kind, c, on) for c in cats]
    cites = [articles.quote(t, n, q) for t, n, q in _RULES[kind]]
    if kind == "巨額":
        cites += [articles.quote(LARGE_STD, "8", _LARGE_ITEM[c]) for c in cats]
    text = f"{_figures(kind, cats, on, table)}（{on.isoformat()}適用之門檻）"
    return ThresholdAnswer(answer_zh=text, citations=cites,
                           details={"kind": kind, "on": on.isoformat(),
                                    "amounts": {c: e.amount for c, e in zip(cats, entries, strict=True)},
                                    "sources": sorted({e.source for e in entries})})
