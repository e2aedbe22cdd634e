"""The drafting service: the one way every edge drafts (``mishu draft``, ``POST /v1/draft``, a chat request
「幫我擬案號 X 的投標須知」, the staff page's form, the evaluation suite).

Steps, the same for every edge:
1. ``resolve`` — the draft kind (``tender_notice`` is accepted for ``tender_instructions``) and the case
   record a case number names (an unknown number is an error);
2. ``build`` — the record's fields with the given fields over them, drafted by the drafting functions;
3. ``store`` — the .docx written to the ``DraftStore`` (or to a path the CLI names);
4. for the chat, ``reply`` — an Answer naming the file, the 待補 fields and the checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.calculators import ArticleIndex, ThresholdTable
from assistant.models import Answer, AnswerCitation, ToolCall
from assistant.tool_results import calculation_from_json
from core.vocab import DraftKind, draft_kind
from knowledge.records import RecordsService
from knowledge.records.results import CaseDetail

from . import draft_from_request, draft_tender_instructions
from .case import CaseInput
from .gongwen import GongwenInputError
from .models import GongwenDraft, TenderDraft
from .store import DraftStore

if TYPE_CHECKING:
    from assistant.nlu import Understanding

AnyDraft = TenderDraft | GongwenDraft
KIND_ZH: dict[DraftKind, str] = {"tender_instructions": "投標須知", "letter": "函", "memo": "簽"}

_SUBJECT = re.compile(r"(?:主旨|事由|關於)[:：為是]?\s*([^，。；\n]{4,80})")
_RECIPIENT = re.compile(r"(?:給|致|函送|函復|行文)\s*([\u4e00-\u9fff]{2,20}?(?:局|處|署|部|會|府|公所|學校|中心|科|隊))")


class ToolCaller(Protocol):
    """What the chat path needs of the assistant's toolbox (``assistant.tools.ToolBox``)."""

    def call(self, name: str, args: dict[str, Any], allow_writes: bool = False) -> ToolCall: ...


class DraftingError(ValueError):
    """A draft request that cannot be drafted (zh-TW message): an unknown kind or case number."""


class CaseNotFoundError(DraftingError):
    pass


@dataclass(frozen=True)
class DraftRequest:
    """What to draft. ``case`` holds case fields (Chinese or attribute keys) over those of the record
    ``case_no`` names; ``fields`` holds the document's own fields (函/簽: 主旨, 說明, 受文者 …; for a
    投標須知 they are case fields too, over ``case``)."""

    kind: str
    case_no: str | None = None
    case: Mapping[str, Any] = field(default_factory=dict)
    fields: Mapping[str, Any] = field(default_factory=dict)
    subject: str | None = None
    purpose: str | list[str] | None = None
    recipient: str | None = None


def detect_kind(text: str) -> DraftKind:
    """The kind of draft a chat request asks for."""
    if re.search(r"投標須知|招標公告|招標文件", text):
        return "tender_instructions"
    if re.search(r"簽(?:呈|稿)?(?!約|名|收|證|核)|簽文", text) and not re.search(r"函", text):
        return "memo"
    return "letter"


def record_fields(record: CaseDetail) -> dict[str, Any]:
    """The fields of a records-store case that a 函 or 簽 names (its 案件 block)."""
    return {"機關": record.agency, "單位": record.unit, "名稱": record.name, "預算金額": record.budget}


def _case_input(record: CaseDetail | None, overrides: Mapping[str, Any]) -> CaseInput:
    """The 投標須知 case: the record's fields with ``overrides`` over them."""
    if record is None:
        return CaseInput.from_dict(dict(overrides))
    base = CaseInput.from_record(record)
    if not overrides:
        return base
    return CaseInput.from_dict(base.model_dump(exclude_none=True, exclude_defaults=True) | dict(overrides))


