"""A small typed HTTP client for the mishu API, used by the Streamlit pages.

The pages never talk to the core directly: everything goes through the service, so the UI sees exactly
what any other API caller sees (roles, access levels, audit). Errors come back as ``ApiError`` with the
server's zh-TW message; an unreachable service is ``ApiUnavailable``.
"""

from __future__ import annotations

import json
import os
import secrets
import ssl
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field

from core.access import Role
from evals.report_model import EvalReport

DEFAULT_API_URL = "http://127.0.0.1:8765"


# --- configuration --------------------------------------------------------------------------------
ROLE_KEY_ENV: dict[Role, str] = {"staff": "MISHU_UI_STAFF_KEY", "hotline": "MISHU_UI_HOTLINE_KEY",
                                 "admin": "MISHU_UI_ADMIN_KEY"}
_PROCESS_COOKIE_KEY = secrets.token_urlsafe(32)  # used when MISHU_UI_COOKIE_KEY is unset: sessions end at restart


def default_users_file(env: Mapping[str, str]) -> Path:
    data_dir = env.get("MISHU_DATA_DIR", "").strip()
    return (Path(data_dir) if data_dir else Path.home() / ".mishu") / "users.json"


@dataclass(frozen=True)
class UiConfig:
    """Where the API is, the key of each role, and the login's files (``MISHU_UI_*`` variables).

    The role keys stay in this process: the pages build one client per request from the signed-in
    person's role and never put a key into session state or into anything sent to the browser.
    """

    api_url: str = DEFAULT_API_URL
    keys: Mapping[Role, str] = field(default_factory=dict, repr=False)
    users_file: Path = field(default_factory=lambda: default_users_file({}))
    cookie_key: str = field(default=_PROCESS_COOKIE_KEY, repr=False)
    cookie_days: float = 0.5
    api_cert: str | None = None  # the API's TLS certificate, pinned (the pages reach the API over loopback)
    timeout_s: float = 120.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> UiConfig:
        e = dict(os.environ if env is None else env)
        timeout = e.get("MISHU_UI_TIMEOUT_S", "").strip()
        days = e.get("MISHU_UI_SESSION_DAYS", "").strip()
        keys = {role: e.get(name, "").strip() for role, name in ROLE_KEY_ENV.items()}
        users = e.get("MISHU_UI_USERS_FILE", "").strip()
        return cls(api_url=(e.get("MISHU_UI_API_URL") or DEFAULT_API_URL).strip().rstrip("/"),
                   keys={role: key for role, key in keys.items() if key},
                   users_file=Path(users) if users else default_users_file(e),
                   cookie_key=e.get("MISHU_UI_COOKIE_KEY", "").strip() or _PROCESS_COOKIE_KEY,
                   cookie_days=float(days) if days else 0.5,
                   api_cert=e.get("MISHU_UI_API_CERT", "").strip() or None,
                   timeout_s=float(timeout) if timeout else 120.0)

    def key_for(self, role: Role) -> str:
        """The key of exactly this role ("" when none is configured; never another role's key)."""
        return self.keys.get(role, "")

    @staticmethod
    def key_env_name(role: Role) -> str:
        return ROLE_KEY_ENV[role]


