"""Conversation state and what a turn does to it.

The state a follow-up inherits and overrides: the case facts (assistant.facts), the topic in focus (law,
chapter, article of the last answer), the entity asked about and the question frame (要多久、誰核准、
上限多少…), and the question a fact-only turn re-asks. It is persisted with each turn
(assistant.conversations) so any API worker can continue a conversation.

What a turn does (``act``):
- ``new``      a question of its own; a new topic resets topic and frame (case facts persist unless it
               describes a new case);
- ``fill``     states facts and asks nothing (「是勞務，預算大概320萬。」): re-ask the last question with them;
- ``correct``  corrects a fact (「不是勞務，是財物」, 「金額打錯了，是300萬」): re-ask and say what changed;
- ``override`` 「如果是工程呢？」: the same question with one fact changed, for this and later turns;
- ``follow``   any other follow-up (「那X呢？」 entity swap, 「那要經過誰同意？」 new frame on the same topic).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.clarify import calc_intents
from assistant.facts import CaseFacts
from assistant.models import Answer
from assistant.nlu import Understanding


def _load_table(name: str) -> list[tuple[str, re.Pattern[str]]]:
    raw = json.loads((Path(__file__).parent / "data" / name).read_text(encoding="utf-8"))
    return [(row["name"], re.compile(row["pattern"])) for row in raw["entries"]]


FRAMES = _load_table("frames.json")
FOLLOW_UP_WORDS = frozenset(
    row["word"]
    for row in json.loads((Path(__file__).parent / "data" / "follow_up_words.json").read_text(encoding="utf-8"))[
        "entries"
    ]
)

CORRECTION = re.compile(
    r"打錯|講錯|看錯|算錯|寫錯|說錯|弄錯|記錯|更正|修正一下|不對|搞錯|才對|"
    r"不是[^，,。？?]{1,10}[，,]\s*(?:是|而是|應該是)"
)
NEW_TOPIC = re.compile(
    r"^(?:換個(?:問題|話題)|另外問(?:一下|個)?|順便問(?:一下|個)?|再問(?:一個|個)?|"
    r"另一個問題|其他問題)[^，,]{0,10}[，,：:]?"
)
# asks to take the last calculation further (「還可以再縮短嗎」)
CONTINUE = re.compile(r"再|還(?:可以|能|會)|縮短|延長|一樣")
# a turn that asks something (anything after these is a question of its own)
QUESTION = re.compile(
    r"[？?]|嗎|呢|幾|多少|多久|怎麼|如何|什麼|哪|誰|是否|能否|可否|可不可以|要不要|會不會|有沒有|算不算"
)
_FILLER = re.compile(
    r"^(?:那麼|那如果|那|如果是|如果|若是|若|要是|假如|改成|換成|改為|變成)|(?:的話)?呢?[？?。！!]*$"
)
_FACT_WORDS = re.compile(
    r"預算|金額|決標|採購|大概|大約|約|總共|共|元|塊|的|是|案子|案|這個|這案|變成|改成|為|就|只有|而已|"
    r"工程|財物|勞務|公開招標|選擇性招標|限制性招標|電子領標|電子投標|緊急|萬|億|千|\d|[，,。 ]|"
    r"再加上|加上|也有|有辦|有|辦|採用|改用|用|跟|和|及"
)


@dataclass
class Topic:
    law: str | None = None
    chapter: str | None = None
    article: str | None = None


@dataclass
class DialogueState:
    facts: CaseFacts = field(default_factory=CaseFacts)
    topic: Topic = field(default_factory=Topic)
    entity: str = ""
    frame: str = ""
    question: str = ""  # the last question asked in full (a fill/correction turn re-asks it)
    pending: list[str] = field(default_factory=list)  # facts the last answer asked for (clarify)
    calc: list[str] = field(default_factory=list)  # the calculations the last question asked for

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> DialogueState:
        d = d or {}
        return cls(
            facts=CaseFacts.from_dict(d.get("facts")),
            topic=Topic(**(d.get("topic") or {})),
            entity=d.get("entity", ""),
            frame=d.get("frame", ""),
            question=d.get("question", ""),
            pending=list(d.get("pending") or []),
            calc=list(d.get("calc") or []),
        )


@dataclass
class Turn:
    """What one turn does: its act, the facts in force, what it changed, and the question to answer."""

    act: str
    facts: CaseFacts
    stated: CaseFacts
    changes: list[tuple[str, Any, Any]]
    question: str  # the question to answer (for fill/correct: the re-asked one)
    frame: str
    new_topic: bool = False
    given: CaseFacts = field(default_factory=CaseFacts)


_SWAP = re.compile(
    r"^(?:那麼|那|如果|要是|若)?(?:如果是|如果|要是|若是|是)?(?P<entity>[^，,。？?]{1,16}?)(?:的話)?呢[？?]?$"
)


def swap_entity(turn: Turn, text: str) -> str:
    """The new entity of 「那X呢？」 asked in the previous frame ("" when the turn is not such a swap)."""
    if turn.act != "follow":
        return ""
    m = _SWAP.match(text.strip())
    if not m or frame_of(m.group("entity")):
        return ""
    return m.group("entity").strip()


def frame_of(text: str) -> str:
    return next((name for name, pat in FRAMES if pat.search(text)), "")


# a two-character token that starts with a pronoun or a demonstrative is a tokenizer fragment (他前、那別)
_PRONOUN_FRAGMENT = re.compile(r"^[他她它那這此該我你].$")


def _phrasing(term: str) -> bool:
    """A question's phrasing rather than its topic: filler, frame words, pronoun fragments."""
    if term in FOLLOW_UP_WORDS or _PRONOUN_FRAGMENT.match(term):
        return True
    return any(pat.fullmatch(term) for _name, pat in FRAMES)


