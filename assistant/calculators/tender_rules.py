"""The rule table of 招標期限標準 (assistant/data/tender_period_rules.json), typed and checked at load.

The table holds, each with its article: the base minimum per tier (第2條第2項, 第3條第2項) and per method
(第2條第3項, 第3條第3項, 第4條, 第5條, 第6條), the 第9條 reductions in item order with their floors, the
第4條之1 urgent floor, the 第8條 re-tendering floors, the 第10條 cases, the treaty exception and the 第11條
counting quotes. :func:`load_tender_rules` rejects a table with a missing method, tier or case, floors out
of order, or a quote that is not verbatim in the cited article (:class:`RuleTableError`).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, PositiveInt

from core.vocab import TIER_ORDER, TierCode

from .articles import ArticleIndex
from .rule_tables import DATA_DIR, Quote, Rule, RuleTableError, Sourced, load_table

TENDER_RULES_PATH = DATA_DIR / "tender_period_rules.json"

Method = Literal[
    "公開招標",
    "選擇性招標資格審查",
    "選擇性招標邀標",
    "限制性招標公開評選",
    "公開徵求(第22條第1項第11款)",
    "公開取得書面報價或企劃書(第49條)",
    "限制性招標(未經公開評選)",
    "分段開標後續階段邀標(第42條第2項)",
]
METHODS: tuple[str, ...] = get_args(Method)

Retender = Literal["取消或暫停後6個月內重行或續行招標", "流標廢標撤銷決標或解除契約後3個月內重行招標"]
RETENDERS: tuple[str, ...] = get_args(Retender)

ReductionFlag = Literal["public_inspection", "electronic_download", "electronic_bid"]


class TierItem(Rule):
    days: PositiveInt
    item: PositiveInt
    quote: str


class TierTable(Sourced):
    """A 款 list of minimum days by tier (the 項 that ``source`` names)."""

    intro: Quote
    tiers: dict[TierCode, TierItem]


class BaseRule(Rule):
    """The base minimum of a method: a tier table, or fixed ``days`` with its ``rule`` label."""

    table: str | None = None
    days: PositiveInt | None = None
    rule: str | None = None
    rule_suffix: str = ""
    quotes: list[Quote] = []


class AgencyRule(Rule):
    """A period the standard leaves to the agency (or to a treaty): no number is computed."""

    answer: str
    rule: str
    quotes: list[Quote]


class MethodRule(Rule):
    method: Method
    reason: str = Field(min_length=1)
    label: str | None = None
    start_label: str = "公告日"
    base: BaseRule | None = None
    second_or_later: BaseRule | None = None
    agency: AgencyRule | None = None
    tiers: list[TierCode] | None = None
    tiers_note: str | None = None
    notes: list[str] = []
    article9: bool
    urgent: bool
    opening_time: bool
    minimum_only_note: bool


class Article9Reduction(Sourced):
    when: ReductionFlag
    name: str
    days: PositiveInt
    floor: PositiveInt
    quote: Quote


class UrgentRule(Sourced):
    name: str
    floor: PositiveInt
    quote: Quote
    below_note: str
    method_note: str


class RetenderRule(Sourced):
    name: str
    floor_below_announcement: PositiveInt
    floor_announcement: PositiveInt
    quote: Quote
    cases: dict[Retender, list[Quote]]
    note: str


class Article10Rule(Sourced):
    intro: Quote
    items: dict[int, str]


class TreatyRule(Sourced, AgencyRule):
    pass


class CountingRule(Sourced):
    quotes: list[Quote]
    opening_time_quote: Quote
    opening_time_step: str


class TenderPeriodRules(Rule):
    law: str
    tier_tables: dict[str, TierTable]
    methods: list[MethodRule]
    article9: list[Article9Reduction]
    urgent: UrgentRule
    retender: RetenderRule
    article10: Article10Rule
    treaty: TreatyRule
    counting: CountingRule
    minimum_only_note: str
    closing_note: str

    def method(self, method: str) -> MethodRule:
        return next(m for m in self.methods if m.method == method)

    def base_of(self, rule: MethodRule, second_or_later: bool) -> BaseRule:
        """The base rule that applies (a method with a base; see :func:`check_tender_rules`)."""
        base = rule.second_or_later if second_or_later and rule.second_or_later else rule.base
        if base is None:  # excluded by check_tender_rules
            raise RuleTableError(f"{rule.method}：無 base 規則")
        return base


def check_tender_rules(rules: TenderPeriodRules) -> Iterator[str]:
    """Consistency problems of the table (empty when it is sound)."""
    for name, table in rules.tier_tables.items():
        yield from _check_tier_table(name, table)
    names: list[str] = [m.method for m in rules.methods]
    for method in METHODS:
        if names.count(method) != 1:
            yield f"招標方式「{method}」須恰有一條規則，目前 {names.count(method)} 條"
    for m in rules.methods:
        yield from _check_method(m, rules)
    yield from _check_reductions(rules)


def _check_tier_table(name: str, table: TierTable) -> Iterator[str]:
    missing = [t for t in TIER_ORDER if t not in table.tiers]
    if missing:
        yield f"tier_tables.{name} 缺少級距：{'、'.join(missing)}"
        return
    days = [table.tiers[t].days for t in TIER_ORDER]
    if days != sorted(days):
        yield f"tier_tables.{name} 之日數須隨級距遞增：{days}"


def _check_reductions(rules: TenderPeriodRules) -> Iterator[str]:
    flags = [r.when for r in rules.article9]
    if sorted(flags) != sorted(get_args(ReductionFlag)):
        yield f"第9條縮短事由須各有一條：{flags}"
    floors = [r.floor for r in rules.article9]
    if floors != sorted(floors, reverse=True):
        yield "第9條縮短事由須依下限由高至低排列（依款次）"
    if rules.retender.floor_below_announcement > rules.retender.floor_announcement:
        yield "重行招標之未達公告金額下限不得高於公告金額以上下限"
    if sorted(rules.retender.cases) != sorted(RETENDERS):
        yield f"重行招標情形須為：{'、'.join(RETENDERS)}"
    if not rules.article10.items:
        yield "第10條須列出各款"


def _check_method(m: MethodRule, rules: TenderPeriodRules) -> Iterator[str]:
    if (m.agency is None) == (m.base is None):
        yield f"{m.method}：須恰有 base 或 agency 其一"
    if m.base is not None and m.label is None:
        yield f"{m.method}：有 base 者須有 label"
    for base in (m.base, m.second_or_later):
        if base is None:
            continue
        if (base.table is None) == (base.days is None):
            yield f"{m.method}：base 須恰有 table 或 days 其一"
        if base.table is not None and base.table not in rules.tier_tables:
            yield f"{m.method}：未知之 tier table「{base.table}」"
        if base.days is not None and not base.rule:
            yield f"{m.method}：固定日數之 base 須有 rule"
    if (m.tiers is None) != (m.tiers_note is None):
        yield f"{m.method}：tiers 與 tiers_note 須同時提供"


def _tender_quotes(rules: TenderPeriodRules) -> Iterator[tuple[str, Quote]]:
    law = rules.law
    for table in rules.tier_tables.values():
        yield law, table.intro
        for item in table.tiers.values():
            yield law, Quote(no=table.intro.no, text=item.quote)
    for m in rules.methods:
        for part in (m.base, m.second_or_later, m.agency):
            for q in part.quotes if part is not None else []:
                yield law, q
    yield from ((law, r.quote) for r in rules.article9)
    yield law, rules.urgent.quote
    yield law, rules.retender.quote
    for quotes in rules.retender.cases.values():
        yield from ((law, q) for q in quotes)
    yield law, rules.article10.intro
    for text in rules.article10.items.values():
        yield law, Quote(no=rules.article10.intro.no, text=text)
    yield from ((law, q) for q in rules.treaty.quotes)
    yield from ((law, q) for q in rules.counting.quotes)
    yield law, rules.counting.opening_time_quote


@lru_cache(maxsize=8)
def load_tender_rules(articles: ArticleIndex, path: Path = TENDER_RULES_PATH) -> TenderPeriodRules:
    """The validated table at ``path``, its quotes checked against ``articles``."""
    return load_table(path, TenderPeriodRules, check_tender_rules, _tender_quotes, articles)
