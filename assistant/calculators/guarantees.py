"""Bid bond (押標金) and guarantees (保證金) under 政府採購法第30條 and 押標金保證金暨其他擔保作業辦法.

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

from datetime import date
from typing import Literal

from ._common import check_amount, check_category, check_date
from .amounts import short_twd
from .articles import ArticleIndex
from .models import (
    CalculatorError,
    Category,
    Citation,
    GuaranteeDetails,
    GuaranteeItem,
    GuaranteeResult,
    ReductionCap,
    Requirement,
)
from .thresholds import ThresholdTable
from .tier import procurement_tier

ACT = "政府採購法"
RULES = "押標金保證金暨其他擔保作業辦法"
BID_BOND_ABSOLUTE_CAP = 50_000_000  # 辦法第9條第2項但書「不得逾新臺幣五千萬元」

ROUNDING_ZH = "金額以新臺幣元為單位：上限一律無條件捨去至元（不得逾上限）；差額保證金為應繳金額，無條件進位至元。"


def percent_floor(amount: int, percent: int) -> int:
    """floor(amount * percent / 100) with integers only."""
    return amount * percent // 100


def price_difference_guarantee(total_bid: int, reference: int) -> int:
    """辦法第30條第1項第1款: 80% of ``reference`` (底價 or 評審委員會建議金額) minus ``total_bid``,
    rounded up; 0 when the bid is not below 80% of the reference."""
    diff_times_5 = 4 * reference - 5 * total_bid  # 5 * (0.8 * reference - total_bid)
    if diff_times_5 <= 0:
        return 0
    return -(-diff_times_5 // 5)


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
    if budget is None and estimated is None:
        raise CalculatorError("請提供預算金額或預估採購總額，才能計算押標金及保證金上限")
    notes: list[str] = []
    basis_label: Literal["預算金額", "預估採購總額"]
    if budget is not None:
        basis, basis_label = check_amount(budget, "預算金額", allow_zero=False), "預算金額"
        if estimated is not None:
            notes.append("同時提供預算金額與預估採購總額，本計算以預算金額為準。")
    else:
        basis, basis_label = check_amount(estimated, "預估採購總額", allow_zero=False), "預估採購總額"
    cat = check_category(category)
    day = check_date(on)
    articles = articles or ArticleIndex.load()
    q = articles.quote
    tier_res = procurement_tier(basis, cat, day, table=table, articles=articles)
    tier = tier_res.details.tier
    below = tier in ("small", "below_announcement")
    cites: list[Citation] = [q(ACT, "30", "機關辦理招標，應於招標文件中規定投標廠商須繳納押標金；得標廠商須繳納保證金或提供或併提供其他擔保。")]

    # --- requirement under 政府採購法第30條第1項 -----------------------------------------------------
    def requirement(for_bid_bond: bool) -> tuple[Requirement, str]:
        if cat == "勞務":
            cites.append(q(ACT, "30", "一、勞務採購，以免收押標金、保證金為原則。"))
            return "以免收取為原則", "政府採購法第30條第1項第1款：勞務採購，以免收押標金、保證金為原則"
        if below:
            cites.append(q(ACT, "30", "二、未達公告金額之工程、財物採購，得免收押標金、保證金。"))
            return "得免收取", "政府採購法第30條第1項第2款：未達公告金額之工程、財物採購，得免收"
        if for_bid_bond and negotiation:
            cites.append(q(ACT, "30", "三、以議價方式辦理之採購，得免收押標金。"))
            return "得免收取", "政府採購法第30條第1項第3款：以議價方式辦理之採購，得免收押標金"
        return "應收取", "政府採購法第30條第1項本文：應於招標文件中規定（除同項第4款情形外）"

    items: list[GuaranteeItem] = []

    # 押標金 (辦法第9條)
    req, req_rule = requirement(True)
    five = percent_floor(basis, 5)
    cap = min(five, BID_BOND_ABSOLUTE_CAP)
    cites += [q(RULES, "9", "前項一定金額，以不逾預算金額或預估採購總額之百分之五為原則；一定比率，以不逾標價之百分之五為原則。但不得逾新臺幣五千萬元。")]
    items.append(GuaranteeItem(
        kind="押標金", requirement=req, requirement_rule=req_rule,
        cap_fixed_amount=cap, cap_rate_percent=5,
        cap_rule=(f"一定金額以不逾{basis_label}之5%為原則（{short_twd(five)}），一定比率以不逾標價之5%為原則；"
                  f"但均不得逾新臺幣5,000萬元（押標金保證金暨其他擔保作業辦法第9條第2項）"),
        absolute_cap=BID_BOND_ABSOLUTE_CAP,
        possible_reductions=[
            _reduction("電子投標廠商減收押標金", "押標金保證金暨其他擔保作業辦法第9條之1", 10, cap),
            _reduction("優良廠商減收", "押標金保證金暨其他擔保作業辦法第33條之5", 50, cap),
            _reduction("全球化廠商減收（非條約協定採購）", "押標金保證金暨其他擔保作業辦法第33條之6", 30, cap)]))
    cites.append(q(RULES, "9-1", "其減收額度以不逾押標金金額之百分之十為限。"))
    cites.append(q(RULES, "33-5", "其額度以不逾原定應繳總額之百分之五十為限"))
    cites.append(q(RULES, "33-6", "其額度以不逾各原定應繳總額之百分之三十為限"))

    # 履約保證金 (辦法第15條)
    req, req_rule = requirement(False)
    ten = percent_floor(basis, 10)
    cites.append(q(RULES, "15", "前項一定金額，以不逾預算金額或預估採購總額之百分之十為原則；一定比率，以不逾契約金額之百分之十為原則。"))
    perf_reductions = [_reduction("優良廠商減收", "押標金保證金暨其他擔保作業辦法第33條之5", 50, ten),
                       _reduction("全球化廠商減收（非條約協定採購）", "押標金保證金暨其他擔保作業辦法第33條之6", 30, ten)]
    if below:
        perf_reductions.append(_reduction("以其他合格廠商之履約及賠償連帶保證代之（全額）",
                                          "押標金保證金暨其他擔保作業辦法第33條", 100, ten))
        cites.append(q(RULES, "33", "得以符合招標文件所定投標廠商資格條件之其他廠商之履約及賠償連帶保證代之。"))
    else:
        perf_reductions.append(_reduction("提出其他合格廠商之履約及賠償連帶保證而減收",
                                          "押標金保證金暨其他擔保作業辦法第33條之1", 50, ten))
        cites.append(q(RULES, "33-1", "其額度以不逾履約保證金或保固保證金額度之百分之五十為限。"))
    items.append(GuaranteeItem(
        kind="履約保證金", requirement=req, requirement_rule=req_rule,
        cap_fixed_amount=ten, cap_rate_percent=10,
        cap_rule=f"一定金額以不逾{basis_label}之10%為原則（{short_twd(ten)}），一定比率以不逾契約金額之10%為原則（押標金保證金暨其他擔保作業辦法第15條第2項）",
        possible_reductions=perf_reductions))
    if tier in ("audit", "large"):
        cites.append(q(RULES, "18", "查核金額以上之採購，應訂定十四日以上之合理期限。"))
        notes.append("查核金額以上之採購，履約保證金繳納期限應訂定14日以上（押標金保證金暨其他擔保作業辦法第18條第1項）。")

    # 保固保證金 (辦法第24條、第25條)
    req, req_rule = requirement(False)
    if req == "應收取":
        req, req_rule = "視招標文件規定", "押標金保證金暨其他擔保作業辦法第24條：機關得視案件性質及實際需要，於招標文件中規定"
        cites.append(q(RULES, "24", "機關得視案件性質及實際需要，於招標文件中規定得標廠商於履約標的完成驗收付款前應繳納保固保證金。"))
    three = percent_floor(basis, 3)
    cites.append(q(RULES, "25", "前項一定金額，以不逾預算金額或預估採購總金額之百分之三為原則；一定比率，以不逾契約金額之百分之三為原則。"))
    items.append(GuaranteeItem(
        kind="保固保證金", requirement=req, requirement_rule=req_rule,
        cap_fixed_amount=three, cap_rate_percent=3,
        cap_rule=f"一定金額以不逾{basis_label}之3%為原則（{short_twd(three)}），一定比率以不逾契約金額之3%為原則（押標金保證金暨其他擔保作業辦法第25條第2項）"))

    # 預付款還款保證 (辦法第21條)
    cites.append(q(RULES, "21", "並訂明廠商支領預付款前應先提供同額預付款還款保證。"))
    if advance_payment is not None:
        adv = check_amount(advance_payment, "預付款", allow_zero=False)
        items.append(GuaranteeItem(
            kind="預付款還款保證", requirement="應收取",
            requirement_rule="押標金保證金暨其他擔保作業辦法第21條第1項：支領預付款前應先提供同額預付款還款保證",
            amount=adv, amount_rule=f"與預付款同額：{short_twd(adv)}"))
    else:
        items.append(GuaranteeItem(
            kind="預付款還款保證", requirement="視招標文件規定",
            requirement_rule="押標金保證金暨其他擔保作業辦法第21條第1項：招標文件規定得支領預付款者，廠商應先提供同額預付款還款保證",
            amount_rule="與預付款同額"))

    # 差額保證金 (辦法第30條；政府採購法第58條)
    if total_bid is not None:
        bid = check_amount(total_bid, "總標價", allow_zero=False)
        if base_price is not None:
            ref, ref_label = check_amount(base_price, "底價", allow_zero=False), "底價"
        elif committee_recommended is not None:
            ref, ref_label = check_amount(committee_recommended, "評審委員會建議金額", allow_zero=False), \
                "評審委員會建議金額"
        else:
            raise CalculatorError("計算差額保證金須提供底價或評審委員會建議金額")
        diff = price_difference_guarantee(bid, ref)
        cites.append(q(RULES, "30", "一、總標價偏低者，擔保金額為總標價與底價之百分之八十之差額，或為總標價與本法第五十四條評審委員會建議金額之百分之八十之差額。"))
        cites.append(q(ACT, "58", "得限期通知該廠商提出說明或擔保"))
        if diff > 0:
            items.append(GuaranteeItem(
                kind="差額保證金", requirement="視招標文件規定",
                requirement_rule="押標金保證金暨其他擔保作業辦法第30條：廠商以差額保證金作為政府採購法第58條規定之擔保者",
                amount=diff,
                amount_rule=(f"{ref_label}{short_twd(ref)}之80%與總標價{short_twd(bid)}之差額：{short_twd(diff)}"
                             "（繳納期限應訂定5日以上，押標金保證金暨其他擔保作業辦法第30條第2項）")))
        else:
            items.append(GuaranteeItem(
                kind="差額保證金", requirement="不適用",
                requirement_rule=f"總標價未低於{ref_label}之80%，無差額可計",
                amount=0, amount_rule="總標價不低於80%，差額為0"))
            notes.append("總標價是否「偏低」由機關依政府採購法第58條認定；本計算僅依押標金保證金暨其他擔保作業辦法第30條計算差額。")

    bond = items[0]
    if bond.requirement == "應收取":
        answer = (f"新臺幣{short_twd(basis)}之{cat}採購應收押標金，以一定金額計者原則不逾{short_twd(bond.cap_fixed_amount or 0)}"
                  f"（{basis_label}5%，且不得逾5,000萬元）；履約保證金原則不逾{short_twd(ten)}、保固保證金原則不逾{short_twd(three)}")
    else:
        answer = (f"新臺幣{short_twd(basis)}之{cat}採購押標金{bond.requirement}（{bond.requirement_rule.split('：')[0]}）；"
                  f"如收取，押標金原則不逾{short_twd(bond.cap_fixed_amount or 0)}、履約保證金原則不逾{short_twd(ten)}、"
                  f"保固保證金原則不逾{short_twd(three)}")
    notes.append("押標金保證金暨其他擔保作業辦法第9條、第15條、第25條之百分比為「原則」上限；"
                 "押標金新臺幣5,000萬元為絕對上限。")
    notes.append("依市場交易慣例或採購案特性無收取必要或可能者，亦得免收（政府採購法第30條第1項第4款），由機關認定。")
    details = GuaranteeDetails(category=cat, on=day, basis_amount=basis, basis_label=basis_label,
                               tier=tier, tier_zh=tier_res.details.tier_zh, rounding=ROUNDING_ZH, items=items)
    return GuaranteeResult(answer_zh=answer, citations=_dedupe(cites), notes=notes, details=details)


def _reduction(name: str, article: str, percent: int, cap: int | None) -> ReductionCap:
    return ReductionCap(name=name, article=article, percent=percent,
                        max_amount=None if cap is None else percent_floor(cap, percent))


def _dedupe(cites: list[Citation]) -> list[Citation]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for c in cites:
        key = (c.title, c.no, c.quote)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out
