"""What kind of answer a question wants (time, date, place, person, office, phone, amount, count, duration,
vendor, yes/no, procedure, definition, list, condition), whether a line of text carries that kind, and whether
it holds the value itself (a figure, a clock time, a month; ``values``).

Both come from ``assistant/data/answer_types.json`` (patterns with a reason each). A "specific" kind (a phone
number, a clock time, a place, a person, a calendar date, a vendor) is a value that only a directory, a
notice or the records hold; regulations state roles, periods and rules instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "answer_types.json"
# yes/no patterns that only mark a statement to be judged (exam style), not a question clause
_STATEMENT_ONLY = frozenset({"[。，]$"})


@dataclass(frozen=True)
class AnswerKind:
    name: str
    asks: tuple[re.Pattern[str], ...]
    carries: tuple[re.Pattern[str], ...]
    values: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class AnswerTypes:
    kinds: tuple[AnswerKind, ...]
    specific: frozenset[str]

    def classify(self, question: str) -> str:
        """The first kind (in the table's order) whose question pattern matches; 'yesno' when none does."""
        q = question.strip()
        for k in self.kinds:
            if any(p.search(q) for p in k.asks):
                return k.name
        return "yesno"

    def carries(self, kind: str, text: str) -> bool:
        """Does ``text`` hold an answer of this kind? Kinds without value patterns are carried by any line."""
        k = next((x for x in self.kinds if x.name == kind), None)
        if k is None or not k.carries:
            return True
        return any(p.search(text) for p in k.carries)

    def is_specific(self, kind: str) -> bool:
        return kind in self.specific

    def wants_value(self, kind: str) -> bool:
        """The kind is a concrete value (a figure, a clock time, a month, a count with its unit)."""
        return any(x.name == kind and x.values for x in self.kinds)

    def holds_value(self, kind: str, text: str) -> bool:
        """Does ``text`` hold the value itself (「百分之五」, 「七日」), not only a word for it (「金額」, 「期限」)?
        Kinds that want no value are held by any text."""
        k = next((x for x in self.kinds if x.name == kind), None)
        if k is None or not k.values:
            return True
        return any(p.search(text) for p in k.values)

    def strip_asks(self, text: str) -> str:
        """``text`` without its question phrasing (every kind's question pattern removed)."""
        for k in self.kinds:
            for p in k.asks:
                text = p.sub("", text)
        return text

    def asks_something(self, clause: str) -> bool:
        """Does the clause ask (any kind's question pattern matches), rather than only state the situation?"""
        c = clause.strip()
        return any(p.search(c) for k in self.kinds for p in k.asks if p.pattern not in _STATEMENT_ONLY)


@lru_cache(maxsize=1)
def answer_types(path: Path = DATA) -> AnswerTypes:
    data = json.loads(path.read_text(encoding="utf-8"))
    kinds = []
    for t in data["types"]:
        if not str(t.get("reason", "")).strip():
            raise ValueError(f"answer_types.json: {t.get('type')} has no reason")
        kinds.append(
            AnswerKind(
                name=t["type"],
                asks=tuple(re.compile(p) for p in t["asks"]),
                carries=tuple(re.compile(p) for p in t.get("carries", [])),
                values=tuple(re.compile(p) for p in t.get("values", [])),
            )
        )
    names = {k.name for k in kinds}
    for name, reason in data["specific"].items():
        if name not in names or not reason.strip():
            raise ValueError(f"answer_types.json: specific kind {name} unknown or without reason")
    return AnswerTypes(kinds=tuple(kinds), specific=frozenset(data["specific"]))