def topic_terms(text: str, tokenize: Callable[[str], list[str]], limit: int = 6) -> list[str]:
    """The content words of a question's topic (what later elliptical turns search with): without the
    follow-up's filler (那、如果…呢), frame words (多久、誰核准) and pronoun fragments. 「那複訓呢？」, whose
    words the tokenizer splits into single characters, keeps the short entity it names whole.

    A question with more than ``limit`` content words keeps the domain's terms (knowledge.lexicon) first,
    then its other words, each in question order. A Chinese question names its setting first and its topic
    last (「…預算300萬，開標的時候要請會計室跟政風來監辦嗎？」): its first words alone (一個、財物、採購…)
    would leave the topic (監辦) out of the terms later turns search with."""
    from assistant.evidence import content_terms

    core = _FILLER.sub("", text.strip()).strip(" ，,。？?")
    terms = list(dict.fromkeys(t for t in content_terms(tokenize(core)) if len(t) >= 2 and not _phrasing(t)))
    if not terms and re.fullmatch(r"[\u3400-\u9fff]{2,4}", core) and not frame_of(core):
        terms = [core]
    if len(terms) > limit:
        kept = set(sorted(terms, key=lambda t: not domain_word(t))[:limit])  # stable: question order
        terms = [t for t in terms if t in kept]
    return terms[:limit]


@lru_cache(maxsize=1)
def _domain_words() -> frozenset[str]:
    from knowledge.lexicon import domain_terms

    return frozenset(t.lower() for t in domain_terms())


def domain_word(term: str) -> bool:
    """A term of the domain lexicon (監辦、流標、檔案): a topic, not the setting around it."""
    return term.lower() in _domain_words()


def strip_new_topic(text: str) -> str:
    return NEW_TOPIC.sub("", text).strip() or text


def _only_facts(text: str) -> bool:
    """True when the follow-up, without its fact words, says nothing else (「如果是工程呢？」)."""
    core = _FILLER.sub("", text.strip())
    return not _FACT_WORDS.sub("", core).strip()


