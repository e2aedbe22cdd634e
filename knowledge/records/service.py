"""Query/service layer over the records store: the functions the assistant's tools call.

Only two paths write: the importers and ``RecordsService.log_consultation``. Every other method runs
on a read-only session (``db.ReadOnlyAccess``); callers cannot pass SQL, only typed filters.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import ColumnElement, Engine, Row, Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from core.dates import parse_date
from core.money import parse_amount
from core.text import to_halfwidth
from core.vocab import CATEGORIES

from .db import ReadOnlyAccess
from .importers import TABLES, export_timestamp, guard_cell, reason_zh
from .models import (
    AedDevice,
    Base,
    Consultation,
    EquipmentInspection,
    FireDrill,
    ProcurementCase,
    RetentionEntry,
    SeedTeacher,
    TenderCause,
    TenderEvent,
    Vendor,
    VendorSuspension,
)
from .results import (
    AedStatus,
    BuildingSafetyStatus,
    CaseDetail,
    CaseOut,
    CitationKey,
    ConsultationCounts,
    ConsultationOut,
    DrillOut,
    FailedEventOut,
    FailedTenderReport,
    FailedTenderRow,
    InspectionOut,
    InspectionStatus,
    RecordCatalog,
    RetentionOut,
    SeedTeacherOut,
    SuspendedVendorOut,
    SuspensionOut,
    TenderEventOut,
    VendorCheckResult,
    VendorStatus,
)
from .schemas import ConsultationRow
from .taxid import tax_id_error
from .vocab import (
    ARTICLE_101_ITEMS,
    CONSULTATION_CATEGORIES,
    FAILED_KINDS,
    METHODS,
    STATUSES,
    SUSPENSION_STATUSES,
    normalize_district,
)

GroupBy = Literal["cause", "unit", "category", "month"]
DateLike = date | str
"""A date, or text in ISO / ROC form (2025-01-06, 114.01.06, 民國114年1月6日)."""
AmountLike = int | str
"""NT$ amount as int, or text such as 1,500,000 / 150萬."""
CONCLUDED_KINDS: tuple[str, ...] = (*FAILED_KINDS, "決標")
AED_CHECK_MONTHS = 6  # 公共場所必要緊急救護設備管理辦法第7條：至少每半年檢查
DRILL_EVERY_MONTHS = 6  # 消防法施行細則第5條第5款：每半年至少一次
DRILL_MIN_MINUTES = 240  # 同款：每次不得少於四小時
MAX_LIMIT = 500

CONSULTATION_CSV_FIELDS = ("ref", "occurred_at", "caller_agency", "category", "question", "answer",
                           "citations", "follow_up", "follow_up_note", "handled_by", "sample")


EXPORT_MAX_ROWS = 20_000  # one export; a longer period is exported in parts


class RecordsValidationError(ValueError):
    """Invalid input to a service method; ``issues`` holds (field, zh-TW reason) pairs."""

    def __init__(self, issues: list[tuple[str, str]]) -> None:
        self.issues = issues
        super().__init__("；".join(f"{f}：{r}" for f, r in issues))


def add_months(d: date, months: int) -> date:
    """Calendar month arithmetic, clamping the day (2025-08-31 + 6 months -> 2026-02-28)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(text: str) -> str:
    return "%" + _escape(text) + "%"


