"""CSV / JSON importers for every records table, all-or-nothing per call.

Policy
- Every row is validated (pydantic schema in ``schemas.py``) and resolved (references such as
  得標廠商統一編號 or 案號 must exist) before anything is written. If any row fails, nothing is
  written and the report lists every problem as ``{line, field, reason}`` with a zh-TW reason.
- ``line`` is the physical line of the CSV file (header = line 1) or, for JSON, the 1-based position
  of the record in the list. File-level problems (unreadable file, unknown column) use line 0 or 1.
- Duplicates: each table has a natural key (``TableSpec.key``). With ``mode="insert"`` (default) a row
  whose key already exists in the database is an error; with ``mode="upsert"`` the existing row is
  updated in place. A key repeated inside the same file is always an error.
- ``import_bundle`` imports several files in ONE transaction (used by ``load_sample``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ingest.loaders import decode_text
from ingest.models import IngestError

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
from .schemas import (
    AedRow,
    CaseRow,
    CauseRow,
    ConsultationRow,
    EventRow,
    FireDrillRow,
    InspectionRow,
    RetentionRow,
    RowBase,
    SeedTeacherRow,
    SuspensionRow,
    VendorRow,
)

Mode = Literal["insert", "upsert"]


class ImportIssue(BaseModel):
    line: int
    field: str
    reason: str


class ImportReport(BaseModel):
    table: str
    source: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    errors: list[ImportIssue] = []

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary_zh(self) -> str:
        if self.ok:
            return f"{self.source}：讀取 {self.rows_read} 筆，新增 {self.inserted} 筆，更新 {self.updated} 筆。"
        head = f"{self.source}：發現 {len(self.errors)} 個錯誤，全部未匯入。"
        lines = [f"  第{e.line}行 {e.field}：{e.reason}" for e in self.errors[:20]]
        more = [f"  …另有 {len(self.errors) - 20} 個錯誤"] if len(self.errors) > 20 else []
        return "\n".join([head, *lines, *more])


class RowError(ValueError):
    """A resolvable row problem found while mapping a valid row to table columns."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass
class _Lookups:
    session: Session
    _vendors: dict[str, int] | None = None
    _cases: dict[str, int] | None = None
    _causes: set[str] | None = None

    def vendor_id(self, tax_id: str, field: str = "tax_id") -> int:
        if self._vendors is None:
            self._vendors = {t: i for t, i in self.session.execute(select(Vendor.tax_id, Vendor.id))}
        vid = self._vendors.get(tax_id)
        if vid is None:
            raise RowError(field, f"找不到統一編號「{tax_id}」的廠商，請先匯入廠商資料")
        return vid

    def case_id(self, case_no: str) -> int:
        if self._cases is None:
            self._cases = {c: i for c, i in self.session.execute(
                select(ProcurementCase.case_no, ProcurementCase.id))}
        cid = self._cases.get(case_no)
        if cid is None:
            raise RowError("case_no", f"找不到案號「{case_no}」，請先匯入採購案件")
        return cid

    def check_cause(self, code: str) -> str:
        if self._causes is None:
            self._causes = set(self.session.scalars(select(TenderCause.code)).all())
        if code not in self._causes:
            raise RowError("cause_code", f"原因代碼「{code}」不在原因分類表中")
        return code


def _plain(row: RowBase, *exclude: str) -> dict[str, Any]:
    return row.model_dump(exclude=set(exclude))


def _cases_values(row: Any, lk: _Lookups) -> dict[str, Any]:
    values = _plain(row, "vendor_tax_id")
    values["vendor_id"] = lk.vendor_id(row.vendor_tax_id, "vendor_tax_id") if row.vendor_tax_id else None
    return values


def _suspension_values(row: Any, lk: _Lookups) -> dict[str, Any]:
    values = _plain(row, "tax_id")
    values["vendor_id"] = lk.vendor_id(row.tax_id)
    return values


def _event_values(row: Any, lk: _Lookups) -> dict[str, Any]:
    values = _plain(row, "case_no")
    values["case_id"] = lk.case_id(row.case_no)
    if row.cause_code:
        lk.check_cause(row.cause_code)
    return values


def _consultation_values(row: Any, lk: _Lookups) -> dict[str, Any]:
    values = _plain(row)
    if not values["ref"]:
        raise RowError("ref", "匯入的諮詢紀錄須有編號（ref），以免重複匯入")
    return values


