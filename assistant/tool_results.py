"""Typed tool results, one class per tool family; each renders itself.

``text_zh`` is the direct-answer paragraph of the extractive answer (the count first, then the items,
each with the fields staff ask about: who won and for how much, when and why, where, the next due date);
``to_json`` is the answer object's ``tool_calls[].result`` (docs/DESIGN.md) and what the LLM agent reads
in its tool message: the result model dumped as JSON (``model_dump(mode="json")``), a list for the list
tools. The results stay typed from ``ToolBox.call`` to the edge (``Answer.contract()``, the API).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from assistant.calculators.models import (
    AmountResult,
    CalculatorResult,
    GuaranteeResult,
    TenderPeriodResult,
    TierResult,
)
from assistant.models import JSON, AnswerCitation, ToolResult
from assistant.threshold_answer import ThresholdAnswer
from core.citation import CitationKey
from knowledge.base import Article
from knowledge.records.results import (
    AedStatus,
    BuildingSafetyStatus,
    CaseDetail,
    CaseOut,
    ConsultationOut,
    DrillOut,
    FailedEventOut,
    FailedTenderReport,
    InspectionOut,
    RetentionOut,
    SeedTeacherOut,
    SuspendedVendorOut,
    SuspensionOut,
    VendorCheckResult,
    VendorStatus,
)
from knowledge.retrieval import SearchHit

SAMPLE_NOTE = "（範例資料）"
SHOW = 12
HIT_FIELDS = {"title", "no", "label", "score", "text", "amended", "chapter", "domain", "matched", "partial"}
ARTICLE_FIELDS = {"title", "no", "label", "chapter", "text", "amended", "effective", "version", "partial",
                  "is_current"}

Row = TypeVar("Row", bound=BaseModel)


def _money(v: int | None) -> str:
    return f"新臺幣{v:,}元" if isinstance(v, int) else "—"


def _record_cites(cites: Sequence[CitationKey]) -> list[AnswerCitation]:
    return [AnswerCitation(title=c.title, no=c.no, quote="") for c in cites]


# --- knowledge ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SearchResult(ToolResult):
    """search_regulations: the hits, best first (evidence for the composer, not an answer)."""

    hits: list[SearchHit]
    compacted: bool = False

    def hit_dicts(self) -> list[dict[str, object]]:
        return [h.model_dump(include=HIT_FIELDS) for h in self.hits]

    def to_json(self) -> JSON:
        if self.compacted:
            return [{"title": h.title, "no": h.no, "score": h.score} for h in self.hits]
        return [h.model_dump(mode="json", include=HIT_FIELDS) for h in self.hits]

    def compact(self) -> SearchResult:
        return SearchResult(self.hits, compacted=True)


@dataclass(frozen=True)
class ArticleResult(ToolResult):
    """get_article: one citable unit in full."""

    article: Article

    def to_json(self) -> JSON:
        return self.article.model_dump(mode="json", include=ARTICLE_FIELDS)


# --- calculators ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Calculation(ToolResult):
    """procurement_tier, procurement_threshold, procurement_amount, tender_period, bid_bond_and_guarantees."""

    value: CalculatorResult | ThresholdAnswer

    def to_json(self) -> JSON:
        return self.value.model_dump(mode="json")

    def text_zh(self) -> str | None:
        return self.value.answer_zh or None

    def cited(self) -> list[AnswerCitation]:
        return [AnswerCitation(title=c.title, no=c.no, quote=c.quote or "", amended=c.amended)
                for c in self.value.citations]


CALCULATIONS: dict[str, type[CalculatorResult]] = {
    "procurement_tier": TierResult,
    "procurement_amount": AmountResult,
    "tender_period": TenderPeriodResult,
    "bid_bond_and_guarantees": GuaranteeResult,
}  # the calculators the drafting package records (procurement_threshold answers questions only)


def calculation_from_json(name: str, data: object) -> Calculation | None:
    """A calculator result recorded as JSON elsewhere (the drafting package), typed again; None if not one."""
    kind = CALCULATIONS.get(name)
    return None if kind is None or not isinstance(data, dict) else Calculation(kind.model_validate(data))


# --- records: one record or report ------------------------------------------------------------------
@dataclass(frozen=True)
class CaseFound(ToolResult):
    """lookup_case: a case with its tender events."""

    case: CaseDetail

    def to_json(self) -> JSON:
        return self.case.model_dump(mode="json")

    def text_zh(self) -> str | None:
        r = self.case
        parts = [f"案號 {r.case_no}「{r.name}」", f"類別：{r.category}", f"招標方式：{r.method}", f"狀態：{r.status}"]
        if r.budget is not None:
            parts.append(f"預算金額：新臺幣{r.budget:,}元")
        if r.vendor_name:
            parts.append(f"得標廠商：{r.vendor_name}（統編 {r.vendor_tax_id}）")
        if r.award_amount is not None:
            parts.append(f"決標金額：新臺幣{r.award_amount:,}元" + (f"（{r.awarded_on} 決標）" if r.awarded_on else ""))
        ev = [f"{e.event_on} {e.kind}" + (f"（{e.cause_label}）" if e.cause_label else "") for e in r.events]
        if ev:
            parts.append("歷程：" + "；".join(ev))
        return "，".join(parts)


@dataclass(frozen=True)
class FailedReport(ToolResult):
    """failed_tender_report: 流標／廢標 counts and rates by cause, unit, category or month."""

    report: FailedTenderReport

    def to_json(self) -> JSON:
        return self.report.model_dump(mode="json")

    def text_zh(self) -> str | None:
        r = self.report
        period = f"{r.date_from or '最早'}至{r.date_to or '最近'}"
        head = (f"{period}流標／廢標 {r.failed} 次，占已完成之招標 {r.rounds} 次"
                + (f"的 {r.rate:.1%}" if isinstance(r.rate, float) else "") + "（範例資料）")
        by = {"cause": "原因", "unit": "單位", "category": "類別", "month": "月份"}.get(r.group_by, "")
        body = "；".join(f"{x.label} {x.failed} 次"
                        + (f"（失敗率 {x.rate:.1%}）" if isinstance(x.rate, float) and by != "原因" else "")
                        + (f"（占 {x.share:.1%}）" if isinstance(x.share, float) and by == "原因" else "")
                        for x in r.rows[:12])
        return head + (f"\n  依{by}：{body}" if body else "")


def _vendor_line(v: VendorStatus, on: object) -> str:
    if v.suspended:
        act = v.active_suspensions[0]
        return (f"{v.name}（統編 {v.tax_id}）於 {on} 仍在刊登政府採購公報期間："
                f"{act.start_on} 至 {act.end_on}，事由：{act.ground_label}（{act.legal_basis}）"
                + (f"，{act.case_ref}" if act.case_ref else ""))
    last: SuspensionOut | None = v.past_suspensions[-1] if v.past_suspensions else None
    return (f"{v.name}（統編 {v.tax_id}）於 {on} 不在停權期間"
            + (f"；最近一次停權 {last.start_on} 至 {last.end_on} 已屆滿（{last.legal_basis}，"
               f"{last.ground_label}）" if last else "，無停權紀錄"))


@dataclass(frozen=True)
class VendorCheck(ToolResult):
    """vendor_suspension_check: whether a vendor is suspended (刊登政府採購公報) on a day."""

    check: VendorCheckResult

    def to_json(self) -> JSON:
        return self.check.model_dump(mode="json")

    def text_zh(self) -> str | None:
        if not self.check.found:
            return f"查無廠商「{self.check.query}」的紀錄（範例資料庫）。"
        return "；".join(_vendor_line(v, self.check.on) for v in self.check.vendors)

    def cited(self) -> list[AnswerCitation]:
        return _record_cites(self.check.citations)

    def missing_zh(self) -> str | None:
        return None if self.check.found else f"紀錄資料庫中查無廠商「{self.check.query}」"


@dataclass(frozen=True)
class SafetyStatus(ToolResult):
    """building_safety_status: AEDs, drills and inspections of the city hall on a day."""

    status: BuildingSafetyStatus

    def to_json(self) -> JSON:
        return self.status.model_dump(mode="json")

    def text_zh(self) -> str | None:
        r = self.status
        bits = [f"截至 {r.on}：AED 有狀況 {r.aeds_with_issues} 台"]
        issues = [f"{a.location}（{a.floor}）：{'、'.join(a.issues)}" for a in r.aeds if a.issues]
        if issues:
            bits.append("；".join(issues[:6]))
        bits.append("消防演練規定" + ("已符合" if r.drill_rule_met else "未符合")
                    + (f"，下次應於 {r.drill_next_due} 前辦理" if r.drill_next_due else ""))
        bits.append(f"設備檢修申報逾期 {r.inspections_overdue} 項、即將到期 {r.inspections_due_soon} 項（範例資料）")
        return "；".join(bits)

    def cited(self) -> list[AnswerCitation]:
        return _record_cites(self.status.citations)


@dataclass(frozen=True)
class ConsultationLogged(ToolResult):
    """log_consultation: the consultation as written."""

    entry: ConsultationOut

    def to_json(self) -> JSON:
        return self.entry.model_dump(mode="json")

    def cited(self) -> list[AnswerCitation]:
        return _record_cites(self.entry.citations)


# --- records: lists ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordList(ToolResult, Generic[Row]):
    """A list tool's rows; an empty list is a look-up that found nothing."""

    rows: list[Row]

    def to_json(self) -> JSON:
        return [r.model_dump(mode="json") for r in self.rows]

    def is_empty(self) -> bool:
        return not self.rows


