"""The assistant facade used by every edge (CLI, API, UI, evals): ask, stream, draft."""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from assistant import dialogue
from assistant.calculators import AmountResult
from assistant.clarify import clarify_line, missing_facts, tier_table_calls
from assistant.composer import Composer
from assistant.conversations import ConversationStore, Facts, resolve
from assistant.dialogue import DialogueState
from assistant.drafting.service import DraftingService, DraftRequest
from assistant.facts import given_facts, stated_facts
from assistant.models import Answer, ToolCall, compact_search
from assistant.nlu import Understanding, asks_tier, understand
from assistant.planner import PlannedCall, RulePlanner
from assistant.record_answers import RECORD_TOOLS
from assistant.routing import route
from assistant.threshold_answer import threshold_calls
from assistant.tool_results import Calculation, SearchResult
from assistant.tools import ToolBox
from core.access import allowed_levels
from core.policy import Capability, denial, permits

MAX_QUESTION_CHARS = 2000


class AskError(ValueError):
    """Bad input to ask(); the message is zh-TW."""


class LLMAgentLike(Protocol):
    def answer(self, question: str, query: str, history: list[dict[str, Any]], toolbox: ToolBox) -> Answer: ...

    def stream(self, question: str, query: str, history: list[dict[str, Any]],
               toolbox: ToolBox) -> Iterator[dict[str, Any] | Answer]: ...


@dataclass
class _Turn:
    """One question on its way through ``ask``/``stream``."""

    t0: float
    q: str
    cid: str
    role: str | None
    allowed: Any
    tools: ToolBox
    u0: Understanding  # the question as asked
    u: Understanding  # what the planner routes on (follow-ups resolved, facts applied)
    query: str
    facts: Facts  # what this turn leaves for the next
    turn: dialogue.Turn


