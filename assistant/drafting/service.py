"""Bridge from a chat request 「幫我擬案號 X 的投標須知」 (or explicit form fields) to the drafting
package, returning an Answer whose ``draft`` carries the Markdown, the 待補 list and the .docx path."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.models import Answer, AnswerCitation, ToolCall
from assistant.nlu import Understanding

from . import draft_from_request, draft_tender_notice, to_docx

_SUBJECT = re.compile(r"(?:主旨|事由|關於)[:：為是]?\s*([^，。；\n]{4,80})")
_RECIPIENT = re.compile(r"(?:給|致|函送|函復|行文)\s*([\u4e00-\u9fff]{2,20}?(?:局|處|署|部|會|府|公所|學校|中心|科|隊))")
KINDS = {"tender_notice": "投標須知", "letter": "函", "memo": "簽"}


def detect_kind(text: str) -> str:
    if re.search(r"投標須知|招標公告|招標文件", text):
        return "tender_notice"
    if re.search(r"簽(?:呈|稿)?(?!約|名|收|證|核)|簽文", text) and not re.search(r"函", text):
        return "memo"
    return "letter"


def make_drafter(container: Any) -> Callable[..., Answer]:
    """A drafter bound to the container's records store, article index and drafts folder.

    The returned callable answers chat requests; its ``direct`` attribute drafts from explicit fields.
    """
    drafts_dir: Path = container.settings.data_dir / "drafts"

    def finish(kind: str, draft: Any, calls: list[ToolCall]) -> Answer:
        drafts_dir.mkdir(parents=True, exist_ok=True)
        path = to_docx(draft, drafts_dir / f"{kind}-{uuid.uuid4().hex[:10]}.docx")
        model = draft.to_draft(docx_path=str(path))
        cites = [AnswerCitation(title=c.title, no=c.no, quote=c.quote, amended=c.amended,
                                label=getattr(c, "label", None))
                 for c in getattr(draft, "citations", []) or []]
        for t in getattr(draft, "tool_calls", None) or []:
            if isinstance(t, dict) and "name" in t:
                calls.append(ToolCall(name=t["name"], args=t.get("args") or {}, result=t.get("result"),
                                      error=t.get("error")))
        text = [f"已依範本產生{KINDS[kind]}草稿（Word 檔：{path.name}）。"]
        if model.missing_fields:
            text.append("待補欄位：" + "、".join(model.missing_fields[:20])
                        + ("…" if len(model.missing_fields) > 20 else ""))
        if model.warnings:
            text.append("檢核提醒：" + "；".join(model.warnings[:10]))
        text.append("草稿內容請承辦人逐點核對後再行簽辦。")
        return Answer(answer="\n".join(text), refused=False, mode="extractive", citations=cites, tool_calls=calls,
                      draft=model)

    def direct(kind: str, case: dict[str, Any] | None = None, request: str | None = None, *,
               subject: str | None = None, purpose: str | list[str] | None = None,
               recipient: str | None = None) -> Answer:
        """A draft from explicit fields (API/UI forms, the evaluation suite)."""
        if kind not in KINDS:
            raise ValueError(f"不支援的草稿類型：{kind}（可用：tender_notice、letter、memo）")
        draft = draft_from_request(kind, dict(case or {}), subject=subject, purpose=purpose, recipient=recipient,
                                   articles=container.articles)
        return finish(kind, draft, [])

    def drafter(question: str, understanding: Understanding, toolbox: Any) -> Answer:
        kind = detect_kind(understanding.text)
        calls: list[ToolCall] = []
        case: dict[str, Any] = {}
        record = None
        for case_no in understanding.case_numbers:
            tc = toolbox.call("lookup_case", {"case_no": case_no})
            calls.append(tc)
            if tc.error is None:
                record = container.records.lookup_case(case_no)
                break
        if understanding.amount is not None:
            case["預算金額"] = understanding.amount
        if understanding.category:
            case["類別"] = understanding.category
        draft: Any
        if record is not None and kind == "tender_notice":
            draft = draft_tender_notice(record, articles=container.articles)
        else:
            if record is not None:
                case = {"案號": record.case_no, "名稱": record.name, "類別": record.category,
                        "預算金額": record.budget, "招標方式": record.method, "決標原則": record.award_basis,
                        "機關": record.agency, "單位": record.unit} | case
            subject = _SUBJECT.search(understanding.text)
            recipient = _RECIPIENT.search(understanding.text)
            draft = draft_from_request(kind, case, subject=subject.group(1) if subject else None,
                                       recipient=recipient.group(1) if recipient else None,
                                       articles=container.articles)
        return finish(kind, draft, calls)

    drafter.direct = direct  # type: ignore[attr-defined]
    return drafter