def _case_line(x: CaseOut) -> str:
    bits = [f"{x.case_no}「{x.name}」", f"{x.unit}", f"{x.method}", f"狀態：{x.status}"]
    if x.announced_on:
        bits.append(f"公告 {x.announced_on}")
    if x.vendor_name:
        bits.append(f"得標廠商：{x.vendor_name}")
    if x.award_amount is not None:
        bits.append(f"決標金額：{_money(x.award_amount)}" + (f"（{x.awarded_on} 決標）" if x.awarded_on else ""))
    return "，".join(bits)


@dataclass(frozen=True)
class CaseList(RecordList[CaseOut]):
    """find_cases; ``by_award`` when the question asked for the highest award."""

    by_award: bool = False

    def text_zh(self) -> str | None:
        rows = self.rows
        if not rows:
            return "紀錄資料庫中查無符合條件的採購案" + SAMPLE_NOTE + "。"
        if self.by_award:
            return f"決標金額最高的是 {_case_line(rows[0])}" + SAMPLE_NOTE + "。"
        head = f"符合條件的採購案共{len(rows)}件{SAMPLE_NOTE}"
        more = f"（另有{len(rows) - SHOW}件未列出）" if len(rows) > SHOW else ""
        return head + "：\n" + "\n".join(f"  - {_case_line(x)}" for x in rows[:SHOW]) + more