def _retention_values(row: Any, lk: _Lookups) -> dict[str, Any]:
    values = _plain(row, "retention")
    values["permanent"] = row.retention == "永久"
    values["retention_years"] = None if values["permanent"] else int(row.retention)
    return values


def _default_values(row: Any, lk: _Lookups) -> dict[str, Any]:
    return _plain(row)


@dataclass(frozen=True)
class TableSpec:
    name: str
    label: str
    schema: type[RowBase]
    model: type[Base]
    key: tuple[str, ...]  # model columns forming the natural key
    to_values: Callable[[Any, _Lookups], dict[str, Any]] = _default_values
    key_field: str = ""  # schema field named in duplicate-key errors (default: key[0])

    @property
    def reported_key_field(self) -> str:
        return self.key_field or self.key[0]


TABLES: dict[str, TableSpec] = {s.name: s for s in (
    TableSpec("causes", "流標/廢標原因分類", CauseRow, TenderCause, ("code",)),
    TableSpec("vendors", "廠商", VendorRow, Vendor, ("tax_id",)),
    TableSpec("suspensions", "廠商停權（刊登公報）", SuspensionRow, VendorSuspension,
              ("vendor_id", "start_on", "ground_item"), _suspension_values, "tax_id"),
    TableSpec("cases", "採購案件", CaseRow, ProcurementCase, ("case_no",), _cases_values),
    TableSpec("events", "招標事件", EventRow, TenderEvent, ("case_id", "event_on", "kind"), _event_values, "case_no"),
    TableSpec("consultations", "採購諮詢紀錄", ConsultationRow, Consultation, ("ref",), _consultation_values),
    TableSpec("seed_teachers", "採購種子教師", SeedTeacherRow, SeedTeacher, ("name", "district")),
    TableSpec("aeds", "AED設備", AedRow, AedDevice, ("serial",)),
    TableSpec("drills", "消防演練", FireDrillRow, FireDrill, ("held_on", "scenario")),
    TableSpec("inspections", "設備檢查與申報", InspectionRow, EquipmentInspection, ("kind", "inspected_on")),
    TableSpec("retention", "檔案保存年限區分表", RetentionRow, RetentionEntry, ("class_code",), _retention_values),
)}
"""Tables in dependency order (a table only references tables listed before it)."""


# --- reading files -------------------------------------------------------------------------------
_PYDANTIC_ZH = {
    "missing": "必填欄位未填",
    "int_parsing": "必須是整數",
    "int_type": "必須是整數",
    "int_from_float": "必須是整數",
    "string_type": "必須是文字",
    "bool_parsing": "必須填「是」或「否」",
    "bool_type": "必須填「是」或「否」",
    "date_type": "日期格式不正確",
    "date_parsing": "日期格式不正確",
    "datetime_type": "日期時間格式不正確",
    "datetime_parsing": "日期時間格式不正確",
    "list_type": "必須是清單",
    "extra_forbidden": "不認得的欄位",
}


def reason_zh(err: Any) -> str:
    etype = err.get("type", "")
    ctx = err.get("ctx") or {}
    if etype == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if etype == "string_too_short":
        return "必填欄位未填"
    if etype in ("greater_than_equal", "greater_than"):
        return f"必須{'大於等於' if etype.endswith('equal') else '大於'} {ctx.get('ge', ctx.get('gt'))}"
    if etype in ("less_than_equal", "less_than"):
        return f"必須{'小於等於' if etype.endswith('equal') else '小於'} {ctx.get('le', ctx.get('lt'))}"
    return _PYDANTIC_ZH.get(etype, f"格式不正確（{etype}）")


def _read_text(path: Path) -> str:
    """UTF-8 (Excel on zh-TW Windows: Big5/CP950), with the same plausibility check as source files: a
    decoding that yields control, private-use or unassigned characters is not taken."""
    try:
        return decode_text(path, path.read_bytes())[0]
    except IngestError as exc:
        raise ValueError(f"檔案編碼無法辨識，請存成 UTF-8（{exc.reason}）") from exc


