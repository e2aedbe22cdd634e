"""Request/response models of the HTTP API (separate from storage and core models).

Examples are zh-TW, as users write them; they appear in the OpenAPI schema (/docs).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from assistant.models import AnswerCitation
from core.access import AccessLevel
from core.citation import CitationKey, QuotedCitation
from core.vocab import Category, Domain
from evals.report_model import EvalReport
from knowledge.records.results import ConsultationOut


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _local(value: datetime) -> datetime:
    return value.astimezone() if value.tzinfo is None else value


# Timestamps leave with their offset (RFC 3339 date-time, as the schema declares): the stores keep naive UTC
# (audit, feedback, jobs) or, for consultations, the naive local time of the call.
UtcDateTime = Annotated[datetime, AfterValidator(_utc)]
LocalDateTime = Annotated[datetime, AfterValidator(_local)]


def _examples(*items: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(items)})


# --- common ------------------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    field: str
    message: str
    type: str | None = None


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine code: unauthorized, forbidden, not_found, invalid_request, ...")
    message: str = Field(description="zh-TW message for people")
    details: list[ErrorDetail] = []


class ErrorOut(BaseModel):
    model_config = _examples({"error": {"code": "unauthorized", "message": "需要有效的 API 金鑰", "details": []}})
    error: ErrorBody


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"


class MeOut(BaseModel):
    model_config = _examples({"key_id": "k-3f2a9c0e6b1d", "role": "hotline", "role_zh": "採購專線",
                              "access_levels": ["public"]})
    key_id: str
    role: Literal["staff", "hotline", "admin"]
    role_zh: str
    access_levels: list[str]


class CitationKeyIn(CitationKey):
    """A citation key sent by a client (a logged consultation, feedback): lengths bounded."""

    title: str = Field(min_length=1, max_length=200)
    no: str = Field(min_length=1, max_length=100)


# --- ask ---------------------------------------------------------------------------------------
class CaseFactsIn(BaseModel):
    """Case facts that override the conversation's (any subset; omitted = keep the conversation's)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"amount": 30000000, "category": "勞務", "method": "公開招標", "e_tendering": True}]})
    amount: int | None = Field(default=None, gt=0, description="預算或採購金額（新臺幣元）")
    category: Category | None = None
    method: str | None = Field(default=None, min_length=1, max_length=40, description="招標方式，如 公開招標")
    e_tendering: bool | None = Field(default=None, description="電子領標（電子投標）")
    urgent: bool | None = Field(default=None, description="緊急情事")
    retender: bool | None = Field(default=None, description="流標、廢標後重行招標")


class AskRequest(BaseModel):
    model_config = _examples({"question": "押標金最高可以收多少？", "conversation_id": None, "facts": None},
                             {"question": "那公告金額以上呢？", "conversation_id": "3f2a9c0e6b1d4e7f8a9b0c1d2e3f4a5b"},
                             {"question": "等標期幾天？", "conversation_id": None,
                              "facts": {"amount": 2500000, "category": "勞務"}})
    question: str = Field(min_length=1, max_length=2000, description="使用者的問題（繁體中文）")
    conversation_id: str | None = Field(default=None, max_length=64, description="接續既有對話；新對話填 null")
    as_of: date | None = Field(default=None, description="依該日有效的法規版本回答（預設：現行）")
    facts: CaseFactsIn | None = Field(default=None, description="案情（覆蓋對話中已知的案情）")

    def facts_dict(self) -> dict[str, Any] | None:
        return None if self.facts is None else self.facts.model_dump(exclude_none=True)

    @field_validator("question")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        """Refused before a conversation is opened for it (no orphan conversation rows)."""
        if not v.strip():
            raise ValueError("問題是空的，請輸入要查詢的內容")
        return v


class AnswerToolCall(BaseModel):
    name: str
    args: dict[str, Any] = {}
    result: Any = None


class AnswerDraft(BaseModel):
    kind: str
    markdown: str
    missing_fields: list[str] = []


class AskResponse(BaseModel):
    """The answer object of docs/DESIGN.md plus ``conversation_id`` (``?full=true`` adds related, flags, latency_ms
    and citation labels)."""

    model_config = _examples({
        "answer": "【條文依據】\n1. 押標金保證金暨其他擔保作業辦法第9條（2019-11-18 修正）\n   「押標金之額度，得為一定金額或標價之一定比率，由機關於招標文件中擇定之。…」",
        "refused": False, "mode": "extractive",
        "citations": [{"title": "押標金保證金暨其他擔保作業辦法", "no": "9", "quote": "押標金之額度，得為一定金額或標價之一定比率，由機關於招標文件中擇定之。", "amended": "2019-11-18"}],
        "tool_calls": [], "draft": None, "facts": None, "clarify": None,
        "conversation_id": "3f2a9c0e6b1d4e7f8a9b0c1d2e3f4a5b"})
    answer: str
    refused: bool
    mode: Literal["extractive", "llm"]
    citations: list[QuotedCitation]
    tool_calls: list[AnswerToolCall]
    draft: AnswerDraft | None
    facts: dict[str, Any] | None = Field(default=None, description="本答案假設的案情（沿用對話或指定）")
    clarify: str | None = Field(default=None, description="缺少必要案情時的一句反問；否則 null")
    conversation_id: str


