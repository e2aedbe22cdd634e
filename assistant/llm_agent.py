"""LLM mode: a LangChain tool-calling agent over an OpenAI-compatible endpoint (Ollama, vLLM,
llama.cpp server, TAIDE), with the same tools as the embedded planner, a capped number of steps,
tool errors fed back as results, and a post-generation check of every citation and quote.

Post-generation check (the model is never trusted with citations):
- a citation 〔法規第N條〕 must name an article that was actually retrieved in this turn (from the
  pre-retrieved passages, search_regulations or get_article); otherwise it is removed and flagged;
- a quote 「…」 attributed to an article must be verbatim in that article; otherwise it is removed
  and flagged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from assistant.evidence import best_lines, cite, content_terms
from assistant.models import Answer, AnswerCitation, ToolCall, compact_search
from assistant.prompts import load_prompt
from assistant.tools import ToolBox
from ingest.zh import cn_to_int, roc
from knowledge.base import Article, KnowledgeBase

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
REFUSAL_MARK = "【無法回答】"

_CITATION = re.compile(r"〔([^〔〕]{2,60}?)第\s*([0-9一二三四五六七八九十百零]+)\s*(條|點)(?:之\s*([0-9一二三四五六七八九十]+))?"
                       r"((?:第[0-9一二三四五六七八九十]+[項款目])*)〕")
_QUOTE_CITED = re.compile(r"「([^「」]{4,})」\s*(〔[^〔〕]+〕)")


def make_chat_model(settings: Any) -> Any:
    """ChatOpenAI against the configured OpenAI-compatible endpoint (imported only in LLM mode)."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(base_url=settings.llm_base_url, model=settings.llm_model, api_key=settings.llm_api_key,
                      timeout=settings.llm_timeout_s, temperature=0, max_retries=1)


@dataclass
class CheckResult:
    text: str
    citations: list[AnswerCitation]
    flags: list[str]


def _no(num: str, sub: str | None) -> str:
    base = str(cn_to_int(num))
    return f"{base}-{cn_to_int(sub)}" if sub else base


class CitationChecker:
    """Verifies citations and quotes of a generated answer against the articles retrieved."""

    def __init__(self, kb: KnowledgeBase, titles: list[str]):
        self.kb = kb
        self.titles = titles

    def _resolve_title(self, raw: str) -> str | None:
        raw = raw.strip()
        if raw in self.titles:
            return raw
        from knowledge.lexicon import resolve_titles

        found = resolve_titles(raw, self.titles)
        return found[-1][0] if found else None

    def check(self, text: str, retrieved: dict[tuple[str, str], Article]) -> CheckResult:
        flags: list[str] = []
        verified: dict[tuple[str, str], AnswerCitation] = {}

        def key_of(marker: str) -> tuple[str, str] | None:
            m = _CITATION.fullmatch(marker)
            if not m:
                return None
            title = self._resolve_title(m.group(1))
            if title is None:
                return None
            try:
                return title, _no(m.group(2), m.group(4))
            except ValueError:
                return None

        # 1. quotes attributed to a citation
        def check_quote(m: re.Match[str]) -> str:
            quote, marker = m.group(1), m.group(2)
            key = key_of(marker)
            art = retrieved.get(key) if key else None
            if art is None:
                return m.group(0)  # the citation itself is judged below
            if quote.strip() and quote.strip() in art.text:
                verified.setdefault(key, AnswerCitation(  # type: ignore[arg-type]
                    title=art.title, no=art.no, quote=quote.strip(),
                    amended=art.amended.isoformat() if art.amended else None, label=f"{art.title}{art.label}"))
                return m.group(0)
            flags.append(f"已移除非逐字引文（不在 {art.title}{art.label} 原文中）：「{quote[:40]}」")
            return f"〔已移除無法核對的引文〕{marker}"

        text = _QUOTE_CITED.sub(check_quote, text)

        # 2. every citation marker must point at a retrieved article
        def check_marker(m: re.Match[str]) -> str:
            key = key_of(m.group(0))
            if key is None or key not in retrieved:
                flags.append(f"已移除未經檢索的引用：{m.group(0)}")
                return ""
            art = retrieved[key]
            if key not in verified:
                lines = best_lines(art, content_terms(self.kb.tokenizer(text)), {}, max_lines=1)
                verified[key] = cite(art, lines[-1] if lines else None)
            return m.group(0)

        text = _CITATION.sub(check_marker, text)
        return CheckResult(text=text.strip(), citations=list(verified.values()), flags=flags)


