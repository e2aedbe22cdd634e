"""Row schemas used by the importers and by ``RecordsService.log_consultation``.

Each schema validates one record as it comes from a CSV row or a JSON object. Column names are the
English field names; the zh-TW labels in ``ZH`` are accepted as column headers too (案號 = case_no).
Dates accept ISO and ROC forms (``core.dates.parse_date``); amounts accept 1,500,000 / 150萬 (``core.money.parse_amount``).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from core.dates import parse_date
from core.money import parse_amount
from core.text import to_halfwidth
from core.vocab import CATEGORIES

from .taxid import tax_id_error
from .vocab import (
    AWARD_BASES,
    CONSULTATION_CATEGORIES,
    EVENT_KINDS,
    FAILED_KINDS,
    METHODS,
    STATUSES,
    normalize_district,
)


# --- field converters ----------------------------------------------------------------------------
def _to_date(v: Any) -> Any:
    if isinstance(v, str):
        return parse_date(v)
    return v


_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _to_datetime(v: Any) -> Any:
    if isinstance(v, datetime) or not isinstance(v, str):
        return v
    t = to_halfwidth(v).strip()
    try:
        return datetime.fromisoformat(t)
    except ValueError:
        pass
    head, _, tail = t.rpartition(" ")
    m = _TIME.match(tail) if head else None
    if m:
        d = parse_date(head.strip())
        if d is None:
            raise ValueError(f"無法辨識的日期時間：{v!r}")
        return datetime.combine(d, time(int(m[1]), int(m[2]), int(m[3] or 0)))
    d = parse_date(t)
    if d is None:
        raise ValueError(f"無法辨識的日期時間：{v!r}")
    return datetime.combine(d, time(0, 0))


def _to_amount(v: Any) -> Any:
    if isinstance(v, (str, int)) and not isinstance(v, bool):
        return parse_amount(v)
    if isinstance(v, float) and v.is_integer() and v >= 0:
        return int(v)
    raise ValueError(f"金額格式不正確：{v!r}")


_TRUE = {"是", "true", "1", "y", "yes", "t", "v", "✓", "需要", "有"}
_FALSE = {"否", "false", "0", "n", "no", "f", "", "不需要", "無"}


def _to_bool(v: Any) -> Any:
    if isinstance(v, str):
        t = v.strip().lower()
        if t in _TRUE:
            return True
        if t in _FALSE:
            return False
        raise ValueError(f"必須填「是」或「否」（收到「{v}」）")
    return v


def _one_of(choices: tuple[str, ...], label: str) -> Any:
    def check(v: str) -> str:
        if v not in choices:
            raise ValueError(f"{label}「{v}」不在允許值內（{'、'.join(choices)}）")
        return v

    return AfterValidator(check)


def _check_tax_id(v: str) -> str:
    err = tax_id_error(v)
    if err:
        raise ValueError(err)
    return v


def _to_citations(v: Any) -> Any:
    if isinstance(v, str):
        t = v.strip()
        if not t:
            return []
        try:
            v = json.loads(t)
        except json.JSONDecodeError as exc:
            raise ValueError('引用依據須為 JSON 清單，例如 [{"title": "政府採購法", "no": "22"}]') from exc
    if not isinstance(v, list):
        raise ValueError('引用依據須為清單，例如 [{"title": "政府採購法", "no": "22"}]')
    out = []
    for item in v:
        if not isinstance(item, dict) or not str(item.get("title", "")).strip() or not str(item.get("no", "")).strip():
            raise ValueError('每筆引用依據都須有 title 與 no，例如 {"title": "政府採購法", "no": "22"}')
        out.append({"title": str(item["title"]).strip(), "no": str(item["no"]).strip()})
    return out


def _strip(v: Any) -> Any:
    return v.strip() if isinstance(v, str) else v


Str = Annotated[str, BeforeValidator(_strip), Field(min_length=1)]
DateV = Annotated[date, BeforeValidator(_to_date)]
DateTimeV = Annotated[datetime, BeforeValidator(_to_datetime)]
Amount = Annotated[int, BeforeValidator(_to_amount)]
Flag = Annotated[bool, BeforeValidator(_to_bool)]
TaxId = Annotated[str, BeforeValidator(lambda v: to_halfwidth(v).strip() if isinstance(v, str) else str(v)),
                  AfterValidator(_check_tax_id)]
Citations = Annotated[list[dict[str, str]], BeforeValidator(_to_citations)]


class RowBase(BaseModel):
    """Common config: unknown columns are an error (a typo must not silently drop data)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    ZH: ClassVar[dict[str, str]] = {}


class CauseRow(RowBase):
    ZH: ClassVar[dict[str, str]] = {"code": "原因代碼", "label": "原因", "group": "類別",
                                    "legal_basis": "法令依據", "note": "備註"}
    code: Str
    label: Str
    group: Str
    legal_basis: str | None = None
    note: str | None = None


class VendorRow(RowBase):
    ZH: ClassVar[dict[str, str]] = {"tax_id": "統一編號", "name": "廠商名稱", "sample": "範例"}
    tax_id: TaxId
    name: Str
    sample: Flag = False


class SuspensionRow(RowBase):
    ZH: ClassVar[dict[str, str]] = {"tax_id": "統一編號", "start_on": "起始日", "end_on": "截止日",
                                    "ground_item": "第101條款次", "case_ref": "案件參考", "note": "備註"}
    tax_id: TaxId
    start_on: DateV
    end_on: DateV
    ground_item: int = Field(ge=1, le=15)
    case_ref: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _period(self) -> SuspensionRow:
        if self.end_on < self.start_on:
            raise ValueError("截止日不可早於起始日")
        return self


