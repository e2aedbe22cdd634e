"""Shared state of one 投標須知 draft: the case, the calculators' results, and what is missing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assistant.calculators import (
    ArticleIndex,
    CalculatorError,
    GuaranteeResult,
    QuotedCitation,
    TenderPeriodResult,
    ThresholdTable,
    TierResult,
    bid_bond_and_guarantees,
    procurement_tier,
    tender_period,
)
from assistant.calculators.models import GuaranteeItem
from assistant.calculators.tender_period import Method as PeriodMethod
from core.text import to_halfwidth
from core.vocab import CATEGORIES, Category, TierCode

from .case import CaseInput
from .models import pending

ACT = "政府採購法"
RULES = "政府採購法施行細則"
BOND_RULES = "押標金保證金暨其他擔保作業辦法"
PERIOD_STD = "招標期限標準"
INSPECTION = "政府採購招標文件公開閱覽制度實施要點"

TIER_OPTION: dict[TierCode, str] = {"small": "(1)", "below_announcement": "(2)", "announcement": "(3)",
                                    "audit": "(4)", "large": "(5)"}
WEEKDAY_ZH = "一二三四五六日"


@dataclass
class Context:
    case: CaseInput
    on: date
    articles: ArticleIndex
    thresholds: ThresholdTable | None = None  # None: the shipped table
    tier: TierResult | None = None
    period: TenderPeriodResult | None = None
    bonds: GuaranteeResult | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    citations: list[QuotedCitation] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    # --- helpers ----------------------------------------------------------------------------------
    def cite(self, title: str, no: str, quote: str) -> str:
        """Record a verbatim citation and return its display label (e.g. 政府採購法第30條)."""
        c = self.articles.quote(title, no, quote)
        if c not in self.citations:
            self.citations.append(c)
        return self.articles.label(c)

    def need(self, name: str) -> str:
        if name not in self.missing:
            self.missing.append(name)
        return pending(name)

    @property
    def tier_code(self) -> TierCode | None:
        return self.tier.details.tier if self.tier else None

    @property
    def below(self) -> bool | None:
        t = self.tier_code
        return None if t is None else t in ("small", "below_announcement")

    @property
    def open_like(self) -> bool:
        return self.case.method in ("公開招標", "選擇性招標", "公開取得書面報價") or (
            self.case.method == "限制性招標"
            and (self.case.restricted_mode == "公開評選" or self.case.restricted_item in (9, 10, 11)))

    @property
    def quote_method(self) -> bool:
        return self.case.method == "公開取得書面報價"

    @property
    def deadline_label(self) -> str:
        return "截止收件日期" if self.quote_method else "截止投標日期"

    def bond_item(self, kind: str) -> GuaranteeItem | None:
        if self.bonds is None:
            return None
        return next(i for i in self.bonds.details.items if i.kind == kind)


# --- calculators ------------------------------------------------------------------------------------
def _period_method(case: CaseInput) -> PeriodMethod | None:
    m = case.method
    if m == "公開招標":
        return "公開招標"
    if m == "選擇性招標":
        return "選擇性招標資格審查"
    if m == "公開取得書面報價":
        return "公開取得書面報價或企劃書(第49條)"
    if m == "限制性招標":
        if case.restricted_item in (9, 10) or case.restricted_mode == "公開評選":
            return "限制性招標公開評選"
        if case.restricted_item == 11:
            return "公開徵求(第22條第1項第11款)"
        return "限制性招標(未經公開評選)"
    return None


def _tool(ctx: Context, name: str, args: dict[str, Any], result: Any) -> None:
    ctx.tool_calls.append({"name": name, "args": args, "result": result.model_dump(mode="json")})
    for c in result.citations:
        if c not in ctx.citations:
            ctx.citations.append(c)


def run_calculators(ctx: Context) -> None:
    case, on = ctx.case, ctx.on
    amount = case.tier_amount
    if amount is not None and amount > 0:
        cats: tuple[Category, ...] = (case.category,) if case.category else CATEGORIES
        results = [procurement_tier(amount, cat, on, table=ctx.thresholds, articles=ctx.articles) for cat in cats]
        if len({r.details.tier for r in results}) == 1:
            ctx.tier = results[0]
            _tool(ctx, "procurement_tier", {"amount": amount, "category": results[0].details.category,
                                            "on": on.isoformat()}, results[0])
    method = _period_method(case)
    if ctx.tier is not None and method is not None:
        category = case.category or ctx.tier.details.category
        ctx.period = tender_period(
            ctx.tier.details.tier, method, category, on, electronic_download=bool(case.electronic_download),
            electronic_bid=bool(case.electronic_bid), public_inspection=bool(case.public_inspection),
            publication_date=case.announced_on, table=ctx.thresholds, articles=ctx.articles)
        args: dict[str, Any] = {
            "amount_or_tier": ctx.tier.details.tier, "method": method, "category": category, "on": on.isoformat(),
            "electronic_download": bool(case.electronic_download), "electronic_bid": bool(case.electronic_bid),
            "public_inspection": bool(case.public_inspection),
            "publication_date": case.announced_on.isoformat() if case.announced_on else None}
        _tool(ctx, "tender_period", args, ctx.period)
    if case.category and (case.budget or case.procurement_amount):
        try:
            ctx.bonds = bid_bond_and_guarantees(
                case.budget or None, case.procurement_amount if not case.budget else None, case.category, on,
                negotiation=case.restricted_mode == "議價", table=ctx.thresholds, articles=ctx.articles)
        except CalculatorError as exc:
            ctx.warnings.append(f"押標金及保證金無法計算：{exc}")
        else:
            _tool(ctx, "bid_bond_and_guarantees",
                  {"budget": case.budget, "estimated": case.procurement_amount if not case.budget else None,
                   "category": case.category, "on": on.isoformat(),
                   "negotiation": case.restricted_mode == "議價"}, ctx.bonds)


def is_taichung(agency: str | None) -> bool:
    return bool(agency) and to_halfwidth(agency or "").replace("台中", "臺中").startswith("臺中市")


def bid_bond_charged(ctx: Context) -> bool | None:
    """True: bond charged; False: waived; None: undecided."""
    case = ctx.case
    if case.bid_bond:
        return True
    if case.bid_bond_waiver or case.bid_bond == 0:
        return False
    if case.category == "勞務":
        return False  # 政府採購法第30條第1項第1款: 以免收為原則
    return None


def perf_bond_charged(ctx: Context) -> bool | None:
    case = ctx.case
    if case.performance_bond:
        return True
    if case.performance_bond_waiver or case.performance_bond == 0:
        return False
    if case.category == "勞務":
        return False
    return None
