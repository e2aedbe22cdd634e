"""Feedback on answers (thumbs up/down + comment), stored with the question, answer and citations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from mishu.api.db import ApiBase, utcnow


class FeedbackRow(ApiBase):
    __tablename__ = "api_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)  # UTC
    key_id: Mapped[str] = mapped_column(String(24))
    role: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    thumbs: Mapped[str] = mapped_column(String(8))  # "up" | "down"
    comment: Mapped[str | None] = mapped_column(Text)


class FeedbackStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, *, key_id: str, role: str, question: str, answer: str, citations: list[dict[str, Any]],
            thumbs: str, comment: str | None, conversation_id: str | None) -> dict[str, Any]:
        row = FeedbackRow(at=utcnow(), key_id=key_id, role=role, conversation_id=conversation_id,
                          question=question, answer=answer, citations=citations, thumbs=thumbs, comment=comment)
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            s.add(row)
        return _as_dict(row)

    def list(self, limit: int = 100, thumbs: str | None = None) -> list[dict[str, Any]]:
        stmt = select(FeedbackRow).order_by(FeedbackRow.id.desc()).limit(limit)
        if thumbs:
            stmt = stmt.where(FeedbackRow.thumbs == thumbs)
        with Session(self.engine) as s:
            return [_as_dict(r) for r in s.scalars(stmt).all()]

    def counts(self) -> dict[str, int]:
        with Session(self.engine) as s:
            rows = s.execute(select(FeedbackRow.thumbs, func.count()).group_by(FeedbackRow.thumbs)).all()
        out = {"up": 0, "down": 0}
        out.update({str(t): int(n) for t, n in rows})
        return out


def _as_dict(r: FeedbackRow) -> dict[str, Any]:
    return {"id": r.id, "at": r.at, "key_id": r.key_id, "role": r.role, "conversation_id": r.conversation_id,
            "question": r.question, "answer": r.answer, "citations": r.citations, "thumbs": r.thumbs,
            "comment": r.comment}
