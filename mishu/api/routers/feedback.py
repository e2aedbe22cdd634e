"""Thumbs up/down + comment on an answer, stored with the question, answer and citations."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from mishu.api.conversations import check_access
from mishu.api.deps import AdminOnly, ConversationsDep, FeedbackRole, ServicesDep
from mishu.api.schemas import ErrorOut, FeedbackIn, FeedbackOut

router = APIRouter(prefix="/v1/feedback", tags=["feedback"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut}, 403: {"model": ErrorOut},
                                            404: {"model": ErrorOut}, 422: {"model": ErrorOut}}


@router.post("", response_model=FeedbackOut, status_code=201, responses=_ERRORS, summary="回饋（讚／倒讚與意見）")
def create(body: FeedbackIn, services: ServicesDep, store: ConversationsDep, caller: FeedbackRole) -> FeedbackOut:
    if body.conversation_id:  # only about the caller's own conversation (404 for another key's, as elsewhere)
        check_access(store, caller, body.conversation_id)
    row = services.feedback.add(key_id=caller.key_id, role=caller.role, question=body.question, answer=body.answer,
                                citations=[x.model_dump() for x in body.citations], thumbs=body.thumbs,
                                comment=body.comment, conversation_id=body.conversation_id)
    return FeedbackOut.model_validate(row)


@router.get("", response_model=list[FeedbackOut], responses=_ERRORS, summary="回饋清單（管理者）")
def list_(services: ServicesDep, _caller: AdminOnly, thumbs: Literal["up", "down"] | None = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[FeedbackOut]:
    return [FeedbackOut.model_validate(r) for r in services.feedback.list(limit=limit, thumbs=thumbs)]
