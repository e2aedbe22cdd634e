"""Admin: re-index, upload documents, job progress, audit log and the evaluation report."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile

from mishu.api.audit import Caller
from mishu.api.deps import AdminOnly, Services, ServicesDep
from mishu.api.errors import ApiError, conflict, invalid, not_found
from mishu.api.jobs import start_job
from mishu.api.schemas import ErrorOut, EvalReportOut, IngestJobOut, UploadOut
from mishu.settings import PROJECT_ROOT

router = APIRouter(prefix="/v1/admin", tags=["admin"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut}, 403: {"model": ErrorOut},
                                            404: {"model": ErrorOut}, 409: {"model": ErrorOut},
                                            413: {"model": ErrorOut}, 415: {"model": ErrorOut},
                                            422: {"model": ErrorOut}}
UPLOAD_SUFFIXES = (".pdf", ".docx", ".md", ".markdown", ".txt", ".html", ".htm")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def uploads_dir(services: Services) -> Path:
    return Path(services.settings.data_dir) / "uploads"


def ingest_paths(services: Services) -> list[Path]:
    """The configured sources plus the uploads folder (when it exists)."""
    paths = [Path(p) for p in services.settings.sources]
    up = uploads_dir(services)
    if up.is_dir() and up not in paths:
        paths.append(up)
    return paths


def _start(services: Services, caller: Caller, uploaded: list[str] | None = None) -> dict[str, Any]:
    active = services.jobs.active()
    if active is not None:
        raise conflict("ingest_running", f"已有索引作業執行中（{active['id']}），請等它完成後再試")
    paths = ingest_paths(services)
    jid = services.jobs.create(caller.key_id, paths, uploaded)
    start_job(services.jobs, jid, services.container.indexer.ingest, paths)
    job = services.jobs.get(jid)
    assert job is not None
    return job


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
    """The file's own name (no folders), NFC, without control or shell-special characters."""
    base = unicodedata.normalize("NFC", Path((name or "").replace("\\", "/")).name).strip()
    base = _UNSAFE.sub("_", base).lstrip(".")
    suffix = Path(base).suffix
    stem = base[: len(base) - len(suffix)]
    if not stem.strip("_ "):
        raise invalid("檔名無效", [{"field": "files", "message": "檔名無效"}])
    return stem[:120] + suffix.lower()


async def _read_limited(f: UploadFile, limit: int, name: str) -> bytes:
    data = bytearray()
    while chunk := await f.read(1 << 20):
        data.extend(chunk)
        if len(data) > limit:
            raise ApiError(413, "payload_too_large",
                           f"{name} 超過上限 {limit / 1024 / 1024:.0f} MB")
    return bytes(data)


@router.post("/upload", response_model=UploadOut, status_code=201, responses=_ERRORS,
             summary="上傳文件（PDF、DOCX、MD、TXT、HTML）並重新索引")
async def upload(services: ServicesDep, caller: AdminOnly,
                 files: Annotated[list[UploadFile], File(description="一或多個檔案")],
                 replace: Annotated[bool, Form(description="同名但內容不同時覆蓋舊檔")] = False,
                 ingest: Annotated[bool, Form(description="存檔後立即重新索引（無新檔時不執行）")] = True) -> UploadOut:
    limit = int(services.settings.max_file_mb * 1024 * 1024)
    folder = uploads_dir(services)
    staged: list[tuple[str, bytes]] = []
    for f in files:  # validate everything first: all or nothing
        name = safe_name(f.filename)
        if not name.lower().endswith(UPLOAD_SUFFIXES):
            raise ApiError(415, "unsupported_media_type",
                           f"不支援的檔案類型：{name}（可用：{'、'.join(UPLOAD_SUFFIXES)}）")
        data = await _read_limited(f, limit, name)
        if not data:
            raise invalid(f"{name} 是空檔案", [{"field": "files", "message": "空檔案"}])
        if any(n == name for n, _ in staged):
            raise invalid(f"同一次上傳中有重複檔名：{name}", [{"field": "files", "message": "重複檔名"}])
        staged.append((name, data))
    saved, unchanged = [], []
    for name, data in staged:
        target = folder / name
        if target.exists():
            if hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest():
                unchanged.append(name)
                continue
            if not replace:
                raise conflict("file_exists", f"已有同名但內容不同的檔案：{name}；若要覆蓋請設定 replace=true")
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / ".uploads-staging"  # outside uploads/, so a running ingest never sees partial files
    staging.mkdir(exist_ok=True)
    for name, data in staged:
        if name in unchanged:
            continue
        tmp = staging / f"{secrets.token_hex(8)}.part"
        tmp.write_bytes(data)
        tmp.replace(folder / name)
        saved.append(name)
    job = _start(services, caller, saved) if ingest and saved else None
    return UploadOut(saved=saved, unchanged=unchanged, job=IngestJobOut.model_validate(job) if job else None)


def eval_reports(services: Services) -> list[Path]:
    roots = [Path(services.settings.data_dir) / "eval", PROJECT_ROOT / "evals" / "baseline"]
    found = [p for r in roots if r.is_dir() for p in r.rglob("report.json")]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


@router.get("/eval-report", response_model=EvalReportOut, responses=_ERRORS, summary="最新評測報告")
def eval_report(services: ServicesDep, _caller: AdminOnly) -> EvalReportOut:
    for path in eval_reports(services):
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(report, dict):
            return EvalReportOut(path=str(path), report=report,
                                 modified_at=datetime.fromtimestamp(path.stat().st_mtime, UTC))
    raise not_found("尚無評測報告（請先執行 mishu eval）")


@router.get("/audit", responses=_ERRORS, summary="稽核紀錄（最近）")
def audit(services: ServicesDep, _caller: AdminOnly, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
          key_id: Annotated[str | None, Query(max_length=24)] = None,
          path_prefix: Annotated[str | None, Query(max_length=200)] = None) -> list[dict[str, Any]]:
    return services.audit.recent(limit=limit, key=key_id, path_prefix=path_prefix)
