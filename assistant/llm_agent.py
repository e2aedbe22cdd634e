"""LLM mode: a LangChain tool-calling agent over an OpenAI-compatible endpoint (Ollama, vLLM,
llama.cpp server, TAIDE), with the same tools as the embedded planner (those the caller's role may use),
tool errors fed back as results, and a post-generation check of every citation and quote
(``assistant.llm_check``).

Untrusted text stays data: the retrieved passages go into the user message inside a fence with a random
name, labelled as data and not instructions; tool results go back as tool messages. The system prompt
holds only the rules.

Bounded (``LLMLimits``): a deadline for the whole request (each model call gets the time that is left),
a cap on model calls and on tool calls, and a cap on LLM requests running at once in the process (a
request that finds no free slot within ``queue_wait_s`` is turned away), so slow model calls cannot hold
every worker thread. Running out of time or slots raises ``LLMUnavailable`` with a zh-TW message.

``stream`` yields the model's text as it writes (``delta`` events, without Markdown images or links),
then the checked ``Answer``.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from assistant.composer import tool_citations
from assistant.evidence import best_lines, cite, content_terms
from assistant.llm_check import CITATION, CheckResult, CitationChecker, Key
from assistant.models import Answer, AnswerCitation, ToolCall, compact_search
from assistant.prompts import load_prompt
from assistant.tool_results import ArticleResult, SearchResult
from assistant.tools import ToolBox
from core.dates import roc_date
from core.markdown import construct_start, remove_links_and_images
from knowledge.base import Article, KnowledgeBase
from prompts import PROMPTS_DIR

REFUSAL_MARK = "【無法回答】"
log = logging.getLogger("mishu.llm")

Event = dict[str, Any]
ErrorCode = Literal["llm_busy", "llm_timeout", "llm_error"]


def make_chat_model(settings: Any) -> Any:
    """ChatOpenAI against the configured OpenAI-compatible endpoint (imported only in LLM mode). No client
    retries: a retry would run past the request's deadline; each call is given the time that is left."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout=settings.llm_timeout_s,
        temperature=0,
        max_retries=0,
    )


@dataclass(frozen=True)
class LLMLimits:
    deadline_s: float = 90.0  # the whole request: retrieval, every model call and tool call
    max_steps: int = 6  # model calls
    max_tool_calls: int = 12  # tool calls over the request
    max_concurrency: int = 2  # LLM requests running at once in this process
    queue_wait_s: float = 2.0  # how long a request waits for a free slot


