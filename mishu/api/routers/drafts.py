"""Drafting: 投標須知 / 函 / 簽 as Markdown, plus a .docx kept in the drafting service's store
(``data_dir/drafts``) for download by the key that made it (or an admin)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from assistant.drafting import CaseInputError, GongwenInputError
from assistant.drafting.service import CaseNotFoundError, DraftingError, DraftRequest
from assistant.drafting.store import DraftStore
from mishu.api.audit import citation_keys, note
from mishu.api.auth import Caller
from mishu.api.db import utcnow
from mishu.api.deps import DraftingDep, DraftingRole
from mishu.api.errors import invalid, not_found
from mishu.api.schemas import DraftRequest as DraftBody
from mishu.api.schemas import DraftResponse, ErrorOut

router = APIRouter(prefix="/v1/draft", tags=["drafting"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut}, 403: {"model": ErrorOut},
                                            404: {"model": ErrorOut}, 422: {"model": ErrorOut}}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _owner(caller: Caller, kind: str, case_no: str | None, missing: list[str], draft_id: str) -> dict[str, Any]:
    """The sidecar of a stored draft: who made it (the key and its role) and what it is."""
    return {"id": draft_id, "kind": kind, "key_id": caller.key_id, "role": caller.role, "created_at": utcnow(),
            "case_no": case_no, "missing_fields": missing}


@router.post("", response_model=DraftResponse, responses=_ERRORS, summary="產生草稿（Markdown 與 .docx）")
def create(body: DraftBody, request: Request, drafting: DraftingDep, caller: DraftingRole) -> DraftResponse:
    wanted = DraftRequest(body.kind, case_no=body.case_no, case=body.case or {}, fields=body.fields)
    try:
        draft, did, _ = drafting.draft_and_store(wanted)
    except CaseNotFoundError as exc:
        raise not_found(str(exc)) from None
    except (DraftingError, CaseInputError, GongwenInputError) as exc:
        raise invalid(str(exc), [{"field": "fields", "message": str(exc)}]) from None
    drafting.store.set_owner(did, _owner(caller, body.kind, body.case_no, list(draft.missing_fields), did))
    note(request).citations = citation_keys([c_.model_dump() for c_ in draft.citations])
    note(request).detail = {"draft_id": did, "kind": body.kind, "case_no": body.case_no}
    return DraftResponse(id=did, kind=body.kind, markdown=draft.markdown, missing_fields=list(draft.missing_fields),
                         warnings=list(draft.warnings), docx_url=f"/v1/draft/{did}.docx")


def adopt_chat_draft(store: DraftStore, caller: Caller, answer: dict[str, Any]) -> None:
    """A draft made through /v1/ask is kept like a /v1/draft one: an owner sidecar, and a download URL in
    place of the server path (which is never sent to the client)."""
    draft = answer.get("draft")
    if not isinstance(draft, dict):
        return
    path = draft.pop("docx_path", None)
    did = store.id_of(Path(path)) if path else None
    if did is None:
        return
    store.set_owner(did, _owner(caller, str(draft.get("kind")), None, list(draft.get("missing_fields") or []), did))
    draft["docx_url"] = f"/v1/draft/{did}.docx"


@router.get("/{draft_id}.docx", response_class=FileResponse, responses=_ERRORS | {200: {"content": {DOCX_TYPE: {}}}},
            summary="下載草稿 .docx")
def download(draft_id: str, drafting: DraftingDep, caller: DraftingRole) -> FileResponse:
    store = drafting.store
    path = store.docx(draft_id)
    meta = store.owner(draft_id)
    if path is None or meta is None or not (caller.role == "admin" or meta.get("key_id") == caller.key_id):
        raise not_found(f"找不到草稿 {draft_id}")
    return FileResponse(path, media_type=DOCX_TYPE, filename=f"mishu-draft-{draft_id[:8]}.docx")