def _date(value: DateLike | None, field: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return parse_date(value)
    except ValueError as exc:
        raise RecordsValidationError([(field, str(exc))]) from None


def _amount(value: AmountLike | None, field: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_amount(value)
    except ValueError as exc:
        raise RecordsValidationError([(field, str(exc))]) from None


def _check_choice(value: str | None, choices: Sequence[str], label: str) -> None:
    if value is not None and value not in choices:
        raise RecordsValidationError([(label, f"「{value}」不在允許值內（{'、'.join(choices)}）")])


class RecordsService:
    """Typed queries over the records store. Construct with an Engine (any SQLAlchemy URL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._ro = ReadOnlyAccess(engine)

    # --- lifecycle ----------------------------------------------------------------------------
    def create_all(self) -> None:
        """Create all ``rec_*`` tables (idempotent)."""
        Base.metadata.create_all(self.engine)

    def close(self) -> None:
        self._ro.dispose()

    # --- procurement cases --------------------------------------------------------------------
    def lookup_case(self, case_no: str) -> CaseDetail | None:
        """One case by 案號 (exact, surrounding spaces/full-width ignored) with its tender events."""
        key = to_halfwidth(case_no).strip()
        with self._ro.session() as s:
            case = s.scalars(
                select(ProcurementCase).where(ProcurementCase.case_no == key)
                .options(joinedload(ProcurementCase.vendor),
                         selectinload(ProcurementCase.events).joinedload(TenderEvent.cause))
            ).first()
            if case is None:
                return None
            events = [TenderEventOut(event_on=e.event_on, kind=e.kind, cause_code=e.cause_code,
                                     cause_label=e.cause.label if e.cause else None, note=e.note)
                      for e in sorted(case.events, key=lambda e: (e.event_on, e.id))]
            return CaseDetail(**_case_out(case).model_dump(), events=events)

    def find_cases(self, text: str | None = None, unit: str | None = None, category: str | None = None,
                   status: str | None = None, method: str | None = None, date_from: DateLike | None = None,
                   date_to: DateLike | None = None, min_amount: AmountLike | None = None,
                   max_amount: AmountLike | None = None,
                   limit: int = 50, order_by: Literal["announced", "award_amount"] = "announced") -> list[CaseOut]:
        """Cases matching all given filters, newest announcement first (not yet announced last).

        ``text`` matches a substring of 案名 or 案號; ``date_from``/``date_to`` bound 公告日 (inclusive);
        ``min_amount``/``max_amount`` bound 採購金額 (inclusive). ``limit`` is capped at 500.
        ``order_by="award_amount"`` puts the largest 決標金額 first.
        Dates may be ISO or ROC text (113.01.01, 民國113年1月1日); amounts may be text (150萬).
        """
        date_from, date_to = _date(date_from, "date_from"), _date(date_to, "date_to")
        min_amount, max_amount = _amount(min_amount, "min_amount"), _amount(max_amount, "max_amount")
        _check_choice(category, CATEGORIES, "類別")
        _check_choice(status, STATUSES, "狀態")
        _check_choice(method, METHODS, "招標方式")
        stmt: Select[Any] = select(ProcurementCase).options(joinedload(ProcurementCase.vendor))
        if text and text.strip():
            pat = _like(to_halfwidth(text).strip())
            stmt = stmt.where(or_(ProcurementCase.name.ilike(pat, escape="\\"),
                                  ProcurementCase.case_no.ilike(pat, escape="\\")))
        if unit:
            stmt = stmt.where(ProcurementCase.unit == unit.strip())
        if category:
            stmt = stmt.where(ProcurementCase.category == category)
        if status:
            stmt = stmt.where(ProcurementCase.status == status)
        if method:
            stmt = stmt.where(ProcurementCase.method == method)
        if date_from:
            stmt = stmt.where(ProcurementCase.announced_on >= date_from)
        if date_to:
            stmt = stmt.where(ProcurementCase.announced_on <= date_to)
        if min_amount is not None:
            stmt = stmt.where(ProcurementCase.amount >= min_amount)
        if max_amount is not None:
            stmt = stmt.where(ProcurementCase.amount <= max_amount)
        if order_by == "award_amount":
            stmt = stmt.order_by(ProcurementCase.award_amount.desc().nulls_last(), ProcurementCase.case_no)
        else:
            stmt = stmt.order_by(ProcurementCase.announced_on.desc().nulls_last(), ProcurementCase.case_no)
        stmt = stmt.limit(max(1, min(limit, MAX_LIMIT)))
        with self._ro.session() as s:
            return [_case_out(c) for c in s.scalars(stmt).unique().all()]

    def failed_tender_report(self, group_by: GroupBy = "cause", unit: str | None = None,
                             date_from: DateLike | None = None, date_to: DateLike | None = None,
                             ) -> FailedTenderReport:
        """Failed-tender (流標/廢標) counts and rates.

        Definitions (all counts are tender *events* whose date falls in [date_from, date_to]):
        - ``failed`` = number of 流標 + 廢標 events.
        - ``rounds`` = number of concluded tender rounds = 流標 + 廢標 + 決標 events (every tender round
          ends in exactly one of these; 撤銷決標 and 重新招標 are not counted). Cases without tender events
          (e.g. 小額採購 or 共同供應契約 orders recorded only as cases) are not counted at all.
        - ``rate`` = failed / rounds, i.e. the share of concluded tender rounds that failed. A case that
          fails twice and is then awarded contributes 2 failed and 3 rounds.
        - ``opened`` = number of 開標 events (informational). Rounds rather than openings are the
          denominator so that a 廢標 decided before any opening still counts and the rate never exceeds 1;
          when every round has a 開標 event the two denominators coincide.
        Per group: unit / category / month (YYYY-MM of the event date) give each group's own
        failed / rounds. For ``cause`` the rows split the failures by cause: ``rounds`` is the total,
        ``rate`` = failures with that cause / all rounds, and ``share`` = failures with that cause /
        all failures.
        """
        date_from, date_to = _date(date_from, "date_from"), _date(date_to, "date_to")
        if group_by not in ("cause", "unit", "category", "month"):
            raise RecordsValidationError([("group_by", "只能是 cause、unit、category 或 month")])
        events, causes = self._tender_events(unit, date_from, date_to)
        tally = _FailedTally(group_by)
        for kind, event_on, cause_code, ev_unit, category in events:
            tally.add(kind, event_on, cause_code, ev_unit, category)
        return FailedTenderReport(
            group_by=group_by, unit=unit, date_from=date_from, date_to=date_to, rounds=tally.total_rounds,
            failed=tally.total_failed, opened=tally.opened, rate=_ratio(tally.total_failed, tally.total_rounds),
            rows=tally.rows(causes),
            definition="流廢標率＝期間內流標及廢標次數 ÷ 期間內結束的招標次數（流標＋廢標＋決標）；"
                       "撤銷決標、重新招標及無招標事件之案件（如小額採購）不計入。")

    def _tender_events(self, unit: str | None, date_from: date | None, date_to: date | None,
                       ) -> tuple[Sequence[Row[str, date, str | None, str, str]], dict[str, str]]:
        """(kind, event_on, cause_code, unit, category) of the concluding and 開標 events in the period,
        and the failure-cause labels by code."""
        conds = []
        if unit:
            conds.append(ProcurementCase.unit == unit.strip())
        if date_from:
            conds.append(TenderEvent.event_on >= date_from)
        if date_to:
            conds.append(TenderEvent.event_on <= date_to)
        stmt = (select(TenderEvent.kind, TenderEvent.event_on, TenderEvent.cause_code, ProcurementCase.unit,
                       ProcurementCase.category)
                .join(ProcurementCase, TenderEvent.case_id == ProcurementCase.id)
                .where(and_(TenderEvent.kind.in_((*CONCLUDED_KINDS, "開標")), *conds)))
        with self._ro.session() as s:
            events = s.execute(stmt).all()
            causes = {c.code: c.label for c in s.scalars(select(TenderCause)).all()}
        return events, causes

    # --- vendors -------------------------------------------------------------------------------
    def vendor_suspension_check(self, tax_id_or_name: str, on: DateLike | None = None) -> VendorCheckResult:
        """Is the vendor (8-digit 統一編號, or part of its name) suspended (刊登政府採購公報) on ``on``?

        ``on`` defaults to today. A suspension is active when start_on <= on <= end_on.
        """
        on = _date(on, "on") or date.today()
        q = to_halfwidth(tax_id_or_name).strip()
        if not q:
            raise RecordsValidationError([("tax_id_or_name", "請輸入廠商統一編號或名稱")])
        stmt = select(Vendor).options(selectinload(Vendor.suspensions))
        if q.isdigit() and len(q) == 8:
            err = tax_id_error(q)
            if err:
                raise RecordsValidationError([("tax_id", err)])
            stmt = stmt.where(Vendor.tax_id == q)
        else:
            stmt = stmt.where(Vendor.name.ilike(_like(q), escape="\\")).order_by(Vendor.name).limit(20)
        with self._ro.session() as s:
            vendors = s.scalars(stmt).all()
            statuses = []
            for v in vendors:
                susp = [_suspension_out(x, on) for x in v.suspensions]
                active = [x for x in susp if x.active]
                statuses.append(VendorStatus(tax_id=v.tax_id, name=v.name, suspended=bool(active),
                                             active_suspensions=active,
                                             past_suspensions=[x for x in susp if not x.active and x.end_on < on],
                                             sample=v.sample))
        return VendorCheckResult(query=q, on=on, found=bool(statuses), suspended=any(v.suspended for v in statuses),
                                 vendors=statuses,
                                 citations=[CitationKey(title="政府採購法", no="101"),
                                            CitationKey(title="政府採購法", no="103")])

    # --- archives ------------------------------------------------------------------------------
    def retention_lookup(self, text_or_code: str, limit: int = 20) -> list[RetentionOut]:
        """Retention schedule entries: 分類號 prefix match first; otherwise every word in 類目名稱/備註.

        Matching is case-insensitive for Latin letters on every backend.
        """
        q = to_halfwidth(text_or_code).strip()
        if not q:
            raise RecordsValidationError([("text_or_code", "請輸入分類號或類目名稱關鍵字")])
        lim = max(1, min(limit, MAX_LIMIT))
        with self._ro.session() as s:
            rows = s.scalars(select(RetentionEntry).where(RetentionEntry.class_code.ilike(_escape(q) + "%", escape="\\"))
                             .order_by(RetentionEntry.class_code).limit(lim)).all()
            if not rows:
                conds = [or_(RetentionEntry.title.ilike(_like(w), escape="\\"),
                             RetentionEntry.note.ilike(_like(w), escape="\\")) for w in q.split()]
                rows = s.scalars(select(RetentionEntry).where(and_(*conds))
                                 .order_by(RetentionEntry.class_code).limit(lim)).all()
            return [_retention_out(r) for r in rows]

    # --- building safety -----------------------------------------------------------------------
    def building_safety_status(self, on: DateLike | None = None, window_days: int = 30) -> BuildingSafetyStatus:
        """AED checks/expiries, fire-drill frequency and inspection deadlines as of ``on`` (default today).

        Rules applied:
        - AED: check at least every 6 months (公共場所必要緊急救護設備管理辦法第7條); next check due =
          last check + 6 months; overdue when ``on`` is after it (or never checked). Pads/battery expired
          when expiry < ``on``; "expiring soon" within ``window_days``.
        - Drills: 滅火、通報及避難訓練 at least once every 6 months, each at least 4 hours
          (消防法施行細則第5條第5款). Met when a drill of >= 240 minutes was held in the 6 months up to ``on``.
        - Inspections: latest record per kind; overdue when its next due date < ``on``; due soon within
          ``window_days``.
        """
        on = _date(on, "on") or date.today()
        soon = on + timedelta(days=window_days)
        with self._ro.session() as s:
            aeds = s.scalars(select(AedDevice).order_by(AedDevice.floor, AedDevice.serial)).all()
            drills = s.scalars(select(FireDrill).where(FireDrill.held_on <= on)
                               .order_by(FireDrill.held_on.desc(), FireDrill.id.desc())).all()
            insp = s.scalars(select(EquipmentInspection).where(EquipmentInspection.inspected_on <= on)
                             .order_by(EquipmentInspection.kind, EquipmentInspection.inspected_on.desc())).all()
            aed_out = [_aed_status(a, on, soon) for a in aeds]
            drill_out = [_drill_out(d) for d in drills]
            latest: dict[str, EquipmentInspection] = {}
            for i in insp:
                latest.setdefault(i.kind, i)
            insp_out = [InspectionStatus(kind=i.kind, last_inspected_on=i.inspected_on, inspector=i.inspector,
                                         result=i.result, next_due_on=i.next_due_on,
                                         overdue=bool(i.next_due_on and i.next_due_on < on),
                                         due_soon=bool(i.next_due_on and on <= i.next_due_on <= soon))
                        for i in latest.values()]
        last = drill_out[0] if drill_out else None
        qualifying = next((d for d in drill_out if d.qualifies), None)
        next_due = add_months(qualifying.held_on, DRILL_EVERY_MONTHS) if qualifying else None
        return BuildingSafetyStatus(
            on=on, window_days=window_days, aeds=aed_out, aeds_with_issues=sum(1 for a in aed_out if a.issues),
            last_drill=last, last_qualifying_drill=qualifying,
            drill_rule_met=bool(next_due and on <= next_due), drill_next_due=next_due,
            drills_last_12_months=sum(1 for d in drill_out if d.held_on > add_months(on, -12)),
            inspections=insp_out, inspections_overdue=sum(i.overdue for i in insp_out),
            inspections_due_soon=sum(i.due_soon for i in insp_out),
            rules=["AED 至少每半年檢查電池、耗材之有效日期及功能（公共場所必要緊急救護設備管理辦法第7條）",
                   "滅火、通報及避難訓練每半年至少一次，每次不得少於四小時（消防法施行細則第5條第5款）"],
            citations=[CitationKey(title="公共場所必要緊急救護設備管理辦法", no="7"),
                       CitationKey(title="消防法施行細則", no="5")])

    # --- hotline consultations ----------------------------------------------------------------
    def log_consultation(self, *, occurred_at: datetime | str, caller_agency: str, category: str, question: str,
                         answer: str, handled_by: str, citations: list[dict[str, str]] | None = None,
                         follow_up: bool = False, follow_up_note: str | None = None) -> ConsultationOut:
        """Record one hotline consultation (the only write besides the importers); returns it with its 編號."""
        data: dict[str, Any] = {"occurred_at": occurred_at, "caller_agency": caller_agency, "category": category,
                                "question": question, "answer": answer, "handled_by": handled_by,
                                "citations": citations or [], "follow_up": follow_up,
                                "follow_up_note": follow_up_note}
        try:
            row = ConsultationRow.model_validate(data)
        except ValidationError as exc:
            raise RecordsValidationError([(str(e["loc"][0]) if e.get("loc") else "（整筆）", reason_zh(e))
                                          for e in exc.errors()]) from None
        prefix = f"Q{row.occurred_at:%Y%m%d}-"
        for _attempt in range(5):
            with Session(self.engine) as s:
                refs = s.scalars(select(Consultation.ref).where(Consultation.ref.like(prefix + "%"))).all()
                n = max((int(r[len(prefix):]) for r in refs if r[len(prefix):].isdigit()), default=0) + 1
                values = row.model_dump(exclude={"ref"})
                obj = Consultation(ref=f"{prefix}{n:03d}", **values)
                s.add(obj)
                try:
                    s.commit()
                except IntegrityError:
                    s.rollback()
                    continue
                return _consultation_out(obj)
        raise RuntimeError("無法產生諮詢紀錄編號，請再試一次")

    def list_consultations(self, day: DateLike | None = None, category: str | None = None,
                           follow_up: bool | None = None, limit: int = 200) -> list[ConsultationOut]:
        """Consultations (oldest first) on ``day`` and/or of ``category``; ``follow_up`` filters the flag."""
        _check_choice(category, CONSULTATION_CATEGORIES, "類別")
        day = _date(day, "day")
        stmt: Select[Any] = select(Consultation)
        if day:
            start = datetime.combine(day, time(0, 0))
            stmt = stmt.where(Consultation.occurred_at >= start,
                              Consultation.occurred_at < start + timedelta(days=1))
        if category:
            stmt = stmt.where(Consultation.category == category)
        if follow_up is not None:
            stmt = stmt.where(Consultation.follow_up == follow_up)
        stmt = stmt.order_by(Consultation.occurred_at, Consultation.ref).limit(max(1, min(limit, 5000)))
        with self._ro.session() as s:
            return [_consultation_out(c) for c in s.scalars(stmt).all()]

    def consultation_counts(self, day: DateLike) -> ConsultationCounts:
        """Number of consultations on ``day`` per category (all categories listed), and follow-ups."""
        the_day = _date(day, "day")
        if the_day is None:
            raise RecordsValidationError([("day", "請提供日期")])
        start = datetime.combine(the_day, time(0, 0))
        window = and_(Consultation.occurred_at >= start, Consultation.occurred_at < start + timedelta(days=1))
        with self._ro.session() as s:
            per = {c: n for c, n in s.execute(select(Consultation.category, func.count()).where(window)
                                                  .group_by(Consultation.category))}
            fu = s.scalar(select(func.count()).select_from(Consultation)
                          .where(window, Consultation.follow_up.is_(True))) or 0
        by_cat = {c: int(per.get(c, 0)) for c in CONSULTATION_CATEGORIES}
        return ConsultationCounts(day=the_day, total=sum(by_cat.values()), by_category=by_cat, follow_up=int(fu))

    def export_consultations_csv(self, date_from: DateLike | None = None, date_to: DateLike | None = None,
                                 category: str | None = None) -> str:
        """CSV text (UTF-8, header row) of consultations in [date_from, date_to]; same columns as the importer."""
        _check_choice(category, CONSULTATION_CATEGORIES, "類別")
        date_from, date_to = _date(date_from, "date_from"), _date(date_to, "date_to")
        stmt: Select[Any] = select(Consultation)
        if date_from:
            stmt = stmt.where(Consultation.occurred_at >= datetime.combine(date_from, time(0, 0)))
        if date_to:
            stmt = stmt.where(Consultation.occurred_at < datetime.combine(date_to + timedelta(days=1), time(0, 0)))
        if category:
            stmt = stmt.where(Consultation.category == category)
        stmt = stmt.order_by(Consultation.occurred_at, Consultation.ref).limit(EXPORT_MAX_ROWS + 1)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(CONSULTATION_CSV_FIELDS)
        with self._ro.session() as s:
            rows = s.scalars(stmt).all()
            if len(rows) > EXPORT_MAX_ROWS:
                raise RecordsValidationError([("date_from", f"超過 {EXPORT_MAX_ROWS} 筆，請縮小日期範圍後再匯出")])
            for c in rows:
                w.writerow(_consultation_csv_row(c))
        return buf.getvalue()

    # --- seed teachers -------------------------------------------------------------------------
    def find_seed_teachers(self, district: str) -> list[SeedTeacherOut]:
        """採購種子教師 of a Taichung district ('西屯', '西屯區' and '臺中市西屯區' all work)."""
        try:
            d = normalize_district(district)
        except ValueError as exc:
            raise RecordsValidationError([("district", str(exc))]) from None
        with self._ro.session() as s:
            rows = s.scalars(select(SeedTeacher).where(SeedTeacher.district == d).order_by(SeedTeacher.name)).all()
            return [SeedTeacherOut(name=t.name, agency=t.agency, district=t.district, expertise=t.expertise,
                                   contact=t.contact, sample=t.sample) for t in rows]

    # --- record look-ups by what a question names (used by the assistant's record routing) ----
    def catalog(self) -> RecordCatalog:
        """The distinct values a question may name: units, vendors, AED places, floors and check results,
        inspection kinds and results, drill scenarios/findings, retention titles, seed-teacher districts and
        expertise."""
        with self._ro.session() as s:
            aeds = s.scalars(select(AedDevice)).all()
            drills = s.scalars(select(FireDrill)).all()
            teachers = s.scalars(select(SeedTeacher)).all()
            expertise = sorted({x.strip() for t in teachers for x in t.expertise.split("、") if x.strip()})
            return RecordCatalog(
                units=sorted(set(s.scalars(select(ProcurementCase.unit).distinct()).all())),
                vendors=[(v.tax_id, v.name) for v in s.scalars(select(Vendor).order_by(Vendor.name)).all()],
                aed_locations=sorted({a.location for a in aeds}), aed_floors=sorted({a.floor for a in aeds}),
                inspection_kinds=sorted(set(s.scalars(select(EquipmentInspection.kind).distinct()).all())),
                drill_texts=sorted({d.scenario for d in drills} | {d.findings for d in drills if d.findings}),
                retention_titles=[(r.class_code, r.title) for r in
                                  s.scalars(select(RetentionEntry).order_by(RetentionEntry.class_code)).all()],
                teacher_districts=sorted({t.district for t in teachers}), teacher_expertise=expertise,
                case_names=sorted(set(s.scalars(select(ProcurementCase.name)).all())),
                aed_results=sorted({a.last_check_result for a in aeds if a.last_check_result}),
                inspection_results=sorted(set(s.scalars(select(EquipmentInspection.result).distinct()).all())))

    def vendor_cases(self, tax_id_or_name: str, limit: int = 50) -> list[CaseOut]:
        """Cases a vendor (8-digit 統一編號, or part of its name) was awarded, largest award first."""
        q = to_halfwidth(tax_id_or_name).strip()
        if not q:
            raise RecordsValidationError([("tax_id_or_name", "請輸入廠商統一編號或名稱")])
        cond = Vendor.tax_id == q if q.isdigit() and len(q) == 8 else Vendor.name.ilike(_like(q), escape="\\")
        stmt = (select(ProcurementCase).join(Vendor, ProcurementCase.vendor_id == Vendor.id).where(cond)
                .options(joinedload(ProcurementCase.vendor))
                .order_by(ProcurementCase.award_amount.desc().nulls_last(), ProcurementCase.case_no)
                .limit(max(1, min(limit, MAX_LIMIT))))
        with self._ro.session() as s:
            return [_case_out(c) for c in s.scalars(stmt).unique().all()]

    def failed_tender_events(self, unit: str | None = None, text: str | None = None, kind: str | None = None,
                             date_from: DateLike | None = None, date_to: DateLike | None = None,
                             ) -> list[FailedEventOut]:
        """Each 流標/廢標 event with its case and cause, oldest first; ``text`` matches 案名 or 案號."""
        date_from, date_to = _date(date_from, "date_from"), _date(date_to, "date_to")
        _check_choice(kind, FAILED_KINDS, "流廢標")
        conds: list[ColumnElement[bool]] = [TenderEvent.kind == kind] if kind else [TenderEvent.kind.in_(FAILED_KINDS)]
        if unit:
            conds.append(ProcurementCase.unit == unit.strip())
        if text and text.strip():
            pat = _like(to_halfwidth(text).strip())
            conds.append(or_(ProcurementCase.name.ilike(pat, escape="\\"),
                             ProcurementCase.case_no.ilike(pat, escape="\\")))
        if date_from:
            conds.append(TenderEvent.event_on >= date_from)
        if date_to:
            conds.append(TenderEvent.event_on <= date_to)
        stmt = (select(TenderEvent).join(ProcurementCase, TenderEvent.case_id == ProcurementCase.id)
                .where(and_(*conds)).options(joinedload(TenderEvent.case), joinedload(TenderEvent.cause))
                .order_by(TenderEvent.event_on, TenderEvent.id))
        with self._ro.session() as s:
            return [FailedEventOut(case_no=e.case.case_no, name=e.case.name, unit=e.case.unit, event_on=e.event_on,
                                   kind=e.kind, cause_code=e.cause_code, cause_label=e.cause.label if e.cause else None,
                                   note=e.note) for e in s.scalars(stmt).unique().all()]

    def suspended_vendors(self, on: DateLike | None = None, status: str = "停權中") -> list[SuspendedVendorOut]:
        """Suspensions (刊登政府採購公報) by their status on ``on`` (default today): 停權中 (the period
        includes ``on``; ends soonest first), 已解除 (ended before it; latest ended first) or 尚未開始."""
        on = _date(on, "on") or date.today()
        _check_choice(status, SUSPENSION_STATUSES, "停權狀態")
        start, end = VendorSuspension.start_on, VendorSuspension.end_on
        where, order = {"停權中": ((start <= on, end >= on), end), "已解除": ((end < on,), end.desc()),
                        "尚未開始": ((start > on,), start)}[status]
        stmt = (select(VendorSuspension).where(*where).options(joinedload(VendorSuspension.vendor))
                .order_by(order, VendorSuspension.id))
        with self._ro.session() as s:
            return [SuspendedVendorOut(tax_id=x.vendor.tax_id, name=x.vendor.name, suspension=_suspension_out(x, on))
                    for x in s.scalars(stmt).unique().all()]

    def find_aeds(self, floor: str | None = None, text: str | None = None, expires_from: DateLike | None = None,
                  expires_to: DateLike | None = None, checked_before: DateLike | None = None,
                  problem_only: bool = False, on: DateLike | None = None) -> list[AedStatus]:
        """AEDs by floor (3F, B1), place text, pads/battery expiry window, last check before a date, or
        only those with an issue as of ``on`` (default today); each with its status (see building_safety_status)."""
        on = _date(on, "on") or date.today()
        lo, hi = _date(expires_from, "expires_from"), _date(expires_to, "expires_to")
        before = _date(checked_before, "checked_before")
        stmt: Select[Any] = select(AedDevice).order_by(AedDevice.floor, AedDevice.serial)
        if floor:
            stmt = stmt.where(AedDevice.floor == to_halfwidth(floor).strip().upper())
        if text and text.strip():
            pat = _like(text.strip())
            stmt = stmt.where(or_(AedDevice.location.ilike(pat, escape="\\"),
                                  AedDevice.last_check_result.ilike(pat, escape="\\")))
        if before:
            stmt = stmt.where(or_(AedDevice.last_check_on.is_(None), AedDevice.last_check_on < before))
        with self._ro.session() as s:
            out = [_aed_status(a, on, on + timedelta(days=30)) for a in s.scalars(stmt).all()]
        if lo or hi:
            out = [a for a in out if any((lo is None or d >= lo) and (hi is None or d <= hi)
                                         for d in (a.pads_expiry, a.battery_expiry))]
        return [a for a in out if a.issues] if problem_only else out

    def list_drills(self, date_from: DateLike | None = None, date_to: DateLike | None = None,
                    text: str | None = None) -> list[DrillOut]:
        """Fire drills (滅火、通報及避難訓練), newest first; ``text`` matches the scenario or the findings."""
        date_from, date_to = _date(date_from, "date_from"), _date(date_to, "date_to")
        stmt: Select[Any] = select(FireDrill).order_by(FireDrill.held_on.desc(), FireDrill.id.desc())
        if date_from:
            stmt = stmt.where(FireDrill.held_on >= date_from)
        if date_to:
            stmt = stmt.where(FireDrill.held_on <= date_to)
        if text and text.strip():
            pat = _like(text.strip())
            stmt = stmt.where(or_(FireDrill.scenario.ilike(pat, escape="\\"),
                                  FireDrill.findings.ilike(pat, escape="\\")))
        with self._ro.session() as s:
            return [_drill_out(d) for d in s.scalars(stmt).all()]

    def inspection_history(self, kind: str | None = None, result: str | None = None,
                           date_from: DateLike | None = None, date_to: DateLike | None = None) -> list[InspectionOut]:
        """Inspections and filings (檢修申報、公安申報、保養 …), newest first; ``kind`` is a substring of
        the kind, ``result`` how the result starts (合格 / 不合格)."""
        date_from, date_to = _date(date_from, "date_from"), _date(date_to, "date_to")
        stmt: Select[Any] = select(EquipmentInspection).order_by(EquipmentInspection.inspected_on.desc(),
                                                                 EquipmentInspection.kind)
        if kind and kind.strip():
            stmt = stmt.where(EquipmentInspection.kind.ilike(_like(kind.strip()), escape="\\"))
        if result:
            stmt = stmt.where(EquipmentInspection.result.ilike(_escape(result.strip()) + "%", escape="\\"))
        if date_from:
            stmt = stmt.where(EquipmentInspection.inspected_on >= date_from)
        if date_to:
            stmt = stmt.where(EquipmentInspection.inspected_on <= date_to)
        with self._ro.session() as s:
            return [InspectionOut(kind=i.kind, inspected_on=i.inspected_on, inspector=i.inspector, result=i.result,
                                  next_due_on=i.next_due_on, note=i.note, sample=i.sample)
                    for i in s.scalars(stmt).all()]

    def find_teachers(self, district: str | None = None, expertise: str | None = None) -> list[SeedTeacherOut]:
        """採購種子教師 by district and/or a word of their expertise (both optional, both must hold)."""
        stmt: Select[Any] = select(SeedTeacher).order_by(SeedTeacher.district, SeedTeacher.name)
        if district:
            try:
                stmt = stmt.where(SeedTeacher.district == normalize_district(district))
            except ValueError as exc:
                raise RecordsValidationError([("district", str(exc))]) from None
        if expertise and expertise.strip():
            stmt = stmt.where(SeedTeacher.expertise.ilike(_like(expertise.strip()), escape="\\"))
        with self._ro.session() as s:
            return [SeedTeacherOut(name=t.name, agency=t.agency, district=t.district, expertise=t.expertise,
                                   contact=t.contact, sample=t.sample) for t in s.scalars(stmt).all()]

    # --- misc ----------------------------------------------------------------------------------
    def table_counts(self) -> dict[str, int]:
        """Row count per importable table (for status pages)."""
        with self._ro.session() as s:
            return {name: int(s.scalar(select(func.count()).select_from(spec.model)) or 0)
                    for name, spec in TABLES.items()}


# --- mapping helpers -----------------------------------------------------------------------------
def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


class _FailedTally:
    """Counts of tender events for ``failed_tender_report`` (definitions in its docstring)."""

    def __init__(self, group_by: GroupBy) -> None:
        self.group_by = group_by
        self.rounds: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.opened = self.total_rounds = self.total_failed = 0

    def add(self, kind: str, event_on: date, cause_code: str | None, unit: str, category: str) -> None:
        if kind == "開標":
            self.opened += 1
            return
        is_failed = kind in FAILED_KINDS
        self.total_rounds += 1
        self.total_failed += is_failed
        if self.group_by == "cause":
            if is_failed:
                self.failed[cause_code or "OTHER"] += 1
            return
        key = {"unit": unit, "category": category, "month": f"{event_on:%Y-%m}"}[self.group_by]
        self.rounds[key] += 1
        self.failed[key] += is_failed

    def rows(self, causes: dict[str, str]) -> list[FailedTenderRow]:
        failed, rounds = self.failed, self.rounds
        if self.group_by == "cause":
            return [FailedTenderRow(key=code, label=causes.get(code, code), rounds=self.total_rounds, failed=n,
                                    rate=_ratio(n, self.total_rounds), share=_ratio(n, self.total_failed))
                    for code, n in sorted(failed.items(), key=lambda kv: (-kv[1], kv[0]))]
        order = sorted(rounds) if self.group_by == "month" else sorted(rounds, key=lambda k: (-failed[k], k))
        return [FailedTenderRow(key=key, label=key, rounds=rounds[key], failed=failed[key],
                                rate=_ratio(failed[key], rounds[key]), share=_ratio(failed[key], self.total_failed))
                for key in order]


def _case_out(c: ProcurementCase) -> CaseOut:
    return CaseOut(case_no=c.case_no, name=c.name, agency=c.agency, unit=c.unit, category=c.category,
                   budget=c.budget, amount=c.amount, method=c.method, award_basis=c.award_basis, status=c.status,
                   announced_on=c.announced_on, opened_on=c.opened_on, awarded_on=c.awarded_on,
                   award_amount=c.award_amount, vendor_tax_id=c.vendor.tax_id if c.vendor else None,
                   vendor_name=c.vendor.name if c.vendor else None, sample=c.sample)


def _suspension_out(x: VendorSuspension, on: date) -> SuspensionOut:
    return SuspensionOut(start_on=x.start_on, end_on=x.end_on, ground_item=x.ground_item,
                         ground_label=ARTICLE_101_ITEMS.get(x.ground_item, "（款次不明）"),
                         legal_basis=f"政府採購法第101條第1項第{x.ground_item}款", case_ref=x.case_ref, note=x.note,
                         active=x.start_on <= on <= x.end_on)


def _retention_out(r: RetentionEntry) -> RetentionOut:
    return RetentionOut(class_code=r.class_code, title=r.title,
                        retention="永久" if r.permanent else f"{r.retention_years}年",
                        retention_years=r.retention_years, permanent=r.permanent, legal_basis=r.legal_basis,
                        note=r.note, sample=r.sample)


def _aed_status(a: AedDevice, on: date, soon: date) -> AedStatus:
    due = add_months(a.last_check_on, AED_CHECK_MONTHS) if a.last_check_on else None
    overdue = due is None or on > due
    pads_expired = a.pads_expiry < on
    battery_expired = a.battery_expiry < on
    expiring = (not pads_expired and a.pads_expiry <= soon) or (not battery_expired and a.battery_expiry <= soon)
    issues: list[str] = []
    if a.last_check_on is None:
        issues.append("尚無檢查紀錄")
    elif overdue:
        issues.append(f"定期檢查逾期（應於{due:%Y-%m-%d}前檢查）")
    if pads_expired:
        issues.append(f"電極片已過期（{a.pads_expiry:%Y-%m-%d}）")
    elif a.pads_expiry <= soon:
        issues.append(f"電極片即將到期（{a.pads_expiry:%Y-%m-%d}）")
    if battery_expired:
        issues.append(f"電池已過期（{a.battery_expiry:%Y-%m-%d}）")
    elif a.battery_expiry <= soon:
        issues.append(f"電池即將到期（{a.battery_expiry:%Y-%m-%d}）")
    if a.last_check_result and a.last_check_result not in ("正常", "合格"):
        issues.append(f"最近檢查結果：{a.last_check_result}")
    return AedStatus(serial=a.serial, location=a.location, floor=a.floor, last_check_on=a.last_check_on,
                     last_check_result=a.last_check_result, next_check_due=due, check_overdue=overdue,
                     pads_expiry=a.pads_expiry, pads_expired=pads_expired, battery_expiry=a.battery_expiry,
                     battery_expired=battery_expired, expiring_soon=expiring, issues=issues)


def _drill_out(d: FireDrill) -> DrillOut:
    return DrillOut(held_on=d.held_on, scenario=d.scenario, participants=d.participants,
                    duration_minutes=d.duration_minutes, findings=d.findings,
                    qualifies=d.duration_minutes >= DRILL_MIN_MINUTES)


def _consultation_out(c: Consultation) -> ConsultationOut:
    return ConsultationOut(ref=c.ref, occurred_at=c.occurred_at, caller_agency=c.caller_agency, category=c.category,
                           question=c.question, answer=c.answer,
                           citations=[CitationKey(**x) for x in (c.citations or [])], follow_up=c.follow_up,
                           follow_up_note=c.follow_up_note, handled_by=c.handled_by, sample=c.sample)


def _consultation_csv_row(c: Consultation) -> list[str]:
    """One export row; free-text cells are guarded against spreadsheet formulas (the file is made for Excel)."""
    g = guard_cell
    return [c.ref, export_timestamp(c.occurred_at), g(c.caller_agency), c.category, g(c.question), g(c.answer),
            json.dumps(c.citations or [], ensure_ascii=False), "是" if c.follow_up else "否",
            g(c.follow_up_note or ""), g(c.handled_by), "是" if c.sample else "否"]

