"""Typed results returned by ``RecordsService`` (what the assistant's tools see)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from core.citation import CitationKey


class TenderEventOut(BaseModel):
    event_on: date
    kind: str
    cause_code: str | None = None
    cause_label: str | None = None
    note: str | None = None


class CaseOut(BaseModel):
    case_no: str
    name: str
    agency: str
    unit: str
    category: str
    budget: int | None
    amount: int
    method: str
    award_basis: str | None
    status: str
    announced_on: date | None
    opened_on: date | None
    awarded_on: date | None
    award_amount: int | None
    vendor_tax_id: str | None
    vendor_name: str | None
    sample: bool


class CaseDetail(CaseOut):
    events: list[TenderEventOut]


class FailedTenderRow(BaseModel):
    key: str
    label: str
    rounds: int
    """Concluded tender rounds in the group (流標 + 廢標 + 決標 events)."""
    failed: int
    """流標 + 廢標 events in the group."""
    rate: float | None
    """failed / rounds (None when rounds is 0)."""
    share: float | None
    """failed / all failed events in the report."""


class FailedTenderReport(BaseModel):
    group_by: Literal["cause", "unit", "category", "month"]
    unit: str | None
    date_from: date | None
    date_to: date | None
    rounds: int
    failed: int
    opened: int
    rate: float | None
    rows: list[FailedTenderRow]
    definition: str


class SuspensionOut(BaseModel):
    start_on: date
    end_on: date
    ground_item: int
    ground_label: str
    legal_basis: str
    case_ref: str | None
    note: str | None
    active: bool


class VendorStatus(BaseModel):
    tax_id: str
    name: str
    suspended: bool
    active_suspensions: list[SuspensionOut]
    past_suspensions: list[SuspensionOut]
    sample: bool


class VendorCheckResult(BaseModel):
    query: str
    on: date
    found: bool
    suspended: bool
    """True when any matched vendor is under an active suspension on ``on``."""
    vendors: list[VendorStatus]
    citations: list[CitationKey]


class RetentionOut(BaseModel):
    class_code: str
    title: str
    retention: str
    """「永久」 or 「N年」."""
    retention_years: int | None
    permanent: bool
    legal_basis: str | None
    note: str | None
    sample: bool


class AedStatus(BaseModel):
    serial: str
    location: str
    floor: str
    last_check_on: date | None
    last_check_result: str | None
    next_check_due: date | None
    check_overdue: bool
    pads_expiry: date
    pads_expired: bool
    battery_expiry: date
    battery_expired: bool
    expiring_soon: bool
    """Pads or battery expire within the look-ahead window (but not yet)."""
    issues: list[str]


class DrillOut(BaseModel):
    held_on: date
    scenario: str
    participants: int
    duration_minutes: int
    findings: str | None
    qualifies: bool
    """At least 4 hours (消防法施行細則第5條第5款)."""


class InspectionStatus(BaseModel):
    kind: str
    last_inspected_on: date
    inspector: str
    result: str
    next_due_on: date | None
    overdue: bool
    due_soon: bool


class BuildingSafetyStatus(BaseModel):
    on: date
    window_days: int
    aeds: list[AedStatus]
    aeds_with_issues: int
    last_drill: DrillOut | None
    last_qualifying_drill: DrillOut | None
    drill_rule_met: bool
    drill_next_due: date | None
    drills_last_12_months: int
    inspections: list[InspectionStatus]
    inspections_overdue: int
    inspections_due_soon: int
    rules: list[str]
    citations: list[CitationKey]


class ConsultationOut(BaseModel):
    ref: str
    occurred_at: datetime
    caller_agency: str
    category: str
    question: str
    answer: str
    citations: list[CitationKey]
    follow_up: bool
    follow_up_note: str | None
    handled_by: str
    sample: bool


class ConsultationCounts(BaseModel):
    day: date
    total: int
    by_category: dict[str, int]
    follow_up: int


class SeedTeacherOut(BaseModel):
    name: str
    agency: str
    district: str
    expertise: str
    contact: str
    sample: bool


class InspectionOut(BaseModel):
    kind: str
    inspected_on: date
    inspector: str
    result: str
    next_due_on: date | None
    note: str | None
    sample: bool


class FailedEventOut(BaseModel):
    case_no: str
    name: str
    unit: str
    event_on: date
    kind: str
    cause_code: str | None
    cause_label: str | None
    note: str | None


class SuspendedVendorOut(BaseModel):
    tax_id: str
    name: str
    suspension: SuspensionOut


class RecordCatalog(BaseModel):
    """The records' own values a question can name (units, vendors, places, kinds); used for routing."""

    units: list[str]
    vendors: list[tuple[str, str]]  # (tax_id, name)
    aed_locations: list[str]
    aed_floors: list[str]
    inspection_kinds: list[str]
    drill_texts: list[str]
    retention_titles: list[tuple[str, str]]  # (class_code, title)
    teacher_districts: list[str]
    teacher_expertise: list[str]
    case_names: list[str]
    aed_results: list[str] = []  # the recorded check results (正常, 電極片過期，已申請更換)
    inspection_results: list[str] = []  # the recorded inspection results (合格, 不合格，已限期改善)