class DraftingService:
    """Drafts bound to the records store, the article index, the 投標須知 template, the threshold table
    and the drafts folder (all from the composition root, ``mishu.app.Container``)."""

    def __init__(self, records: RecordsService, articles: ArticleIndex, store: DraftStore, *,
                 template_path: Path | None = None, thresholds: ThresholdTable | None = None):
        self.records = records
        self.articles = articles
        self.store = store
        self.template_path = template_path
        self.thresholds = thresholds

    # --- the steps ------------------------------------------------------------------------------------
    def resolve(self, request: DraftRequest) -> tuple[DraftKind, CaseDetail | None]:
        kind = draft_kind(request.kind)
        if kind is None:
            raise DraftingError(f"不支援的草稿類型：{request.kind}"
                                "（可用：tender_instructions（或 tender_notice）、letter、memo）")
        if not request.case_no:
            return kind, None
        record = self.records.lookup_case(request.case_no)
        if record is None:
            raise CaseNotFoundError(f"找不到案號 {request.case_no} 的採購案")
        return kind, record

    def build(self, kind: DraftKind, record: CaseDetail | None, request: DraftRequest) -> AnyDraft:
        """The draft; bad case or document fields raise ``CaseInputError`` / ``GongwenInputError``."""
        if kind == "tender_instructions":
            case = _case_input(record, {**request.case, **request.fields})
            return draft_tender_instructions(case, articles=self.articles, template_path=self.template_path,
                                             thresholds=self.thresholds)
        case_fields = (record_fields(record) if record is not None else {}) | dict(request.case)
        return draft_from_request(kind, case_fields, subject=request.subject, purpose=request.purpose,
                                  recipient=request.recipient, fields=request.fields, articles=self.articles)

    def draft(self, request: DraftRequest) -> AnyDraft:
        """Resolve and build (nothing is written)."""
        kind, record = self.resolve(request)
        return self.build(kind, record, request)

    def draft_and_store(self, request: DraftRequest) -> tuple[AnyDraft, str, Path]:
        """The draft, and its .docx kept in the store (id and file)."""
        draft = self.draft(request)
        draft_id, path = self.store.save(draft)
        return draft, draft_id, path

    # --- answers (chat and the assistant's draft()) ----------------------------------------------------
    def reply(self, draft: AnyDraft, path: Path, calls: list[ToolCall]) -> Answer:
        """The chat answer for a stored draft: the file, the 待補 fields, the checks and the calculators used."""
        model = draft.to_draft(docx_path=str(path))
        cites = [AnswerCitation(title=c.title, no=c.no, quote=c.quote, amended=c.amended) for c in draft.citations]
        calls = calls + [ToolCall(name=t["name"], args=t.get("args") or {},
                                  result=calculation_from_json(t["name"], t.get("result")), error=t.get("error"))
                         for t in (draft.tool_calls if isinstance(draft, TenderDraft) else []) if "name" in t]
        text = [f"已依範本產生{KIND_ZH[model.kind]}草稿（Word 檔：{path.name}）。"]
        if model.missing_fields:
            text.append("待補欄位：" + "、".join(model.missing_fields[:20])
                        + ("…" if len(model.missing_fields) > 20 else ""))
        if model.warnings:
            text.append("檢核提醒：" + "；".join(model.warnings[:10]))
        text.append("草稿內容請承辦人逐點核對後再行簽辦。")
        return Answer(answer="\n".join(text), refused=False, mode="extractive", citations=cites, tool_calls=calls,
                      draft=model)

    def direct(self, request: DraftRequest) -> Answer:
        """A draft from explicit fields as an Answer (the assistant's ``draft``, the evaluation suite)."""
        draft, _, path = self.draft_and_store(request)
        return self.reply(draft, path, [])

    def chat(self, question: str, understanding: Understanding, toolbox: ToolCaller) -> Answer:
        """A chat request: the kind and the case from the question. A case number the records know is
        looked up through the toolbox (so the answer shows the call) and its record is authoritative; the
        amount and category of the question (or the conversation) fill a draft without one."""
        calls: list[ToolCall] = []
        case_no = None
        for number in understanding.case_numbers:
            tc = toolbox.call("lookup_case", {"case_no": number})
            calls.append(tc)
            if tc.error is None:
                case_no = number
                break
        stated: dict[str, Any] = {}
        if case_no is None and understanding.amount is not None:
            stated["預算金額"] = understanding.amount
        if case_no is None and understanding.category:
            stated["類別"] = understanding.category
        subject = _SUBJECT.search(understanding.text)
        recipient = _RECIPIENT.search(understanding.text)
        request = DraftRequest(detect_kind(understanding.text), case_no=case_no, case=stated,
                               subject=subject.group(1) if subject else None,
                               recipient=recipient.group(1) if recipient else None)
        draft, _, path = self.draft_and_store(request)
        return self.reply(draft, path, calls)


__all__ = ["CaseNotFoundError", "DraftRequest", "DraftingError", "DraftingService", "GongwenInputError",
           "detect_kind", "record_fields"]
