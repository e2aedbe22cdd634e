"""The assistant facade used by every edge (CLI, API, UI, evals): ask, stream, draft."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, Protocol

from assistant.composer import Composer
from assistant.conversations import ConversationStore, Facts, resolve
from assistant.models import Answer, ToolCall, compact_search
from assistant.nlu import Understanding, understand
from assistant.planner import RulePlanner
from assistant.tools import ToolBox
from knowledge.access import allowed_levels

MAX_QUESTION_CHARS = 2000


class AskError(ValueError):
    """Bad input to ask(); the message is zh-TW."""


class LLMAgentLike(Protocol):
    def answer(self, question: str, query: str, history: list[dict[str, Any]], toolbox: ToolBox) -> Answer: ...


class Assistant:
    def __init__(self, toolbox: ToolBox, composer: Composer, conversations: ConversationStore,
                 planner: RulePlanner | None = None, llm_agent: LLMAgentLike | None = None,
                 drafter: Callable[..., Answer] | None = None):
        self.toolbox = toolbox
        self.composer = composer
        self.conversations = conversations
        self.planner = planner or RulePlanner()
        self.llm_agent = llm_agent
        self.drafter = drafter

    def _terms(self, text: str) -> list[str]:
        from assistant.evidence import content_terms

        return [t for t in content_terms(self.toolbox.kb.tokenizer(text)) if len(t) >= 2][:6]

    @property
    def mode(self) -> str:
        return "llm" if self.llm_agent is not None else "extractive"

    def ask(self, question: str, conversation_id: str | None = None, role: str | None = None,
            as_of: date | None = None) -> Answer:
        t0 = time.perf_counter()
        q = (question or "").strip()
        if not q:
            raise AskError("問題是空的，請輸入要查詢的內容")
        if len(q) > MAX_QUESTION_CHARS:
            raise AskError(f"問題太長（{len(q)} 字），請精簡到 {MAX_QUESTION_CHARS} 字以內")
        allowed = allowed_levels(role)
        tools = self.toolbox.with_access(allowed)
        cid = conversation_id or self.conversations.new(caller=role)
        if conversation_id and not self.conversations.exists(conversation_id):
            raise AskError(f"找不到對話 {conversation_id}，請開新對話")
        previous = self.conversations.last_facts(cid)
        u = understand(q)
        query, facts = resolve(u, previous, terms=self._terms)
        if query != u.text:
            merged = understand(query)
            merged.intents = [*facts.intents, "regulation"]
            u = merged

        if "draft" in u.intents and self.drafter is not None:
            answer = self.drafter(question=q, understanding=u, toolbox=tools)
        elif self.llm_agent is not None:
            history = self.conversations.turns(cid)[-4:]
            answer = self.llm_agent.answer(q, query, history, tools)
        else:
            answer = self._extractive(q, query, u, tools, allowed, as_of, context=facts.search_context)

        facts.titles = list(dict.fromkeys(c.title for c in answer.citations))[:3]
        answer.conversation_id = cid
        answer.latency_ms = round((time.perf_counter() - t0) * 1000, 1)
        self.conversations.add_turn(cid, q, query, facts, answer.contract())
        return answer

    def _extractive(self, question: str, query: str, u: Understanding, tools: ToolBox, allowed: Any,
                    as_of: date | None = None, context: str = "") -> Answer:
        calls: list[ToolCall] = []
        hits: list[dict[str, Any]] = []
        if u.expansion is not None or u.monthly_rent is not None:
            # 採購金額 per 施行細則第6條 first: the tier and the figures rest on it
            tc = tools.call("procurement_amount", {
                "budget": u.amount if u.monthly_rent is None else 0,
                "optional_or_expansion": u.expansion or 0,
                "monthly_rent_indefinite_term": u.monthly_rent})
            calls.append(tc)
            if tc.error is None and isinstance(tc.result, dict):
                u.amounts = [int(tc.result["details"]["amount"])]
        for planned in self.planner.plan(u, query):
            if as_of is not None and planned.name in ("search_regulations", "procurement_tier", "tender_period",
                                                      "bid_bond_and_guarantees"):
                planned.args["as_of" if planned.name == "search_regulations" else "on"] = as_of.isoformat()
            if planned.name == "search_regulations" and context:
                planned.args["context"] = context
            tc = tools.call(planned.name, planned.args)
            if planned.name == "search_regulations":
                if tc.error is None and isinstance(tc.result, list):
                    hits = tc.result
                tc = compact_search(tc)
            calls.append(tc)
        # an elliptical follow-up is judged (domain, support) together with the conversation's terms
        judged = f"{query} {context}".strip()
        return self.composer.compose(question, judged, calls, hits, allowed=allowed, as_of=as_of)

    def draft(self, kind: str, case: dict[str, Any] | None = None, request: str | None = None, *,
              subject: str | None = None, purpose: str | list[str] | None = None,
              recipient: str | None = None) -> Answer:
        """A draft (投標須知 / 函 / 簽) from explicit case fields; missing ones are listed as 待補."""
        direct = getattr(self.drafter, "direct", None)
        if direct is None:
            raise AskError("擬稿功能未啟用")
        try:
            return direct(kind, case, request, subject=subject, purpose=purpose, recipient=recipient)
        except ValueError as e:
            raise AskError(str(e)) from e

    def stream(self, question: str, conversation_id: str | None = None, role: str | None = None,
               as_of: date | None = None) -> Iterator[dict[str, Any]]:
        """Server-sent-event payloads: status, then the answer text in pieces, then the full answer."""
        yield {"event": "status", "data": {"message": "檢索與計算中…"}}
        answer = self.ask(question, conversation_id, role, as_of=as_of)
        text = answer.answer
        for i in range(0, len(text), 40):
            yield {"event": "delta", "data": {"text": text[i:i + 40]}}
        yield {"event": "answer", "data": answer.model_dump(mode="json")}

    def history(self, conversation_id: str) -> list[dict[str, Any]]:
        return self.conversations.turns(conversation_id)


__all__ = ["Assistant", "AskError", "Facts"]