class AskFullResponse(BaseModel):
    """``?full=true``: the whole answer object: citations with their labels and 項/款, tool calls with errors
    and timings, the draft with its download URL, related articles, check flags and latency."""

    answer: str
    refused: bool
    mode: Literal["extractive", "llm"]
    citations: list[AnswerCitation]
    tool_calls: list[dict[str, Any]]
    draft: dict[str, Any] | None
    related: list[dict[str, str]]  # required: it is what tells this shape from AskResponse
    flags: list[str]
    conversation_id: str | None
    latency_ms: float | None
    facts: dict[str, Any] | None = None
    clarify: str | None = None


class ConversationOut(BaseModel):
    conversation_id: str
    turns: list[dict[str, Any]]


# --- knowledge ---------------------------------------------------------------------------------
class DocumentOut(BaseModel):
    model_config = _examples({"title": "政府採購法", "doc_id": "procurement-act", "version": "2019-05-22",
                              "amended": "2019-05-22", "effective": None, "domain": "procurement",
                              "unit": "article", "access_level": "public", "partial": False, "fmt": "json",
                              "file": "procurement-act.json", "n_sections": 130, "n_chunks": 160,
                              "indexed_at": "2026-11-27T09:00:00Z", "is_current": True, "note": None, "url": None})
    title: str
    doc_id: str
    version: str
    amended: date | None
    effective: date | None
    domain: str
    unit: str
    access_level: AccessLevel
    partial: bool
    sample: bool = False
    fmt: str
    file: str
    n_sections: int
    n_chunks: int
    indexed_at: datetime
    is_current: bool
    note: str | None = None
    url: str | None = None


class ArticleOut(BaseModel):
    model_config = _examples({"title": "政府採購法", "no": "22-1", "label": "第22條之1", "chapter": ["第二章 招標"],
                              "text": "機關辦理設計競賽…", "amended": "2019-05-22", "is_current": True,
                              "versions": []})
    doc_id: str
    title: str
    no: str
    label: str
    chapter: list[str]
    text: str
    domain: str
    unit: str
    version: str
    amended: date | None
    effective: date | None
    partial: bool
    access_level: AccessLevel
    deleted: bool
    is_current: bool
    versions: list[DocumentOut]


# --- drafting ----------------------------------------------------------------------------------
DRAFT_MAX_FIELDS = 100
DRAFT_MAX_CHARS = 20_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not allowed in XML 1.0 (tab, newlines are)


def _leaves(value: Any, depth: int = 0) -> list[str]:
    """Every key and text value inside nested dicts/lists (as strings); too deep a nesting is refused."""
    if depth > 4:
        raise ValueError("欄位巢狀層數過多")
    if isinstance(value, dict):
        return [str(k) for k in value] + [x for v in value.values() for x in _leaves(v, depth + 1)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v, depth + 1)]
    return [value] if isinstance(value, str) else []