class CaseRow(RowBase):
    ZH: ClassVar[dict[str, str]] = {
        "case_no": "案號", "name": "名稱", "agency": "機關", "unit": "單位", "category": "類別",
        "budget": "預算金額", "amount": "採購金額", "method": "招標方式", "award_basis": "決標原則",
        "status": "狀態", "announced_on": "公告日", "opened_on": "開標日", "awarded_on": "決標日",
        "award_amount": "決標金額", "vendor_tax_id": "得標廠商統一編號", "sample": "範例",
    }
    case_no: Str
    name: Str
    agency: Str
    unit: Str
    category: Annotated[str, _one_of(CATEGORIES, "類別")]
    budget: Amount | None = None
    amount: Amount
    method: Annotated[str, _one_of(METHODS, "招標方式")]
    award_basis: Annotated[str, _one_of(AWARD_BASES, "決標原則")] | None = None
    status: Annotated[str, _one_of(STATUSES, "狀態")]
    announced_on: DateV | None = None
    opened_on: DateV | None = None
    awarded_on: DateV | None = None
    award_amount: Amount | None = None
    vendor_tax_id: TaxId | None = None
    sample: Flag = False

    @model_validator(mode="after")
    def _dates_in_order(self) -> CaseRow:
        if self.announced_on and self.opened_on and self.opened_on < self.announced_on:
            raise ValueError("開標日不可早於公告日")
        if self.opened_on and self.awarded_on and self.awarded_on < self.opened_on:
            raise ValueError("決標日不可早於開標日")
        return self


class EventRow(RowBase):
    ZH: ClassVar[dict[str, str]] = {"case_no": "案號", "event_on": "日期", "kind": "事件",
                                    "cause_code": "原因代碼", "note": "說明"}
    case_no: Str
    event_on: DateV
    kind: Annotated[str, _one_of(EVENT_KINDS, "事件")]
    cause_code: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _cause_for_failures(self) -> EventRow:
        if self.kind in FAILED_KINDS and not self.cause_code:
            raise ValueError(f"{self.kind}事件須填原因代碼（原因不明請用 OTHER）")
        return self


class ConsultationRow(RowBase):
    ZH: ClassVar[dict[str, str]] = {
        "ref": "編號", "occurred_at": "時間", "caller_agency": "來電機關", "category": "類別",
        "question": "問題", "answer": "答覆", "citations": "引用依據", "follow_up": "需後續追蹤",
        "follow_up_note": "追蹤說明", "handled_by": "承辦人", "sample": "範例",
    }
    ref: str | None = None
    occurred_at: DateTimeV
    caller_agency: Str
    category: Annotated[str, _one_of(CONSULTATION_CATEGORIES, "類別")]
    question: Str
    answer: Str
    citations: Citations = Field(default_factory=list)
    follow_up: Flag = False
    follow_up_note: str | None = None
    handled_by: Str
    sample: Flag = False

    @model_validator(mode="after")
    def _note_when_follow_up(self) -> ConsultationRow:
        if self.follow_up and not (self.follow_up_note or "").strip():
            raise ValueError("需後續追蹤時請填寫追蹤說明")
        return self


class SeedTeacherRow(RowBase):
    ZH: ClassVar[dict[str, str]] = {"name": "姓名", "agency": "服務機關", "district": "行政區",
                                    "expertise": "專長", "contact": "聯絡方式", "sample": "範例"}
    name: Str
    agency: Str
    district: Annotated[str, AfterValidator(normalize_district)]
    expertise: Str
    contact: Str
    sample: Flag = False


class AedRow(RowBase):
    ZH: ClassVar[dict[str, str]] = {
        "serial": "序號", "location": "位置", "floor": "樓層", "pads_expiry": "電極片效期",
        "battery_expiry": "電池效期", "last_check_on": "最近檢查日", "last_check_result": "檢查結果",
        "sample": "範例",
    }
    serial: Str
    location: Str
    floor: Str
    pads_expiry: DateV
    battery_expiry: DateV
    last_check_on: DateV | None = None
    last_check_result: str | None = None
    sample: Flag = False


class FireDrillRow(RowBase):
    ZH: ClassVar[dict[str, str]] = {"held_on": "日期", "scenario": "演練情境", "participants": "參加人數",
                                    "duration_minutes": "時間（分鐘）", "findings": "檢討事項", "sample": "範例"}
    held_on: DateV
    scenario: Str
    participants: int = Field(ge=0)
    duration_minutes: int = Field(gt=0)
    findings: str | None = None
    sample: Flag = False


class InspectionRow(RowBase):
    ZH: ClassVar[dict[str, str]] = {"kind": "項目", "inspected_on": "檢查日", "inspector": "檢查人員或機構",
                                    "result": "結果", "next_due_on": "下次期限", "note": "備註", "sample": "範例"}
    kind: Str
    inspected_on: DateV
    inspector: Str
    result: Str
    next_due_on: DateV | None = None
    note: str | None = None
    sample: Flag = False


def _to_retention(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, str):
        t = to_halfwidth(v).strip().removesuffix("年")
        if t in ("永久", "永久保存"):
            return "永久"
        if t.isdigit() and int(t) > 0:
            return int(t)
    raise ValueError(f"保存年限須為正整數年或「永久」（收到「{v}」）")


class RetentionRow(RowBase):
    ZH: ClassVar[dict[str, str]] = {"class_code": "分類號", "title": "類目名稱", "retention": "保存年限",
                                    "legal_basis": "法令依據", "note": "備註", "sample": "範例"}
    class_code: Str
    title: Str
    retention: Annotated[int | str, BeforeValidator(_to_retention)]
    legal_basis: str | None = None
    note: str | None = None
    sample: Flag = False
