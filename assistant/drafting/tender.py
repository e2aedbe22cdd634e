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

import re
from datetime import date
from pathlib import Path
from typing import Any, cast

from assistant.calculators import ArticleIndex, ThresholdTable
from core.dates import roc_date, roc_datetime, roc_full
from core.money import format_twd

from .case import CaseInput
from .models import CHOSEN, NOT_CHOSEN, DraftLine, DraftPoint, TenderDraft, pending
from .template import TemplatePoint, TenderTemplate
from .tender_checks import validate_case
from .tender_context import (
    TIER_OPTION,
    Context,
    bid_bond_charged,
    is_taichung,
    perf_bond_charged,
    run_calculators,
)
from .tender_points import GOODS_NATURES, POINT_PLANS, Plan, default_plan

# Points whose unlabeled lines are check-box choices on the official form.
CHOICE_LINE_POINTS = {"13", "31", "34", "41", "49", "64", "86", "87"}
# 第16點: the unlabeled lines that are check boxes on the form (the rest are headings and notes).
_P16_PREFIXES = ("世界貿易組織", "臺紐", "臺星", "其他(", "不可參與投標", "下列外國廠商", "採購法第43條", "採購法第17條",
                 "選項A", "選項B", "砂石", "木材")
_P16_TABLE_START = "遙控無人機資安檢測需求"

_LABEL_RE = re.compile(r"^[(（]\s*(\d+(?:-\d+)*)\s*[)）]")


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


def _render_point(ctx: Context, p: TemplatePoint, plan: Plan) -> DraftPoint:
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
Rows = list[tuple[str, str]]


def _summary(ctx: Context) -> Rows:
    """The 案件摘要 block: (label, value) rows; a missing value is 【待補】 and listed in ``ctx.missing``."""
    return _case_rows(ctx) + _period_rows(ctx) + _bond_rows(ctx) + _remedy_rows(ctx) + _attachment_rows(ctx)


def _value(ctx: Context, label: str, value: str | None, missing_name: str | None = None) -> tuple[str, str]:
    return label, value if value else ctx.need(missing_name or label)


def _case_rows(ctx: Context) -> Rows:
    """Name, number, agency, subject, amounts, tier, method and award basis."""
    case = ctx.case
    cat_text: str | None = case.category
    if case.category == "財物" and case.goods_nature:
        cat_text = f"財物（{'、'.join(case.goods_nature)}）"
    rows = [_value(ctx, "標案名稱", case.name), _value(ctx, "案號", case.case_no), _value(ctx, "機關名稱", case.agency),
            _value(ctx, "承辦單位", case.unit), _value(ctx, "採購標的", cat_text),
            _value(ctx, "預算金額", format_twd(case.budget) if case.budget is not None else None)]
    if case.procurement_amount is not None and case.procurement_amount != case.budget:
        rows.append(_value(ctx, "採購金額", format_twd(case.procurement_amount)))
    tier = ctx.tier.details if ctx.tier else None
    rows.append(_value(ctx, "採購金額級距", f"{tier.tier_zh}（範本第4點{TIER_OPTION[tier.tier]}）" if tier else None))
    method: str | None = case.method
    if method == "限制性招標" and case.restricted_item:
        method += f"（政府採購法第22條第1項第{case.restricted_item}款" + (f"，{case.restricted_mode}）" if case.restricted_mode else "）")
    rows.append(_value(ctx, "招標方式", method))
    rows.append(_value(ctx, "決標原則", case.award_basis))
    return rows