class LLMAgent:
    def __init__(self, chat_model: Any, kb: KnowledgeBase, max_steps: int = 6,
                 prompt_path: Path | None = None, k: int = 6):
        self.chat_model = chat_model
        self.kb = kb
        self.max_steps = max_steps
        self.k = k
        self.prompt = load_prompt(prompt_path or PROMPTS_DIR / "answer_system.md", required={"today", "passages"})

    def answer(self, question: str, query: str, history: list[dict[str, Any]], toolbox: ToolBox) -> Answer:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

        calls: list[ToolCall] = []
        retrieved: dict[tuple[str, str], Article] = {}

        def remember(title: str, no: str) -> None:
            art = self.kb.get_article(title, no, allowed=toolbox.allowed)
            if art is not None:
                retrieved[(art.title, art.no)] = art

        first = toolbox.call("search_regulations", {"query": query, "k": self.k})
        calls.append(first)
        passages = []
        for h in first.result or []:
            remember(h["title"], h["no"])
            passages.append(f"【{h['title']}{h['label']}】（{h.get('amended') or '日期不詳'}）\n{h['text']}")
        system = self.prompt.render(today=roc(date.today()), passages="\n\n".join(passages) or "（沒有檢索到條文）")

        messages: list[Any] = [SystemMessage(content=system)]
        for turn in history:
            messages.append(HumanMessage(content=turn["question"]))
            messages.append(AIMessage(content=str(turn["answer"].get("answer", ""))))
        messages.append(HumanMessage(content=question))

        model = self.chat_model.bind_tools(toolbox.langchain_tools())
        final = None
        for _step in range(self.max_steps):
            ai = model.invoke(messages)
            messages.append(ai)
            tool_calls = getattr(ai, "tool_calls", None) or []
            if not tool_calls:
                final = ai.content if isinstance(ai.content, str) else str(ai.content)
                break
            for tcall in tool_calls:
                tc = toolbox.call(tcall["name"], dict(tcall.get("args") or {}))
                calls.append(tc)
                if tc.error is None:
                    if tc.name == "search_regulations":
                        for h in tc.result or []:
                            remember(h["title"], h["no"])
                    elif tc.name == "get_article":
                        remember(tc.result["title"], tc.result["no"])
                    for c in (tc.result or {}).get("citations", []) if isinstance(tc.result, dict) else []:
                        remember(c["title"], c["no"])
                payload = {"error": tc.error} if tc.error else tc.result
                messages.append(ToolMessage(content=json.dumps(payload, ensure_ascii=False, default=str)[:12000],
                                            tool_call_id=tcall.get("id") or tc.name))
        flags: list[str] = []
        if final is None:
            flags.append(f"已達工具呼叫上限（{self.max_steps} 步），未產生完整回答")
            final = f"{REFUSAL_MARK}處理步驟超過上限，未能產生有依據的回答，請改用更具體的問題或洽承辦單位。"

        checked = CitationChecker(self.kb, self.kb.titles()).check(final, retrieved)
        refused = checked.text.startswith(REFUSAL_MARK)
        tool_cites = []
        for tc in calls:
            if tc.error is None and isinstance(tc.result, dict):
                for c in tc.result.get("citations") or []:
                    tool_cites.append(AnswerCitation(title=c["title"], no=c["no"], quote=c["quote"],
                                                     amended=c.get("amended"), label=c.get("label")))
        citations = [] if refused else [*tool_cites, *checked.citations]
        if not refused and not citations:
            flags.append("回答沒有任何可核對的引用，已改為拒答")
            refused = True
            checked.text = (f"{REFUSAL_MARK}模型的回答沒有可核對的條文依據，為避免誤導不予採用。"
                            "請洽本府採購諮詢專線或相關業務承辦單位。")
        return Answer(answer=checked.text, refused=refused, mode="llm", citations=citations,
                      tool_calls=[compact_search(tc) for tc in calls],
                      flags=[*flags, *checked.flags])
