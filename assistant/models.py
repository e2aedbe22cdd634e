"""The answer object (../shared/DESIGN.md) and the pieces the planner and composer pass around."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class AnswerCitation(BaseModel):
    title: str
    no: str
    quote: str  # verbatim span of the cited article
    amended: str | None = None  # YYYY-MM-DD
    label: str | None = None  # display form, e.g. 政府採購法第22條之1第1項第9款
    paragraph: int | None = None
    item: int | None = None
    doc_id: str | None = None
    partial: bool = False
    sample: bool = False


class ToolCall(BaseModel):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    result: Any = None
    error: str | None = None
    ms: float | None = None


def compact_search(call: ToolCall) -> ToolCall:
    """A search result is evidence, not a computed answer: keep only (title, no, score) in the record."""
    if call.name != "search_regulations" or not isinstance(call.result, list):
        return call
    return call.model_copy(update={"result": [{"title": h["title"], "no": h["no"], "score": h["score"]}
                                              for h in call.result]})


class Draft(BaseModel):
    kind: Literal["tender_notice", "letter", "memo"]
    markdown: str
    missing_fields: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    docx_path: str | None = None


class Answer(BaseModel):
    answer: str
    refused: bool = False
    mode: Literal["extractive", "llm"] = "extractive"
    citations: list[AnswerCitation] = Field(default_factory=list)
    tool_calls: list[ToolCall] = Field(default_factory=list)
    draft: Draft | None = None
    related: list[dict[str, str]] = Field(default_factory=list)  # [{"title","no","label"}]
    flags: list[str] = Field(default_factory=list)  # post-generation check findings (LLM mode)
    conversation_id: str | None = None
    latency_ms: float | None = None

    def contract(self) -> dict[str, Any]:
        """Exactly the DESIGN.md answer object (plus nothing the contract does not name)."""
        return {
            "answer": self.answer, "refused": self.refused, "mode": self.mode,
            "citations": [{"title": c.title, "no": c.no, "quote": c.quote, "amended": c.amended}
                          for c in self.citations],
            "tool_calls": [{"name": t.name, "args": t.args,
                            "result": t.result if t.error is None else {"error": t.error}}
                           for t in self.tool_calls],
            "draft": (None if self.draft is None else
                      {"kind": self.draft.kind, "markdown": self.draft.markdown,
                       "missing_fields": self.draft.missing_fields}),
        }
