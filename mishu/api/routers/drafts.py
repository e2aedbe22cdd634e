"""Drafting: 投標須知 / 函 / 簽 as Markdown, plus a .docx kept under ``data_dir/drafts`` for download.

Each draft is stored as ``<id>.docx`` with a ``<id>.json`` sidecar naming the key that made it, so any
worker can serve the download and only that key (or an admin) can fetch it.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from mishu.api.audit import Caller, citation_keys, note
from mishu.api.db import utcnow
from mishu.api.deps import ContainerDep, StaffOrAdmin
from mishu.api.errors import ApiError, invalid, not_found
from mishu.api.schemas import DraftRequest, DraftResponse, ErrorOut

router = APIRouter(prefix="/v1/draft", tags=["drafting"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut}, 403: {"model": ErrorOut},
                                            404: {"model": ErrorOut}, 422: {"model": ErrorOut},
                                            503: {"model": ErrorOut}}
_ID = re.compile(r"^[0-9a-f]{32}$")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _drafting() -> Any:
    try:
        import assistant.drafting as drafting
    except ImportError:
        raise ApiError(503, "drafting_unavailable", "草稿功能尚未安裝或無法載入，請聯絡系統管理者") from None
    return drafting


def _case_fields(c: Any, case_no: str | None) -> Any:
    if not case_no:
        return None
    detail = c.records.lookup_case(case_no)
    if detail is None:
        raise not_found(f"找不到案號 {case_no} 的採購案")
    return detail


def make_draft(c: Any, body: DraftRequest) -> Any:
    d = _drafting()
    detail = _case_fields(c, body.case_no)
    try:
        if body.kind == "tender_notice":
            if detail is not None and not body.case and not body.fields:
                return d.draft_tender_notice(detail, articles=c.articles)
            base: dict[str, Any] = {}
            if detail is not None:
                base = d.CaseInput.from_record(detail).model_dump(exclude_none=True, exclude_defaults=True)
            return d.draft_tender_notice({**base, **(body.case or {}), **body.fields}, articles=c.articles)
        data = dict(body.fields)
        case = dict(body.case or {})
        if detail is not None:
            case = {"機關": detail.agency, "單位": detail.unit, "名稱": detail.name,
                    "預算金額": detail.budget} | case
        if case:
            data["case"] = case
        fn = d.draft_letter if body.kind == "letter" else d.draft_memo
        return fn(data, articles=c.articles)
    except (d.CaseInputError, d.GongwenInputError) as exc:
        raise invalid(str(exc), [{"field": "fields", "message": str(exc)}]) from None


def drafts_dir(c: Any) -> Path:
    return Path(c.settings.data_dir) / "drafts"


@router.post("", response_model=DraftResponse, responses=_ERRORS, summary="產生草稿（Markdown 與 .docx）")
def create(body: DraftRequest, request: Request, c: ContainerDep, caller: StaffOrAdmin) -> DraftResponse:
    d = _drafting()
    draft = make_draft(c, body)
    did = secrets.token_hex(16)
    folder = drafts_dir(c)
    d.to_docx(draft, folder / f"{did}.docx")
    (folder / f"{did}.json").write_text(json.dumps(
        {"id": did, "kind": body.kind, "key_id": caller.key_id, "role": caller.role, "created_at": utcnow(),
         "case_no": body.case_no, "missing_fields": list(draft.missing_fields)}, ensure_ascii=False, default=str),
        encoding="utf-8")
    note(request).citations = citation_keys([c_.model_dump() for c_ in draft.citations])
    note(request).detail = {"draft_id": did, "kind": body.kind, "case_no": body.case_no}
    return DraftResponse(id=did, kind=body.kind, markdown=draft.markdown, missing_fields=list(draft.missing_fields),
                         warnings=list(draft.warnings), docx_url=f"/v1/draft/{did}.docx")


def _owner_ok(meta_path: Path, caller: Caller) -> bool:
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return caller.role == "admin" or meta.get("key_id") == caller.key_id


@router.get("/{draft_id}.docx", response_class=FileResponse, responses=_ERRORS | {200: {"content": {DOCX_TYPE: {}}}},
            summary="下載草稿 .docx")
def download(draft_id: str, c: ContainerDep, caller: StaffOrAdmin) -> FileResponse:
    folder = drafts_dir(c)
    path = folder / f"{draft_id}.docx"
    if not _ID.match(draft_id) or not path.is_file() or not _owner_ok(folder / f"{draft_id}.json", caller):
        raise not_found(f"找不到草稿 {draft_id}")
    return FileResponse(path, media_type=DOCX_TYPE, filename=f"mishu-draft-{draft_id[:8]}.docx")
