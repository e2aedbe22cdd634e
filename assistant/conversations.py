"""Conversations: stored turns (any SQLAlchemy URL) and follow-up resolution.

A follow-up such as 「那押標金呢？」 or 「如果是勞務呢？」 carries only what changed. We keep the
facts of the previous turn (amount, category, topic, the laws it was about) and merge: new facts
override, missing ones are inherited, and the topic is inherited unless the follow-up names one.
State lives in the database, so several API workers can serve one conversation.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from assistant.nlu import Understanding
from knowledge.records.db import reading


class _Base(DeclarativeBase):
    pass


class ConversationRow(_Base):
    __tablename__ = "conv_conversations"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    caller: Mapped[str | None] = mapped_column(String(80), nullable=True)


class TurnRow(_Base):
    __tablename__ = "conv_turns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conv_conversations.id"), index=True)
    turn: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    resolved: Mapped[str] = mapped_column(Text)
    facts: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


@dataclass
class Facts:
    """What a turn established, carried to the next turn."""

    query: str = ""
    topic: str = ""  # the question without its facts, e.g. 「等標期幾天」
    amount: int | None = None
    category: str | None = None
    intents: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    context: str = ""  # key terms of the conversation so far, for elliptical follow-ups
    search_context: str = ""  # this turn only: earlier terms to search with (not stored)
    state: dict[str, Any] = field(default_factory=dict)  # assistant.dialogue.DialogueState of this turn

    def to_json(self) -> str:
        d = asdict(self)
        d.pop("search_context")
        return json.dumps(d, ensure_ascii=False)

    @classmethod
    def from_json(cls, s: str) -> Facts:
        d = json.loads(s)
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


_FOLLOW_UP = re.compile(r"^(?:那|那麼|那如果|如果|若|要是|假如|改成|換成|換|另外|還有|再問)|呢[？?]?$")
_STRIP = re.compile(r"^(?:那麼|那如果|那|如果是|如果|若是|若|要是|假如|改成|換成|換|另外|還有|再問)|(?:的話)?呢[？?]?$|[？?]$")
_CATEGORY_WORD = re.compile(r"工程|財物|勞務")
# the words of a question of its own (a follow-up without them only swaps the entity or a fact)
_OWN_QUESTION = re.compile(
    r"嗎|幾|多少|多久|怎麼|如何|什麼|哪|誰|是否|能否|可否|可以|可不可以|能不能|要不要|會不會|有沒有|算不算|一定要"
)


def is_follow_up(question: str, previous: Facts | None) -> bool:
    if previous is None:
        return False
    q = question.strip()
    return bool(_FOLLOW_UP.search(q)) and len(q) <= 24


ELLIPTICAL_MAX_CHARS = 25
CONTEXT_TERMS = 8


def _merge_terms(new: list[str], old: str) -> str:
    """The conversation's terms: the domain's terms (knowledge.lexicon) of this turn and the earlier ones
    first, then the other words, newest first. A follow-up's incidental words (「第一次 根本 沒有」) do not
    push the topic (監辦) out."""
    from assistant.dialogue import domain_word

    merged = list(dict.fromkeys([*new, *old.split()]))
    return " ".join(sorted(merged, key=lambda t: not domain_word(t))[:CONTEXT_TERMS])


def resolve(u: Understanding, previous: Facts | None,
            terms: Callable[[str], list[str]] | None = None) -> tuple[str, Facts]:
    """(query to answer, facts of this turn). ``u`` is the understanding of the raw question.

    ``terms`` extracts content words; with it, a short question in a conversation gets
    ``facts.search_context``: the conversation's key terms, which retrieval fuses in at a lower weight
    (「機關要幾天內回覆？」, 「要收費嗎？」 are elliptical; 「押標金最多可以收多少」 is not, and wins on its own).
    """
    query, facts = _resolve_facts(u, previous)
    if terms is None:
        return query, facts
    own = terms(facts.topic or u.text)
    if previous is not None and previous.context and len(u.text) <= ELLIPTICAL_MAX_CHARS:
        extra = [t for t in previous.context.split() if t not in query]
        facts.search_context = " ".join(extra)
    # the conversation's terms outlive a follow-up that is long enough to be searched on its own: its
    # incidental words (「第一次 根本 沒有」) must not replace the topic (監辦) for the turns after it
    facts.context = _merge_terms(own, previous.context if previous is not None else "")
    return query, facts


def _resolve_facts(u: Understanding, previous: Facts | None) -> tuple[str, Facts]:
    from core.money import format_twd

    q = u.text
    specific = [i for i in u.intents if i != "regulation"]
    if not is_follow_up(q, previous):
        return q, Facts(query=q, topic=q, amount=u.amount, category=u.category, intents=list(specific),
                        titles=previous.titles if previous else [])
    assert previous is not None
    amount = u.amount if u.amount is not None else previous.amount
    category = u.category or previous.category
    core = _STRIP.sub("", q).strip(" ，,")
    if specific or (core and not _CATEGORY_WORD.fullmatch(core) and u.amount is None and not u.category):
        topic = core  # the follow-up names a new topic: 「那押標金呢」
        # 「那如果有電子領標呢？」 asks the last question again (its calculation too); a follow-up that asks a
        # question of its own (「那這次只要有一家來投就可以開標了嗎？」) asks only what it says
        intents = list(specific) or ([] if _OWN_QUESTION.search(core) else previous.intents)
    else:
        topic = previous.topic  # only facts changed: 「如果是勞務呢」
        intents = previous.intents
        for word in ("工程", "財物", "勞務"):
            topic = topic.replace(word, "")
    parts = []
    if amount is not None:
        parts.append(f"{amount // 10000}萬" if amount % 10000 == 0 else format_twd(amount))
    if category:
        parts.append(f"的{category}採購")
    query = ("".join(parts) + " " + topic).strip()
    return query, Facts(query=query, topic=topic, amount=amount, category=category, intents=intents,
                        titles=previous.titles)


class ConversationStore:
    def __init__(self, url_or_engine: str | Engine):
        self.engine = create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        _Base.metadata.create_all(self.engine)

    def new(self, caller: str | None = None) -> str:
        cid = uuid.uuid4().hex
        with Session(self.engine) as s, s.begin():
            s.add(ConversationRow(id=cid, created_at=datetime.now(UTC).replace(tzinfo=None), caller=caller))
        return cid

    def exists(self, cid: str) -> bool:
        with reading(self.engine) as s:
            return s.get(ConversationRow, cid) is not None

    def last_facts(self, cid: str) -> Facts | None:
        with reading(self.engine) as s:
            row = s.scalars(select(TurnRow).where(TurnRow.conversation_id == cid)
                            .order_by(TurnRow.turn.desc()).limit(1)).first()
            return Facts.from_json(row.facts) if row else None

    def add_turn(self, cid: str, question: str, resolved: str, facts: Facts, answer: dict[str, Any]) -> int:
        """Append a turn; concurrent turns of one conversation are numbered one after the other."""
        with Session(self.engine) as s, s.begin():
            # a no-op write on the conversation row takes its write lock first, so two concurrent turns
            # cannot both count the same number of earlier turns
            s.execute(update(ConversationRow).where(ConversationRow.id == cid).values(caller=ConversationRow.caller))
            n = len(s.scalars(select(TurnRow.id).where(TurnRow.conversation_id == cid)).all())
            s.add(TurnRow(conversation_id=cid, turn=n + 1, question=question, resolved=resolved,
                          facts=facts.to_json(), answer=json.dumps(answer, ensure_ascii=False, default=str),
                          created_at=datetime.now(UTC).replace(tzinfo=None)))
            return n + 1

    def turns(self, cid: str) -> list[dict[str, Any]]:
        with reading(self.engine) as s:
            rows = s.scalars(select(TurnRow).where(TurnRow.conversation_id == cid).order_by(TurnRow.turn)).all()
            return [{"turn": r.turn, "question": r.question, "resolved": r.resolved,
                     "answer": json.loads(r.answer), "at": r.created_at.isoformat()} for r in rows]

    def purge(self, cutoff: datetime) -> int:
        """Delete conversations (and their turns) with no activity since ``cutoff`` (naive UTC): neither
        started nor given a turn after it. Returns how many conversations went (review F-30)."""
        last_turn = (select(TurnRow.conversation_id, func.max(TurnRow.created_at).label("at"))
                     .group_by(TurnRow.conversation_id).subquery())
        stale = (select(ConversationRow.id).outerjoin(last_turn, last_turn.c.conversation_id == ConversationRow.id)
                 .where(ConversationRow.created_at < cutoff)
                 .where((last_turn.c.at.is_(None)) | (last_turn.c.at < cutoff)))
        with Session(self.engine) as s, s.begin():
            ids = list(s.scalars(stale).all())
            for i in range(0, len(ids), 500):  # bounded IN lists
                part = ids[i:i + 500]
                s.execute(delete(TurnRow).where(TurnRow.conversation_id.in_(part)))
                s.execute(delete(ConversationRow).where(ConversationRow.id.in_(part)))
        return len(ids)