@dataclass(frozen=True)
class VendorCases(RecordList[CaseOut]):
    """vendor_cases: the cases a vendor won, largest award first."""

    vendor: str = ""

    def text_zh(self) -> str | None:
        rows = self.rows
        if not rows:
            return f"紀錄資料庫中查無廠商「{self.vendor}」得標的採購案{SAMPLE_NOTE}。"
        name = rows[0].vendor_name or self.vendor
        tax = rows[0].vendor_tax_id
        head = f"{name}" + (f"（統編 {tax}）" if tax else "") + f"得標本處採購案共{len(rows)}件{SAMPLE_NOTE}，"
        head += f"金額最大的是 {rows[0].case_no}（{_money(rows[0].award_amount)}）"
        return head + "：\n" + "\n".join(f"  - {_case_line(x)}" for x in rows[:SHOW])

    def missing_zh(self) -> str | None:
        return f"紀錄資料庫中查無廠商「{self.vendor}」的得標紀錄" if not self.rows else None


@dataclass(frozen=True)
class FailedEvents(RecordList[FailedEventOut]):
    """failed_tender_events: each 流標／廢標 with its date and cause."""

    kind: str | None = None

    def text_zh(self) -> str | None:
        rows, what = self.rows, self.kind or "流標或廢標"
        if not rows:
            return f"紀錄資料庫中查無符合條件的{what}紀錄{SAMPLE_NOTE}。"
        cases = list(dict.fromkeys(x.case_no for x in rows))
        head = f"共{len(rows)}次{what}，涉及{len(cases)}案（{'、'.join(cases[:SHOW])}）{SAMPLE_NOTE}"
        body = "\n".join(
            f"  - {x.event_on} {x.case_no}「{x.name}」{x.kind}"
            + (f"，原因：{x.cause_label}" if x.cause_label else "")
            + (f"（{x.note}）" if x.note else "")
            for x in rows[:SHOW]
        )
        return head + "：\n" + body


@dataclass(frozen=True)
class SuspendedVendors(RecordList[SuspendedVendorOut]):
    """suspended_vendors: vendors by suspension status on a day (still suspended, released, not yet begun)."""

    on: str = ""
    status: str = "停權中"

    def text_zh(self) -> str | None:
        what = _SUSPENSION_HEADS.get(self.status, _SUSPENSION_HEADS["停權中"])
        if not self.rows:
            return f"{self.on} 沒有{what}的廠商{SAMPLE_NOTE}。"
        body = "\n".join(
            f"  - {x.name}（統編 {x.tax_id}）：{x.suspension.start_on} 至 "
            f"{x.suspension.end_on}，{x.suspension.legal_basis}（{x.suspension.ground_label}）"
            for x in self.rows
        )
        return f"{self.on} {what}的廠商共{len(self.rows)}家{SAMPLE_NOTE}：\n" + body


# how each suspension status (knowledge.records.vocab.SUSPENSION_STATUSES) is stated in an answer
_SUSPENSION_HEADS = {
    "停權中": "仍在停權（刊登政府採購公報）期間",
    "已解除": "停權（刊登政府採購公報）期間已結束",
    "尚未開始": "已刊登政府採購公報、停權期間尚未開始",
}


