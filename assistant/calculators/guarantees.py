"""Bid bond (押標金) and guarantees (保證金) under 政府採購法第30條 and 押標金保證金暨其他擔保作業辦法.

The waivers, percentages, caps, 減收 and quotes are the rule table assistant/data/guarantee_rules.json
(guarantee_rules.py, checked at load); this module applies it in named steps: the basis amount, one item
per capped guarantee, the 預付款還款保證, the 差額保證金, then the answer.

Rule decisions (「辦法」 = 押標金保證金暨其他擔保作業辦法):
- Waivers are 政府採購法第30條第1項 (not 辦法第30條, which is 差額保證金): 勞務採購 以免收押標金、保證金為
  原則; 未達公告金額之工程、財物採購 得免收; 以議價方式辦理者 得免收押標金; 第4款 (market practice) is a
  judgment left to the agency and is only noted.
- Caps are whole NT$ and rounded down (floor): a cap must not be exceeded.
  押標金 (辦法第9條): fixed amount <= 5% of 預算金額或預估採購總額 (原則), rate <= 5% of 標價 (原則),
  and in any case not above NT$50,000,000 (但書, applies to both forms).
  履約保證金 (辦法第15條): <= 10% (原則). 保固保證金 (辦法第25條): <= 3% (原則).
- 預付款還款保證 (辦法第21條): 同額 = the advance payment.
- 差額保證金 (辦法第30條): 總標價偏低 -> 底價（或第54條評審委員會建議金額）之百分之八十 minus 總標價; it is a
  required amount, so a fractional result is rounded up (ceiling) to cover the difference in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from core.money import short_twd, twd_staff
from core.vocab import Category, TierCode

from ._common import check_amount, check_category, check_date
from .articles import ArticleIndex
from .guarantee_rules import CapRule, GuaranteeRules, WaiverCase, load_guarantee_rules
from .models import (
    CalculatorError,
    GuaranteeDetails,
    GuaranteeItem,
    GuaranteeResult,
    QuotedCitation,
    ReductionCap,
    Requirement,
)
from .rule_tables import Quote
from .thresholds import ThresholdTable
from .tier import procurement_tier

ROUNDING_ZH = "金額以新臺幣元為單位：上限一律無條件捨去至元（不得逾上限）；差額保證金為應繳金額，無條件進位至元。"

BasisLabel = Literal["預算金額", "預估採購總額"]


def percent_floor(amount: int, percent: int) -> int:
    """floor(amount * percent / 100) with integers only."""
    return amount * percent // 100


def price_difference_guarantee(total_bid: int, reference: int, percent: int = 80) -> int:
    """辦法第30條第1項第1款: ``percent`` (80) % of ``reference`` (底價 or 評審委員會建議金額) minus
    ``total_bid``, rounded up; 0 when the bid is not below that share of the reference."""
    diff_times_100 = percent * reference - 100 * total_bid
    if diff_times_100 <= 0:
        return 0
    return -(-diff_times_100 // 100)


@dataclass
class _Case:
    """One procurement being assessed: its facts, and the citations and notes gathered so far."""

    rules: GuaranteeRules
    articles: ArticleIndex
    category: Category
    tier: TierCode
    negotiation: bool
    basis: int
    basis_label: BasisLabel
    notes: list[str]
    cites: list[QuotedCitation] = field(default_factory=list)

    def cite(self, *quotes: Quote) -> None:
        self.cites.extend(q.cite(self.articles, self.rules.law) for q in quotes)

    def waived(self, when: WaiverCase) -> bool:
        below = self.tier in ("small", "below_announcement")
        return {"service": self.category == "勞務", "below_announcement": below,
                "negotiation": self.negotiation}[when]

    def requirement(self, kind: str) -> tuple[Requirement, str]:
        """The first waiver of 政府採購法第30條第1項 that applies to ``kind``, else the duty."""
        for w in self.rules.waivers:
            if (kind == "押標金" or not w.bid_bond_only) and self.waived(w.when):
                self.cite(w.quote)
                return w.requirement, w.rule
        return self.rules.duty.requirement, self.rules.duty.rule


def bid_bond_and_guarantees(
    budget: int | str | None,
    estimated: int | str | None,
    category: Category,
    on: date,
    *,
    negotiation: bool = False,
    advance_payment: int | str | None = None,
    total_bid: int | str | None = None,
    base_price: int | str | None = None,
    committee_recommended: int | str | None = None,
    table: ThresholdTable | None = None,
    articles: ArticleIndex | None = None,
) -> GuaranteeResult:
    """Whether 押標金/保證金 are required and their caps for a procurement of ``budget`` (預算金額) or,
    when no budget is given, ``estimated`` (預估採購總額). ``negotiation``: 以議價方式辦理.
    ``advance_payment`` gives the 預付款還款保證; ``total_bid`` with ``base_price`` (or
    ``committee_recommended``) gives the 差額保證金."""
    notes: list[str] = []
    basis, basis_label = _basis(budget, estimated, notes)
    cat = check_category(category)
    day = check_date(on)
    articles = articles or ArticleIndex.load()
    rules = load_guarantee_rules(articles)
    tier_res = procurement_tier(basis, cat, day, table=table, articles=articles)
    case = _Case(rules, articles, cat, tier_res.details.tier, negotiation, basis, basis_label, notes)
    case.cite(rules.duty.quote)
    items = [_cap_item(case, cap) for cap in rules.caps]
    items.append(_advance_payment_item(case, advance_payment))
    difference = _price_difference_item(case, total_bid, base_price, committee_recommended)
    if difference is not None:
        items.append(difference)
    answer = _answer(case, items)
    notes.extend(rules.closing_notes)
    details = GuaranteeDetails(category=cat, on=day, basis_amount=basis, basis_label=basis_label,
                               tier=case.tier, tier_zh=tier_res.details.tier_zh, rounding=ROUNDING_ZH, items=items)
    return GuaranteeResult(answer_zh=answer, citations=_dedupe(case.cites), notes=notes, details=details)


def _basis(budget: int | str | None, estimated: int | str | None, notes: list[str]) -> tuple[int, BasisLabel]:
    """The amount the caps are a share of: the budget, else the estimate."""
    if budget is None and estimated is None:
        raise CalculatorError("請提供預算金額或預估採購總額，才能計算押標金及保證金上限")
    if budget is None:
        return check_amount(estimated, "預估採購總額", allow_zero=False), "預估採購總額"
    basis = check_amount(budget, "預算金額", allow_zero=False)
    if estimated is not None:
        notes.append("同時提供預算金額與預估採購總額，本計算以預算金額為準。")
    return basis, "預算金額"


def _cap_item(case: _Case, cap: CapRule) -> GuaranteeItem:
    """A capped guarantee: whether it is required, its cap (floored to the NT$) and its 減收."""
    req, req_rule = case.requirement(cap.kind)
    if cap.discretionary is not None and req == case.rules.duty.requirement:
        req, req_rule = cap.discretionary.requirement, cap.discretionary.rule
        case.cite(cap.discretionary.quote)
    share = percent_floor(case.basis, cap.percent)
    fixed = share if cap.absolute_cap is None else min(share, cap.absolute_cap)
    case.cite(cap.quote)
    reductions = []
    for r in cap.reductions:
        if r.tiers is None or case.tier in r.tiers:
            reductions.append(ReductionCap(name=r.name, article=r.source, percent=r.percent,
                                           max_amount=percent_floor(fixed, r.percent)))
            case.cite(r.quote)
    if cap.deadline is not None and case.tier in cap.deadline.tiers:
        case.cite(cap.deadline.quote)
        case.notes.append(cap.deadline.note)
    cap_rule = (f"一定金額以不逾{case.basis_label}之{cap.percent}%為原則（{short_twd(share)}），"
                f"一定比率以不逾{cap.rate_base}之{cap.percent}%為原則{cap.absolute_cap_text}（{cap.source}）")
    return GuaranteeItem(kind=cap.kind, requirement=req, requirement_rule=req_rule, cap_fixed_amount=fixed,
                         cap_rate_percent=cap.percent, cap_rule=cap_rule, absolute_cap=cap.absolute_cap,
                         possible_reductions=reductions)


def _advance_payment_item(case: _Case, advance_payment: int | str | None) -> GuaranteeItem:
    """預付款還款保證: the same amount as the advance payment (辦法第21條)."""
    rule = case.rules.advance_payment
    case.cite(rule.quote)
    if advance_payment is None:
        return GuaranteeItem(kind="預付款還款保證", requirement="視招標文件規定", requirement_rule=rule.rule_default,
                             amount_rule="與預付款同額")
    adv = check_amount(advance_payment, "預付款", allow_zero=False)
    return GuaranteeItem(kind="預付款還款保證", requirement="應收取", requirement_rule=rule.rule_given,
                         amount=adv, amount_rule=f"與預付款同額：{short_twd(adv)}")


def _price_difference_item(case: _Case, total_bid: int | str | None, base_price: int | str | None,
                           committee_recommended: int | str | None) -> GuaranteeItem | None:
    """差額保證金 (辦法第30條；政府採購法第58條), when a total bid is given."""
    if total_bid is None:
        return None
    bid = check_amount(total_bid, "總標價", allow_zero=False)
    if base_price is not None:
        ref, ref_label = check_amount(base_price, "底價", allow_zero=False), "底價"
    elif committee_recommended is not None:
        ref = check_amount(committee_recommended, "評審委員會建議金額", allow_zero=False)
        ref_label = "評審委員會建議金額"
    else:
        raise CalculatorError("計算差額保證金須提供底價或評審委員會建議金額")
    rule = case.rules.price_difference
    diff = price_difference_guarantee(bid, ref, rule.percent)
    case.cite(*rule.quotes)
    if diff > 0:
        return GuaranteeItem(
            kind="差額保證金", requirement="視招標文件規定", requirement_rule=rule.rule, amount=diff,
            amount_rule=(f"{ref_label}{short_twd(ref)}之{rule.percent}%與總標價{short_twd(bid)}之差額："
                         f"{short_twd(diff)}（{rule.deadline_text}）"))
    case.notes.append(rule.not_low_note)
    return GuaranteeItem(kind="差額保證金", requirement="不適用",
                         requirement_rule=f"總標價未低於{ref_label}之{rule.percent}%，無差額可計",
                         amount=0, amount_rule=f"總標價不低於{rule.percent}%，差額為0")


def _answer(case: _Case, items: list[GuaranteeItem]) -> str:
    bond, performance, warranty = items[:3]
    head = f"新臺幣{short_twd(case.basis)}之{case.category}採購"
    bond_cap = twd_staff(bond.cap_fixed_amount or 0)
    perf_cap, warranty_cap = twd_staff(performance.cap_fixed_amount or 0), twd_staff(warranty.cap_fixed_amount or 0)
    if bond.requirement == "應收取":
        return (f"{head}應收押標金，以一定金額計者原則不逾{bond_cap}（{case.basis_label}5%，且不得逾5,000萬元）；"
                f"履約保證金原則不逾{perf_cap}、保固保證金原則不逾{warranty_cap}")
    return (f"{head}押標金{bond.requirement}（{bond.requirement_rule.split('：')[0]}）；"
            f"如收取，押標金原則不逾{bond_cap}、履約保證金原則不逾{perf_cap}、保固保證金原則不逾{warranty_cap}")


def reductions_zh(result: GuaranteeResult, kinds: list[str]) -> str:
    """The 減收 of the named guarantees with their largest amounts, as staff ask them (「電子投標可以減收
    多少」): 「押標金減收上限：電子投標廠商減收押標金不逾3萬元（辦法第9條之1）、…」; '' when none applies."""
    parts = []
    for item in result.details.items:
        if item.kind not in kinds or not item.possible_reductions:
            continue
        each = "、".join(
            f"{r.name}不逾{twd_staff(r.max_amount or 0)}（{r.article.replace('押標金保證金暨其他擔保作業', '')}）"
            for r in item.possible_reductions)
        parts.append(f"{item.kind}減收上限：{each}")
    return "；".join(parts)


def _dedupe(cites: list[QuotedCitation]) -> list[QuotedCitation]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for c in cites:
        key = (c.title, c.no, c.quote)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out
