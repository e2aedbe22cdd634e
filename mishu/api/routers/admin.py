"""Admin: re-index, upload documents, job progress, audit log and the evaluation report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from starlette.concurrency import run_in_threadpool

from core.access import AccessLevel
from core.vocab import Domain
from evals.report_model import EvalReport
from knowledge import uploads
from knowledge.uploads import UploadError
from mishu.api.auth import Caller
from mishu.api.deps import AdminOnly, Services, ServicesDep
from mishu.api.errors import ApiError, conflict, not_found
from mishu.api.jobs import start_job
from mishu.api.schemas import (
    ErrorOut,
    EvalReportOut,
    IngestJobOut,
    UploadedSourceOut,
    UploadMetaIn,
    UploadMetaOut,
    UploadOut,
)

router = APIRouter(prefix="/v1/admin", tags=["admin"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut}, 403: {"model": ErrorOut},
                                            404: {"model": ErrorOut}, 409: {"model": ErrorOut},
                                            413: {"model": ErrorOut}, 415: {"model": ErrorOut},
                                            422: {"model": ErrorOut}}


def ingest_paths(services: Services) -> list[Path]:
    """The configured sources plus the uploads folder (when it exists)."""
    return services.container.uploads.ingest_paths(list(services.settings.sources))


def _start(services: Services, caller: Caller, uploaded: list[str] | None = None) -> dict[str, Any]:
    _refuse_if_running(services)
    paths = ingest_paths(services)
    jid = services.jobs.create(caller.key_id, paths, uploaded)
    start_job(services.jobs, jid, services.container.indexer.ingest, paths)
    job = services.jobs.get(jid)
    assert job is not None
    return job


def _refuse_if_running(services: Services) -> None:
    active = services.jobs.active()
    if active is not None:
        raise conflict("ingest_running", f"已有索引作業執行中（{active['id']}），請等它完成後再試")


@router.post("/ingest", response_model=IngestJobOut, status_code=202, responses=_ERRORS,
             summary="重新索引（預設來源與上傳資料夾），背景執行")
def ingest(services: ServicesDep, caller: AdminOnly) -> IngestJobOut:
    return IngestJobOut.model_validate(_start(services, caller))


@router.get("/ingest/{job_id}", response_model=IngestJobOut, responses=_ERRORS, summary="索引作業進度")
def ingest_status(job_id: str, services: ServicesDep, _caller: AdminOnly) -> IngestJobOut:
    job = services.jobs.get(job_id)
    if job is None:
        raise not_found(f"找不到索引作業 {job_id}")
    return IngestJobOut.model_validate(job)


@router.get("/ingest", response_model=list[IngestJobOut], responses=_ERRORS, summary="最近的索引作業")
def ingest_recent(services: ServicesDep, _caller: AdminOnly,
                  limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[IngestJobOut]:
    return [IngestJobOut.model_validate(j) for j in services.jobs.recent(limit)]


def safe_name(name: str | None) -> str:
    try:
        return uploads.safe_name(name)
    except UploadError as e:
        raise upload_error(e) from e


_UPLOAD_STATUS: dict[str, tuple[int, str]] = {
    "invalid": (422, "invalid_request"),
    "unsupported": (415, "unsupported_media_type"),
    "too_large": (413, "payload_too_large"),
    "exists": (409, "file_exists"),
    "domain_required": (422, "domain_required"),
    "unparsable": (422, "unprocessable_file"),
    "document_conflict": (409, "document_conflict"),
    "not_found": (404, "not_found"),
}


def upload_error(e: UploadError) -> ApiError:
    status, code = _UPLOAD_STATUS[e.kind]
    return ApiError(status, code, e.message, [{"field": e.field, "message": e.message}])


async def _read_limited(f: UploadFile, limit: int) -> bytes:
    data = bytearray()
    name = f.filename or "檔案"
    while chunk := await f.read(1 << 20):
        data.extend(chunk)
        if len(data) > limit:
            raise ApiError(413, "payload_too_large", f"{name} 超過上限 {limit / 1024 / 1024:.0f} MB")
    return bytes(data)


@router.post(
    "/upload",
    response_model=UploadOut,
    status_code=201,
    responses=_ERRORS,
    summary="上傳文件（PDF、DOCX、MD、TXT、HTML）並重新索引",
)
async def upload(
    services: ServicesDep,
    caller: AdminOnly,
    files: Annotated[list[UploadFile], File(description="一或多個檔案")],
    access_level: Annotated[
        AccessLevel | None,
        Form(description="public、restricted 或 secret；新檔未指定時為 restricted（限閱）"),
    ] = None,
    domain: Annotated[
        Domain | None,
        Form(description="procurement、archives、emergency、template 或 plan；未指定時由內容推斷"),
    ] = None,
    replace: Annotated[bool, Form(description="同名但內容不同時覆蓋舊檔")] = False,
    ingest: Annotated[bool, Form(description="存檔後立即重新索引（無新檔時不執行）")] = True,
) -> UploadOut:
    if ingest:
        _refuse_if_running(services)  # before anything is written
    limit = int(services.settings.max_file_mb * 1024 * 1024)
    incoming = [uploads.Incoming(f.filename or "", await _read_limited(f, limit)) for f in files]
    try:
        result = await run_in_threadpool(
            services.container.uploads.save,
            incoming,
            access_level=access_level,
            domain=domain,
            replace=replace,
            uploaded_by=caller.key_id,
        )
    except UploadError as e:
        raise upload_error(e) from e
    job = _start(services, caller, result.saved) if ingest and result.saved else None
    return UploadOut(
        saved=result.saved, unchanged=result.unchanged, job=IngestJobOut.model_validate(job) if job else None,
        notes=result.notes,
    )


def _source_out(src: uploads.UploadedSource) -> UploadedSourceOut:
    m = src.meta
    return UploadedSourceOut(
        name=src.name,
        size=src.size,
        access_level=m.access_level if m else None,
        domain=m.domain if m else None,
        domain_inferred=bool(m and m.domain_inferred),
        uploaded_by=m.uploaded_by if m else None,
        uploaded_at=m.uploaded_at if m else None,
    )


@router.get(
    "/uploads",
    response_model=list[UploadedSourceOut],
    responses=_ERRORS,
    summary="上傳的檔案與其存取等級、類別",
)
def uploaded_sources(services: ServicesDep, _caller: AdminOnly) -> list[UploadedSourceOut]:
    return [_source_out(s) for s in services.container.uploads.list()]


@router.patch(
    "/uploads/{name}",
    response_model=UploadMetaOut,
    responses=_ERRORS,
    summary="修改上傳檔案的存取等級或類別（重新索引後生效）",
)
def update_upload(name: str, body: UploadMetaIn, services: ServicesDep, caller: AdminOnly) -> UploadMetaOut:
    if body.ingest:
        _refuse_if_running(services)
    try:
        src = services.container.uploads.update(name, access_level=body.access_level, domain=body.domain)
    except UploadError as e:
        raise upload_error(e) from e
    job = _start(services, caller, [src.name]) if body.ingest else None
    return UploadMetaOut(source=_source_out(src), job=IngestJobOut.model_validate(job) if job else None)


def eval_reports(services: Services) -> list[Path]:
    roots = [Path(services.settings.data_dir) / "eval", Path(services.settings.baseline_dir)]
    found = [p for r in roots if r.is_dir() for p in r.rglob("report.json")]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


@router.get("/eval-report", response_model=EvalReportOut, responses=_ERRORS, summary="最新評測報告")
def eval_report(services: ServicesDep, _caller: AdminOnly) -> EvalReportOut:
    for path in eval_reports(services):
        try:
            report = EvalReport.model_validate_json(path.read_bytes())
        except (OSError, ValueError):  # unreadable, or not an evaluation report (pydantic's error is a ValueError)
            continue
        return EvalReportOut(path=str(path), report=report,
                             modified_at=datetime.fromtimestamp(path.stat().st_mtime, UTC))
    raise not_found("尚無評測報告（請先執行 mishu eval）")


@router.get("/audit", responses=_ERRORS, summary="稽核紀錄（最近）")
def audit(services: ServicesDep, _caller: AdminOnly, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
          key_id: Annotated[str | None, Query(max_length=24)] = None,
          path_prefix: Annotated[str | None, Query(max_length=200)] = None) -> list[dict[str, Any]]:
    return services.audit.recent(limit=limit, key=key_id, path_prefix=path_prefix)
