"""Background ingest jobs whose status lives in the database, so any worker can answer a poll.

A job runs in a thread of the worker that accepted it; progress is written at most twice a second.
The indexer itself holds a cross-process file lock, so two jobs never index at the same time.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import JSON, DateTime, Engine, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from mishu.api.db import ApiBase, utcnow

log = logging.getLogger("mishu.api.jobs")

JobState = Literal["queued", "running", "done", "failed"]
STALE_AFTER = timedelta(minutes=30)  # a running job silent this long is considered dead


class IngestJobRow(ApiBase):
    __tablename__ = "api_ingest_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    requested_by: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(12), index=True)
    stage: Mapped[str | None] = mapped_column(String(40))
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    paths: Mapped[list[str]] = mapped_column(JSON)
    uploaded: Mapped[list[str]] = mapped_column(JSON)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    summary: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)


class IngestJobs:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, requested_by: str, paths: list[Path], uploaded: list[str] | None = None) -> str:
        jid = uuid.uuid4().hex
        now = utcnow()
        with Session(self.engine) as s, s.begin():
            s.add(IngestJobRow(id=jid, created_at=now, updated_at=now, requested_by=requested_by, state="queued",
                               stage=None, done=0, total=0, paths=[str(p) for p in paths],
                               uploaded=uploaded or [], report=None, summary=None, error=None))
        return jid

    def update(self, jid: str, **values: Any) -> None:
        values["updated_at"] = utcnow()
        with Session(self.engine) as s, s.begin():
            row = s.get(IngestJobRow, jid)
            if row is not None:
                for k, v in values.items():
                    setattr(row, k, v)

    def get(self, jid: str) -> dict[str, Any] | None:
        with Session(self.engine) as s:
            row = s.get(IngestJobRow, jid)
            return _as_dict(row) if row else None

    def active(self) -> dict[str, Any] | None:
        """The queued/running job that is still alive, if any."""
        cutoff = utcnow() - STALE_AFTER
        with Session(self.engine) as s:
            row = s.scalars(select(IngestJobRow).where(IngestJobRow.state.in_(("queued", "running")),
                                                       IngestJobRow.updated_at >= cutoff)
                            .order_by(IngestJobRow.created_at.desc()).limit(1)).first()
            return _as_dict(row) if row else None

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        with Session(self.engine) as s:
            rows = s.scalars(select(IngestJobRow).order_by(IngestJobRow.created_at.desc()).limit(limit)).all()
            return [_as_dict(r) for r in rows]


def _as_dict(r: IngestJobRow) -> dict[str, Any]:
    state = r.state
    if state in ("queued", "running") and r.updated_at < utcnow() - STALE_AFTER:
        state = "failed"
    return {"id": r.id, "state": state, "stage": r.stage, "done": r.done, "total": r.total,
            "created_at": r.created_at, "updated_at": r.updated_at, "requested_by": r.requested_by,
            "paths": r.paths, "uploaded": r.uploaded, "report": r.report, "summary": r.summary,
            "error": r.error if r.state == state else "作業逾時沒有回報進度，可能已中斷，請重新執行"}


IngestFn = Callable[..., Any]  # Indexer.ingest(paths, progress=...) -> IngestReport


def run_job(jobs: IngestJobs, jid: str, ingest: IngestFn, paths: list[Path]) -> None:
    """Run one ingest, recording progress and the final report (or the zh-TW reason it failed)."""
    last_t = [0.0]
    last_stage = [""]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == last_stage[0] and now - last_t[0] < 0.5 and done < total:
            return
        last_t[0], last_stage[0] = now, stage
        try:
            jobs.update(jid, stage=stage, done=done, total=total)
        except Exception:
            log.exception("could not record progress of ingest job %s", jid)

    try:
        jobs.update(jid, state="running", stage="開始")
        report = ingest(paths, progress=progress)
        jobs.update(jid, state="done", stage="完成", report=report.to_dict(), summary=report.summary_zh())
    except Exception as exc:  # the reason goes to the job record; the worker keeps serving
        log.exception("ingest job %s failed", jid)
        reason = str(exc) if isinstance(exc, RuntimeError | ValueError | OSError) else f"{type(exc).__name__}: {exc}"
        try:
            jobs.update(jid, state="failed", error=reason)
        except Exception:
            log.exception("could not record failure of ingest job %s", jid)


def start_job(jobs: IngestJobs, jid: str, ingest: IngestFn, paths: list[Path]) -> threading.Thread:
    t = threading.Thread(target=run_job, args=(jobs, jid, ingest, paths), name=f"ingest-{jid[:8]}", daemon=True)
    t.start()
    return t