def _aed_line(x: AedStatus) -> str:
    place = x.location.replace("（範例）", "")
    bits = [
        f"{place}（{x.floor}）",
        f"最近檢查 {x.last_check_on or '無紀錄'}" + (f"（{x.last_check_result}）" if x.last_check_result else ""),
        f"電極片效期 {x.pads_expiry}",
        f"電池效期 {x.battery_expiry}",
    ]
    if x.issues:
        bits.append("狀況：" + "、".join(x.issues))
    return "，".join(bits)


@dataclass(frozen=True)
class Aeds(RecordList[AedStatus]):
    """find_aeds: the AEDs with their checks and expiry dates."""

    def text_zh(self) -> str | None:
        if not self.rows:
            return f"紀錄資料庫中沒有符合條件的 AED{SAMPLE_NOTE}。"
        return f"符合條件的 AED 共{len(self.rows)}台{SAMPLE_NOTE}：\n" + "\n".join(
            f"  - {_aed_line(x)}" for x in self.rows[:SHOW])


def _drill_line(x: DrillOut) -> str:
    minutes = x.duration_minutes
    hours = f"{minutes // 60}小時" + (f"{minutes % 60}分" if minutes % 60 else "")
    return (
        f"{x.held_on}「{x.scenario.replace('（範例）', '')}」，參加 {x.participants} 人，"
        f"歷時 {minutes} 分鐘（{hours}）"
        + ("" if x.qualifies else "，未達每次四小時")
        + (f"，檢討：{x.findings}" if x.findings else "")
    )


@dataclass(frozen=True)
class Drills(RecordList[DrillOut]):
    """list_drills: fire drills, latest first."""

    def text_zh(self) -> str | None:
        rows = self.rows
        if not rows:
            return f"紀錄資料庫中查無符合條件的消防演練{SAMPLE_NOTE}。"
        head = f"最近一次消防演練：{_drill_line(rows[0])}"
        if len(rows) == 1:
            return head + SAMPLE_NOTE + "。"
        return f"符合條件的消防演練共{len(rows)}次{SAMPLE_NOTE}；{head}。\n" + "\n".join(
            f"  - {_drill_line(x)}" for x in rows[:SHOW])


def _inspection_line(x: InspectionOut) -> str:
    note = x.note if x.note and x.note != "範例資料" else None
    return (
        f"{x.inspected_on} {x.kind}：{x.result}（{x.inspector.replace('（範例）', '')}）"
        + (f"，{note}" if note else "")
        + (f"，下次期限 {x.next_due_on}" if x.next_due_on else "")
    )


@dataclass(frozen=True)
class Inspections(RecordList[InspectionOut]):
    """inspection_history: inspections and filings, latest first."""

    def text_zh(self) -> str | None:
        if not self.rows:
            return f"紀錄資料庫中查無符合條件的檢查／申報紀錄{SAMPLE_NOTE}。"
        last = self.rows[0]
        head = f"最近一次{last.kind}：{last.inspected_on}，結果{last.result}"
        head += f"；下次期限 {last.next_due_on}" if last.next_due_on else ""
        return (head + SAMPLE_NOTE + f"。歷次紀錄共{len(self.rows)}筆：\n"
                + "\n".join(f"  - {_inspection_line(x)}" for x in self.rows[:SHOW]))


@dataclass(frozen=True)
class Retention(RecordList[RetentionOut]):
    """retention_lookup: classes of the retention schedule; nothing to say when none matched."""

    def text_zh(self) -> str | None:
        if not self.rows:
            return None
        return "；".join(f"{x.class_code} {x.title}：保存年限 {x.retention}"
                        + (f"（依據：{x.legal_basis}）" if x.legal_basis else "") for x in self.rows[:8])


@dataclass(frozen=True)
class SeedTeachers(RecordList[SeedTeacherOut]):
    """find_seed_teachers: the roster filtered by district and/or expertise."""

    where: str = ""

    def text_zh(self) -> str | None:
        if not self.rows:
            return f"查無符合（{self.where}）的採購種子教師{SAMPLE_NOTE}。"
        return f"符合（{self.where}）的採購種子教師共{len(self.rows)}位{SAMPLE_NOTE}：\n" + "\n".join(
            f"  - {x.name}（{x.agency}，{x.district}，專長：{x.expertise}，聯絡：{x.contact}）"
            for x in self.rows[: SHOW * 2])


__all__ = [
    "Aeds",
    "ArticleResult",
    "Calculation",
    "calculation_from_json",
    "CaseFound",
    "CaseList",
    "ConsultationLogged",
    "Drills",
    "FailedEvents",
    "FailedReport",
    "Inspections",
    "RecordList",
    "Retention",
    "SafetyStatus",
    "SearchResult",
    "SeedTeachers",
    "SuspendedVendors",
    "VendorCases",
    "VendorCheck",
]
