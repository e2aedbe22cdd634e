"""投標須知 draft: the PCC 投標須知範本 (115.7.27) walked point by point and completed from a case.

For every point of the form the draft either
- keeps the printed text (points without choices or blanks),
- fills it from the case (標案名稱, 預算金額, 開標時間 …) and ticks the options the case decides
  (■ chosen, □ not chosen; unchosen options are kept, as on the official form), or
- leaves every option □ and lists 「第N點：…（待機關勾選）」 in ``missing_fields`` when only the agency can
  decide (分批、統包、共同投標、底價 …).
A value the case lacks is written 「【待補：名稱】」 and listed in ``missing_fields``; nothing is guessed.
Two legal defaults are ticked with a visible reason: 勞務採購 without a bond amount gets 「無押標金／無履約
保證金之理由：勞務採購」 (政府採購法第30條第1項第1款「以免收押標金、保證金為原則」).

The case is checked with the exact calculators (tier, minimum tender period, bond caps) and the rules of
政府採購法第19條至第22條、第30條、第49條; findings go to ``warnings`` (each cites its article), reminders
that need no correction to ``notes``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

from assistant.calculators import (
    ArticleIndex,
    CalculatorError,
    Citation,
    GuaranteeResult,
    TenderPeriodResult,
    TierResult,
    bid_bond_and_guarantees,
    format_twd,
    procurement_tier,
    tender_period,
)
from assistant.calculators.models import TierCode
from assistant.calculators.tender_period import Method as PeriodMethod
from ingest.zh import to_halfwidth

from .case import CaseInput
from .models import CHOSEN, NOT_CHOSEN, DraftLine, DraftPoint, TenderDraft, pending
from .template import TemplatePoint, TenderTemplate

ACT = "政府採購法"
RULES = "政府採購法施行細則"
BOND_RULES = "押標金保證金暨其他擔保作業辦法"
PERIOD_STD = "招標期限標準"
INSPECTION = "政府採購招標文件公開閱覽制度實施要點"
MAT_RULES = "最有利標評選辦法"

TIER_OPTION: dict[TierCode, str] = {"small": "(1)", "below_announcement": "(2)", "announcement": "(3)",
                                    "audit": "(4)", "large": "(5)"}
CATEGORY_OPTION = {"工程": "(1)", "財物": "(2)", "勞務": "(3)"}
BOND_WAIVER_OPTION = {"勞務採購": "(1)", "未達公告金額之工程、財物採購": "(2)", "以議價方式辦理": "(3)",
                      "市場交易慣例或採購案特性": "(4)"}
PERF_WAIVER_OPTION = {"勞務採購": "(1)", "未達公告金額之工程、財物採購": "(2)", "市場交易慣例或採購案特性": "(3)"}
GOODS_NATURES = ("購買", "租賃", "定製", "兼具兩種以上性質者")

# Points whose options only the agency can decide, with a short topic for the 待補 list.
AGENCY_TOPICS: dict[str, str] = {
    "14": "是否分批辦理", "16": "條約協定之適用及外國廠商參與", "17": "是否以統包辦理", "18": "是否允許共同投標",
    "19": "投標文件遞送方式", "22": "是否允許開標前補正非契約必要之點", "23": "是否允許替代方案",
    "25": "投標文件份數", "26": "投標文件使用文字", "31": "是否分段開標", "57": "底價之訂定及公告",
    "60": "決標方式", "61": "無法決標時是否採行協商措施", "63": "採購法之適用有無例外", "80": "標價條件",
    "81": "標價幣別", "86": "決標後簽約方式", "87": "全份招標文件",
}
# Options a point may leave unticked because they apply only in some cases (not listed as 待補).
CONDITIONAL_POINTS = {"30", "38", "44", "69", "78", "79", "82", "85"}
# Points whose unlabeled lines are check-box choices on the official form.
CHOICE_LINE_POINTS = {"13", "31", "34", "41", "49", "64", "86", "87"}
# 第16點: the unlabeled lines that are check boxes on the form (the rest are headings and notes).
_P16_PREFIXES = ("世界貿易組織", "臺紐", "臺星", "其他(", "不可參與投標", "下列外國廠商", "採購法第43條", "採購法第17條",
                 "選項A", "選項B", "砂石", "木材")
_P16_TABLE_START = "遙控無人機資安檢測需求"
# Blanks the form lets the agency leave empty, or that belong to an option (handled with the option).
_OPTIONAL_MARKERS = ("免填", "非屬此等採購者", "無者免填", "不公告者免填", "未填列者")

_LABEL_RE = re.compile(r"^[(（]\s*(\d+(?:-\d+)*)\s*[)）]")
_WEEKDAY_ZH = "一二三四五六日"


def roc_date(d: date) -> str:
    return f"民國{d.year - 1911}年{d.month}月{d.day}日"


def roc_datetime(dt: datetime) -> str:
    half = "上午" if dt.hour < 12 else "下午"
    hour = dt.hour if dt.hour <= 12 else dt.hour - 12
    return f"{roc_date(dt.date())}{half}{hour}時{dt.minute:02d}分"


@dataclass
class _Plan:
    """What the draft does with one point."""

    chosen: set[str] = field(default_factory=set)
    chosen_lines: set[str] = field(default_factory=set)
    fills: list[tuple[str, str]] = field(default_factory=list)
    header_value: str | None = None
    notes: list[str] = field(default_factory=list)
    status: str = "fixed"
    missing: list[str] = field(default_factory=list)


@dataclass
class _Context:
    case: CaseInput
    on: date
    articles: ArticleIndex
    tier: TierResult | None = None
    period: TenderPeriodResult | None = None
    bonds: GuaranteeResult | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
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
            self.case.method == "限制性招標" and self.case.restricted_mode == "公開評選")

    @property
    def quote_method(self) -> bool:
        return self.case.method == "公開取得書面報價"

    @property
    def deadline_label(self) -> str:
        return "截止收件日期" if self.quote_method else "截止投標日期"

    def bond_item(self, kind: str) -> Any:
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


def _tool(ctx: _Context, name: str, args: dict[str, Any], result: Any) -> None:
    ctx.tool_calls.append({"name": name, "args": args, "result": result.model_dump(mode="json")})
    for c in result.citations:
        if c not in ctx.citations:
            ctx.citations.append(c)


def _run_calculators(ctx: _Context) -> None:
    case, on = ctx.case, ctx.on
    amount = case.tier_amount
    if amount is not None and amount > 0:
        cats = [case.category] if case.category else ["工程", "財物", "勞務"]
        results = [procurement_tier(amount, cat, on, articles=ctx.articles) for cat in cats]  # type: ignore[arg-type]
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
            publication_date=case.announced_on, articles=ctx.articles)
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
                negotiation=case.restricted_mode == "議價", articles=ctx.articles)
        except CalculatorError as exc:
            ctx.warnings.append(f"押標金及保證金無法計算：{exc}")
        else:
            _tool(ctx, "bid_bond_and_guarantees",
                  {"budget": case.budget, "estimated": case.procurement_amount if not case.budget else None,
                   "category": case.category, "on": on.isoformat(),
                   "negotiation": case.restricted_mode == "議價"}, ctx.bonds)


# --- validations (warnings cite their article) --------------------------------------------------------
def _validate(ctx: _Context) -> None:
    case = ctx.case
    w = ctx.warnings
    tier = ctx.tier_code
    # tier stated in the record vs computed
    if case.stated_tier and ctx.tier is not None:
        stated = case.stated_tier.replace("之採購", "").replace("採購", "")
        computed = ctx.tier.details.tier_name.replace("採購", "")
        if stated not in (computed, ctx.tier.details.tier_zh) and computed not in stated:
            lbl = ctx.cite(RULES, "6", "依採購金額於招標前認定之")
            w.append(f"紀錄所載採購金額級距「{case.stated_tier}」與依採購金額{format_twd(case.tier_amount or 0)}"
                     f"計算之「{ctx.tier.details.tier_zh}」不符（{lbl}），第4點依計算結果勾選，請確認。")
    # method vs tier
    if tier is not None and case.method:
        below = tier in ("small", "below_announcement")
        if case.method == "公開取得書面報價" and not below:
            lbl = ctx.cite(ACT, "49", "未達公告金額之採購，其金額逾公告金額十分之一者")
            lbl19 = ctx.cite(ACT, "19", "機關辦理公告金額以上之採購，除依第二十條及第二十二條辦理者外，應公開招標。")
            w.append(f"公開取得書面報價或企劃書限於未達公告金額之採購（{lbl}；範本第15點(4)），本案屬"
                     f"{ctx.tier.details.tier_zh if ctx.tier else ''}，應依{lbl19}公開招標。")
        if case.method == "公開取得書面報價" and tier == "small":
            ctx.notes.append("本案屬公告金額十分之一以下之小額採購，得不經公告程序逕洽廠商採購"
                             f"（{ctx.cite('中央機關未達公告金額採購招標辦法', '5', '公告金額十分之一以下採購之招標，得不經公告程序，逕洽廠商採購')}）；"
                             "如仍公開取得書面報價，亦屬適法。")
        if case.method == "小額採購" and tier != "small":
            lbl = ctx.cite(ACT, "47", "但均不得逾公告金額十分之一")
            w.append(f"招標方式記為小額採購，但採購金額逾公告金額十分之一（{lbl}），不得以小額採購辦理。")
        if case.method == "選擇性招標" and below:
            ctx.notes.append("政府採購法第20條係就公告金額以上之採購規定得採選擇性招標；未達公告金額者請確認依據。")
    # basis of 選擇性 / 限制性招標
    if case.method == "選擇性招標":
        lbl = ctx.cite(ACT, "20", "機關辦理公告金額以上之採購，符合下列情形之一者，得採選擇性招標")
        if not case.selective_items:
            w.append(f"選擇性招標須符合{lbl}各款之一，紀錄未載明款次（第15點(2)須勾選款次）。")
        elif any(i not in range(1, 6) for i in case.selective_items):
            w.append(f"{lbl}僅有第1款至第5款，紀錄所載款次{case.selective_items}有誤。")
    if case.method == "限制性招標":
        if case.restricted_item is None:
            if ctx.below:
                w.append("未達公告金額之限制性招標，應敘明所依未達公告金額採購招標辦法之條項款（第15點(3)），紀錄未載明。")
            else:
                lbl = ctx.cite(ACT, "22", "機關辦理公告金額以上之採購，符合下列情形之一者，得採限制性招標")
                w.append(f"限制性招標須敘明符合{lbl}第1項何款之情形並簽報機關首長或其授權人員核准，紀錄未載明款次。")
        elif not 1 <= case.restricted_item <= 16:
            w.append(f"政府採購法第22條第1項僅有第1款至第16款，紀錄所載第{case.restricted_item}款有誤。")
        elif case.restricted_item in (13, 14) and case.category == "工程":
            lbl = ctx.cite(ACT, "22", "第一項第十三款及第十四款，不適用工程採購。")
            w.append(f"政府採購法第22條第1項第{case.restricted_item}款不適用工程採購（{lbl}）。")
    # tender period
    days = case.effective_tender_days
    if ctx.period is not None and days is not None:
        minimum = ctx.period.details.minimum_days
        if minimum is not None and days < minimum:
            rule = ctx.period.details.base_rule
            red = [r.article for r in ctx.period.details.reductions if r.days_applied]
            w.append(f"等標期{days}日少於法定最少{minimum}日（{rule}" + (f"，已計入{'、'.join(red)}之縮短" if red else "")
                     + "），請延長等標期或確認有得縮短之事由。")
    if days is not None and days < 1:
        w.append(f"等標期須為正整數日，紀錄為{days}日（截止投標日早於公告日？）。")
    if case.deadline and case.deadline.weekday() >= 5:
        lbl = ctx.cite(PERIOD_STD, "11", "以其休息日之次日代之")
        w.append(f"截止投標日{roc_date(case.deadline)}為星期{_WEEKDAY_ZH[case.deadline.weekday()]}，"
                 f"期限之末日為休息日者{lbl}，請確認截止日。")
    if case.deadline and case.opening_at and case.opening_at.date() < case.deadline:
        lbl = ctx.cite(RULES, "49-1", "其招標文件所標示之開標時間，為等標期屆滿當日或次一上班日。")
        w.append(f"開標時間{roc_datetime(case.opening_at)}早於截止投標日{roc_date(case.deadline)}（{lbl}）。")
    # bonds
    _validate_bonds(ctx)
    # public inspection for 查核金額以上
    if tier in ("audit", "large"):
        lbl = ctx.cite(INSPECTION, "2", "機關辦理查核金額以上之採購，應於公告招標前辦理招標文件之公開閱覽。")
        if case.public_inspection is False:
            w.append(f"查核金額以上之採購應於公告招標前辦理招標文件公開閱覽（{lbl}），紀錄為未辦理；"
                     "除符合同點但書各款（例如經機關首長或其授權人員核准）外，請先辦理公開閱覽。")
        elif case.public_inspection is None:
            ctx.notes.append(f"查核金額以上之採購，應於公告招標前辦理招標文件公開閱覽（{lbl}）；"
                             "辦理且內容未經重大改變者，等標期得縮短5日但不得少於10日（招標期限標準第9條第1款）。")
    if tier == "large":
        ctx.notes.append("巨額採購：第4點須勾選已依「機關提報巨額採購使用情形及效益分析作業規定」簽准預期使用情形及效益目標。")
    # award basis
    if case.award_basis in ("最有利標",) and case.method in ("公開招標", "選擇性招標"):
        lbl = ctx.cite(ACT, "56", "機關採最有利標決標者，應先報經上級機關核准。")
        ctx.notes.append(f"採最有利標決標者，應先報經上級機關核准（{lbl}）；評選項目、標準及評定方式應列入附件"
                         f"（{ctx.cite(ACT, '56', '未列入之項目，不得做為評選之參考。')}）。")
    if case.award_basis == "準用最有利標" and case.restricted_item not in (9, 10, 11, 14):
        w.append("準用最有利標限依政府採購法第22條第1項第9款、第10款、第11款或第14款辦理者（範本第58點(2-2)），"
                 "紀錄未載明或款次不符。")
    if case.award_basis == "取最有利標精神" and ctx.below is False:
        w.append("「未達公告金額之採購參考最有利標精神擇符合需要者辦理議價」（範本第58點(2-3)）僅適用於未達公告金額之採購。")


def _validate_bonds(ctx: _Context) -> None:
    case, w = ctx.case, ctx.warnings
    bid = ctx.bond_item("押標金")
    perf = ctx.bond_item("履約保證金")
    basis = ctx.bonds.details.basis_label if ctx.bonds else "預算金額"
    if case.bid_bond:
        lbl = ctx.cite(BOND_RULES, "9", "前項一定金額，以不逾預算金額或預估採購總額之百分之五為原則；一定比率，以不逾標價之百分之五為原則。但不得逾新臺幣五千萬元。")
        if case.bid_bond > 50_000_000:
            w.append(f"押標金{format_twd(case.bid_bond)}逾新臺幣5,000萬元之上限（{lbl}但書），不得訂定。")
        elif bid is not None and bid.cap_fixed_amount is not None and case.bid_bond > bid.cap_fixed_amount:
            w.append(f"押標金{format_twd(case.bid_bond)}逾{basis}5%（{format_twd(bid.cap_fixed_amount)}）之原則上限"
                     f"（{lbl}），請降低金額或敘明理由。")
        if case.category == "勞務":
            ctx.notes.append(f"勞務採購以免收押標金為原則（{ctx.cite(ACT, '30', '一、勞務採購，以免收押標金、保證金為原則。')}），"
                             "本案仍擬收取，請確認有收取之必要。")
        if case.bid_bond_waiver:
            w.append(f"紀錄同時載有押標金金額{format_twd(case.bid_bond)}及無押標金理由「{case.bid_bond_waiver}」，請擇一。")
    if case.performance_bond and perf is not None and perf.cap_fixed_amount is not None \
            and case.performance_bond > perf.cap_fixed_amount:
        lbl = ctx.cite(BOND_RULES, "15", "前項一定金額，以不逾預算金額或預估採購總額之百分之十為原則；一定比率，以不逾契約金額之百分之十為原則。")
        w.append(f"履約保證金{format_twd(case.performance_bond)}逾{basis}10%（{format_twd(perf.cap_fixed_amount)}）之原則上限（{lbl}）。")
    for what, waiver in (("押標金", case.bid_bond_waiver), ("履約保證金", case.performance_bond_waiver)):
        if not waiver:
            continue
        if waiver == "勞務採購" and case.category and case.category != "勞務":
            lbl = ctx.cite(ACT, "30", "一、勞務採購，以免收押標金、保證金為原則。")
            w.append(f"無{what}之理由勾選「勞務採購」，但本案為{case.category}採購；{lbl}第1項第1款僅適用於勞務採購。")
        if waiver == "未達公告金額之工程、財物採購":
            lbl = ctx.cite(ACT, "30", "二、未達公告金額之工程、財物採購，得免收押標金、保證金。")
            if case.category == "勞務":
                w.append(f"無{what}之理由勾選「未達公告金額之工程、財物採購」，但本案為勞務採購，應勾選「勞務採購」"
                         f"（{lbl}第1項第1款、第2款）。")
            elif ctx.below is False:
                w.append(f"無{what}之理由勾選「未達公告金額之工程、財物採購」，但本案屬"
                         f"{ctx.tier.details.tier_zh if ctx.tier else '公告金額以上之採購'}，不符{lbl}第1項第2款。")
        if waiver == "以議價方式辦理":
            lbl = ctx.cite(ACT, "30", "三、以議價方式辦理之採購，得免收押標金。")
            if what == "履約保證金":
                w.append(f"「以議價方式辦理」僅得免收押標金，不及於履約保證金（{lbl}第1項第3款）。")
            elif case.restricted_mode != "議價":
                w.append(f"無押標金之理由勾選「以議價方式辦理」，但本案招標方式非議價（{lbl}第1項第3款）。")
    if case.bid_bond == 0 and not case.bid_bond_waiver and bid is not None and bid.requirement == "應收取":
        lbl = ctx.cite(ACT, "30", "機關辦理招標，應於招標文件中規定投標廠商須繳納押標金")
        w.append(f"紀錄載押標金為0，但本案不符免收要件（{lbl}第1項第1款至第3款），應收取押標金或敘明第4款理由。")


# --- point plans ----------------------------------------------------------------------------------------
PlanFn = Callable[[_Context, TemplatePoint], _Plan]


def _p_name(ctx: _Context, p: TemplatePoint) -> _Plan:
    v = ctx.case.name
    return _Plan(header_value=v or ctx.need("標案名稱"), status="filled" if v else "pending")


def _p_category(ctx: _Context, p: TemplatePoint) -> _Plan:
    cat = ctx.case.category
    if cat is None:
        return _Plan(status="pending", missing=["採購標的"])
    plan = _Plan(chosen={CATEGORY_OPTION[cat]}, status="filled", notes=[f"勾選依據：案件紀錄之採購類別為{cat}。"])
    if cat == "財物" and not ctx.case.goods_nature:
        plan.missing.append("財物性質（購買／租賃／定製）")
    return plan


def _p_tier(ctx: _Context, p: TemplatePoint) -> _Plan:
    if ctx.tier is None:
        why = "預算金額或採購金額" if ctx.case.tier_amount is None else "採購類別"
        return _Plan(status="pending", missing=["採購金額級距"],
                     notes=[f"須先確定{why}，方能勾選採購金額級距（政府採購法施行細則第6條）。"])
    d = ctx.tier.details
    plan = _Plan(chosen={TIER_OPTION[d.tier]}, status="filled",
                 notes=[f"勾選依據：採購金額{format_twd(d.amount)}，屬{d.tier_zh}（{ctx.on.isoformat()}適用之門檻；"
                        "金額恰等於門檻者屬「以上」）。"])
    if d.tier == "large":
        plan.missing.append("第4點：巨額採購預期使用情形及效益目標之簽准（待機關勾選）")
    return plan


def _p_joint_supply(ctx: _Context, p: TemplatePoint) -> _Plan:
    m = ctx.case.method
    if m is None:
        return _Plan(status="agency", missing=["第5點：是否為共同供應契約（待機關勾選）"])
    return _Plan(chosen={"(1)" if m == "共同供應契約" else "(2)"}, status="filled",
                 notes=[f"勾選依據：招標方式為{m}。"])


def _p_budget(ctx: _Context, p: TemplatePoint) -> _Plan:
    b = ctx.case.budget
    return _Plan(header_value=format_twd(b) if b is not None else ctx.need("預算金額"),
                 status="filled" if b is not None else "pending")


def _p_estimated(ctx: _Context, p: TemplatePoint) -> _Plan:
    e = ctx.case.estimated_amount
    return _Plan(header_value=format_twd(e), status="filled") if e is not None else _Plan()


def _p_superior(ctx: _Context, p: TemplatePoint) -> _Plan:
    v = ctx.case.superior_agency
    return _Plan(header_value=v or ctx.need("上級機關名稱"), status="filled" if v else "pending")


def _p_protest(ctx: _Context, p: TemplatePoint) -> _Plan:
    a = ctx.case.agency
    if not a:
        return _Plan(status="pending", missing=["機關名稱"])
    return _Plan(fills=[("同招標機關(", f"同招標機關（{a}）(")], status="filled")


def _is_taichung(agency: str | None) -> bool:
    return bool(agency) and to_halfwidth(agency or "").replace("台中", "臺中").startswith("臺中市")


def _p_complaint(ctx: _Context, p: TemplatePoint) -> _Plan:
    plan = _Plan()
    if _is_taichung(ctx.case.agency):
        lbl = ctx.cite(ACT, "76", "依其屬中央機關或地方機關辦理之採購，以書面分別向主管機關、直轄市或縣（市）政府所設之採購申訴審議委員會申訴")
        plan.chosen_lines.add("臺中市政府採購申訴審議委員會")
        plan.status = "filled"
        plan.notes.append(f"勾選依據：招標機關為臺中市政府所屬機關（地方機關），依{lbl}。")
    else:
        plan.status = "agency"
        plan.missing.append("受理申訴機關")
    if ctx.below:
        plan.notes.append("本案未達公告金額，除押標金不予發還或追繳之爭議外，不適用申訴制度（政府採購法第76條）；"
                          "履約爭議調解無金額限制。")
    return plan


def _p_method(ctx: _Context, p: TemplatePoint) -> _Plan:
    case = ctx.case
    m = case.method
    if m is None:
        return _Plan(status="pending", missing=["招標方式"])
    plan = _Plan(status="filled", notes=[f"勾選依據：招標方式為{m}。"])
    if m == "公開招標":
        plan.chosen.add("(1)")
        if case.award_basis == "複數決標":
            plan.notes.append("本案為複數決標；如採分項決標且各項投標文件無需分項裝封，請勾選(1-1)。")
    elif m == "選擇性招標":
        plan.chosen.add("(2)")
        if case.selective_items:
            new = "符合採購法第20條" + "；".join(
                f"{CHOSEN if i in case.selective_items else NOT_CHOSEN}第{i}款" for i in range(1, 6))
            plan.fills.append(("符合採購法第20條第1款；第2款；第3款；第4款；第5款", new))
        else:
            plan.missing.append("選擇性招標依據（政府採購法第20條款次）")
        plan.missing.append("第15點：選擇性招標為特定個案或建立合格廠商名單（待機關勾選）")
    elif m == "限制性招標":
        plan.chosen.add("(3)")
        item = case.restricted_item
        plan.fills.append(("第22條第1項第 款之情形",
                           f"第22條第1項第{item}款之情形" if item else
                           f"第22條第1項第{ctx.need('限制性招標依據款次')}款之情形"))
        if item in (9, 10, 11):
            plan.chosen |= {"(3-1)", f"(3-1-{item - 8})"}
        elif case.restricted_mode == "比價":
            plan.chosen.add("(3-2)")
        elif case.restricted_mode == "議價":
            plan.chosen.add("(3-3)")
        else:
            plan.missing.append("第15點：限制性招標之比價或議價方式（待機關勾選）")
    elif m == "公開取得書面報價":
        plan.chosen.add("(4)")
        plan.notes.append("如本次公告未能取得3家以上廠商之書面報價或企劃書，擬改採限制性招標者，須經機關首長或其授權人員核准後勾選(4-1)。")
    else:
        plan.status = "pending"
        plan.notes = [f"招標方式「{m}」不在本點選項內，請確認是否適用投標須知範本。"]
        plan.missing.append("招標方式（第15點選項）")
    return plan


def _p_delivery(ctx: _Context, p: TemplatePoint) -> _Plan:
    e = ctx.case.electronic_bid
    if e is None:
        return _Plan(status="agency", missing=["第19點：投標文件遞送方式（待機關勾選）"])
    if e:
        return _Plan(chosen={"(2)"}, status="filled",
                     notes=["勾選依據：紀錄載明電子投標；是否併允書面投標(1)，請機關決定。"])
    return _Plan(chosen={"(1)"}, status="filled", notes=["勾選依據：紀錄載明不採電子投標。"])


def _p_clarification(ctx: _Context, p: TemplatePoint) -> _Plan:
    days = ctx.case.effective_tender_days
    if days and days > 0:
        return _Plan(notes=[f"本案等標期{days}日，釋疑期限為自公告日起{math.ceil(days / 4)}日。"])
    return _Plan()


def _p_validity(ctx: _Context, p: TemplatePoint) -> _Plan:
    return _Plan(fills=[("自投標時起至開標後______日止", f"自投標時起至開標後{ctx.need('投標文件有效期（開標後日數）')}日止")],
                 status="pending")


def _p_opening_time(ctx: _Context, p: TemplatePoint) -> _Plan:
    at = ctx.case.opening_at
    blank = "民國___年___ 月___日__午___時___分"
    if at is not None:
        value = roc_datetime(at) if (at.hour or at.minute) else roc_date(at.date()) + ctx.need("開標時刻")
        return _Plan(fills=[(blank, value)], status="filled")
    if not ctx.open_like:
        return _Plan()
    return _Plan(fills=[(blank, ctx.need("開標時間"))], status="pending",
                 notes=["開標時間為等標期屆滿當日或次一上班日（政府採購法施行細則第49條之1）。"])


def _p_opening_place(ctx: _Context, p: TemplatePoint) -> _Plan:
    v = ctx.case.opening_place
    if v:
        return _Plan(header_value=v, status="filled")
    if not ctx.open_like:
        return _Plan()
    return _Plan(header_value=ctx.need("開標地點"), status="pending")


def _bid_bond_charged(ctx: _Context) -> bool | None:
    """True: bond charged; False: waived; None: undecided."""
    case = ctx.case
    if case.bid_bond:
        return True
    if case.bid_bond_waiver or case.bid_bond == 0:
        return False
    if case.category == "勞務":
        return False  # 政府採購法第30條第1項第1款: 以免收為原則
    return None


def _perf_bond_charged(ctx: _Context) -> bool | None:
    case = ctx.case
    if case.performance_bond:
        return True
    if case.performance_bond_waiver or case.performance_bond == 0:
        return False
    if case.category == "勞務":
        return False
    return None


def _p_bid_bond(ctx: _Context, p: TemplatePoint) -> _Plan:
    charged = _bid_bond_charged(ctx)
    if charged:
        return _Plan(chosen={"(1)"}, fills=[("(1)一定金額：", f"(1)一定金額：{format_twd(ctx.case.bid_bond or 0)}")],
                     status="filled")
    if charged is False:
        return _Plan(status="filled", notes=["本案不收押標金（理由見第38點），本點免填。"])
    item = ctx.bond_item("押標金")
    plan = _Plan(status="pending", missing=["押標金"])
    if item is not None:
        plan.fills.append(("(1)一定金額：", f"(1)一定金額：{pending('押標金')}"))
        plan.notes.append(f"押標金{item.requirement}（{item.requirement_rule}）；以一定金額計者原則不逾"
                          f"{format_twd(item.cap_fixed_amount or 0)}，以標價之一定比率計者原則不逾5%，"
                          "且均不得逾新臺幣5,000萬元（押標金保證金暨其他擔保作業辦法第9條）。")
    else:
        plan.notes.append("預算金額未定，無法判斷押標金應否收取及其上限（押標金保證金暨其他擔保作業辦法第9條）。")
    return plan


def _p_ebid_reduction(ctx: _Context, p: TemplatePoint) -> _Plan:
    if ctx.case.electronic_bid and _bid_bond_charged(ctx):
        cap = (ctx.case.bid_bond or 0) // 10
        return _Plan(notes=[f"採電子投標者得減收押標金，額度以不逾押標金金額之10%（本案{format_twd(cap)}）為限"
                            "（押標金保證金暨其他擔保作業辦法第9條之1）。"])
    return _Plan()


def _p_bid_bond_validity(ctx: _Context, p: TemplatePoint) -> _Plan:
    if _bid_bond_charged(ctx):
        return _Plan(fills=[("： 年 月 日。", f"：{ctx.need('押標金有效期')}。")], status="pending")
    return _Plan()


def _p_cash(ctx: _Context, p: TemplatePoint) -> _Plan:
    if _bid_bond_charged(ctx):
        return _Plan(status="agency", missing=["第37點：押標金現金繳納方式（待機關勾選）"])
    return _Plan()


def _p_bid_waiver(ctx: _Context, p: TemplatePoint) -> _Plan:
    case = ctx.case
    charged = _bid_bond_charged(ctx)
    if charged or charged is None:
        return _Plan()
    if case.bid_bond_waiver:
        return _Plan(chosen={BOND_WAIVER_OPTION[case.bid_bond_waiver]}, status="filled",
                     notes=[f"勾選依據：紀錄之無押標金理由為「{case.bid_bond_waiver}」。"])
    if case.category == "勞務":
        lbl = ctx.cite(ACT, "30", "一、勞務採購，以免收押標金、保證金為原則。")
        return _Plan(chosen={"(1)"}, status="filled",
                     notes=[f"勾選依據：{lbl}第1項第1款「勞務採購，以免收押標金、保證金為原則」；如擬收取，請取消本勾選並填第32點。"])
    if ctx.below and case.category in ("工程", "財物"):
        return _Plan(chosen={"(2)"}, status="filled", notes=["勾選依據：紀錄載押標金為0，本案為未達公告金額之工程、財物採購。"])
    return _Plan(status="pending", missing=["無押標金之理由"])


def _p_perf_bond(ctx: _Context, p: TemplatePoint) -> _Plan:
    charged = _perf_bond_charged(ctx)
    if charged:
        return _Plan(fills=[("一定金額： ；", f"一定金額：{format_twd(ctx.case.performance_bond or 0)}；")], status="filled")
    if charged is False:
        return _Plan(status="filled", notes=["本案不收履約保證金（理由見第44點），本點免填。"])
    item = ctx.bond_item("履約保證金")
    plan = _Plan(status="pending", missing=["履約保證金"],
                 fills=[("一定金額： ；", f"一定金額：{pending('履約保證金')}；")])
    if item is not None:
        plan.notes.append(f"履約保證金{item.requirement}（{item.requirement_rule}）；以一定金額計者原則不逾"
                          f"{format_twd(item.cap_fixed_amount or 0)}，以契約金額之一定比率計者原則不逾10%"
                          "（押標金保證金暨其他擔保作業辦法第15條）。")
    return plan


def _p_perf_deadline(ctx: _Context, p: TemplatePoint) -> _Plan:
    if _perf_bond_charged(ctx) is False:
        return _Plan()
    plan = _Plan(header_value=ctx.need("履約保證金繳納期限"), status="pending")
    if ctx.tier_code in ("audit", "large"):
        plan.notes.append("查核金額以上之採購，應訂定14日以上之合理期限（押標金保證金暨其他擔保作業辦法第18條第1項）。")
    return plan


def _p_perf_waiver(ctx: _Context, p: TemplatePoint) -> _Plan:
    case = ctx.case
    charged = _perf_bond_charged(ctx)
    if charged or charged is None:
        return _Plan()
    if case.performance_bond_waiver in PERF_WAIVER_OPTION:
        return _Plan(chosen={PERF_WAIVER_OPTION[case.performance_bond_waiver]}, status="filled",
                     notes=[f"勾選依據：紀錄之無履約保證金理由為「{case.performance_bond_waiver}」。"])
    if case.category == "勞務":
        lbl = ctx.cite(ACT, "30", "一、勞務採購，以免收押標金、保證金為原則。")
        return _Plan(chosen={"(1)"}, status="filled",
                     notes=[f"勾選依據：{lbl}第1項第1款；如擬收取履約保證金，請取消本勾選並填第39點。"])
    if ctx.below and case.category in ("工程", "財物"):
        return _Plan(chosen={"(2)"}, status="filled", notes=["勾選依據：紀錄載履約保證金為0，本案為未達公告金額之工程、財物採購。"])
    return _Plan(status="pending", missing=["無履約保證金之理由"])


def _p_award(ctx: _Context, p: TemplatePoint) -> _Plan:
    a = ctx.case.award_basis
    if a is None or a == "複數決標":
        return _Plan(status="pending", missing=["決標原則"])
    plan = _Plan(status="filled", notes=[f"勾選依據：決標原則為{a}。"])
    if a == "最低標":
        plan.chosen |= {"(1)", "(1-1)"}
        plan.notes = ["勾選依據：決標原則為最低標；紀錄未載評分及格最低標，勾選(1-1)，如依施行細則第64條之2辦理請改勾(1-2)。"]
    elif a == "評分及格最低標":
        plan.chosen |= {"(1)", "(1-2)"}
    elif a == "最有利標":
        plan.chosen |= {"(2)", "(2-1)"}
        plan.missing.append("評選項目及配分")
    elif a == "準用最有利標":
        plan.chosen |= {"(2)", "(2-2)"}
        item = ctx.case.restricted_item
        if item in (9, 10, 11, 14):
            plan.fills.append((f"□第{item}款", f"■第{item}款"))
        plan.missing.append("評選項目及配分")
    elif a == "取最有利標精神":
        plan.chosen |= {"(2)", "(2-3)"}
        plan.missing.append("評選項目及配分")
    elif a == "最高標":
        plan.chosen.add("(3)")
    return plan


def _p_multiple(ctx: _Context, p: TemplatePoint) -> _Plan:
    a = ctx.case.award_basis
    if a is None:
        return _Plan(status="agency", missing=["第59點：是否複數決標（待機關勾選）"])
    return _Plan(chosen={"(2)" if a == "複數決標" else "(1)"}, status="filled", notes=[f"勾選依據：決標原則為{a}。"])


def _p_negotiation(ctx: _Context, p: TemplatePoint) -> _Plan:
    a = ctx.case.award_basis
    if a in ("最低標", "評分及格最低標", "最高標"):
        return _Plan(chosen={"(2)"}, status="filled",
                     notes=[f"勾選依據：協商措施限於最有利標（政府採購法第56條），本案決標原則為{a}。"])
    return _Plan(status="agency", missing=["第61點：無法決標時是否採行協商措施（待機關勾選）"])


def _p_basic_qualification(ctx: _Context, p: TemplatePoint) -> _Plan:
    return _Plan(header_value=ctx.need("投標廠商基本資格及證明文件"), status="pending")


def _p_selective_reason(ctx: _Context, p: TemplatePoint) -> _Plan:
    if ctx.case.method == "選擇性招標":
        return _Plan(header_value=ctx.need("限制投標廠商資格之理由及其必要性"), status="pending")
    return _Plan()


def _p_documents(ctx: _Context, p: TemplatePoint) -> _Plan:
    return _Plan(chosen={"(2)"}, status="agency", missing=["第87點：全份招標文件其餘項目（待機關勾選）"],
                 notes=["勾選依據：本文件即投標須知；其餘文件由機關依本案實際檢附者勾選。"])


def _p_deadline(ctx: _Context, p: TemplatePoint) -> _Plan:
    case = ctx.case
    if case.deadline:
        t = case.deadline_time
        when = roc_date(case.deadline) + (f"{t.hour}時{t.minute:02d}分" if t else ctx.need("截止時刻"))
        plan = _Plan(fills=[("須於 年 月 日 時 分前", f"須於{when}前")], status="filled")
    else:
        plan = _Plan(fills=[("須於 年 月 日 時 分前", f"須於{ctx.need(ctx.deadline_label)}前")], status="pending")
        if ctx.period and ctx.period.details.earliest_deadline:
            plan.notes.append(f"依公告日{roc_date(case.announced_on or ctx.on)}及法定最少等標期，截止日最早為"
                              f"{roc_date(ctx.period.details.earliest_deadline)}（招標期限標準第11條）。")
    plan.header_value = case.submission_place or ctx.need("收件地點或網站")
    return plan


def _p_audit_contacts(ctx: _Context, p: TemplatePoint) -> _Plan:
    return _Plan(header_value=ctx.need("採購稽核小組及調查站處檢舉電話、傳真、地址及信箱"), status="pending")


POINT_PLANS: dict[str, PlanFn] = {
    "2": _p_name, "3": _p_category, "4": _p_tier, "5": _p_joint_supply, "6": _p_budget, "7": _p_estimated,
    "8": _p_superior, "12": _p_protest, "13": _p_complaint, "15": _p_method, "19": _p_delivery,
    "20": _p_clarification, "24": _p_validity, "27": _p_opening_time, "28": _p_opening_place, "32": _p_bid_bond,
    "33": _p_ebid_reduction, "35": _p_bid_bond_validity, "37": _p_cash, "38": _p_bid_waiver, "39": _p_perf_bond,
    "43": _p_perf_deadline, "44": _p_perf_waiver, "58": _p_award, "59": _p_multiple, "61": _p_negotiation,
    "64": _p_basic_qualification, "76": _p_selective_reason, "87": _p_documents, "90": _p_deadline,
    "93": _p_audit_contacts,
}
FILLED_POINTS = tuple(POINT_PLANS)


def _default_plan(ctx: _Context, p: TemplatePoint) -> _Plan:
    if p.options and p.no in AGENCY_TOPICS:
        return _Plan(status="agency", missing=[f"{p.label}：{AGENCY_TOPICS[p.no]}（待機關勾選）"])
    if p.no in AGENCY_TOPICS and p.no in CHOICE_LINE_POINTS:
        return _Plan(status="agency", missing=[f"{p.label}：{AGENCY_TOPICS[p.no]}（待機關勾選）"])
    return _Plan()


# --- rendering of one point -----------------------------------------------------------------------------
def _goods_line(line: str, natures: list[str], chosen: bool) -> str:
    """(2)財物；其性質為：購買；租賃；… with inline boxes."""
    head, sep, tail = line.partition("其性質為：")
    if not sep:
        return line
    parts = []
    for n in GOODS_NATURES:
        mark = CHOSEN if chosen and any(n.startswith(g) or g.startswith(n) for g in natures) else NOT_CHOSEN
        parts.append(f"{mark}{n}")
    rest = tail.split("（請勾選）", 1)
    return head + sep + "；".join(parts) + ("（請勾選）" + rest[1] if len(rest) > 1 else "。")


def _render_point(ctx: _Context, p: TemplatePoint, plan: _Plan) -> DraftPoint:
    labels = {o.label for o in p.all_options()}
    lines: list[DraftLine] = []
    current_depth = 0
    after_option_two = False
    in_table = False
    for i, raw in enumerate(p.lines):
        text = raw
        for old, new in plan.fills:
            text = text.replace(old, new)
        if i == 0:
            if plan.header_value is not None:
                text = text + plan.header_value
            lines.append(DraftLine(text=text, kind="header"))
            continue
        m = _LABEL_RE.match(text)
        if m and f"({m.group(1)})" in labels:
            label = f"({m.group(1)})"
            current_depth = label.count("-") + 1
            chosen = label in plan.chosen
            if p.no == "3" and label == "(2)":
                text = _goods_line(text, list(ctx.case.goods_nature), chosen)
            if p.no == "31":
                after_option_two = label == "(2)"
            lines.append(DraftLine(text=text, kind="option", box=CHOSEN if chosen else NOT_CHOSEN,
                                   indent=current_depth))
            continue
        stripped = text.lstrip("■█□ ")
        in_table = in_table or text.startswith(_P16_TABLE_START)
        p16_choice = p.no == "16" and not in_table and (text in ("是", "否") or text.startswith(_P16_PREFIXES))
        if text[:1] in ("■", "█"):
            lines.append(DraftLine(text=stripped, kind="option", box=CHOSEN, indent=current_depth + 1))
        elif text[:1] == "□":
            lines.append(DraftLine(text=stripped, kind="option", box=NOT_CHOSEN, indent=current_depth + 1))
        elif p16_choice or (p.no in CHOICE_LINE_POINTS and (p.no != "31" or after_option_two) and p.no != "87") \
                or (p.no == "87" and text.startswith("切結書")):
            box = CHOSEN if text in plan.chosen_lines else NOT_CHOSEN
            lines.append(DraftLine(text=text, kind="option", box=box, indent=current_depth + 1))
        else:
            lines.append(DraftLine(text=text, kind="text", indent=current_depth + 1 if current_depth else 1))
    for n in plan.notes:
        lines.append(DraftLine(text=n, kind="note", indent=1))
    status = cast(Any, plan.status)
    return DraftPoint(no=p.no, label=p.label, number=p.printed_number, lines=lines,
                      chosen=sorted(plan.chosen) + sorted(plan.chosen_lines), status=status)


# --- summary ---------------------------------------------------------------------------------------------
def _summary(ctx: _Context) -> list[tuple[str, str]]:
    case = ctx.case
    rows: list[tuple[str, str]] = []

    def row(label: str, value: str | None, missing_name: str | None = None) -> None:
        rows.append((label, value if value else ctx.need(missing_name or label)))

    row("標案名稱", case.name)
    row("案號", case.case_no)
    row("機關名稱", case.agency)
    row("承辦單位", case.unit)
    cat_text: str | None = case.category
    if case.category == "財物" and case.goods_nature:
        cat_text = f"財物（{'、'.join(case.goods_nature)}）"
    row("採購標的", cat_text)
    row("預算金額", format_twd(case.budget) if case.budget is not None else None)
    if case.procurement_amount is not None and case.procurement_amount != case.budget:
        row("採購金額", format_twd(case.procurement_amount))
    row("採購金額級距", f"{ctx.tier.details.tier_zh}（範本第4點{TIER_OPTION[ctx.tier.details.tier]}）" if ctx.tier else None)
    method: str | None = case.method
    if method == "限制性招標" and case.restricted_item:
        method += f"（政府採購法第22條第1項第{case.restricted_item}款" + (f"，{case.restricted_mode}）" if case.restricted_mode else "）")
    row("招標方式", method)
    row("決標原則", case.award_basis)
    days = case.effective_tender_days
    minimum = ctx.period.details.minimum_days if ctx.period else None
    legal = ""
    if ctx.period is not None:
        legal = (f"法定最少{minimum}日，依{ctx.period.details.base_rule}" if minimum is not None
                 else ctx.period.answer_zh)
    if days is not None:
        rows.append(("等標期", f"{days}日" + (f"；{legal}" if legal else "")))
    else:
        rows.append(("等標期", ctx.need("等標期") + (f"（{legal}）" if legal else "（須先確定採購金額級距及招標方式）")))
    dl = case.deadline
    rows.append((ctx.deadline_label, roc_date(dl) if dl else ctx.need(ctx.deadline_label)))
    if ctx.open_like:
        row("開標時間", roc_datetime(case.opening_at) if case.opening_at else None)
        row("開標地點", case.opening_place)
    # bonds
    bid = ctx.bond_item("押標金")
    charged = _bid_bond_charged(ctx)
    if charged:
        rows.append(("押標金", format_twd(case.bid_bond or 0)))
    elif charged is False:
        reason = case.bid_bond_waiver or "勞務採購"
        rows.append(("押標金", f"免收（{reason}；政府採購法第30條第1項）" +
                     ("；勞務採購以免收押標金為原則" if case.category == "勞務" else "")))
    elif bid is not None:
        rows.append(("押標金", ctx.need("押標金") + f"（{bid.requirement}；一定金額上限{format_twd(bid.cap_fixed_amount or 0)}）"))
    else:
        rows.append(("押標金", ctx.need("押標金") + "（預算金額未定，無法計算上限）"))
    perf = ctx.bond_item("履約保證金")
    pc = _perf_bond_charged(ctx)
    if pc:
        rows.append(("履約保證金", format_twd(case.performance_bond or 0)))
    elif pc is False:
        rows.append(("履約保證金", f"免收（{case.performance_bond_waiver or '勞務採購'}；政府採購法第30條第1項）"))
    elif perf is not None:
        rows.append(("履約保證金", ctx.need("履約保證金") + f"（{perf.requirement}；一定金額原則上限{format_twd(perf.cap_fixed_amount or 0)}）"))
    else:
        rows.append(("履約保證金", ctx.need("履約保證金") + "（預算金額未定，無法計算上限）"))
    rows.append(("受理異議機關", f"同招標機關（{case.agency}）（政府採購法第75條）" if case.agency else ctx.need("受理異議機關")))
    if _is_taichung(case.agency):
        rows.append(("受理申訴機關", "臺中市政府採購申訴審議委員會（政府採購法第76條）"))
    else:
        rows.append(("受理申訴機關", ctx.need("受理申訴機關")))
    if ctx.tier_code in ("audit", "large") or case.public_inspection is not None:
        if case.public_inspection is True:
            rows.append(("招標文件公開閱覽", "已於公告招標前辦理"))
        elif case.public_inspection is False:
            rows.append(("招標文件公開閱覽", "未辦理（查核金額以上應辦理，見檢核提醒）" if ctx.tier_code in ("audit", "large") else "未辦理"))
        else:
            rows.append(("招標文件公開閱覽", ctx.need("招標文件公開閱覽") + "（查核金額以上之採購應於公告招標前辦理）"))
    if case.award_basis in ("最有利標", "準用最有利標", "取最有利標精神"):
        rows.append(("評選項目及配分", ctx.need("評選項目及配分") + "（列為附件；最有利標評選辦法）"))
    if ctx.quote_method:
        rows.append(("報價單格式", ctx.need("報價單格式") + "（投標標價清單／報價單，列為招標文件）"))
    return rows


# --- markdown ------------------------------------------------------------------------------------------
def _markdown(tpl: TenderTemplate, ctx: _Context, summary: list[tuple[str, str]], points: list[DraftPoint]) -> str:
    case = ctx.case
    out = ["# 投標須知（草稿）", ""]
    out.append(f"- 案號：{case.case_no or pending('案號')}")
    out.append(f"- 標案名稱：{case.name or pending('標案名稱')}")
    out.append(f"- 依據：{tpl.issuer}{tpl.title}（{tpl.version}版）")
    out.append(f"- 草擬日期：中華{roc_date(ctx.on)}")
    out.append("- 本草稿由 mishu 依範本與案件紀錄產生，送出前請承辦人逐點核對")
    if case.sample or (case.name and "範例" in case.name):
        out.append("- 本案件資料為範例（sample），非真實標案")
    out += ["", "## 案件摘要", ""]
    out += [f"- {label}：{value}" for label, value in summary]
    out += ["", "## 投標須知", ""]
    out.append("  \n".join(tpl.preamble))
    for p in points:
        out += ["", p.markdown()]
    out += ["", "## 待補欄位", ""]
    out += [f"- {m}" for m in ctx.missing] or ["- （無）"]
    out += ["", "## 檢核提醒", ""]
    out += [f"- ⚠ {w}" for w in ctx.warnings]
    out += [f"- {n}" for n in ctx.notes]
    if not ctx.warnings and not ctx.notes:
        out.append("- （無）")
    return "\n".join(out) + "\n"


def draft_tender_instructions(case: CaseInput, *, on: date, articles: ArticleIndex | None = None,
                              template_path: Path | None = None) -> TenderDraft:
    """Draft the 投標須知 for ``case`` on the PCC template; ``on`` is the date thresholds are judged on."""
    tpl = TenderTemplate.load(template_path)
    ctx = _Context(case=case, on=on, articles=articles or ArticleIndex.load())
    _run_calculators(ctx)
    summary = _summary(ctx)
    _validate(ctx)
    points: list[DraftPoint] = []
    for p in tpl.points:
        plan = POINT_PLANS.get(p.no, _default_plan)(ctx, p)
        for m in plan.missing:
            ctx.need(m)
        points.append(_render_point(ctx, p, plan))
    markdown = _markdown(tpl, ctx, summary, points)
    return TenderDraft(title="投標須知（草稿）", case_no=case.case_no, summary=summary, points=points,
                       markdown=markdown, missing_fields=list(ctx.missing), warnings=list(ctx.warnings),
                       notes=list(ctx.notes), citations=list(ctx.citations), tool_calls=ctx.tool_calls)