class Assistant:
    def __init__(self, toolbox: ToolBox, composer: Composer, conversations: ConversationStore,
                 planner: RulePlanner | None = None, llm_agent: LLMAgentLike | None = None,
                 drafter: DraftingService | None = None):
        self.toolbox = toolbox
        self.composer = composer
        self.conversations = conversations
        self.planner = planner or RulePlanner()
        self.llm_agent = llm_agent
        self.drafter = drafter

    def _terms(self, text: str) -> list[str]:
        return dialogue.topic_terms(text, self.toolbox.kb.tokenizer)

    @property
    def mode(self) -> str:
        return "llm" if self.llm_agent is not None else "extractive"

    def ask(self, question: str, conversation_id: str | None = None, role: str | None = None,
            as_of: date | None = None, facts: dict[str, Any] | None = None) -> Answer:
        """Answer ``question`` in the conversation ``conversation_id`` (a new one when None); ``facts``
        (amount, category, method, e_tendering, urgent, retender) override the conversation's case facts."""
        t = self._begin(question, conversation_id, role, facts)
        agent = self._agent_for(t)
        if agent is not None:
            answer = agent.answer(t.q, t.query, self.conversations.turns(t.cid)[-4:], t.tools)
        else:
            answer = self._answer(t, as_of)
        return self._end(t, answer)

    def _begin(self, question: str, conversation_id: str | None, role: str | None,
               facts: dict[str, Any] | None) -> _Turn:
        """Check the question, open or continue the conversation, and work out what this turn asks."""
        t0 = time.perf_counter()
        q = (question or "").strip()
        if not q:
            raise AskError("問題是空的，請輸入要查詢的內容")
        if len(q) > MAX_QUESTION_CHARS:
            raise AskError(f"問題太長（{len(q)} 字），請精簡到 {MAX_QUESTION_CHARS} 字以內")
        try:
            given = given_facts(facts)
        except ValueError as e:
            raise AskError(str(e)) from e
        allowed = allowed_levels(role)
        tools = self.toolbox.for_role(role)
        cid = conversation_id or self.conversations.new(caller=role)
        if conversation_id and not self.conversations.exists(conversation_id):
            raise AskError(f"找不到對話 {conversation_id}，請開新對話")
        previous = self.conversations.last_facts(cid)
        # the caller's documents only (review F-05), and the words of the records its role may read
        vocab = self.toolbox.kb.vocabulary(allowed) | tools.record_vocabulary()
        u0 = understand(q, vocab)
        prev_state = DialogueState.from_dict(previous.state) if previous and previous.state else None
        stated = stated_facts(u0)
        u0.category = stated.category
        turn = dialogue.step(u0, stated, given, prev_state)
        query, state_facts, u = self._resolve(turn, u0, previous, prev_state, vocab)
        dialogue.apply_facts(u, turn.facts)
        u.calc_frame = bool(prev_state and prev_state.calc and dialogue.swap_entity(turn, u0.text))
        return _Turn(t0, q, cid, role, allowed, tools, u0, u, query, state_facts, turn)

    def _agent_for(self, t: _Turn) -> LLMAgentLike | None:
        """The LLM agent when it answers this turn (a drafting request goes to the drafter in either mode)."""
        if "draft" in t.u.intents and self.drafter is not None:
            return None
        return self.llm_agent

    def _answer(self, t: _Turn, as_of: date | None) -> Answer:
        """A drafting request, or the extractive answer."""
        if "draft" in t.u.intents and self.drafter is not None:
            if not permits(t.role, Capability.drafting):
                return Answer(answer=denial(t.role, Capability.drafting) + "；如需草稿，請洽業務承辦同仁。", refused=True)
            return self.drafter.chat(t.q, t.u, t.tools)
        entity = dialogue.swap_entity(t.turn, t.u0.text)
        return self._extractive(t.q, t.query, t.u, t.tools, t.allowed, as_of, context=t.facts.search_context,
                                prefer=self._terms(entity) if entity else None)

    def _end(self, t: _Turn, answer: Answer) -> Answer:
        """The clarifying question, the conversation's next state, and the stored turn."""
        missing = missing_facts(t.u, t.turn.facts, answer.tool_calls)
        dialogue.finish(answer, t.turn, t.u, clarify_line(missing))
        t.facts.titles = list(dict.fromkeys(c.title for c in answer.citations))[:3]
        t.facts.state = dialogue.next_state(t.turn, t.query, t.u, answer, missing).to_dict()
        answer.conversation_id = t.cid
        answer.latency_ms = round((time.perf_counter() - t.t0) * 1000, 1)
        self.conversations.add_turn(t.cid, t.q, t.query, t.facts, answer.contract())
        return answer

    def _resolve(self, turn: dialogue.Turn, u0: Understanding, previous: Facts | None,
                 prev_state: DialogueState | None, vocab: frozenset[str]) -> tuple[str, Facts, Understanding]:
        """(query to answer, what this turn leaves for the next, the understanding the planner routes on)."""
        if turn.act in ("fill", "correct", "override") and prev_state is not None:
            text = dialogue.restate(turn.question, prev_state.facts, turn.facts)
            if turn.act == "correct" and not turn.changes:
                text = dialogue.restate_numbers(text, u0.text)
            u = understand(text, vocab)
            return text, Facts(query=text, topic=text, amount=turn.facts.amount, category=turn.facts.category,
                               intents=[i for i in u.intents if i != "regulation"],
                               titles=previous.titles if previous else [],
                               context=previous.context if previous else ""), u
        base = understand(turn.question, vocab) if turn.question != u0.text else u0
        query, facts = resolve(base, None if turn.new_topic else previous, terms=self._terms)
        if query == base.text:
            return query, facts, base
        merged = understand(query, vocab)
        merged.intents = [*facts.intents, "regulation"]
        return query, facts, merged

    def _extractive(self, question: str, query: str, u: Understanding, tools: ToolBox, allowed: Any,
                    as_of: date | None = None, context: str = "", prefer: list[str] | None = None) -> Answer:
        """``prefer``: the terms of the entity an 「那X呢？」 follow-up asks about; articles naming it come first."""
        calls: list[ToolCall] = []
        hits: list[dict[str, Any]] = []
        for name, args in tier_table_calls(u):  # no amount yet: what is known (every tier's period)
            calls.append(tools.call(name, args))
        for name, args in threshold_calls(u):  # a threshold asked directly: its figure from the table
            calls.append(tools.call(name, args))
        if u.expansion is not None or u.monthly_rent is not None:
            # 採購金額 per 施行細則第6條 first: the tier and the figures rest on it
            tc = tools.call("procurement_amount", {
                "budget": u.amount if u.monthly_rent is None else 0,
                "optional_or_expansion": u.expansion or 0,
                "monthly_rent_indefinite_term": u.monthly_rent})
            calls.append(tc)
            if isinstance(tc.result, Calculation) and isinstance(tc.result.value, AmountResult):
                u.amounts = [tc.result.value.details.amount]
        for planned in self._with_records(self.planner.plan(u, query), u, tools):
            if as_of is not None and planned.name in ("search_regulations", "procurement_tier", "tender_period",
                                                      "bid_bond_and_guarantees"):
                planned.args["as_of" if planned.name == "search_regulations" else "on"] = as_of.isoformat()
            if planned.name == "search_regulations" and context:
                planned.args["context"] = context
            tc = tools.call(planned.name, planned.args)
            if planned.name == "search_regulations":
                if isinstance(tc.result, SearchResult):
                    found = tc.result.hit_dicts()
                    hits = dialogue.prefer_naming(found, prefer) if prefer else found
                tc = compact_search(tc)
            calls.append(tc)
        if not asks_tier(u):  # the figure asked for leads; the tier it rests on follows
            calls.sort(key=lambda tc: tc.name == "procurement_tier")
        # an elliptical follow-up is judged (domain, support) together with the conversation's terms; after an
        # entity swap (「那AED呢？」) only with those the swapped-in entity's article shares: the others name
        # the entity it replaced
        if prefer and hits:
            context = dialogue.shared_context(context, hits[0])
        judged = f"{query} {context}".strip()
        return self.composer.compose(question, judged, calls, hits, allowed=allowed, as_of=as_of)

    def _with_records(self, planned: list[PlannedCall], u: Understanding, tools: ToolBox) -> list[PlannedCall]:
        """The record calls the question asks for (assistant.routing) replace the planner's pattern-based
        record calls; the statistics report and the regulation search stay."""
        r = route(u.text, tools.record_catalog(), tools.today())
        if r is None:
            return planned
        keep = [p for p in planned if p.name not in RECORD_TOOLS or p.name == "failed_tender_report"]
        return [PlannedCall(name, args) for name, args in r.calls] + keep

    def draft(self, kind: str, case: dict[str, Any] | None = None, request: str | None = None, *,
              subject: str | None = None, purpose: str | list[str] | None = None,
              recipient: str | None = None) -> Answer:
        """A draft (投標須知 / 函 / 簽) from explicit case fields; missing ones are listed as 待補."""
        if self.drafter is None:
            raise AskError("擬稿功能未啟用")
        try:
            return self.drafter.direct(DraftRequest(kind, case=case or {}, subject=subject, purpose=purpose,
                                                    recipient=recipient))
        except ValueError as e:
            raise AskError(str(e)) from e

    def stream(self, question: str, conversation_id: str | None = None, role: str | None = None,
               as_of: date | None = None, facts: dict[str, Any] | None = None) -> Generator[dict[str, Any], None, None]:
        """Server-sent-event payloads: status, the answer text, then the full answer.

        In LLM mode the ``delta`` events are the model's text as it writes (``status`` events name the
        tools it calls), and the final ``answer`` carries the checked text, which replaces what was
        streamed. The extractive answer is ready at once and comes as one ``delta`` and the ``answer``."""
        yield {"event": "status", "data": {"message": "檢索與計算中…"}}
        t = self._begin(question, conversation_id, role, facts)
        answer: Answer | None = None
        agent = self._agent_for(t)
        if agent is not None:
            for ev in agent.stream(t.q, t.query, self.conversations.turns(t.cid)[-4:], t.tools):
                if isinstance(ev, Answer):
                    answer = ev
                else:
                    yield ev
            if answer is None:
                raise RuntimeError("LLM agent ended without an answer")
            answer = self._end(t, answer)
        else:
            # The clarifying line is part of the answer, so the one delta is the finished text.
            answer = self._end(t, self._answer(t, as_of))
            yield {"event": "delta", "data": {"text": answer.answer}}
        yield {"event": "answer", "data": answer.model_dump(mode="json")}

    def history(self, conversation_id: str) -> list[dict[str, Any]]:
        return self.conversations.turns(conversation_id)


__all__ = ["Assistant", "AskError", "Facts"]
