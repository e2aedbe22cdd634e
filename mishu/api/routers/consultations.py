"""Hotline desk: log a consultation, list the day's log, counts by category, CSV export."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from core.access import ROLE_ZH
from knowledge.records.results import ConsultationCounts, ConsultationOut
from mishu.api.audit import note
from mishu.api.deps import ConsultationsRole, RecordsDep
from mishu.api.errors import invalid
from mishu.api.schemas import ConsultationApiOut, ConsultationIn, ErrorOut

router = APIRouter(prefix="/v1/consultations", tags=["hotline"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut}, 403: {"model": ErrorOut},
                                            422: {"model": ErrorOut}}
DateText = Annotated[str | None, Query(max_length=40, description="日期（2026-11-27 或 115.11.27）")]


BACKDATE_DAYS = 30  # a call may be logged up to this many days later, never ahead of time


def _occurred_at(given: datetime | None) -> datetime:
    now = datetime.now().replace(microsecond=0)
    if given is None:
        return now
    at = given.astimezone().replace(tzinfo=None) if given.tzinfo else given  # naive local time, as stored
    if at > now + timedelta(minutes=5) or at < now - timedelta(days=BACKDATE_DAYS):
        raise invalid(f"來電時間須在最近 {BACKDATE_DAYS} 天內且不晚於現在",
                      [{"field": "occurred_at", "message": f"來電時間須在最近 {BACKDATE_DAYS} 天內且不晚於現在"}])
    return at


@router.post("", response_model=ConsultationApiOut, status_code=201, responses=_ERRORS, summary="登錄一筆專線諮詢")
def create(body: ConsultationIn, request: Request, records: RecordsDep, caller: ConsultationsRole) -> ConsultationOut:
    """``handled_by`` defaults to the role's display name, never a key id (the list is shown to the whole
    desk); who logged the row is bound to it in the audit log (the caller's key pseudonym + the 編號)."""
    out = records.log_consultation(
        occurred_at=_occurred_at(body.occurred_at), caller_agency=body.caller_agency,
        category=body.category, question=body.question, answer=body.answer,
        handled_by=body.handled_by or ROLE_ZH[caller.role],
        citations=[x.model_dump() for x in body.citations], follow_up=body.follow_up,
        follow_up_note=body.follow_up_note)
    note(request).detail = {"consultation_ref": out.ref, "occurred_at": out.occurred_at.isoformat()}
    return out


@router.get("", response_model=list[ConsultationApiOut], responses=_ERRORS, summary="諮詢紀錄")
def list_(records: RecordsDep, _caller: ConsultationsRole, day: DateText = None,
          category: Annotated[str | None, Query(max_length=20)] = None,
          follow_up: bool | None = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[ConsultationOut]:
    return records.list_consultations(day=day, category=category,
                                        follow_up=follow_up, limit=limit)


@router.get("/counts", response_model=ConsultationCounts, responses=_ERRORS, summary="當日各類別件數")
def counts(records: RecordsDep, _caller: ConsultationsRole, day: DateText = None) -> ConsultationCounts:
    return records.consultation_counts(day or datetime.now().date())


@router.get("/export.csv", response_class=Response, responses=_ERRORS | {200: {"content": {"text/csv": {}}}},
            summary="匯出諮詢紀錄 CSV（UTF-8，含 BOM 方便 Excel 開啟）")
def export_csv(records: RecordsDep, _caller: ConsultationsRole, date_from: DateText = None, date_to: DateText = None,
               category: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    text = records.export_consultations_csv(date_from=date_from, date_to=date_to, category=category)
    name = "consultations.csv"
    return Response(content="\ufeff" + text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
