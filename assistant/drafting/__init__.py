"""Drafting: 投標須知 on the PCC template, 函 and 簽 — deterministic, never inventing a value.

Public facade (each draft has ``.to_draft() -> assistant.models.Draft`` and ``.markdown``):

- ``draft_tender_instructions(case, *, on=None)`` — 投標須知; ``case`` is a ``CaseInput``, a records
  ``CaseDetail`` or a dict with record fields (案號, 名稱, 類別, 預算金額, 招標方式, 決標原則 …).
- ``draft_letter(letter, *, on=None)`` — 函 from a ``LetterInput`` or dict (受文者, 主旨, 說明 …).
- ``draft_memo(memo, *, on=None)`` — 簽 from a ``MemoInput`` or dict (主旨, 說明, 擬辦 …).
- ``draft_from_request(kind, case, ...)`` — a draft of any kind (``core.vocab.DraftKind`` or its alias
  ``tender_notice``) from case fields plus 主旨/說明/受文者.
- ``to_docx(draft, path)`` — Word file (A4, 標楷體, 草稿 header, page numbers).
- ``DraftingService`` (``assistant.drafting.service``) — what the CLI, the API, the chat and the pages
  call: a case number looked up in the records, fields merged over it, the .docx kept in a ``DraftStore``.

``on`` is the drafting date (thresholds are judged on it; a 函 without 發文日期 uses it); when it is not
given, today's date is read here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from assistant.calculators import ArticleIndex, ThresholdTable
from core.vocab import draft_kind
from knowledge.records.results import CaseDetail

from . import gongwen as _gongwen
from .case import CaseInput, CaseInputError
from .docx_writer import DocxWriteError, build_document, to_docx
from .gongwen import GongwenInputError, LetterInput, MemoInput, roc_full
from .models import DraftLine, DraftPoint, GongwenDraft, TenderDraft
from .template import TemplateError, TenderTemplate
from .tender import build_tender_instructions


def _today(on: date | None) -> date:
    return on if on is not None else date.today()


def draft_tender_instructions(case: CaseInput | CaseDetail | dict[str, Any], *, on: date | None = None,
                              articles: ArticleIndex | None = None, template_path: Path | None = None,
                              thresholds: ThresholdTable | None = None) -> TenderDraft:
    """投標須知 draft for ``case`` (see ``tender.build_tender_instructions``)."""
    if isinstance(case, CaseDetail):
        case = CaseInput.from_record(case)
    elif isinstance(case, dict):
        case = CaseInput.from_dict(case)
    return build_tender_instructions(case, on=_today(on), articles=articles, template_path=template_path,
                                     thresholds=thresholds)


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


def draft_from_request(kind: str, case: Mapping[str, Any] | None = None, *, subject: str | None = None,
                       purpose: str | list[str] | None = None, recipient: str | None = None,
                       fields: Mapping[str, Any] | None = None,
                       on: date | None = None, articles: ArticleIndex | None = None,
                       template_path: Path | None = None,
                       thresholds: ThresholdTable | None = None) -> TenderDraft | GongwenDraft:
    """Draft of ``kind`` (tender_instructions, alias tender_notice / letter / memo) from case fields plus
    主旨/說明/受文者; ``fields`` are the 函/簽's own fields (Chinese or attribute keys), not used by a 投標須知."""
    case = dict(case or {})
    canonical = draft_kind(kind)
    if canonical == "tender_instructions":
        return draft_tender_instructions(case, on=on, articles=articles, template_path=template_path,
                                         thresholds=thresholds)
    data: dict[str, Any] = dict(fields or {})
    if case:
        data["case"] = case
    if subject:
        data["subject"] = subject
    if purpose:
        data["explanations"] = purpose
    if canonical == "letter":
        if recipient:
            data["recipient"] = recipient
        return draft_letter(data, on=on, articles=articles)
    if canonical == "memo":
        return draft_memo(data, on=on, articles=articles)
    raise GongwenInputError(f"不支援的草稿類型：{kind!r}（可用：tender_instructions（或 tender_notice）、letter、memo）")


__all__ = [
    "CaseInput", "CaseInputError", "DocxWriteError", "DraftLine", "DraftPoint", "GongwenDraft", "GongwenInputError",
    "LetterInput", "MemoInput", "TemplateError", "TenderDraft", "TenderTemplate", "build_document",
    "draft_from_request", "draft_letter", "draft_memo", "draft_tender_instructions", "roc_full", "to_docx",
]
