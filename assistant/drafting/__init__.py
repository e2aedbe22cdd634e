"""Drafting: 投標須知 on the PCC template, 函 and 簽 — deterministic, never inventing a value.

Public facade (each draft has ``.to_draft() -> assistant.models.Draft`` and ``.markdown``):

- ``draft_tender_notice(case, *, on=None)`` — ``case`` is a ``CaseInput``, a records ``CaseDetail`` or a
  dict with record fields (案號, 名稱, 類別, 預算金額, 招標方式, 決標原則 …).
- ``draft_letter(letter, *, on=None)`` — 函 from a ``LetterInput`` or dict (受文者, 主旨, 說明 …).
- ``draft_memo(memo, *, on=None)`` — 簽 from a ``MemoInput`` or dict (主旨, 說明, 擬辦 …).
- ``draft_from_request(kind, case, ...)`` — one entry point for the planner and the eval set.
- ``to_docx(draft, path)`` — Word file (A4, 標楷體, 草稿 header, page numbers).

``on`` is the drafting date (thresholds are judged on it; a 函 without 發文日期 uses it); it defaults to
today's date, taken here at the edge and passed down.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from assistant.calculators import ArticleIndex
from knowledge.records.results import CaseDetail

from . import gongwen as _gongwen
from .case import CaseInput, CaseInputError
from .docx_writer import DocxWriteError, build_document, to_docx
from .gongwen import GongwenInputError, LetterInput, MemoInput, roc_full
from .models import DraftLine, DraftPoint, GongwenDraft, TenderDraft
from .template import TemplateError, TenderTemplate
from .tender import draft_tender_instructions


def _today(on: date | None) -> date:
    return on if on is not None else date.today()


def draft_tender_notice(case: CaseInput | CaseDetail | dict[str, Any], *, on: date | None = None,
                        articles: ArticleIndex | None = None, template_path: Path | None = None) -> TenderDraft:
    """投標須知 draft for ``case`` (see ``tender.draft_tender_instructions``)."""
    if isinstance(case, CaseDetail):
        case = CaseInput.from_record(case)
    elif isinstance(case, dict):
        case = CaseInput.from_dict(case)
    return draft_tender_instructions(case, on=_today(on), articles=articles, template_path=template_path)


def draft_letter(letter: LetterInput | dict[str, Any], *, on: date | None = None,
                 articles: ArticleIndex | None = None) -> GongwenDraft:
    """函 draft."""
    if isinstance(letter, dict):
        letter = LetterInput.from_dict(letter)
    return _gongwen.draft_letter(letter, on=_today(on), articles=articles)


def draft_memo(memo: MemoInput | dict[str, Any], *, on: date | None = None,
               articles: ArticleIndex | None = None) -> GongwenDraft:
    """簽 draft."""
    if isinstance(memo, dict):
        memo = MemoInput.from_dict(memo)
    return _gongwen.draft_memo(memo, on=_today(on), articles=articles)


def draft_from_request(kind: str, case: dict[str, Any] | None = None, *, subject: str | None = None,
                       purpose: str | list[str] | None = None, recipient: str | None = None,
                       on: date | None = None, articles: ArticleIndex | None = None) -> TenderDraft | GongwenDraft:
    """Draft of ``kind`` (tender_notice / letter / memo) from case fields plus 主旨/說明/受文者."""
    case = dict(case or {})
    if kind == "tender_notice":
        return draft_tender_notice(case, on=on, articles=articles)
    fields: dict[str, Any] = {"case": case}
    if subject:
        fields["subject"] = subject
    if purpose:
        fields["explanations"] = purpose
    if kind == "letter":
        if recipient:
            fields["recipient"] = recipient
        return draft_letter(fields, on=on, articles=articles)
    if kind == "memo":
        return draft_memo(fields, on=on, articles=articles)
    raise GongwenInputError(f"不支援的草稿類型：{kind!r}（可用：tender_notice、letter、memo）")


__all__ = [
    "CaseInput", "CaseInputError", "DocxWriteError", "DraftLine", "DraftPoint", "GongwenDraft", "GongwenInputError",
    "LetterInput", "MemoInput", "TemplateError", "TenderDraft", "TenderTemplate", "build_document",
    "draft_from_request", "draft_letter", "draft_memo", "draft_tender_instructions", "draft_tender_notice",
    "roc_full", "to_docx",
]
