"""Ask (JSON and server-sent events) and conversation history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from mishu.api import conversations
from mishu.api.audit import AuditNote, citation_keys, note
from mishu.api.deps import AnyRole, ContainerDep
from mishu.api.schemas import AskRequest, AskResponse, ConversationOut, ErrorOut

router = APIRouter(prefix="/v1", tags=["ask"])

_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut}, 403: {"model": ErrorOut},
                                            404: {"model": ErrorOut}, 422: {"model": ErrorOut}}


def _conversation(c: Any, caller: Any, cid: str | None) -> str:
    if cid:
        conversations.check_access(c, caller, cid)
        return cid
    return conversations.start(c, caller)


@router.post("/ask", response_model=AskResponse, responses=_ERRORS, summary="提問：回答、條文引用與計算結果")
def ask(body: AskRequest, request: Request, c: ContainerDep, caller: AnyRole,
        full: Annotated[bool, Query(description="加上 related、flags、latency_ms 與引用標籤")] = False,
        ) -> JSONResponse:
    n = note(request)
    n.detail = {"question": body.question, "conversation_id": body.conversation_id}
    cid = _conversation(c, caller, body.conversation_id)
    answer = c.assistant.ask(body.question, conversation_id=cid, role=caller.role, as_of=body.as_of)
    n.citations = citation_keys([{"title": x.title, "no": x.no} for x in answer.citations])
    n.detail.update(conversation_id=answer.conversation_id, refused=answer.refused)
    out = answer.model_dump(mode="json") if full else answer.contract() | {"conversation_id": answer.conversation_id}
    return JSONResponse(out)


def sse(event: str, data: Any) -> str:
    """One server-sent event: ``event:`` line, JSON ``data:`` line, blank line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def _events(c: Any, question: str, cid: str, role: str, n: AuditNote) -> Iterator[str]:
    from assistant.service import AskError

    try:
        for ev in c.assistant.stream(question, cid, role):
            if ev["event"] == "answer":
                n.citations = citation_keys(ev["data"].get("citations") or [])
                n.detail.update(refused=ev["data"].get("refused"))
            yield sse(ev["event"], ev["data"])
    except AskError as exc:  # headers are already sent: report in-band
        n.error_code = "invalid_request"
        yield sse("error", {"code": "invalid_request", "message": str(exc)})
    except Exception:
        import logging

        logging.getLogger("mishu.api").exception("stream failed")
        n.error_code = "internal_error"
        yield sse("error", {"code": "internal_error", "message": "伺服器發生錯誤，已記錄，請稍後再試"})
    yield sse("done", {})


@router.post("/ask/stream", responses=_ERRORS | {200: {"content": {"text/event-stream": {}},
                                                       "description": "status → delta… → answer → done"}},
             summary="提問（server-sent events 串流）", response_class=StreamingResponse)
def ask_stream(body: AskRequest, request: Request, c: ContainerDep, caller: AnyRole) -> StreamingResponse:
    n = note(request)
    cid = _conversation(c, caller, body.conversation_id)
    n.detail = {"question": body.question, "conversation_id": cid, "stream": True}
    return StreamingResponse(_events(c, body.question, cid, caller.role, n), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/conversations/{conversation_id}", response_model=ConversationOut, responses=_ERRORS,
            summary="對話紀錄")
def conversation(conversation_id: str, c: ContainerDep, caller: AnyRole) -> ConversationOut:
    conversations.check_access(c, caller, conversation_id)
    return ConversationOut(conversation_id=conversation_id, turns=c.assistant.history(conversation_id))