def classify(u: Understanding, stated: CaseFacts, prev: DialogueState | None) -> str:
    text = u.text.strip()
    if prev is None or not prev.question:
        return "new"
    if NEW_TOPIC.search(text):
        return "new"
    has_facts = not stated.is_empty()
    if CORRECTION.search(text) and (has_facts or re.search(r"\d", text)):
        return "correct"
    if not QUESTION.search(text) and (has_facts or prev.pending):
        return "fill"
    if has_facts and prev.calc and not calc_intents(u) and CONTINUE.search(text):
        return "fill"  # 「算緊急情事，還可以再縮短嗎？」: the last calculation again, with the new fact
    if has_facts and _only_facts(text):
        return "override"
    if re.match(r"^(?:那|那麼|如果|若|要是|假如)", text) or len(text) <= 25:
        return "follow"
    return "new"


def step(u: Understanding, stated: CaseFacts, given: CaseFacts, prev: DialogueState | None) -> Turn:
    """Decide this turn's act and the facts in force (given > stated > inherited)."""
    act = classify(u, stated, prev)
    before = prev.facts if prev else CaseFacts()
    new_case = act == "new" and stated.amount is not None
    base = CaseFacts() if new_case else before
    facts = base.merged(stated).merged(given)
    changes = before.changes(facts) if act in ("correct", "override", "fill") or not given.is_empty() else []
    question = u.text
    if act in ("fill", "correct", "override") and prev is not None:
        question = prev.question
    elif act == "new":
        question = strip_new_topic(u.text)
    frame = frame_of(u.text) or (prev.frame if prev and act != "new" else "")
    return Turn(
        act=act,
        facts=facts,
        stated=stated,
        changes=changes,
        question=question,
        frame=frame,
        new_topic=act == "new" and prev is not None,
        given=given,
    )


# --- re-asking a question with other facts -------------------------------------------------------------
_QUANTITY = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(人|名|年|日|天|個月|小時|次|公尺|平方公尺|層|樓)")


def _amount_zh(n: int) -> str:
    from core.money import format_twd

    return f"{n // 10000}萬" if n % 10000 == 0 else format_twd(n)


def restate(question: str, old: CaseFacts, new: CaseFacts) -> str:
    """``question`` as if it had stated ``new`` instead of ``old`` (amount and category words)."""
    from assistant.nlu import _AMOUNT, extract_amounts, extract_category

    out = question
    if new.amount is not None and new.amount != old.amount:
        replaced = False
        for m in list(_AMOUNT.finditer(out)):
            if extract_amounts(m.group(0)) == [old.amount] and old.amount is not None:
                out = out.replace(m.group(0), _amount_zh(new.amount), 1)
                replaced = True
                break
        if not replaced:
            out = f"預算{_amount_zh(new.amount)}，{out}"
    if new.category and new.category != old.category:
        if old.category and old.category in out:
            out = out.replace(old.category, new.category)
        if extract_category(out) != new.category:
            out = f"{new.category}採購，{out}"
    return out


def restate_numbers(question: str, correction: str) -> str:
    """A corrected quantity (「其實有65人」, 「原定年限是25年」) replaces the quantity of the same unit in the
    question it corrects; a correction without one is added to the question."""
    out = question
    found = False
    for m in _QUANTITY.finditer(correction):
        unit = m.group(2)
        old = next((x for x in _QUANTITY.finditer(out) if x.group(2) == unit), None)
        if old is not None:
            out = out[: old.start(1)] + m.group(1) + out[old.end(1) :]
            found = True
    return out if found else f"{question} {correction}"


