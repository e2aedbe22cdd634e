"""The answer object (docs/DESIGN.md) and the pieces the planner and composer pass around."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_serializer, field_validator

from core.citation import QuotedCitation
from core.vocab import PUBLIC_DRAFT_KIND, DraftKind, draft_kind

JSON: TypeAlias = dict[str, "JSON"] | list["JSON"] | str | int | float | bool | None


class AnswerCitation(QuotedCitation):
    """A quoted citation as the answer shows it: its display label and the 項/款 it quotes."""

    model_config = ConfigDict(frozen=False)  # the composer labels and trims its citations in place

    label: str | None = None  # display form, e.g. 政府採購法第22條之1第1項第9款
    paragraph: int | None = None
    item: int | None = None
    doc_id: str | None = None
    partial: bool = False
    sample: bool = False


class ToolResult(ABC):
    """A tool's typed result (assistant/tool_results.py). It stays typed through the planner, the composer
    and the LLM agent, and renders itself: ``text_zh`` for the answer, ``to_json`` for the answer object's
    ``tool_calls[].result`` (docs/DESIGN.md) and the LLM's tool message."""

    @abstractmethod
    def to_json(self) -> JSON: ...

    def text_zh(self) -> str | None:
        """The direct-answer line (zh-TW), or None when the result is evidence, not an answer."""
        return None

    def cited(self) -> list[AnswerCitation]:
        """The rules the result rests on; a record cites a rule without a quote (the composer quotes it)."""
        return []

    def is_empty(self) -> bool:
        """A look-up that found nothing."""
        return False

    def missing_zh(self) -> str | None:
        """Why nothing could be found, when the question named something the records do not hold."""
        return None

    def compact(self) -> ToolResult:
        """The form kept in the answer record (search hits shrink to their keys and scores)."""
        return self


def _result_json(result: ToolResult | None) -> JSON:
    return None if result is None else result.to_json()


class ToolCall(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    result: Annotated[ToolResult | None, PlainSerializer(_result_json, return_type=object)] = None
    error: str | None = None
    ms: float | None = None
    denied: bool = False  # refused by the role policy (core.policy); ``error`` says so, nothing was looked up


def compact_search(call: ToolCall) -> ToolCall:
    """A search result is evidence, not a computed answer: keep only (title, no, score) in the record."""
    if call.result is None:
        return call
    return call.model_copy(update={"result": call.result.compact()})


class Draft(BaseModel):
    kind: DraftKind  # serialised under its docs/DESIGN.md name (tender_notice for 投標須知), which it also accepts
    markdown: str
    missing_fields: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    docx_path: str | None = None

    @field_validator("kind", mode="before")
    @classmethod
    def _alias(cls, v: Any) -> Any:
        return (draft_kind(v) or v) if isinstance(v, str) else v

    @field_serializer("kind")
    def _public(self, kind: DraftKind) -> str:
        return PUBLIC_DRAFT_KIND[kind]


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
    facts: dict[str, Any] | None = None  # the case facts the answer assumed (assistant.facts.FACT_KEYS)
    clarify: str | None = None  # the one-line question back when a needed fact is missing

    def contract(self) -> dict[str, Any]:
        """Exactly the docs/DESIGN.md answer object (plus nothing the contract does not name)."""
        return {
            "answer": self.answer, "refused": self.refused, "mode": self.mode,
            "citations": [{"title": c.title, "no": c.no, "quote": c.quote, "amended": c.amended}
                          for c in self.citations],
            "tool_calls": [{"name": t.name, "args": t.args,
                            "result": _result_json(t.result) if t.error is None else {"error": t.error}}
                           for t in self.tool_calls],
            "draft": (None if self.draft is None else
                      {"kind": PUBLIC_DRAFT_KIND[self.draft.kind], "markdown": self.draft.markdown,
                       "missing_fields": self.draft.missing_fields}),
            "facts": self.facts, "clarify": self.clarify,
        }
