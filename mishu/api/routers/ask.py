"""Ask (JSON and server-sent events) and conversation history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from assistant.conversations import ConversationStore
from assistant.drafting.store import DraftStore
from assistant.service import Assistant
from mishu.api.audit import AuditNote, citation_keys, note, question_detail
from mishu.api.auth import Caller
from mishu.api.conversations import check_access, start
from mishu.api.deps import AskRole, AssistantDep, ConversationsDep, DraftingDep, SettingsDep
from mishu.api.routers.drafts import adopt_chat_draft
from mishu.api.schemas import AskFullResponse, AskRequest, AskResponse, ConversationOut, ErrorOut

router = APIRouter(prefix="/v1", tags=["ask"])

_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut}, 403: {"model": ErrorOut},
                                            404: {"model": ErrorOut}, 422: {"model": ErrorOut}}
# LLM mode: no free slot or a failing endpoint (503), the request's deadline passed (504)
_ASK_ERRORS = _ERRORS | {503: {"model": ErrorOut}, 504: {"model": ErrorOut}}


def _conversation(store: ConversationStore, caller: Caller, cid: str | None) -> str:
    if cid:
        check_access(store, caller, cid, continuing=True)
        return cid
    return start(store, caller)


@router.post("/ask", response_model=AskResponse | AskFullResponse, responses=_ASK_ERRORS,
             summary="提問：回答、條文引用與計算結果")
def ask(body: AskRequest, request: Request, assistant: AssistantDep, store: ConversationsDep, caller: AskRole,
        settings: SettingsDep, drafting: DraftingDep,
        full: Annotated[bool, Query(description="加上 related、flags、latency_ms 與引用標籤")] = False,
        ) -> AskResponse | AskFullResponse:
    n = note(request)
    n.detail = question_detail(body.question, settings.audit_questions) | {"conversation_id": body.conversation_id}
    cid = _conversation(store, caller, body.conversation_id)
    answer = assistant.ask(body.question, conversation_id=cid, role=caller.role, as_of=body.as_of,
                           facts=body.facts_dict())
    n.citations = citation_keys([{"title": x.title, "no": x.no} for x in answer.citations])
    n.detail.update(conversation_id=answer.conversation_id, refused=answer.refused)
    full_out = answer.model_dump(mode="json")
    adopt_chat_draft(drafting.store, caller, full_out)  # no server path leaves; the .docx gets an owner and a URL
    if full:
        return AskFullResponse.model_validate(full_out)
    return AskResponse.model_validate(answer.contract() | {"conversation_id": answer.conversation_id})


def sse(event: str, data: Any) -> str:
    """One server-sent event: ``event:`` line, JSON ``data:`` line, blank line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def _events(assistant: Assistant, question: str, cid: str, caller: Caller, n: AuditNote,
            as_of: date | None, drafts: DraftStore, facts: dict[str, Any] | None = None) -> Iterator[str]:
    from assistant.llm_agent import LLMUnavailable
    from assistant.service import AskError

    try:
        for ev in assistant.stream(question, cid, caller.role, as_of=as_of, facts=facts):
            if ev["event"] == "answer":
                adopt_chat_draft(drafts, caller, ev["data"])
                n.citations = citation_keys(ev["data"].get("citations") or [])
                n.detail.update(refused=ev["data"].get("refused"))
            yield sse(ev["event"], ev["data"])
    except AskError as exc:  # headers are already sent: report in-band
        n.error_code = "invalid_request"
        yield sse("error", {"code": "invalid_request", "message": str(exc)})
    except LLMUnavailable as exc:  # deadline passed, no free slot, or the model endpoint failed
        n.error_code = exc.code
        yield sse("error", {"code": exc.code, "message": exc.message})
    except Exception:
        import logging

        logging.getLogger("mishu.api").exception("stream failed")
        n.error_code = "internal_error"
        yield sse("error", {"code": "internal_error", "message": "伺服器發生錯誤，已記錄，請稍後再試"})
    yield sse("done", {})


@router.post("/ask/stream", responses=_ASK_ERRORS | {200: {"content": {"text/event-stream": {}},
                                                       "description": "status → delta… → answer → done"}},
             summary="提問（server-sent events 串流）", response_class=StreamingResponse)
def ask_stream(body: AskRequest, request: Request, assistant: AssistantDep, store: ConversationsDep,
               caller: AskRole, settings: SettingsDep, drafting: DraftingDep) -> StreamingResponse:
    n = note(request)
    cid = _conversation(store, caller, body.conversation_id)
    n.detail = question_detail(body.question, settings.audit_questions) | {"conversation_id": cid, "stream": True}
    events = _events(assistant, body.question, cid, caller, n, body.as_of, drafting.store, body.facts_dict())
    return StreamingResponse(events,
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/conversations/{conversation_id}", response_model=ConversationOut, responses=_ERRORS,
            summary="對話紀錄")
def conversation(conversation_id: str, assistant: AssistantDep, store: ConversationsDep,
                 caller: AskRole) -> ConversationOut:
    check_access(store, caller, conversation_id)
    return ConversationOut(conversation_id=conversation_id, turns=assistant.history(conversation_id))
