"""Audit log of every request: who (key id + role, never the key), when, what, status, latency, and
which citations / search hits were returned. Written by a pure ASGI middleware after the response has
been sent (so a streamed answer is audited with its citations); a failed write is logged, never lost
to the caller."""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import anyio
from sqlalchemy import JSON, DateTime, Engine, Float, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mishu.api.db import ApiBase, utcnow
from mishu.settings import Role

log = logging.getLogger("mishu.api.audit")

SCOPE_KEY = "mishu.audit"


class AuditRow(ApiBase):
    __tablename__ = "api_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)  # UTC, request start
    request_id: Mapped[str] = mapped_column(String(32), index=True)
    key_id: Mapped[str | None] = mapped_column(String(24), index=True)  # "k-" + sha256(key)[:12]
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


def key_id(key: str) -> str:
    """Stable, non-reversible identifier of an API key for logs."""
    return "k-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Caller:
    key_id: str
    role: Role


class KeyRing:
    """API keys -> roles. Keeps only key hashes in memory."""

    def __init__(self, keys: dict[str, Role]) -> None:
        self._roles = {key_id(k): r for k, r in keys.items()}

    def __bool__(self) -> bool:
        return bool(self._roles)

    @staticmethod
    def bearer(authorization: str | None) -> str | None:
        if not authorization:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        return token if scheme.lower() == "bearer" and token else None

    def identify(self, token: str | None) -> Caller | None:
        if token is None:
            return None
        kid = key_id(token)
        role = self._roles.get(kid)
        return Caller(kid, role) if role else None


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


def citation_keys(items: list[dict[str, Any]], with_score: bool = False) -> list[dict[str, Any]]:
    out = []
    for c in items:
        row: dict[str, Any] = {"title": c.get("title"), "no": c.get("no")}
        if with_score and "score" in c:
            row["score"] = round(float(c["score"]), 6)
        out.append(row)
    return out


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def write(self, row: dict[str, Any]) -> None:
        with Session(self.engine) as s, s.begin():
            s.add(AuditRow(**row))

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


class AuditMiddleware:
    """Pure ASGI middleware: one audit row per HTTP request, written after the last body byte."""

    def __init__(self, app: ASGIApp, audit: AuditLog, keys: KeyRing) -> None:
        self.app = app
        self.audit = audit
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
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
            try:
                await anyio.to_thread.run_sync(self.audit.write, row)
            except Exception:  # the response is already out; keep it, log loudly
                log.exception("audit write failed for %s %s (%s)", row["method"], row["path"], request_id)

    def _row(self, scope: Scope, n: AuditNote, started: datetime, t0: float, request_id: str,
             status: int) -> dict[str, Any]:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        token = KeyRing.bearer(headers.get("authorization"))
        caller = self.keys.identify(token)
        client = scope.get("client")
        query = scope.get("query_string", b"").decode("utf-8", "replace") or None
        return {"at": started, "request_id": request_id,
                "key_id": caller.key_id if caller else (key_id(token) if token else None),
                "role": caller.role if caller else None, "method": scope.get("method", ""),
                "path": str(scope.get("path", ""))[:500], "query": query, "status": status,
                "latency_ms": round((time.perf_counter() - t0) * 1000, 1),
                "error_code": n.error_code or ("internal_error" if status >= 500 else None),
                "citations": n.citations, "detail": n.detail or None,
                "client": f"{client[0]}"[:64] if client else None}


class KeyGateMiddleware:
    """Refuse every ``/v1`` request without a known key before anything else (body parsing included),
    so a caller without a key always gets 401, never a validation error. Roles are checked per route."""

    def __init__(self, app: ASGIApp, keys: KeyRing, prefix: str = "/v1") -> None:
        self.app = app
        self.keys = keys
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        token = KeyRing.bearer(headers.get("authorization"))
        if self.keys.identify(token) is not None:
            await self.app(scope, receive, send)
            return
        from mishu.api.errors import error_body

        if not self.keys:
            msg = "伺服器尚未設定 API 金鑰（MISHU_API_KEYS），無法驗證身分"
        elif token is None:
            msg = "缺少 API 金鑰，請在標頭加上 Authorization: Bearer <金鑰>"
        else:
            msg = "API 金鑰無效"
        n = scope.get(SCOPE_KEY)
        if isinstance(n, AuditNote):
            n.error_code = "unauthorized"
        response = JSONResponse(error_body("unauthorized", msg), status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        await response(scope, receive, send)
