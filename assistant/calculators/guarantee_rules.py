"""The rule table of 押標金 and 保證金 (assistant/data/guarantee_rules.json), typed and checked at load.

The table holds, each with its article and a reason: the duty and the waivers of 政府採購法第30條第1項 in the
order they are tried, the caps of 押標金 (辦法第9條), 履約保證金 (第15條) and 保固保證金 (第25條) with their
減收 (第9條之1, 第33條, 第33條之1, 第33條之5, 第33條之6), the 預付款還款保證 (第21條) and the 差額保證金
(第30條). :func:`load_guarantee_rules` rejects a table with a kind missing or repeated, a percentage out of
range or a quote that is not verbatim in the cited article (:class:`RuleTableError`).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import Field, PositiveInt

from core.vocab import TierCode

from .articles import ArticleIndex
from .models import Requirement
from .rule_tables import DATA_DIR, Quote, Rule, Sourced, load_table

GUARANTEE_RULES_PATH = DATA_DIR / "guarantee_rules.json"

CapKind = Literal["押標金", "履約保證金", "保固保證金"]
WaiverCase = Literal["service", "below_announcement", "negotiation"]
Percent = Annotated[int, Field(gt=0, le=100)]


class RequirementRule(Sourced):
    """Whether a guarantee is required, with the rule that says so."""

    requirement: Requirement
    rule: str
    quote: Quote


class Waiver(RequirementRule):
    """A case of 政府採購法第30條第1項 that lifts the duty; ``bid_bond_only`` for 押標金 alone."""

    when: WaiverCase
    bid_bond_only: bool


class CapReduction(Sourced):
    """A 減收 the agency may allow, as a percentage of the computed cap, in the given tiers."""

    name: str
    percent: Percent
    tiers: list[TierCode] | None = None
    quote: Quote


class TierRule(Sourced):
    tiers: list[TierCode]
    quote: Quote
    note: str


class CapRule(Sourced):
    """A guarantee whose fixed amount is at most ``percent`` of the budget (原則)."""

    kind: CapKind
    percent: Percent
    rate_base: str
    absolute_cap: PositiveInt | None = None
    absolute_cap_text: str = ""
    quote: Quote
    reductions: list[CapReduction]
    deadline: TierRule | None = None
    discretionary: RequirementRule | None = None


class AdvancePaymentRule(Sourced):
    quote: Quote
    rule_given: str
    rule_default: str


class PriceDifferenceRule(Sourced):
    percent: Percent
    rule: str
    deadline_text: str
    quotes: list[Quote]
    not_low_note: str


class GuaranteeRules(Rule):
    law: str
    duty: RequirementRule
    waivers: list[Waiver]
    caps: list[CapRule]
    advance_payment: AdvancePaymentRule
    price_difference: PriceDifferenceRule
    closing_notes: list[str]


def check_guarantee_rules(rules: GuaranteeRules) -> Iterator[str]:
    """Consistency problems of the table (empty when it is sound)."""
    kinds = [c.kind for c in rules.caps]
    if kinds != list(get_args(CapKind)):
        yield f"caps 須依序為{'、'.join(get_args(CapKind))}各一條，目前：{kinds}"
    cases = [w.when for w in rules.waivers]
    if sorted(cases) != sorted(get_args(WaiverCase)):
        yield f"waivers 須各有一條：{'、'.join(get_args(WaiverCase))}，目前：{cases}"
    if rules.duty.requirement != "應收取":
        yield "duty 之 requirement 須為「應收取」"
    for cap in rules.caps:
        if (cap.absolute_cap is None) != (not cap.absolute_cap_text):
            yield f"{cap.kind}：absolute_cap 與 absolute_cap_text 須同時提供"
        names = [r.name for r in cap.reductions]
        if len(set(names)) != len(names):
            yield f"{cap.kind}：減收項目重複"


def _guarantee_quotes(rules: GuaranteeRules) -> Iterator[tuple[str, Quote]]:
    law = rules.law
    yield law, rules.duty.quote
    yield from ((law, w.quote) for w in rules.waivers)
    for cap in rules.caps:
        yield law, cap.quote
        yield from ((law, r.quote) for r in cap.reductions)
        for extra in (cap.deadline, cap.discretionary):
            if extra is not None:
                yield law, extra.quote
    yield law, rules.advance_payment.quote
    yield from ((law, q) for q in rules.price_difference.quotes)


@lru_cache(maxsize=8)
def load_guarantee_rules(articles: ArticleIndex, path: Path = GUARANTEE_RULES_PATH) -> GuaranteeRules:
    """The validated table at ``path``, its quotes checked against ``articles``."""
    return load_table(path, GuaranteeRules, check_guarantee_rules, _guarantee_quotes, articles)
