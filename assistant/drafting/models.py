"""Draft objects returned by the drafting functions; each converts to ``assistant.models.Draft``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.calculators import QuotedCitation
from assistant.models import Draft

Box = Literal["■", "□"]
CHOSEN: Box = "■"
NOT_CHOSEN: Box = "□"
PENDING = "【待補：{}】"
"""How a missing value appears in a draft text."""


def pending(name: str) -> str:
    return PENDING.format(name)


LineKind = Literal["header", "option", "text", "note"]


class DraftLine(BaseModel):
    text: str
    kind: LineKind = "text"
    box: Box | None = None
    indent: int = 0

    def markdown(self) -> str:
        pad = "　" * self.indent
        if self.kind == "note":
            return f"{pad}※{self.text}"
        return f"{pad}{self.box or ''}{self.text}"


class DraftPoint(BaseModel):
    """One point (要點) of the form as drafted."""

    no: str
    label: str  # 第2點, 第52點之1
    number: str  # printed number: 二、
    lines: list[DraftLine]
    chosen: list[str] = Field(default_factory=list)  # option labels marked ■ by the draft
    status: Literal["fixed", "filled", "agency", "pending"] = "fixed"
    """fixed: printed text only; filled: completed from the case; agency: choice left to the agency;
    pending: needs data the case lacks."""

    def markdown(self) -> str:
        first, *rest = self.lines
        out = [f"{self.number}{first.text}"] + [ln.markdown() for ln in rest]
        return "  \n".join(out)


class TenderDraft(BaseModel):
    """A 投標須知 (kind ``tender_instructions``)."""

    kind: Literal["tender_instructions"] = "tender_instructions"
    title: str
    case_no: str | None
    summary: list[tuple[str, str]]  # (label, value) of the 案件摘要 block
    points: list[DraftPoint]
    markdown: str
    missing_fields: list[str]
    warnings: list[str]
    notes: list[str]
    citations: list[QuotedCitation]
    tool_calls: list[dict[str, Any]]
    docx_path: str | None = None

    def to_draft(self, docx_path: str | None = None) -> Draft:
        """The answer-object draft; ``docx_path`` (e.g. from ``to_docx``) overrides the stored one."""
        return Draft(kind="tender_instructions", markdown=self.markdown, missing_fields=list(self.missing_fields),
                     warnings=list(self.warnings), docx_path=docx_path or self.docx_path)


class GongwenDraft(BaseModel):
    kind: Literal["letter", "memo"]
    title: str
    markdown: str
    missing_fields: list[str]
    warnings: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    citations: list[QuotedCitation] = Field(default_factory=list)
    docx_path: str | None = None

    def to_draft(self, docx_path: str | None = None) -> Draft:
        """The answer-object draft; ``docx_path`` (e.g. from ``to_docx``) overrides the stored one."""
        return Draft(kind=self.kind, markdown=self.markdown, missing_fields=list(self.missing_fields),
                     warnings=list(self.warnings), docx_path=docx_path or self.docx_path)
