"""Checks of a case against the procurement rules; each warning (zh-TW) cites its article."""

from __future__ import annotations

from core.dates import roc_date, roc_datetime
from core.money import format_twd

from .tender_context import (
    ACT,
    BOND_RULES,
    INSPECTION,
    PERIOD_STD,
    RULES,
    WEEKDAY_ZH,
    Context,
)


# --- validations (warnings cite their article) --------------------------------------------------------
def validate_case(ctx: Context) -> None:
    """Check the case; findings go to ``ctx.warnings`` and reminders to ``ctx.notes``, in this order."""
    _check_stated_tier(ctx)
    _check_method_for_tier(ctx)
    _check_method_basis(ctx)
    _check_tender_period(ctx)
    _check_bonds(ctx)
    _check_public_inspection(ctx)
    _check_award_basis(ctx)


def _check_stated_tier(ctx: Context) -> None:
    """The tier stated in the record vs the computed one."""
    case = ctx.case
    if case.stated_tier and ctx.tier is not None:
        stated = case.stated_tier.replace("之採購", "").replace("採購", "")
        computed = ctx.tier.details.tier_name.replace("採購", "")
        if stated not in (computed, ctx.tier.details.tier_zh) and computed not in stated:
            lbl = ctx.cite(RULES, "6", "依採購金額於招標前認定之")
            ctx.warnings.append(f"紀錄所載採購金額級距「{case.stated_tier}」與依採購金額{format_twd(case.tier_amount or 0)}"
                                f"計算之「{ctx.tier.details.tier_zh}」不符（{lbl}），第4點依計算結果勾選，請確認。")


def _check_method_for_tier(ctx: Context) -> None:
    """The tendering method against the tier (公開取得書面報價, 小額採購 and 選擇性招標 have amount limits)."""
    case, w, tier = ctx.case, ctx.warnings, ctx.tier_code
    if tier is None or not case.method:
        return
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


def _check_method_basis(ctx: Context) -> None:
    """The legal basis (款) of 選擇性招標 and 限制性招標."""
    case, w = ctx.case, ctx.warnings
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


def _check_tender_period(ctx: Context) -> None:
    """等標期 against the legal minimum, the deadline on a rest day, the opening before the deadline."""
    case, w = ctx.case, ctx.warnings
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
        w.append(f"截止投標日{roc_date(case.deadline)}為星期{WEEKDAY_ZH[case.deadline.weekday()]}；"
                 f"依{lbl}，截止日為休息日者以其休息日之次日代之，請確認截止日。")
    if case.deadline and case.opening_at and case.opening_at.date() < case.deadline:
        lbl = ctx.cite(RULES, "49-1", "其招標文件所標示之開標時間，為等標期屆滿當日或次一上班日。")
        w.append(f"開標時間{roc_datetime(case.opening_at)}早於截止投標日{roc_date(case.deadline)}（{lbl}）。")


def _check_public_inspection(ctx: Context) -> None:
    """Public inspection of the documents for 查核金額以上; the 巨額採購 reminder."""
    case, tier = ctx.case, ctx.tier_code
    if tier in ("audit", "large"):
        lbl = ctx.cite(INSPECTION, "2", "機關辦理查核金額以上之採購，應於公告招標前辦理招標文件之公開閱覽。")
        if case.public_inspection is False:
            ctx.warnings.append(f"查核金額以上之採購應於公告招標前辦理招標文件公開閱覽（{lbl}），紀錄為未辦理；"
                                "除符合同點但書各款（例如經機關首長或其授權人員核准）外，請先辦理公開閱覽。")
        elif case.public_inspection is None:
            ctx.notes.append(f"查核金額以上之採購，應於公告招標前辦理招標文件公開閱覽（{lbl}）；"
                             "辦理且內容未經重大改變者，等標期得縮短5日但不得少於10日（招標期限標準第9條第1款）。")
    if tier == "large":
        ctx.notes.append("巨額採購：第4點須勾選已依「機關提報巨額採購使用情形及效益分析作業規定」簽准預期使用情形及效益目標。")


def _check_award_basis(ctx: Context) -> None:
    """The award basis: 最有利標 needs approval; its variants are limited to some methods and tiers."""
    case, w = ctx.case, ctx.warnings
    if case.award_basis in ("最有利標",) and case.method in ("公開招標", "選擇性招標"):
        lbl = ctx.cite(ACT, "56", "機關採最有利標決標者，應先報經上級機關核准。")
        ctx.notes.append(f"採最有利標決標者，應先報經上級機關核准（{lbl}）；評選項目、標準及評定方式應列入附件"
                         f"（{ctx.cite(ACT, '56', '未列入之項目，不得做為評選之參考。')}）。")
    if case.award_basis == "準用最有利標" and case.restricted_item not in (9, 10, 11, 14):
        w.append("準用最有利標限依政府採購法第22條第1項第9款、第10款、第11款或第14款辦理者（範本第58點(2-2)），"
                 "紀錄未載明或款次不符。")
    if case.award_basis == "取最有利標精神" and ctx.below is False:
        w.append("「未達公告金額之採購參考最有利標精神擇符合需要者辦理議價」（範本第58點(2-3)）僅適用於未達公告金額之採購。")


def _check_bonds(ctx: Context) -> None:
    basis = ctx.bonds.details.basis_label if ctx.bonds else "預算金額"
    _check_bid_bond(ctx, basis)
    _check_performance_bond(ctx, basis)
    _check_bond_waivers(ctx)
    _check_bid_bond_required(ctx)


def _check_bid_bond(ctx: Context, basis: str) -> None:
    case, w = ctx.case, ctx.warnings
    bid = ctx.bond_item("押標金")
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


def _check_performance_bond(ctx: Context, basis: str) -> None:
    case, w = ctx.case, ctx.warnings
    perf = ctx.bond_item("履約保證金")
    if case.performance_bond and perf is not None and perf.cap_fixed_amount is not None \
            and case.performance_bond > perf.cap_fixed_amount:
        lbl = ctx.cite(BOND_RULES, "15", "前項一定金額，以不逾預算金額或預估採購總額之百分之十為原則；一定比率，以不逾契約金額之百分之十為原則。")
        w.append(f"履約保證金{format_twd(case.performance_bond)}逾{basis}10%（{format_twd(perf.cap_fixed_amount)}）之原則上限（{lbl}）。")


def _check_bond_waivers(ctx: Context) -> None:
    """A reason for not collecting a bond (政府採購法第30條第1項各款) that does not fit the case."""
    case, w = ctx.case, ctx.warnings
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


def _check_bid_bond_required(ctx: Context) -> None:
    case = ctx.case
    bid = ctx.bond_item("押標金")
    if case.bid_bond == 0 and not case.bid_bond_waiver and bid is not None and bid.requirement == "應收取":
        lbl = ctx.cite(ACT, "30", "機關辦理招標，應於招標文件中規定投標廠商須繳納押標金")
        ctx.warnings.append(f"紀錄載押標金為0，但本案不符免收要件（{lbl}第1項第1款至第3款），應收取押標金或敘明第4款理由。")
