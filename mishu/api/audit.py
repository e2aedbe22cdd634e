"""Audit log of every API request: who (the key's keyed pseudonym + role, never the key), when, what, status,
latency, and which citations / search hits were returned. Written by a pure ASGI middleware after the response has
been sent (so a streamed answer is audited with its citations); a failed write is logged, never lost
to the caller.

Bounded (F-11): only ``/v1`` paths are audited (not ``/healthz``, the docs or unknown paths); requests
refused for a missing or unknown key are audited up to ``REFUSED_PER_MINUTE`` rows a minute per worker
(the rest are counted in the log); the query string is cut to ``QUERY_MAX`` characters; rows older than
the retention setting are deleted at start and then hourly. The table lives in its own SQLite file by
default (``audit.sqlite3``), not in the records file. The audit only records: who the caller is was
decided by ``mishu.api.auth``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import anyio
from sqlalchemy import JSON, DateTime, Engine, Float, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mishu.api.auth import auth_of
from mishu.api.db import ApiBase, utcnow

log = logging.getLogger("mishu.api.audit")

SCOPE_KEY = "mishu.audit"
QUERY_MAX = 1000
REFUSED_PER_MINUTE = 60
PURGE_EVERY_S = 3600.0
_STATUS_CODES = {401: "unauthorized"}  # refusals made before any route could note their code


class AuditRow(ApiBase):
    __tablename__ = "api_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)  # UTC, request start
    request_id: Mapped[str] = mapped_column(String(32), index=True)
    key_id: Mapped[str | None] = mapped_column(String(24), index=True)  # keyed pseudonym (mishu.api.auth)
    role: Mapped[str | None] = mapped_column(String(16))  # None when the key is missing or unknown
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    query: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer, index=True)
    latency_ms: Mapped[float] = mapped_column(Float)
    error_code: Mapped[str | None] = mapped_column(String(40))
    citations: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # [{"title","no"(,"score")}]
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # e.g. {"question", "conversation_id"}
    client: Mapped[str | None] = mapped_column(String(64))


@dataclass
class AuditNote:
    """What a route adds to its request's audit row."""

    citations: list[dict[str, Any]] | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None


def note(request: Request) -> AuditNote:
    """The audit note of this request (routes fill ``citations`` / ``detail``)."""
    n = request.scope.get(SCOPE_KEY)
    if not isinstance(n, AuditNote):
        n = AuditNote()
        request.scope[SCOPE_KEY] = n
    return n


def question_detail(question: str, keep_text: bool) -> dict[str, Any]:
    """The question as the audit keeps it: its text, or (MISHU_AUDIT_QUESTIONS=false) a digest that still
    shows repeats without the words (review F-28)."""
    if keep_text:
        return {"question": question}
    return {"question_sha256": hashlib.sha256(question.encode("utf-8")).hexdigest()[:16], "question_chars": len(question)}


def citation_keys(items: list[dict[str, Any]], with_score: bool = False) -> list[dict[str, Any]]:
    out = []
    for c in items:
        row: dict[str, Any] = {"title": c.get("title"), "no": c.get("no")}
        if with_score and "score" in c:
            row["score"] = round(float(c["score"]), 6)
        out.append(row)
    return out


class AuditLog:
    def __init__(self, engine: Engine, retention_days: int | None = None) -> None:
        self.engine = engine
        self.retention = timedelta(days=retention_days) if retention_days else None
        self._purged_at = time.monotonic()
        self._purge_lock = threading.Lock()

    def write(self, row: dict[str, Any]) -> None:
        with Session(self.engine) as s, s.begin():
            s.add(AuditRow(**row))
        if self.retention is not None and time.monotonic() - self._purged_at > PURGE_EVERY_S:
            self.purge()

    def purge(self, now: datetime | None = None) -> int:
        """Delete rows older than the retention; returns how many."""
        if self.retention is None or not self._purge_lock.acquire(blocking=False):
            return 0
        try:
            self._purged_at = time.monotonic()
            cutoff = (now or utcnow()) - self.retention
            with self.engine.begin() as conn:
                n = conn.execute(delete(AuditRow).where(AuditRow.at < cutoff)).rowcount
            if n:
                log.info("audit retention: deleted %d rows older than %s", n, cutoff.isoformat())
            return int(n or 0)
        finally:
            self._purge_lock.release()

    def recent(self, limit: int = 100, key: str | None = None, path_prefix: str | None = None) -> list[dict[str, Any]]:
        stmt = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if key:
            stmt = stmt.where(AuditRow.key_id == key)
        if path_prefix:
            stmt = stmt.where(AuditRow.path.startswith(path_prefix))
        with Session(self.engine) as s:
            return [_row_dict(r) for r in s.scalars(stmt).all()]


def _row_dict(r: AuditRow) -> dict[str, Any]:
    return {"id": r.id, "at": r.at.isoformat(), "request_id": r.request_id, "key_id": r.key_id, "role": r.role,
            "method": r.method, "path": r.path, "query": r.query, "status": r.status,
            "latency_ms": r.latency_ms, "error_code": r.error_code, "citations": r.citations,
            "detail": r.detail, "client": r.client}


class _RefusalBudget:
    """At most ``per_minute`` audited refusals a minute (per worker)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._window = 0
        self._used = 0
        self._dropped = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        minute = int(time.time() // 60)
        with self._lock:
            if minute != self._window:
                if self._dropped:
                    log.warning("audit: %d refused requests (no or unknown key) not written in the last minute",
                                self._dropped)
                self._window, self._used, self._dropped = minute, 0, 0
            if self._used < self.per_minute:
                self._used += 1
                return True
            self._dropped += 1
            return False


def audited_path(path: str, prefix: str = "/v1") -> bool:
    return path == prefix or path.startswith(prefix + "/")


class AuditMiddleware:
    """Pure ASGI middleware: one audit row per ``/v1`` request, written after the last body byte."""

    def __init__(self, app: ASGIApp, audit: AuditLog, refused_per_minute: int = REFUSED_PER_MINUTE,
                 keep_query: bool = True) -> None:
        self.app = app
        self.audit = audit
        self.keep_query = keep_query
        self._refusals = _RefusalBudget(refused_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not audited_path(str(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        started = utcnow()
        t0 = time.perf_counter()
        request_id = uuid.uuid4().hex
        n = AuditNote()
        scope[SCOPE_KEY] = n
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            row = self._row(scope, n, started, t0, request_id, status["code"])
            if row["role"] is not None or self._refusals.take():
                try:
                    await anyio.to_thread.run_sync(self.audit.write, row)
                except Exception:  # the response is already out; keep it, log loudly
                    log.exception("audit write failed for %s %s (%s)", row["method"], row["path"], request_id)

    def _row(self, scope: Scope, n: AuditNote, started: datetime, t0: float, request_id: str,
             status: int) -> dict[str, Any]:
        auth = auth_of(scope)
        caller = auth.caller if auth else None
        client = scope.get("client")
        query = scope.get("query_string", b"").decode("utf-8", "replace")[:QUERY_MAX] or None
        if not self.keep_query:
            query = None
        return {"at": started, "request_id": request_id,
                "key_id": caller.key_id if caller else (auth.presented if auth else None),
                "role": caller.role if caller else None, "method": scope.get("method", ""),
                "path": str(scope.get("path", ""))[:500], "query": query, "status": status,
                "latency_ms": round((time.perf_counter() - t0) * 1000, 1),
                "error_code": n.error_code or _STATUS_CODES.get(status) or ("internal_error" if status >= 500 else None),
                "citations": n.citations, "detail": n.detail or None,
                "client": f"{client[0]}"[:64] if client else None}