def apply_facts(u: Understanding, facts: CaseFacts) -> None:
    """Give the planner the facts in force (the calculators read them from the understanding)."""
    if facts.amount is not None:
        u.amounts = [facts.amount, *[a for a in u.amounts if a != facts.amount]]
    u.category = facts.category  # None when unknown: everyday words alone do not make a category
    if u.method is None and facts.method == "公開取得報價單":
        u.method = "公開取得書面報價或企劃書(第49條)"
    if facts.e_tendering is not None:
        u.electronic_download = facts.e_tendering
        u.electronic_bid = bool(facts.e_tendering and facts.electronic_bid)
    if facts.urgent is not None:
        u.urgent = facts.urgent
    if facts.retender is not None:
        u.retender = facts.retender


# --- what the answer says about the facts, and the state the next turn inherits -------------------------
_CALC_TOOLS = ("procurement_tier", "tender_period", "bid_bond_and_guarantees", "procurement_amount")


def _with_line(text: str, line: str, *, top: bool) -> str:
    if top:
        return f"{line}\n\n{text}"
    lines = text.rstrip().split("\n")
    if lines and lines[-1].startswith("※"):
        return "\n".join([*lines[:-1], line, "", lines[-1]])
    return f"{text.rstrip()}\n\n{line}"


def finish(answer: Answer, turn: Turn, u: Understanding, clarify: str | None) -> None:
    """Say which facts the answer assumed and what a correction changed; add the question back."""
    from assistant.facts import changes_line, facts_line

    computed = any(tc.name in _CALC_TOOLS and tc.error is None for tc in answer.tool_calls)
    stated = set(turn.stated.known())
    given = [k for k in turn.given.known() if k not in stated]
    inherited = [k for k in turn.facts.known() if k not in stated and k not in given]
    notes = []
    if turn.changes and turn.act == "correct":
        notes.append(f"已依更正重新計算（{changes_line(turn.changes)}）。")
    elif turn.changes and computed:
        notes.append(f"改以新的案情重新計算（{changes_line(turn.changes)}）。")
    if computed and given:
        notes.append(f"（本答案依指定的案情：{facts_line(turn.facts, given)}）")
    if computed and inherited:
        notes.append(f"（本答案沿用對話中的案情：{facts_line(turn.facts, inherited)}）")
    if notes and not answer.refused:
        answer.answer = _with_line(answer.answer, "".join(notes), top=True)
    if clarify and not answer.refused:
        answer.answer = _with_line(answer.answer, f"【請補充】{clarify}", top=False)
    answer.clarify = clarify if not answer.refused else None
    uses = computed or bool(stated) or bool(given)
    answer.facts = turn.facts.known() if uses and not turn.facts.is_empty() else None


def next_state(turn: Turn, query: str, u: Understanding, answer: Answer, missing: list[str]) -> DialogueState:
    first = answer.citations[0] if answer.citations else None
    topic = Topic(law=first.title, article=first.no) if first else Topic()
    return DialogueState(
        facts=turn.facts,
        topic=topic,
        entity="",
        frame=turn.frame,
        question=query,
        pending=list(missing),
        calc=sorted(calc_intents(u)),
    )


def prefer_naming(hits: list[dict[str, Any]], terms: list[str]) -> list[dict[str, Any]]:
    """Hits that name more of the swapped-in entity's terms first (stable otherwise): 「那AED呢？」 after a
    question about 消防安全設備 is about the articles that say AED, not the ones the context pulls in."""
    low = [t.lower() for t in terms if t.strip()]
    if not low:
        return hits

    def named(h: dict[str, Any]) -> int:
        hay = f"{h.get('title', '')}{h.get('text', '')}".lower()
        return sum(1 for t in low if t in hay)

    return sorted(hits, key=lambda h: -named(h))


def shared_context(context: str, hit: dict[str, Any]) -> str:
    """The conversation's terms that ``hit`` (the article an entity swap moved to) contains as well."""
    hay = f"{hit.get('title', '')}{hit.get('text', '')}".lower()
    return " ".join(w for w in context.split() if w.lower() in hay)