class LLMUnavailable(RuntimeError):
    """No answer from the model in time, no free slot, or a failing endpoint; the message is zh-TW."""

    def __init__(self, code: ErrorCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> LLMUnavailable:
        return LLMUnavailable(
            "llm_timeout",
            f"語言模型未能在 {self.seconds:g} 秒內完成回答，已停止處理。請稍後再試，或把問題問得更具體一些。",
        )

    def check(self) -> None:
        if self.remaining() <= 0:
            raise self.expired()


def _is_timeout(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class DeltaFilter:
    """Streamed text without Markdown images or links: text that may open one (``!``, ``[``, ``<``) is held
    back until its line ends (or ``hold_max`` characters wait), then passed on with the constructs removed."""

    def __init__(self, hold_max: int = 400):
        self.pending = ""
        self.hold_max = hold_max

    def feed(self, piece: str) -> str:
        self.pending += piece
        cut = construct_start(self.pending)
        if cut < 0 or len(self.pending) - cut > self.hold_max:
            cut = len(self.pending)
        out, self.pending = self.pending[:cut], self.pending[cut:]
        return remove_links_and_images(out)[0]

    def flush(self) -> str:
        out, self.pending = self.pending, ""
        return remove_links_and_images(out)[0]


@dataclass
class _Turn:
    toolbox: ToolBox
    deadline: Deadline
    stream: bool
    calls: list[ToolCall] = field(default_factory=list)
    retrieved: dict[Key, Article] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    tool_calls_left: int = 0


class LLMAgent:
    def __init__(
        self,
        chat_model: Any,
        kb: KnowledgeBase,
        max_steps: int = 6,
        prompt_path: Path | None = None,
        k: int = 6,
        limits: LLMLimits | None = None,
        data_prompt_path: Path | None = None,
    ):
        self.chat_model = chat_model
        self.kb = kb
        self.limits = limits or LLMLimits(max_steps=max_steps)
        self.max_steps = self.limits.max_steps
        self.k = k
        self.prompt = load_prompt(prompt_path or PROMPTS_DIR / "answer_system.md", required={"today"})
        self.data_prompt = load_prompt(
            data_prompt_path or PROMPTS_DIR / "answer_data.md", required={"fence", "passages", "question"}
        )
        self._slots = threading.BoundedSemaphore(self.limits.max_concurrency)

    # --- entry points --------------------------------------------------------------------------
    def answer(self, question: str, query: str, history: list[dict[str, Any]], toolbox: ToolBox) -> Answer:
        for ev in self.run(question, query, history, toolbox, stream=False):
            if isinstance(ev, Answer):
                return ev
        raise RuntimeError("LLM agent ended without an answer")

    def stream(
        self, question: str, query: str, history: list[dict[str, Any]], toolbox: ToolBox
    ) -> Iterator[Event | Answer]:
        """``status`` and ``delta`` events as the model works and writes, then the checked ``Answer``."""
        return self.run(question, query, history, toolbox, stream=True)

    def run(
        self, question: str, query: str, history: list[dict[str, Any]], toolbox: ToolBox, stream: bool
    ) -> Iterator[Event | Answer]:
        if not self._slots.acquire(timeout=self.limits.queue_wait_s):
            raise LLMUnavailable(
                "llm_busy", f"目前已有 {self.limits.max_concurrency} 個 AI 問答在處理中，請稍後再試。"
            )
        try:
            yield from self._run(question, query, history, toolbox, stream)
        finally:
            self._slots.release()

    # --- the loop ------------------------------------------------------------------------------
    def _run(
        self, question: str, query: str, history: list[dict[str, Any]], toolbox: ToolBox, stream: bool
    ) -> Iterator[Event | Answer]:
        turn = _Turn(
            toolbox, Deadline(self.limits.deadline_s), stream, tool_calls_left=self.limits.max_tool_calls
        )
        messages = self._messages(question, history, self._passages(turn, query))
        model = self.chat_model.bind_tools(toolbox.langchain_tools())
        final: str | None = None
        for _step in range(self.max_steps):
            turn.deadline.check()
            ai = yield from self._call(model, messages, turn)
            messages.append(ai)
            tool_calls = getattr(ai, "tool_calls", None) or []
            if not tool_calls:
                final = ai.content if isinstance(ai.content, str) else str(ai.content)
                break
            if stream:
                names = "、".join(str(t.get("name")) for t in tool_calls)
                yield {"event": "status", "data": {"message": f"呼叫工具：{names}"}}
            for tcall in tool_calls:
                turn.deadline.check()
                messages.append(self._tool(turn, tcall))
        if final is None:
            turn.flags.append(f"已達模型呼叫上限（{self.max_steps} 步），未產生完整回答")
            final = f"{REFUSAL_MARK}處理步驟超過上限，未能產生有依據的回答，請改用更具體的問題或洽承辦單位。"
        yield self._finish(final, turn)

    def _passages(self, turn: _Turn, query: str) -> list[str]:
        first = turn.toolbox.call("search_regulations", {"query": query, "k": self.k})
        turn.calls.append(first)
        passages = []
        for h in first.result.hits if isinstance(first.result, SearchResult) else []:
            self._remember(turn, h.title, h.no)
            passages.append(f"【{h.title}{h.label}】（{h.amended or '日期不詳'}）\n{h.text}")
        return passages

    def _messages(self, question: str, history: list[dict[str, Any]], passages: list[str]) -> list[Any]:
        """System: the rules only. History. User: the passages fenced as data, then the question."""
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        messages: list[Any] = [SystemMessage(content=self.prompt.render(today=roc_date(date.today())))]
        for turn in history:
            messages.append(HumanMessage(content=turn["question"]))
            messages.append(AIMessage(content=str(turn["answer"].get("answer", ""))))
        fence = secrets.token_hex(6)  # a document cannot close a fence whose name it does not know
        data = self.data_prompt.render(
            fence=fence, passages="\n\n".join(passages) or "（沒有檢索到條文）", question=question
        )
        messages.append(HumanMessage(content=data))
        return messages

    def _call(self, model: Any, messages: list[Any], turn: _Turn) -> Generator[Event, None, Any]:
        """One model call within the time left; streamed text goes out as ``delta`` events."""
        from langchain_core.messages import AIMessage, message_chunk_to_message

        try:
            if not turn.stream:
                return model.invoke(messages, timeout=max(turn.deadline.remaining(), 0.001))
            acc: Any = None
            text = DeltaFilter()
            for chunk in model.stream(messages, timeout=max(turn.deadline.remaining(), 0.001)):
                acc = chunk if acc is None else acc + chunk
                out = text.feed(chunk.content) if isinstance(chunk.content, str) else ""
                if out:
                    yield {"event": "delta", "data": {"text": out}}
                turn.deadline.check()
            rest = text.flush()
            if rest:
                yield {"event": "delta", "data": {"text": rest}}
            return AIMessage(content="") if acc is None else message_chunk_to_message(acc)
        except LLMUnavailable:
            raise
        except Exception as exc:
            if _is_timeout(exc):
                raise turn.deadline.expired() from exc
            log.warning("LLM call failed: %s: %s", type(exc).__name__, exc)
            raise LLMUnavailable(
                "llm_error", "語言模型服務沒有回應或回覆錯誤，請稍後再試；如持續發生，請洽系統管理者。"
            ) from exc

    def _tool(self, turn: _Turn, tcall: dict[str, Any]) -> Any:
        from langchain_core.messages import ToolMessage

        if turn.tool_calls_left <= 0:
            tc = ToolCall(
                name=str(tcall.get("name")),
                args=dict(tcall.get("args") or {}),
                error=f"已達工具呼叫上限（{self.limits.max_tool_calls} 次），請直接回答",
            )
        else:
            turn.tool_calls_left -= 1
            tc = turn.toolbox.call(str(tcall.get("name")), dict(tcall.get("args") or {}))
        turn.calls.append(tc)
        if tc.error is None:
            self._remember_result(turn, tc)
        payload = {"error": tc.error} if tc.error or tc.result is None else tc.result.to_json()
        return ToolMessage(
            content=json.dumps(payload, ensure_ascii=False, default=str)[:12000],
            tool_call_id=tcall.get("id") or tc.name,
        )

    def _remember(self, turn: _Turn, title: str, no: str) -> None:
        art = self.kb.get_article(title, no, allowed=turn.toolbox.allowed)
        if art is not None:
            turn.retrieved[(art.title, art.no)] = art

    def _remember_result(self, turn: _Turn, tc: ToolCall) -> None:
        if isinstance(tc.result, SearchResult):
            for h in tc.result.hits:
                self._remember(turn, h.title, h.no)
        elif isinstance(tc.result, ArticleResult):
            self._remember(turn, tc.result.article.title, tc.result.article.no)
        for c in tc.result.cited() if tc.result is not None else []:
            self._remember(turn, c.title, c.no)

    # --- the answer ----------------------------------------------------------------------------
    def _tool_citations(self, turn: _Turn, text: str) -> list[AnswerCitation]:
        """Citations the tools returned; a record citation names a rule without a quote, so it is quoted
        with the article's best line (as the composer does), or dropped if the caller cannot see it."""
        out = []
        terms = content_terms(self.kb.tokenizer(text))
        for c in tool_citations(turn.calls):
            if not c.quote:
                art = self.kb.get_article(c.title, c.no, allowed=turn.toolbox.allowed)
                if art is None:
                    continue
                lines = best_lines(art, terms, {}, max_lines=1)
                c = cite(art, lines[-1] if lines else None)
            out.append(c)
        return out

    def _finish(self, final: str, turn: _Turn) -> Answer:
        checker = CitationChecker(self.kb, self.kb.titles(turn.toolbox.allowed), allowed=turn.toolbox.allowed)
        checked: CheckResult = checker.check(final, turn.retrieved)
        refused = checked.text.startswith(REFUSAL_MARK)
        citations: list[AnswerCitation] = []
        if not refused:
            seen: set[tuple[str, str, str]] = set()
            for c in [*self._tool_citations(turn, checked.text), *checked.citations]:
                if (c.title, c.no, c.quote) not in seen:
                    seen.add((c.title, c.no, c.quote))
                    citations.append(c)
        flags = [*turn.flags, *checked.flags]
        text = checked.text
        if not refused and not citations:
            flags.append("回答沒有任何可核對的引用，已改為拒答")
            refused = True
            text = (
                f"{REFUSAL_MARK}模型的回答沒有可核對的條文依據，為避免誤導不予採用。"
                "請洽本府採購諮詢專線或相關業務承辦單位。"
            )
        return Answer(
            answer=text,
            refused=refused,
            mode="llm",
            citations=citations,
            tool_calls=[compact_search(tc) for tc in turn.calls],
            flags=flags,
        )


__all__ = [
    "CITATION",
    "REFUSAL_MARK",
    "CitationChecker",
    "DeltaFilter",
    "LLMAgent",
    "LLMLimits",
    "LLMUnavailable",
    "make_chat_model",
]