def _csv_records(text: str) -> Iterable[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        headers = [h.strip() for h in reader.fieldnames or []]
        twice = sorted({h for h in headers if h and headers.count(h) > 1})
        if twice:
            raise ValueError(f"標題列有重複欄位：{'、'.join(twice)}")
        for rec in reader:
            if None in rec:
                raise ValueError(f"第{reader.line_num}行的欄位數多於標題列")
            if all((v or "").strip() == "" for v in rec.values()):
                continue  # blank line
            yield reader.line_num, dict(rec)
    except csv.Error as exc:  # not a ValueError: a cell over the csv module's 128 KiB limit, a stray quote
        raise ValueError(f"CSV 格式錯誤（第{reader.line_num}行）：儲存格過長（上限 128 KB）或引號不成對") from exc


def _json_records(text: str) -> Iterable[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"JSON 格式錯誤（第{exc.lineno}行）：{exc.msg}") from exc
    except RecursionError as exc:
        raise ValueError("JSON 巢狀層數過深，無法匯入") from exc
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        data = data["records"]
    if not isinstance(data, list):
        raise ValueError("JSON 檔須為物件清單，或含 records 清單的物件")
    for i, rec in enumerate(data, start=1):
        if not isinstance(rec, dict):
            raise ValueError(f"第{i}筆不是物件")
        yield i, rec


def read_records(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line, raw record) pairs of a .csv or .json file; ValueError (zh-TW) when unreadable."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise ValueError(f"不支援的檔案類型「{suffix}」，請用 .csv 或 .json")
    text = _read_text(path)
    return list(_csv_records(text) if suffix == ".csv" else _json_records(text))


# --- spreadsheet formula guard (exports) -------------------------------------------------------------
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: str) -> str:
    """A text cell a spreadsheet would run as a formula (=HYPERLINK(...), @SUM(...)) gets a leading '."""
    return "'" + value if value.startswith(FORMULA_START) else value


def unguard_cell(value: Any) -> Any:
    """The inverse of ``guard_cell`` on import, so an exported file round-trips."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


# --- importing -----------------------------------------------------------------------------------
def _canonical_headers(spec: TableSpec, raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Map zh-TW headers to field names; returns (record, field -> header as written)."""
    by_zh = {zh: f for f, zh in spec.schema.ZH.items()}
    rec: dict[str, Any] = {}
    shown: dict[str, str] = {}
    for header, value in raw.items():
        h = str(header).strip()
        field = by_zh.get(h, h)
        shown[field] = h
        if value is None or (isinstance(value, str) and value.strip() == ""):
            continue  # empty cell = not given (defaults apply, required fields are reported)
        rec[field] = unguard_cell(value)
    return rec, shown


def _raw_problem(spec: TableSpec, raw: dict[str, Any]) -> tuple[str, str] | None:
    """(field, zh-TW reason) when a record cannot be read as written: two headers for one field (「案號」
    and ``case_no``), or a NUL character (PostgreSQL refuses it at insert time)."""
    by_zh = {zh: f for f, zh in spec.schema.ZH.items()}
    seen: dict[str, str] = {}
    for header, value in raw.items():
        h = str(header).strip()
        field = by_zh.get(h, h)
        if field in seen:
            return h, f"「{seen[field]}」與「{h}」是同一個欄位，請只保留一個"
        seen[field] = h
        if isinstance(value, str) and "\x00" in value:
            return h, "含有 NUL 控制字元（\\x00），請移除後再匯入"
    return None


def _validate(spec: TableSpec, records: Sequence[tuple[int, dict[str, Any]]],
              report: ImportReport) -> list[tuple[int, RowBase, dict[str, str]]]:
    valid: list[tuple[int, RowBase, dict[str, str]]] = []
    for line, raw in records:
        problem = _raw_problem(spec, raw)
        if problem is not None:
            report.errors.append(ImportIssue(line=line, field=problem[0], reason=problem[1]))
            continue
        rec, shown = _canonical_headers(spec, raw)
        try:
            valid.append((line, spec.schema.model_validate(rec), shown))
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][0]) if err.get("loc") else "（整筆）"
                report.errors.append(ImportIssue(line=line, field=shown.get(field, field), reason=reason_zh(err)))
    return valid