class DraftRequest(BaseModel):
    model_config = _examples(
        {"kind": "tender_instructions", "case_no": "TC-1150012", "fields": {"開標地點": "本府秘書處採購室"}},
        {"kind": "letter", "fields": {"受文者": "臺中市政府各機關", "主旨": "轉知政府採購法修正條文，請查照。"}},
        {"kind": "memo", "fields": {"主旨": "擬辦理市政大樓AED年度檢查採購，簽請核示。"}})
    kind: Literal["tender_instructions", "tender_notice", "letter", "memo"] = Field(
        description="tender_instructions=投標須知（tender_notice 同義，docs/DESIGN.md 的名稱）, letter=函, memo=簽")
    case_no: str | None = Field(default=None, max_length=64, description="記錄庫中的採購案號（投標須知用）")
    case: dict[str, Any] | None = Field(default=None, max_length=DRAFT_MAX_FIELDS,
                                        description="案件欄位（中文或英文鍵），未提供案號時使用")
    fields: dict[str, Any] = Field(default_factory=dict, max_length=DRAFT_MAX_FIELDS,
                                   description="其他欄位，覆蓋案件資料")

    @field_validator("case", "fields")
    @classmethod
    def _plain_text(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        """Keys and values are bounded text without control characters (a .docx cannot hold them)."""
        for item in _leaves(v or {}):
            if len(item) > DRAFT_MAX_CHARS:
                raise ValueError(f"欄位內容過長（上限 {DRAFT_MAX_CHARS} 字）")
            if _CONTROL.search(item):
                raise ValueError("欄位含有控制字元（例如 \\u0001），請刪除後再試")
        return v


class DraftResponse(BaseModel):
    id: str
    kind: str
    markdown: str
    missing_fields: list[str]
    warnings: list[str] = []
    docx_url: str | None = Field(description="GET 這個網址下載 .docx（需同一金鑰角色）")


# --- hotline -----------------------------------------------------------------------------------
class ConsultationIn(BaseModel):
    model_config = _examples({"caller_agency": "臺中市政府建設局", "category": "招標",
                              "question": "未達公告金額的工程等標期最少幾天？",
                              "answer": "未達公告金額之採購，等標期不得少於7日（招標期限標準第2條）。",
                              "citations": [{"title": "招標期限標準", "no": "2"}], "follow_up": False})
    occurred_at: datetime | None = Field(default=None, description="來電時間（預設：現在）")
    caller_agency: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=20, description="招標、決標、履約、驗收、爭議、其他")
    question: str = Field(min_length=1, max_length=4000)
    answer: str = Field(min_length=1, max_length=8000)
    citations: list[CitationKeyIn] = []
    follow_up: bool = False
    follow_up_note: str | None = Field(default=None, max_length=2000)
    handled_by: str | None = Field(default=None, max_length=100, description="承辦人（預設：角色名稱，如 採購專線）")


class ConsultationApiOut(ConsultationOut):
    """A logged consultation as the API sends it: the call's time with the server's offset."""

    occurred_at: LocalDateTime


# --- feedback ----------------------------------------------------------------------------------
class FeedbackIn(BaseModel):
    model_config = _examples({"conversation_id": "3f2a9c0e6b1d4e7f8a9b0c1d2e3f4a5b",
                              "question": "押標金最高可以收多少？", "answer": "【條文依據】…",
                              "citations": [{"title": "押標金保證金暨其他擔保作業辦法", "no": "9"}],
                              "thumbs": "down", "comment": "沒有回答上限的比例"})
    conversation_id: str | None = Field(default=None, max_length=64)
    question: str = Field(min_length=1, max_length=4000)
    answer: str = Field(min_length=1, max_length=20000)
    citations: list[CitationKeyIn] = []
    thumbs: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=4000)


class FeedbackOut(BaseModel):
    id: int
    at: UtcDateTime
    key_id: str
    role: str
    conversation_id: str | None
    question: str
    answer: str
    citations: list[CitationKey]
    thumbs: Literal["up", "down"]
    comment: str | None


# --- admin -------------------------------------------------------------------------------------
class IngestJobOut(BaseModel):
    model_config = _examples({"id": "9b1e4c2d8f3a4b5c6d7e8f9a0b1c2d3e", "state": "running", "stage": "嵌入",
                              "done": 120, "total": 480, "summary": None, "error": None, "report": None})
    id: str
    state: Literal["queued", "running", "done", "failed"]
    stage: str | None
    done: int
    total: int
    created_at: UtcDateTime
    updated_at: UtcDateTime
    requested_by: str
    paths: list[str]
    uploaded: list[str]
    report: dict[str, Any] | None
    summary: str | None
    error: str | None


class UploadOut(BaseModel):
    saved: list[str] = Field(description="新存入 uploads 的檔名")
    unchanged: list[str] = Field(description="內容與既有檔案相同，未重複存放")
    job: IngestJobOut | None = Field(description="重新索引作業（ingest=false 時為 null）")
    notes: list[str] = Field(default_factory=list,
                             description="給上傳者的說明：例如匯入時略過的看不見文字（白色字、極小字、隱藏文字）")


class UploadedSourceOut(BaseModel):
    model_config = _examples({"name": "內部作業要點.pdf", "size": 48213, "access_level": "restricted",
                              "domain": "procurement", "domain_inferred": True, "uploaded_by": "a1b2c3",
                              "uploaded_at": "2026-12-01T10:00:00Z"})
    name: str
    size: int
    access_level: AccessLevel | None = Field(description="null：舊上傳、尚無設定，依檔案本身的標示")
    domain: Domain | None
    domain_inferred: bool = Field(description="上傳時未指定，由內容推斷")
    uploaded_by: str | None
    uploaded_at: datetime | None


class UploadMetaIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"access_level": "secret"}]})
    access_level: AccessLevel | None = None
    domain: Domain | None = None
    ingest: bool = Field(default=True, description="儲存後立即重新索引")


class UploadMetaOut(BaseModel):
    source: UploadedSourceOut
    job: IngestJobOut | None


class EvalReportOut(BaseModel):
    path: str
    modified_at: datetime
    report: EvalReport
