"""What the draft does with each point of the 投標須知範本: the options it ticks, the blanks it fills."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from core.dates import roc_date, roc_datetime
from core.money import format_twd

from .models import CHOSEN, NOT_CHOSEN, pending
from .template import TemplatePoint
from .tender_context import (
    ACT,
    TIER_OPTION,
    Context,
    bid_bond_charged,
    is_taichung,
    perf_bond_charged,
)

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

@dataclass
class Plan:
    """What the draft does with one point."""

    chosen: set[str] = field(default_factory=set)
    chosen_lines: set[str] = field(default_factory=set)
    fills: list[tuple[str, str]] = field(default_factory=list)
    header_value: str | None = None
    notes: list[str] = field(default_factory=list)
    status: str = "fixed"
    missing: list[str] = field(default_factory=list)


# --- point plans ----------------------------------------------------------------------------------------
PlanFn = Callable[[Context, TemplatePoint], Plan]


def _p_name(ctx: Context, p: TemplatePoint) -> Plan:
    v = ctx.case.name
    return Plan(header_value=v or ctx.need("標案名稱"), status="filled" if v else "pending")


def _p_category(ctx: Context, p: TemplatePoint) -> Plan:
    cat = ctx.case.category
    if cat is None:
        return Plan(status="pending", missing=["採購標的"])
    plan = Plan(chosen={CATEGORY_OPTION[cat]}, status="filled", notes=[f"勾選依據：案件紀錄之採購類別為{cat}。"])
    if cat == "財物" and not ctx.case.goods_nature:
        plan.missing.append("財物性質（購買／租賃／定製）")
    return plan


def _p_tier(ctx: Context, p: TemplatePoint) -> Plan:
    if ctx.tier is None:
        why = "預算金額或採購金額" if ctx.case.tier_amount is None else "採購類別"
        return Plan(status="pending", missing=["採購金額級距"],
                     notes=[f"須先確定{why}，方能勾選採購金額級距（政府採購法施行細則第6條）。"])
    d = ctx.tier.details
    plan = Plan(chosen={TIER_OPTION[d.tier]}, status="filled",
                 notes=[f"勾選依據：採購金額{format_twd(d.amount)}，屬{d.tier_zh}（{ctx.on.isoformat()}適用之門檻；"
                        "金額恰等於門檻者屬「以上」）。"])
    if d.tier == "large":
        plan.missing.append("第4點：巨額採購預期使用情形及效益目標之簽准（待機關勾選）")
    return plan


def _p_joint_supply(ctx: Context, p: TemplatePoint) -> Plan:
    m = ctx.case.method
    if m is None:
        return Plan(status="agency", missing=["第5點：是否為共同供應契約（待機關勾選）"])
    return Plan(chosen={"(1)" if m == "共同供應契約" else "(2)"}, status="filled",
                 notes=[f"勾選依據：招標方式為{m}。"])


def _p_budget(ctx: Context, p: TemplatePoint) -> Plan:
    b = ctx.case.budget
    return Plan(header_value=format_twd(b) if b is not None else ctx.need("預算金額"),
                 status="filled" if b is not None else "pending")


def _p_estimated(ctx: Context, p: TemplatePoint) -> Plan:
    e = ctx.case.estimated_amount
    return Plan(header_value=format_twd(e), status="filled") if e is not None else Plan()


def _p_superior(ctx: Context, p: TemplatePoint) -> Plan:
    v = ctx.case.superior_agency
    return Plan(header_value=v or ctx.need("上級機關名稱"), status="filled" if v else "pending")


def _p_protest(ctx: Context, p: TemplatePoint) -> Plan:
    a = ctx.case.agency
    if not a:
        return Plan(status="pending", missing=["機關名稱"])
    return Plan(fills=[("同招標機關(", f"同招標機關（{a}）(")], status="filled")


def _p_complaint(ctx: Context, p: TemplatePoint) -> Plan:
    plan = Plan()
    if is_taichung(ctx.case.agency):
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


def _p_method(ctx: Context, p: TemplatePoint) -> Plan:
    case = ctx.case
    m = case.method
    if m is None:
        return Plan(status="pending", missing=["招標方式"])
    plan = Plan(status="filled", notes=[f"勾選依據：招標方式為{m}。"])
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


def _p_delivery(ctx: Context, p: TemplatePoint) -> Plan:
    e = ctx.case.electronic_bid
    if e is None:
        return Plan(status="agency", missing=["第19點：投標文件遞送方式（待機關勾選）"])
    if e:
        return Plan(chosen={"(2)"}, status="filled",
                     notes=["勾選依據：紀錄載明電子投標；是否併允書面投標(1)，請機關決定。"])
    return Plan(chosen={"(1)"}, status="filled", notes=["勾選依據：紀錄載明不採電子投標。"])


def _p_clarification(ctx: Context, p: TemplatePoint) -> Plan:
    days = ctx.case.effective_tender_days
    if days and days > 0:
        return Plan(notes=[f"本案等標期{days}日，釋疑期限為自公告日起{math.ceil(days / 4)}日。"])
    return Plan()


def _p_validity(ctx: Context, p: TemplatePoint) -> Plan:
    return Plan(fills=[("自投標時起至開標後______日止", f"自投標時起至開標後{ctx.need('投標文件有效期（開標後日數）')}日止")],
                 status="pending")


def _p_opening_time(ctx: Context, p: TemplatePoint) -> Plan:
    at = ctx.case.opening_at
    blank = "民國___年___ 月___日__午___時___分"
    if at is not None:
        value = roc_datetime(at) if (at.hour or at.minute) else roc_date(at.date()) + ctx.need("開標時刻")
        return Plan(fills=[(blank, value)], status="filled")
    if not ctx.open_like:
        return Plan()
    return Plan(fills=[(blank, ctx.need("開標時間"))], status="pending",
                 notes=["開標時間為等標期屆滿當日或次一上班日（政府採購法施行細則第49條之1）。"])


def _p_opening_place(ctx: Context, p: TemplatePoint) -> Plan:
    v = ctx.case.opening_place
    if v:
        return Plan(header_value=v, status="filled")
    if not ctx.open_like:
        return Plan()
    return Plan(header_value=ctx.need("開標地點"), status="pending")


def _p_bid_bond(ctx: Context, p: TemplatePoint) -> Plan:
    charged = bid_bond_charged(ctx)
    if charged:
        return Plan(chosen={"(1)"}, fills=[("(1)一定金額：", f"(1)一定金額：{format_twd(ctx.case.bid_bond or 0)}")],
                     status="filled")
    if charged is False:
        return Plan(status="filled", notes=["本案不收押標金（理由見第38點），本點免填。"])
    item = ctx.bond_item("押標金")
    plan = Plan(status="pending", missing=["押標金"])
    if item is not None:
        plan.fills.append(("(1)一定金額：", f"(1)一定金額：{pending('押標金')}"))
        plan.notes.append(f"押標金{item.requirement}（{item.requirement_rule}）；以一定金額計者原則不逾"
                          f"{format_twd(item.cap_fixed_amount or 0)}，以標價之一定比率計者原則不逾5%，"
                          "且均不得逾新臺幣5,000萬元（押標金保證金暨其他擔保作業辦法第9條）。")
    else:
        plan.notes.append("預算金額未定，無法判斷押標金應否收取及其上限（押標金保證金暨其他擔保作業辦法第9條）。")
    return plan


def _p_ebid_reduction(ctx: Context, p: TemplatePoint) -> Plan:
    if ctx.case.electronic_bid and bid_bond_charged(ctx):
        cap = (ctx.case.bid_bond or 0) // 10
        return Plan(notes=[f"採電子投標者得減收押標金，額度以不逾押標金金額之10%（本案{format_twd(cap)}）為限"
                            "（押標金保證金暨其他擔保作業辦法第9條之1）。"])
    return Plan()


def _p_bid_bond_validity(ctx: Context, p: TemplatePoint) -> Plan:
    if bid_bond_charged(ctx):
        return Plan(fills=[("： 年 月 日。", f"：{ctx.need('押標金有效期')}。")], status="pending")
    return Plan()


def _p_cash(ctx: Context, p: TemplatePoint) -> Plan:
    if bid_bond_charged(ctx):
        return Plan(status="agency", missing=["第37點：押標金現金繳納方式（待機關勾選）"])
    return Plan()


def _p_bid_waiver(ctx: Context, p: TemplatePoint) -> Plan:
    case = ctx.case
    charged = bid_bond_charged(ctx)
    if charged or charged is None:
        return Plan()
    if case.bid_bond_waiver:
        return Plan(chosen={BOND_WAIVER_OPTION[case.bid_bond_waiver]}, status="filled",
                     notes=[f"勾選依據：紀錄之無押標金理由為「{case.bid_bond_waiver}」。"])
    if case.category == "勞務":
        lbl = ctx.cite(ACT, "30", "一、勞務採購，以免收押標金、保證金為原則。")
        return Plan(chosen={"(1)"}, status="filled",
                     notes=[f"勾選依據：{lbl}第1項第1款「勞務採購，以免收押標金、保證金為原則」；如擬收取，請取消本勾選並填第32點。"])
    if ctx.below and case.category in ("工程", "財物"):
        return Plan(chosen={"(2)"}, status="filled", notes=["勾選依據：紀錄載押標金為0，本案為未達公告金額之工程、財物採購。"])
    return Plan(status="pending", missing=["無押標金之理由"])


def _p_perf_bond(ctx: Context, p: TemplatePoint) -> Plan:
    charged = perf_bond_charged(ctx)
    if charged:
        return Plan(fills=[("一定金額： ；", f"一定金額：{format_twd(ctx.case.performance_bond or 0)}；")], status="filled")
    if charged is False:
        return Plan(status="filled", notes=["本案不收履約保證金（理由見第44點），本點免填。"])
    item = ctx.bond_item("履約保證金")
    plan = Plan(status="pending", missing=["履約保證金"],
                 fills=[("一定金額： ；", f"一定金額：{pending('履約保證金')}；")])
    if item is not None:
        plan.notes.append(f"履約保證金{item.requirement}（{item.requirement_rule}）；以一定金額計者原則不逾"
                          f"{format_twd(item.cap_fixed_amount or 0)}，以契約金額之一定比率計者原則不逾10%"
                          "（押標金保證金暨其他擔保作業辦法第15條）。")
    return plan


def _p_perf_deadline(ctx: Context, p: TemplatePoint) -> Plan:
    if perf_bond_charged(ctx) is False:
        return Plan()
    plan = Plan(header_value=ctx.need("履約保證金繳納期限"), status="pending")
    if ctx.tier_code in ("audit", "large"):
        plan.notes.append("查核金額以上之採購，應訂定14日以上之合理期限（押標金保證金暨其他擔保作業辦法第18條第1項）。")
    return plan


def _p_perf_waiver(ctx: Context, p: TemplatePoint) -> Plan:
    case = ctx.case
    charged = perf_bond_charged(ctx)
    if charged or charged is None:
        return Plan()
    if case.performance_bond_waiver in PERF_WAIVER_OPTION:
        return Plan(chosen={PERF_WAIVER_OPTION[case.performance_bond_waiver]}, status="filled",
                     notes=[f"勾選依據：紀錄之無履約保證金理由為「{case.performance_bond_waiver}」。"])
    if case.category == "勞務":
        lbl = ctx.cite(ACT, "30", "一、勞務採購，以免收押標金、保證金為原則。")
        return Plan(chosen={"(1)"}, status="filled",
                     notes=[f"勾選依據：{lbl}第1項第1款；如擬收取履約保證金，請取消本勾選並填第39點。"])
    if ctx.below and case.category in ("工程", "財物"):
        return Plan(chosen={"(2)"}, status="filled", notes=["勾選依據：紀錄載履約保證金為0，本案為未達公告金額之工程、財物採購。"])
    return Plan(status="pending", missing=["無履約保證金之理由"])


def _p_award(ctx: Context, p: TemplatePoint) -> Plan:
    a = ctx.case.award_basis
    if a is None or a == "複數決標":
        return Plan(status="pending", missing=["決標原則"])
    plan = Plan(status="filled", notes=[f"勾選依據：決標原則為{a}。"])
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


def _p_multiple(ctx: Context, p: TemplatePoint) -> Plan:
    a = ctx.case.award_basis
    if a is None:
        return Plan(status="agency", missing=["第59點：是否複數決標（待機關勾選）"])
    return Plan(chosen={"(2)" if a == "複數決標" else "(1)"}, status="filled", notes=[f"勾選依據：決標原則為{a}。"])


def _p_negotiation(ctx: Context, p: TemplatePoint) -> Plan:
    a = ctx.case.award_basis
    if a in ("最低標", "評分及格最低標", "最高標"):
        return Plan(chosen={"(2)"}, status="filled",
                     notes=[f"勾選依據：協商措施限於最有利標（政府採購法第56條），本案決標原則為{a}。"])
    return Plan(status="agency", missing=["第61點：無法決標時是否採行協商措施（待機關勾選）"])


def _p_basic_qualification(ctx: Context, p: TemplatePoint) -> Plan:
    return Plan(header_value=ctx.need("投標廠商基本資格及證明文件"), status="pending")


def _p_selective_reason(ctx: Context, p: TemplatePoint) -> Plan:
    if ctx.case.method == "選擇性招標":
        return Plan(header_value=ctx.need("限制投標廠商資格之理由及其必要性"), status="pending")
    return Plan()


def _p_documents(ctx: Context, p: TemplatePoint) -> Plan:
    return Plan(chosen={"(2)"}, status="agency", missing=["第87點：全份招標文件其餘項目（待機關勾選）"],
                 notes=["勾選依據：本文件即投標須知；其餘文件由機關依本案實際檢附者勾選。"])


def _p_deadline(ctx: Context, p: TemplatePoint) -> Plan:
    case = ctx.case
    if case.deadline:
        t = case.deadline_time
        when = roc_date(case.deadline) + (f"{t.hour}時{t.minute:02d}分" if t else ctx.need("截止時刻"))
        plan = Plan(fills=[("須於 年 月 日 時 分前", f"須於{when}前")], status="filled")
    else:
        plan = Plan(fills=[("須於 年 月 日 時 分前", f"須於{ctx.need(ctx.deadline_label)}前")], status="pending")
        if ctx.period and ctx.period.details.earliest_deadline:
            plan.notes.append(f"依公告日{roc_date(case.announced_on or ctx.on)}及法定最少等標期，截止日最早為"
                              f"{roc_date(ctx.period.details.earliest_deadline)}（招標期限標準第11條）。")
    plan.header_value = case.submission_place or ctx.need("收件地點或網站")
    return plan


def _p_audit_contacts(ctx: Context, p: TemplatePoint) -> Plan:
    return Plan(header_value=ctx.need("採購稽核小組及調查站處檢舉電話、傳真、地址及信箱"), status="pending")


POINT_PLANS: dict[str, PlanFn] = {
    "2": _p_name, "3": _p_category, "4": _p_tier, "5": _p_joint_supply, "6": _p_budget, "7": _p_estimated,
    "8": _p_superior, "12": _p_protest, "13": _p_complaint, "15": _p_method, "19": _p_delivery,
    "20": _p_clarification, "24": _p_validity, "27": _p_opening_time, "28": _p_opening_place, "32": _p_bid_bond,
    "33": _p_ebid_reduction, "35": _p_bid_bond_validity, "37": _p_cash, "38": _p_bid_waiver, "39": _p_perf_bond,
    "43": _p_perf_deadline, "44": _p_perf_waiver, "58": _p_award, "59": _p_multiple, "61": _p_negotiation,
    "64": _p_basic_qualification, "76": _p_selective_reason, "87": _p_documents, "90": _p_deadline,
    "93": _p_audit_contacts,
}
AUTO_POINTS: tuple[str, ...] = tuple(POINT_PLANS)
"""Points completed from the case (the others keep the printed text or are left to the agency)."""


def default_plan(ctx: Context, p: TemplatePoint) -> Plan:
    if p.no in AGENCY_TOPICS:
        return Plan(status="agency", missing=[f"{p.label}：{AGENCY_TOPICS[p.no]}（待機關勾選）"])
    return Plan()