def _period_rows(ctx: Context) -> Rows:
    """等標期 with its legal minimum, the deadline, and the opening time and place."""
    case = ctx.case
    days = case.effective_tender_days
    minimum = ctx.period.details.minimum_days if ctx.period else None
    legal = ""
    if ctx.period is not None:
        legal = (f"法定最少{minimum}日，依{ctx.period.details.base_rule}" if minimum is not None
                 else ctx.period.answer_zh)
    rows: Rows = []
    if days is not None:
        rows.append(("等標期", f"{days}日" + (f"；{legal}" if legal else "")))
    else:
        rows.append(("等標期", ctx.need("等標期") + (f"（{legal}）" if legal else "（須先確定採購金額級距及招標方式）")))
    dl = case.deadline
    rows.append((ctx.deadline_label, roc_date(dl) if dl else ctx.need(ctx.deadline_label)))
    if ctx.open_like:
        at = case.opening_at
        if at is not None and not (at.hour or at.minute):
            rows.append(("開標時間", roc_date(at.date()) + ctx.need("開標時刻")))
        else:
            rows.append(_value(ctx, "開標時間", roc_datetime(at) if at else None))
        rows.append(_value(ctx, "開標地點", case.opening_place))
    return rows


def _bond_rows(ctx: Context) -> Rows:
    """押標金 and 履約保證金: the amount, the waiver with its reason, or 待補 with the cap."""
    case = ctx.case
    rows: Rows = []
    bid = ctx.bond_item("押標金")
    charged = bid_bond_charged(ctx)
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
    pc = perf_bond_charged(ctx)
    if pc:
        rows.append(("履約保證金", format_twd(case.performance_bond or 0)))
    elif pc is False:
        rows.append(("履約保證金", f"免收（{case.performance_bond_waiver or '勞務採購'}；政府採購法第30條第1項）"))
    elif perf is not None:
        rows.append(("履約保證金", ctx.need("履約保證金") + f"（{perf.requirement}；一定金額原則上限{format_twd(perf.cap_fixed_amount or 0)}）"))
    else:
        rows.append(("履約保證金", ctx.need("履約保證金") + "（預算金額未定，無法計算上限）"))
    return rows


def _remedy_rows(ctx: Context) -> Rows:
    """Where 異議 and 申訴 go (政府採購法第75條、第76條)."""
    agency = ctx.case.agency
    rows = [("受理異議機關", f"同招標機關（{agency}）（政府採購法第75條）" if agency else ctx.need("受理異議機關"))]
    if is_taichung(agency):
        rows.append(("受理申訴機關", "臺中市政府採購申訴審議委員會（政府採購法第76條）"))
    else:
        rows.append(("受理申訴機關", ctx.need("受理申訴機關")))
    return rows


def _attachment_rows(ctx: Context) -> Rows:
    """Public inspection (查核金額以上), the 評選 attachment (最有利標) and the quotation form (報價)."""
    case = ctx.case
    rows: Rows = []
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
def _markdown(tpl: TenderTemplate, ctx: Context, summary: list[tuple[str, str]], points: list[DraftPoint]) -> str:
    case = ctx.case
    out = ["# 投標須知（草稿）", ""]
    out.append(f"- 案號：{case.case_no or pending('案號')}")
    out.append(f"- 標案名稱：{case.name or pending('標案名稱')}")
    out.append(f"- 依據：{tpl.issuer}{tpl.title}（{tpl.version}版）")
    out.append(f"- 草擬日期：{roc_full(ctx.on)}")
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


def build_tender_instructions(case: CaseInput, *, on: date, articles: ArticleIndex | None = None,
                              template_path: Path | None = None,
                              thresholds: ThresholdTable | None = None) -> TenderDraft:
    """Draft the 投標須知 for ``case`` on the PCC template; ``on`` is the date thresholds are judged on."""
    tpl = TenderTemplate.load(template_path)
    ctx = Context(case=case, on=on, articles=articles or ArticleIndex.load(), thresholds=thresholds)
    run_calculators(ctx)
    summary = _summary(ctx)
    validate_case(ctx)
    points: list[DraftPoint] = []
    for p in tpl.points:
        plan = POINT_PLANS.get(p.no, default_plan)(ctx, p)
        for m in plan.missing:
            ctx.need(m)
        points.append(_render_point(ctx, p, plan))
    markdown = _markdown(tpl, ctx, summary, points)
    return TenderDraft(title="投標須知（草稿）", case_no=case.case_no, summary=summary, points=points,
                       markdown=markdown, missing_fields=list(ctx.missing), warnings=list(ctx.warnings),
                       notes=list(ctx.notes), citations=list(ctx.citations), tool_calls=ctx.tool_calls)