def import_rows(session: Session, table: str, records: Sequence[tuple[int, dict[str, Any]]],
                mode: Mode = "insert", source: str = "") -> ImportReport:
    """Validate, resolve and stage rows in ``session`` (flushes, never commits).

    The caller commits when the report is ok and MUST roll back otherwise (rows may be staged).
    Used by ``import_file`` / ``import_bundle``.
    """
    spec = _spec(table)
    report = ImportReport(table=table, source=source or table, rows_read=len(records))
    valid = _validate(spec, records, report)
    lookups = _Lookups(session)
    staged: list[tuple[int, dict[str, Any], str]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for line, row, shown in valid:
        try:
            values = spec.to_values(row, lookups)
        except RowError as exc:
            report.errors.append(ImportIssue(line=line, field=shown.get(exc.field, exc.field), reason=exc.reason))
            continue
        key = tuple(values[k] for k in spec.key)
        key_field = shown.get(spec.reported_key_field, spec.reported_key_field)
        if key in seen:
            report.errors.append(ImportIssue(line=line, field=key_field,
                                             reason=f"與第{seen[key]}行重複（{_key_text(key)}）"))
            continue
        seen[key] = line
        staged.append((line, values, key_field))
    if report.errors:
        report.errors.sort(key=lambda e: e.line)  # stable: per line, validation problems first
        return report
    existing = _existing(session, spec)
    for line, values, key_field in staged:
        key = tuple(values[k] for k in spec.key)
        obj = existing.get(key)
        if obj is None:
            session.add(spec.model(**values))
            report.inserted += 1
        elif mode == "upsert":
            for col, val in values.items():
                setattr(obj, col, val)
            report.updated += 1
        else:
            report.errors.append(ImportIssue(
                line=line, field=key_field,
                reason=f"資料已存在（{_key_text(key)}）；如要更新既有資料請改用 upsert 模式"))
    if not report.errors:
        session.flush()
    return report


def _key_text(key: tuple[Any, ...]) -> str:
    return "、".join(v.isoformat() if hasattr(v, "isoformat") else str(v) for v in key)


def _existing(session: Session, spec: TableSpec) -> dict[tuple[Any, ...], Any]:
    out: dict[tuple[Any, ...], Any] = {}
    for obj in session.scalars(select(spec.model)).all():
        out[tuple(getattr(obj, k) for k in spec.key)] = obj
    return out


def _spec(table: str) -> TableSpec:
    try:
        return TABLES[table]
    except KeyError:
        raise ValueError(f"不認得的資料表「{table}」（可用：{'、'.join(TABLES)}）") from None


def import_bundle(engine: Engine, files: Sequence[tuple[str, Path]], mode: Mode = "insert") -> list[ImportReport]:
    """Import several (table, file) pairs in ONE transaction: all are written, or none.

    Stops at the first file with errors (later files are not read); the reports so far are returned.
    """
    reports: list[ImportReport] = []
    with Session(engine) as session:
        for table, path in files:
            _spec(table)
            try:
                records = read_records(Path(path))
            except (OSError, ValueError) as exc:
                reason = f"無法讀取檔案：{exc}" if isinstance(exc, OSError) else str(exc)
                reports.append(ImportReport(table=table, source=str(path),
                                            errors=[ImportIssue(line=0, field="（檔案）", reason=reason)]))
                return _rolled_back(session, reports)
            report = import_rows(session, table, records, mode=mode, source=str(path))
            reports.append(report)
            if not report.ok:
                return _rolled_back(session, reports)
        session.commit()
    return reports


def _rolled_back(session: Session, reports: list[ImportReport]) -> list[ImportReport]:
    session.rollback()
    for r in reports:
        r.inserted = r.updated = 0
    return reports


def import_file(engine: Engine, table: str, path: Path | str, mode: Mode = "insert") -> ImportReport:
    """Import one CSV/JSON file into ``table``; all rows or none. See module docstring for the policy."""
    return import_bundle(engine, [(table, Path(path))], mode=mode)[0]


def import_records(engine: Engine, table: str, records: Sequence[dict[str, Any]],
                   mode: Mode = "insert") -> ImportReport:
    """Import in-memory dicts (line = 1-based position), all or nothing."""
    with Session(engine) as session:
        report = import_rows(session, table, list(enumerate(records, start=1)), mode=mode, source=table)
        if report.ok:
            session.commit()
        else:
            session.rollback()
            report.inserted = report.updated = 0
    return report


def export_timestamp(dt: datetime) -> str:
    """Stable text form of a datetime in exported files (ISO, minute or second precision)."""
    return dt.isoformat(sep=" ", timespec="seconds" if dt.second else "minutes")
