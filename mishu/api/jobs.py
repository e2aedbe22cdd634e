"""Background ingest jobs whose status lives in the database, so any worker can answer a poll.

A job runs in a thread of the worker that accepted it; progress is written at most twice a second.
The indexer itself holds a cross-process file lock, so two jobs never index at the same time.

Liveness comes from that lock, not from the age of the row (F-18): a queued or running job whose lock is
free (its worker died, kill -9 included: the kernel releases a dead process's flock) and that has not
moved for ``START_GRACE`` is marked failed, at start (``reap``) and whenever it is looked at. A job that
holds the lock is running, however long a stage takes. Each row also names the worker process that runs it
(host, pid and the process's start time); when that process is gone from this host the job is marked failed
at once, without waiting for the grace (a service restarted right after a kill -9 answers the job as failed
and accepts a new one).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import JSON, DateTime, Engine, Integer, String, Text, inspect, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.storage import storage_problem
from mishu.api.db import ApiBase, utcnow

log = logging.getLogger("mishu.api.jobs")

JobState = Literal["queued", "running", "done", "failed"]
START_GRACE = timedelta(seconds=15)  # between "queued" and taking the lock
DEAD_REASON = "索引作業已中斷（服務重新啟動或處理程序結束），索引維持上一版；請重新執行"


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
    worker: Mapped[str | None] = mapped_column(String(80), nullable=True)  # "host:pid:start" (this_worker)


def add_missing_columns(engine: Engine) -> None:
    """Tables made before a column existed get it (``create_all`` does not alter existing tables)."""
    insp = inspect(engine)
    if IngestJobRow.__tablename__ not in insp.get_table_names():
        return
    if "worker" in {c["name"] for c in insp.get_columns(IngestJobRow.__tablename__)}:
        return
    try:
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {IngestJobRow.__tablename__} ADD COLUMN worker VARCHAR(80)"))
    except Exception:  # another worker added it first
        if "worker" not in {c["name"] for c in inspect(engine).get_columns(IngestJobRow.__tablename__)}:
            raise


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks) of a process from /proc, or None where /proc is unreadable."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rpartition(")")[2].split()  # after "pid (comm)": state is field 3, starttime field 22
    return (fields[0], fields[19]) if len(fields) > 19 else None


def this_worker() -> str:
    stat = _proc_stat(os.getpid())
    return f"{socket.gethostname()}:{os.getpid()}:{stat[1] if stat else ''}"


def worker_alive(worker: str | None) -> bool | None:
    """Whether the process named by ``this_worker()`` still runs; None when that cannot be told (another
    host, or a row written before workers were recorded)."""
    if not worker:
        return None
    host, _, rest = worker.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    stat = _proc_stat(pid)
    if stat is None:
        return True
    state, started = stat
    return state not in ("Z", "X") and (not start or started == start)  # a zombie, or the pid reused: gone


class IngestJobs:
    def __init__(self, engine: Engine, running: Callable[[], bool] | None = None) -> None:
        """``running``: whether an ingest holds the lock now (``knowledge.indexer.ingest_running``)."""
        self.engine = engine
        self._running = running or (lambda: False)

    def create(self, requested_by: str, paths: list[Path], uploaded: list[str] | None = None) -> str:
        jid = uuid.uuid4().hex
        now = utcnow()
        with Session(self.engine) as s, s.begin():
            s.add(IngestJobRow(id=jid, created_at=now, updated_at=now, requested_by=requested_by, state="queued",
                               stage=None, done=0, total=0, paths=[str(p) for p in paths],
                               uploaded=uploaded or [], report=None, summary=None, error=None,
                               worker=this_worker()))
        return jid

    def update(self, jid: str, **values: Any) -> None:
        values["updated_at"] = utcnow()
        with Session(self.engine) as s, s.begin():
            row = s.get(IngestJobRow, jid)
            if row is not None:
                for k, v in values.items():
                    setattr(row, k, v)

    def reap(self) -> int:
        """Mark queued/running jobs failed when their worker process is gone, or when no ingest holds the
        lock and they have not moved for ``START_GRACE``; returns how many."""
        with Session(self.engine) as s, s.begin():
            rows = s.scalars(select(IngestJobRow).where(IngestJobRow.state.in_(("queued", "running")))).all()
            if not rows:
                return 0
            lock_free = not self._running()
            cutoff = utcnow() - START_GRACE
            dead = [r for r in rows
                    if worker_alive(r.worker) is False or (lock_free and r.updated_at < cutoff)]
            for r in dead:
                log.warning("ingest job %s was %s without a live ingest: marked failed", r.id, r.state)
                r.state, r.error, r.updated_at = "failed", DEAD_REASON, utcnow()
            return len(dead)

    def get(self, jid: str) -> dict[str, Any] | None:
        self.reap()
        with Session(self.engine) as s:
            row = s.get(IngestJobRow, jid)
            return _as_dict(row) if row else None

    def active(self) -> dict[str, Any] | None:
        """The queued/running job that is still alive, if any."""
        self.reap()
        with Session(self.engine) as s:
            row = s.scalars(select(IngestJobRow).where(IngestJobRow.state.in_(("queued", "running")))
                            .order_by(IngestJobRow.created_at.desc()).limit(1)).first()
            return _as_dict(row) if row else None

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        self.reap()
        with Session(self.engine) as s:
            rows = s.scalars(select(IngestJobRow).order_by(IngestJobRow.created_at.desc()).limit(limit)).all()
            return [_as_dict(r) for r in rows]


def _as_dict(r: IngestJobRow) -> dict[str, Any]:
    return {"id": r.id, "state": r.state, "stage": r.stage, "done": r.done, "total": r.total,
            "created_at": r.created_at, "updated_at": r.updated_at, "requested_by": r.requested_by,
            "paths": r.paths, "uploaded": r.uploaded, "report": r.report, "summary": r.summary,
            "error": r.error}


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
        problem = storage_problem(exc)
        if problem is not None:
            reason = problem.message
        elif isinstance(exc, RuntimeError | ValueError | OSError):
            reason = str(exc)
        else:
            reason = f"{type(exc).__name__}: {exc}"
        try:
            jobs.update(jid, state="failed", error=reason)
        except Exception:
            log.exception("could not record failure of ingest job %s", jid)


def start_job(jobs: IngestJobs, jid: str, ingest: IngestFn, paths: list[Path]) -> threading.Thread:
    t = threading.Thread(target=run_job, args=(jobs, jid, ingest, paths), name=f"ingest-{jid[:8]}", daemon=True)
    t.start()
    return t
