"""Records queries (procurement cases, failed-tender report, vendor check, retention, building safety).

Dates may be ISO or ROC text (2025-01-06, 114.01.06); amounts may be text (150萬). Bad filters -> 422.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from knowledge.records.results import (
    BuildingSafetyStatus,
    CaseDetail,
    CaseOut,
    FailedTenderReport,
    RetentionOut,
    SeedTeacherOut,
    VendorCheckResult,
)
from mishu.api.deps import (
    BuildingSafetyRole,
    CasesRole,
    FailedTendersRole,
    RecordsDep,
    RetentionRole,
    SeedTeachersRole,
    VendorCheckRole,
)
from mishu.api.errors import not_found
from mishu.api.schemas import ErrorOut

router = APIRouter(prefix="/v1", tags=["records"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut}, 403: {"model": ErrorOut},
                                            404: {"model": ErrorOut}, 422: {"model": ErrorOut}}
DateText = Annotated[str | None, Query(max_length=40, description="日期（2025-01-06 或 114.01.06）")]


@router.get("/cases/{case_no}", response_model=CaseDetail, responses=_ERRORS, summary="採購案（含開決標紀錄）")
def case(case_no: str, records: RecordsDep, _caller: CasesRole) -> CaseDetail:
    found = records.lookup_case(case_no)
    if found is None:
        raise not_found(f"找不到案號 {case_no} 的採購案")
    return found


@router.get("/cases", response_model=list[CaseOut], responses=_ERRORS, summary="查詢採購案")
def cases(records: RecordsDep, _caller: CasesRole,
          text: Annotated[str | None, Query(max_length=200, description="案名或案號片段")] = None,
          unit: Annotated[str | None, Query(max_length=100)] = None,
          category: Annotated[str | None, Query(description="工程、財物、勞務")] = None,
          status: Annotated[str | None, Query(max_length=20)] = None,
          method: Annotated[str | None, Query(max_length=40)] = None,
          date_from: DateText = None, date_to: DateText = None,
          min_amount: Annotated[str | None, Query(max_length=40, description="例：150萬")] = None,
          max_amount: Annotated[str | None, Query(max_length=40)] = None,
          limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[CaseOut]:
    return records.find_cases(text=text, unit=unit, category=category, status=status,
                                method=method, date_from=date_from, date_to=date_to, min_amount=min_amount,
                                max_amount=max_amount, limit=limit)


@router.get("/reports/failed-tenders", response_model=FailedTenderReport, responses=_ERRORS,
            summary="流標／廢標統計")
def failed_tenders(records: RecordsDep, _caller: FailedTendersRole,
                   group_by: Literal["cause", "unit", "category", "month"] = "cause",
                   unit: Annotated[str | None, Query(max_length=100)] = None,
                   date_from: DateText = None, date_to: DateText = None) -> FailedTenderReport:
    return records.failed_tender_report(group_by=group_by, unit=unit,
                                          date_from=date_from, date_to=date_to)


@router.get("/vendors/check", response_model=VendorCheckResult, responses=_ERRORS,
            summary="廠商是否刊登政府採購公報（停權）")
def vendor_check(records: RecordsDep, _caller: VendorCheckRole,
                 q: Annotated[str, Query(min_length=1, max_length=200, description="統一編號或名稱")],
                 on: DateText = None) -> VendorCheckResult:
    return records.vendor_suspension_check(q, on=on)


@router.get("/retention", response_model=list[RetentionOut], responses=_ERRORS, summary="檔案保存年限查詢")
def retention(records: RecordsDep, _caller: RetentionRole,
              q: Annotated[str, Query(min_length=1, max_length=200, description="分類號或類目名稱")],
              limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[RetentionOut]:
    return records.retention_lookup(q, limit=limit)


@router.get("/building-safety", response_model=BuildingSafetyStatus, responses=_ERRORS,
            summary="市政大樓 AED、消防演練與檢修申報狀態")
def building_safety(records: RecordsDep, _caller: BuildingSafetyRole, on: DateText = None,
                    window_days: Annotated[int, Query(ge=1, le=365)] = 30) -> BuildingSafetyStatus:
    return records.building_safety_status(on=on, window_days=window_days)


@router.get("/seed-teachers", response_model=list[SeedTeacherOut], responses=_ERRORS,
            summary="各區採購種子教師")
def seed_teachers(records: RecordsDep, _caller: SeedTeachersRole,
                  district: Annotated[str, Query(min_length=1, max_length=20, description="例：西屯區")],
                  ) -> list[SeedTeacherOut]:
    return records.find_seed_teachers(district)