# --- errors -----------------------------------------------------------------------------------------
class ApiError(Exception):
    """The API answered with an error (status, stable code, zh-TW message)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class ApiUnavailable(ApiError):
    """The API could not be reached at all (not started, wrong URL, timed out)."""

    def __init__(self, message: str) -> None:
        super().__init__(0, "unavailable", message)


# --- response models (extra fields from newer servers are ignored) ---------------------------------
class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Citation(_Model):
    title: str
    no: str
    quote: str = ""
    amended: str | None = None
    label: str | None = None
    partial: bool = False
    sample: bool = False


class ToolCall(_Model):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    result: Any = None


class AnswerDraft(_Model):
    kind: str
    markdown: str
    missing_fields: list[str] = Field(default_factory=list)


class Answer(_Model):
    answer: str
    refused: bool = False
    mode: str = "extractive"
    citations: list[Citation] = Field(default_factory=list)
    tool_calls: list[ToolCall] = Field(default_factory=list)
    draft: AnswerDraft | None = None
    conversation_id: str | None = None
    related: list[dict[str, Any]] = Field(default_factory=list)
    facts: dict[str, Any] | None = None  # the case facts the answer assumed
    clarify: str | None = None  # the question back when a needed fact is missing
    flags: list[str] = Field(default_factory=list)  # what the check of a generated answer removed or corrected


class StreamEvent(_Model):
    event: str
    data: dict[str, Any] = Field(default_factory=dict)


class Article(_Model):
    title: str
    no: str
    label: str
    chapter: list[str] = Field(default_factory=list)
    text: str
    amended: date | None = None
    effective: date | None = None
    version: str = ""
    partial: bool = False
    deleted: bool = False
    is_current: bool = True


class Document(_Model):
    title: str
    doc_id: str
    version: str
    amended: date | None = None
    effective: date | None = None
    domain: str
    unit: str
    access_level: str = "public"
    partial: bool = False
    sample: bool = False
    fmt: str = ""
    file: str = ""
    n_sections: int = 0
    n_chunks: int = 0
    is_current: bool = True
    note: str | None = None


class DraftResult(_Model):
    id: str
    kind: str
    markdown: str
    missing_fields: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    docx_url: str | None = None


class Consultation(_Model):
    ref: str | None = None
    occurred_at: str
    caller_agency: str
    category: str
    question: str
    answer: str
    citations: list[dict[str, Any]] = Field(default_factory=list)
    follow_up: bool = False
    follow_up_note: str | None = None
    handled_by: str | None = None
    sample: bool = False


class ConsultationCounts(_Model):
    day: str
    total: int
    by_category: dict[str, int] = Field(default_factory=dict)
    follow_up: int = 0


class IngestJob(_Model):
    id: str
    state: Literal["queued", "running", "done", "failed"]
    stage: str | None = None
    done: int = 0
    total: int = 0
    report: dict[str, Any] | None = None
    summary: str | None = None
    error: str | None = None
    uploaded: list[str] = Field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def fraction(self) -> float:
        if self.state == "done":
            return 1.0
        return min(1.0, self.done / self.total) if self.total > 0 else 0.0

    def failures(self) -> list[dict[str, str]]:
        return [dict(f) for f in ((self.report or {}).get("failed") or [])]


class UploadResult(_Model):
    saved: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    job: IngestJob | None = None
    notes: list[str] = Field(default_factory=list)  # e.g. text left out of a file because nobody sees it


class UploadedSource(_Model):
    name: str
    size: int = 0
    access_level: str | None = None  # None: an upload from before sidecars (the file's own level applies)
    domain: str | None = None
    domain_inferred: bool = False
    uploaded_by: str | None = None
    uploaded_at: str | None = None


class UploadMetaResult(_Model):
    source: UploadedSource
    job: IngestJob | None = None


class EvalReportFile(_Model):
    path: str
    modified_at: str
    report: EvalReport


# --- SSE ----------------------------------------------------------------------------------------------
def parse_sse(lines: Iterator[str]) -> Iterator[StreamEvent]:
    """Server-sent events from text lines: ``event:`` + ``data:`` (JSON), blank line ends an event."""
    event = "message"
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            if data:
                payload = json.loads("\n".join(data))
                yield StreamEvent(event=event, data=payload if isinstance(payload, dict) else {"value": payload})
            event, data = "message", []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    if data:
        payload = json.loads("\n".join(data))
        yield StreamEvent(event=event, data=payload if isinstance(payload, dict) else {"value": payload})


# --- client -------------------------------------------------------------------------------------------
class MishuClient:
    """One API key, one base URL. Methods mirror the API routes one to one."""

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 120.0, role: Role | None = None,
                 transport: httpx.BaseTransport | None = None, verify: ssl.SSLContext | bool = True) -> None:
        self.base_url = base_url.rstrip("/")
        self.role = role  # the role of the key (for error messages); the key itself is only in the headers
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, transport=transport, verify=verify,
                                  timeout=httpx.Timeout(timeout_s, connect=5.0))

    def __repr__(self) -> str:  # never the key
        return f"MishuClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    # -- plumbing --
    def _unavailable(self, exc: Exception) -> ApiUnavailable:
        kind = "逾時" if isinstance(exc, httpx.TimeoutException) else "無法連線"
        return ApiUnavailable(f"mishu 服務{kind}（{self.base_url}）。請確認服務已啟動（執行 mishu up 或 "
                              f"mishu serve），並檢查 MISHU_UI_API_URL 設定。")

    @staticmethod
    def _error(resp: httpx.Response) -> ApiError:
        code, message = "http_error", f"服務回應錯誤（HTTP {resp.status_code}）"
        try:
            body = resp.json()
            err = body.get("error") if isinstance(body, dict) else None
            if isinstance(err, dict):
                code = str(err.get("code") or code)
                message = str(err.get("message") or message)
        except ValueError:
            pass
        return ApiError(resp.status_code, code, message)

    def _request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            resp = self._http.request(method, path, **kw)
        except httpx.TransportError as exc:
            raise self._unavailable(exc) from None
        if resp.status_code >= 400:
            raise self._error(resp)
        return resp

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        return self._request(method, path, **kw).json()

    # -- health / ask --
    def health(self) -> bool:
        return self._json("GET", "/healthz").get("status") == "ok"

    def ask(self, question: str, conversation_id: str | None = None,
            facts: dict[str, Any] | None = None) -> Answer:
        """``facts`` (amount, category, method, e_tendering, urgent, retender) override the conversation's."""
        body = {"question": question, "conversation_id": conversation_id, "facts": facts or None}
        return Answer.model_validate(self._json("POST", "/v1/ask", params={"full": "true"}, json=body))

    def ask_stream(self, question: str, conversation_id: str | None = None,
                   facts: dict[str, Any] | None = None) -> Iterator[StreamEvent]:
        """Events ``status`` → ``delta``… → ``answer`` → ``done`` (or ``error``)."""
        body = {"question": question, "conversation_id": conversation_id, "facts": facts or None}
        try:
            with self._http.stream("POST", "/v1/ask/stream", json=body) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise self._error(resp)
                yield from parse_sse(resp.iter_lines())
        except httpx.TransportError as exc:
            raise self._unavailable(exc) from None

    # -- knowledge --
    def search(self, q: str, k: int = 10) -> list[dict[str, Any]]:
        return list(self._json("GET", "/v1/search", params={"q": q, "k": k}))

    def article(self, title: str, no: str) -> Article:
        path = f"/v1/articles/{quote(title, safe='')}/{quote(no, safe='-')}"
        return Article.model_validate(self._json("GET", path))

    def documents(self) -> list[Document]:
        return [Document.model_validate(d) for d in self._json("GET", "/v1/documents")]

    # -- drafting / feedback --
    def draft(self, kind: str, case_no: str | None = None, fields: dict[str, Any] | None = None) -> DraftResult:
        body = {"kind": kind, "case_no": case_no or None, "fields": fields or {}}
        return DraftResult.model_validate(self._json("POST", "/v1/draft", json=body))

    def download(self, url: str) -> bytes:
        return self._request("GET", url).content

    def feedback(self, *, question: str, answer: str, citations: Sequence[Citation], thumbs: Literal["up", "down"],
                 comment: str | None = None, conversation_id: str | None = None) -> dict[str, Any]:
        body = {"question": question, "answer": answer, "thumbs": thumbs, "comment": comment or None,
                "conversation_id": conversation_id,
                "citations": _citation_keys(citations)}
        return dict(self._json("POST", "/v1/feedback", json=body))

    # -- hotline --
    def log_consultation(self, *, caller_agency: str, category: str, question: str, answer: str,
                         citations: Sequence[Citation], follow_up: bool = False,
                         follow_up_note: str | None = None) -> Consultation:
        body = {"caller_agency": caller_agency, "category": category, "question": question, "answer": answer,
                "citations": _citation_keys(citations), "follow_up": follow_up,
                "follow_up_note": follow_up_note or None}
        return Consultation.model_validate(self._json("POST", "/v1/consultations", json=body))

    def consultations(self, day: date | None = None, limit: int = 200) -> list[Consultation]:
        params: dict[str, Any] = {"limit": limit}
        if day is not None:
            params["day"] = day.isoformat()
        return [Consultation.model_validate(c) for c in self._json("GET", "/v1/consultations", params=params)]

    def consultation_counts(self, day: date | None = None) -> ConsultationCounts:
        params = {"day": day.isoformat()} if day is not None else {}
        return ConsultationCounts.model_validate(self._json("GET", "/v1/consultations/counts", params=params))

    def consultations_csv(self, day: date | None = None) -> bytes:
        params = {"date_from": day.isoformat(), "date_to": day.isoformat()} if day is not None else {}
        return self._request("GET", "/v1/consultations/export.csv", params=params).content

    # -- admin --
    def start_ingest(self) -> IngestJob:
        return IngestJob.model_validate(self._json("POST", "/v1/admin/ingest"))

    def upload(self, files: Sequence[tuple[str, bytes]], *, replace: bool = False, access_level: str = "restricted",
               domain: str | None = None) -> UploadResult:
        parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
        form = {"replace": "true" if replace else "false", "ingest": "true", "access_level": access_level}
        if domain:
            form["domain"] = domain
        return UploadResult.model_validate(self._json("POST", "/v1/admin/upload", files=parts, data=form))

    def uploads(self) -> list[UploadedSource]:
        return [UploadedSource.model_validate(u) for u in self._json("GET", "/v1/admin/uploads")]

    def update_upload(self, name: str, *, access_level: str | None = None, domain: str | None = None) -> UploadMetaResult:
        body = {"access_level": access_level, "domain": domain, "ingest": True}
        return UploadMetaResult.model_validate(
            self._json("PATCH", f"/v1/admin/uploads/{quote(name, safe='')}", json=body))

    def job(self, job_id: str) -> IngestJob:
        return IngestJob.model_validate(self._json("GET", f"/v1/admin/ingest/{quote(job_id, safe='')}"))

    def recent_jobs(self, limit: int = 5) -> list[IngestJob]:
        return [IngestJob.model_validate(j) for j in self._json("GET", "/v1/admin/ingest", params={"limit": limit})]

    def eval_report(self) -> EvalReportFile | None:
        """The latest evaluation report, or None when none has been written yet."""
        try:
            return EvalReportFile.model_validate(self._json("GET", "/v1/admin/eval-report"))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise


def _citation_keys(citations: Sequence[Citation]) -> list[dict[str, str]]:
    seen: set[tuple[str, str]] = set()
    out = []
    for c in citations:
        if (c.title, c.no) not in seen:
            seen.add((c.title, c.no))
            out.append({"title": c.title, "no": c.no})
    return out
