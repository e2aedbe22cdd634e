"""Hotline desk: log a consultation, list the day's log, counts by category, CSV export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from knowledge.records.results import ConsultationCounts, ConsultationOut
from mishu.api.deps import ContainerDep, HotlineOrAdmin
from mishu.api.schemas import ConsultationIn, ErrorOut

router = APIRouter(prefix="/v1/consultations", tags=["hotline"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut}, 403: {"model": ErrorOut},
                                            422: {"model": ErrorOut}}
DateText = Annotated[str | None, Query(max_length=40, description="日期（2026-11-27 或 115.11.27）")]


@router.post("", response_model=ConsultationOut, status_code=201, responses=_ERRORS, summary="登錄一筆專線諮詢")
def create(body: ConsultationIn, c: ContainerDep, caller: HotlineOrAdmin) -> ConsultationOut:
    return c.records.log_consultation(  # type: ignore[no-any-return]
        occurred_at=body.occurred_at or datetime.now().replace(microsecond=0), caller_agency=body.caller_agency,
        category=body.category, question=body.question, answer=body.answer,
        handled_by=body.handled_by or f"{caller.role}:{caller.key_id}",
        citations=[x.model_dump() for x in body.citations], follow_up=body.follow_up,
        follow_up_note=body.follow_up_note)


@router.get("", response_model=list[ConsultationOut], responses=_ERRORS, summary="諮詢紀錄")
def list_(c: ContainerDep, _caller: HotlineOrAdmin, day: DateText = None,
          category: Annotated[str | None, Query(max_length=20)] = None,
          follow_up: bool | None = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[ConsultationOut]:
    return c.records.list_consultations(day=day, category=category,  # type: ignore[no-any-return]
                                        follow_up=follow_up, limit=limit)


@router.get("/counts", response_model=ConsultationCounts, responses=_ERRORS, summary="當日各類別件數")
def counts(c: ContainerDep, _caller: HotlineOrAdmin, day: DateText = None) -> ConsultationCounts:
    return c.records.consultation_counts(day or datetime.now().date())  # type: ignore[no-any-return]


@router.get("/export.csv", response_class=Response, responses=_ERRORS | {200: {"content": {"text/csv": {}}}},
            summary="匯出諮詢紀錄 CSV（UTF-8，含 BOM 方便 Excel 開啟）")
def export_csv(c: ContainerDep, _caller: HotlineOrAdmin, date_from: DateText = None, date_to: DateText = None,
               category: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    text = c.records.export_consultations_csv(date_from=date_from, date_to=date_to, category=category)
    name = "consultations.csv"
    return Response(content="\ufeff" + text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
