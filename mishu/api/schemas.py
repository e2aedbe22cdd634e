"""Request/response models of the HTTP API (separate from storage and core models).

Examples are zh-TW, as users write them; they appear in the OpenAPI schema (/docs).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ingest.models import AccessLevel


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


class CitationKey(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    no: str = Field(min_length=1, max_length=100)


# --- ask ---------------------------------------------------------------------------------------
class AskRequest(BaseModel):
    model_config = _examples({"question": "押標金最高可以收多少？", "conversation_id": None},
                             {"question": "那公告金額以上呢？", "conversation_id": "3f2a9c0e6b1d4e7f8a9b0c1d2e3f4a5b"})
    question: str = Field(min_length=1, max_length=2000, description="使用者的問題（繁體中文）")
    conversation_id: str | None = Field(default=None, max_length=64, description="接續既有對話；新對話填 null")
    as_of: date | None = Field(default=None, description="依該日有效的法規版本回答（預設：現行）")


class AnswerCitation(BaseModel):
    title: str
    no: str
    quote: str
    amended: str | None = None


class AnswerToolCall(BaseModel):
    name: str
    args: dict[str, Any] = {}
    result: Any = None


class AnswerDraft(BaseModel):
    kind: str
    markdown: str
    missing_fields: list[str] = []


class AskResponse(BaseModel):
    """The answer object of DESIGN.md plus ``conversation_id`` (``?full=true`` adds related, flags, latency_ms
    and citation labels)."""

    model_config = _examples({
        "answer": "【條文依據】\n1. 押標金保證金暨其他擔保作業辦法第9條（2019-11-18 修正）\n   「押標金之額度，得為一定金額或標價之一定比率，由機關於招標文件中擇定之。…」",
        "refused": False, "mode": "extractive",
        "citations": [{"title": "押標金保證金暨其他擔保作業辦法", "no": "9", "quote": "押標金之額度，得為一定金額或標價之一定比率，由機關於招標文件中擇定之。", "amended": "2019-11-18"}],
        "tool_calls": [], "draft": None, "conversation_id": "3f2a9c0e6b1d4e7f8a9b0c1d2e3f4a5b"})
    answer: str
    refused: bool
    mode: Literal["extractive", "llm"]
    citations: list[AnswerCitation]
    tool_calls: list[AnswerToolCall]
    draft: AnswerDraft | None
    conversation_id: str


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
class DraftRequest(BaseModel):
    model_config = _examples(
        {"kind": "tender_notice", "case_no": "TC-1150012", "fields": {"開標地點": "本府秘書處採購室"}},
        {"kind": "letter", "fields": {"受文者": "臺中市政府各機關", "主旨": "轉知政府採購法修正條文，請查照。"}},
        {"kind": "memo", "fields": {"主旨": "擬辦理市政大樓AED年度檢查採購，簽請核示。"}})
    kind: Literal["tender_notice", "letter", "memo"] = Field(description="tender_notice=投標須知, letter=函, memo=簽")
    case_no: str | None = Field(default=None, max_length=64, description="記錄庫中的採購案號（投標須知用）")
    case: dict[str, Any] | None = Field(default=None, description="案件欄位（中文或英文鍵），未提供案號時使用")
    fields: dict[str, Any] = Field(default_factory=dict, description="其他欄位，覆蓋案件資料")


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
    citations: list[CitationKey] = []
    follow_up: bool = False
    follow_up_note: str | None = Field(default=None, max_length=2000)
    handled_by: str | None = Field(default=None, max_length=100, description="承辦人（預設：金鑰代號）")


# --- feedback ----------------------------------------------------------------------------------
class FeedbackIn(BaseModel):
    model_config = _examples({"conversation_id": "3f2a9c0e6b1d4e7f8a9b0c1d2e3f4a5b",
                              "question": "押標金最高可以收多少？", "answer": "【條文依據】…",
                              "citations": [{"title": "押標金保證金暨其他擔保作業辦法", "no": "9"}],
                              "thumbs": "down", "comment": "沒有回答上限的比例"})
    conversation_id: str | None = Field(default=None, max_length=64)
    question: str = Field(min_length=1, max_length=4000)
    answer: str = Field(min_length=1, max_length=20000)
    citations: list[CitationKey] = []
    thumbs: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=4000)


class FeedbackOut(BaseModel):
    id: int
    at: datetime
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
    created_at: datetime
    updated_at: datetime
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


class EvalReportOut(BaseModel):
    path: str
    modified_at: datetime
    report: dict[str, Any]
