"""Procurement case facts: what a question states, what a conversation knows, and what an answer assumed.

The six facts of docs/DESIGN.md's answer object — amount, category, method, e_tendering, urgent,
retender — extracted exactly from a question (via assistant.nlu), merged across the turns of a
conversation, overridden by the API's ``facts`` object, and written back as one zh-TW line.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from assistant.nlu import Understanding
from core.money import short_twd
from core.vocab import Category

FACT_KEYS: tuple[str, ...] = ("amount", "category", "method", "e_tendering", "urgent", "retender")
FACT_LABELS: dict[str, str] = {
    "amount": "金額",
    "category": "類別",
    "method": "招標方式",
    "e_tendering": "電子領投標",
    "urgent": "緊急情事",
    "retender": "流標後重行招標",
}
CATEGORIES: tuple[Category, ...] = ("工程", "財物", "勞務")

# method words as people say them -> the method name stated back (data: one reason per entry)
_METHOD_WORDS: list[tuple[str, re.Pattern[str]]] = [
    # 選擇性招標 is its own method (政府採購法第18條第3項), with its own periods (招標期限標準第3條)
    ("選擇性招標", re.compile(r"選擇性招標")),
    # 限制性招標 (政府採購法第22條) including 議價/比價, which are how it is run
    ("限制性招標", re.compile(r"限制性招標|議價|比價")),
    # 公開取得書面報價或企劃書 (政府採購法第49條); staff say 公開取得報價單
    ("公開取得報價單", re.compile(r"公開取得(?:書面)?報價|公開取得企劃書")),
    # 公開招標 (政府採購法第18條第2項); 上網公告 alone is not a method (報價單 is posted too)
    ("公開招標", re.compile(r"公開招標")),
]
_E_TENDERING = re.compile(r"電子領標|電子投標|電子報價")
_NOT_E_TENDERING = re.compile(r"(?:沒有|沒|不|未|無)(?:辦|提供|採|用)?(?:電子領標|電子投標)")
_NOT_URGENT = re.compile(r"(?:不|沒有|非|並非|不是)(?:算)?(?:緊急|急件)")


@dataclass
class CaseFacts:
    """Known facts of a procurement case; None = not known."""

    amount: int | None = None
    category: Category | None = None
    method: str | None = None
    e_tendering: bool | None = None
    urgent: bool | None = None
    retender: bool | None = None
    electronic_bid: bool | None = None  # internal: 電子投標 as well as 電子領標 (招標期限標準第9條)

    def known(self) -> dict[str, Any]:
        """The contract form: the six facts that are known."""
        return {k: getattr(self, k) for k in FACT_KEYS if getattr(self, k) is not None}

    def is_empty(self) -> bool:
        return not self.known()

    def merged(self, newer: CaseFacts) -> CaseFacts:
        """These facts with every fact ``newer`` knows replacing ours."""
        out = CaseFacts(**asdict(self))
        for f in fields(self):
            v = getattr(newer, f.name)
            if v is not None:
                setattr(out, f.name, v)
        return out

    def changes(self, newer: CaseFacts) -> list[tuple[str, Any, Any]]:
        """(key, old, new) for each contract fact ``newer`` states differently from ours."""
        return [
            (k, getattr(self, k), getattr(newer, k))
            for k in FACT_KEYS
            if getattr(newer, k) is not None
            and getattr(self, k) is not None
            and getattr(newer, k) != getattr(self, k)
        ]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> CaseFacts:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (d or {}).items() if k in names})


# 「不是勞務，是財物」: the fact stated is the one after 是
_NOT_BUT = re.compile(r"不是[^，,。]{0,12}[，,]?\s*(?:而是|應該是|是|改成|改為)(?P<tail>.+)")
# everyday words (設備, 服務, 買) name a category only when the question is about a procurement
_PROCUREMENT_CONTEXT = re.compile(r"採購|預算|金額|招標|投標|標案|案子|決標|押標金|保證金|等標期|廠商|萬|元")


def _category(u: Understanding) -> Category | None:
    from assistant.nlu import extract_category

    m = _NOT_BUT.search(u.text)
    text = m.group("tail") if m else u.text
    explicit = next((c for c in CATEGORIES if re.search(rf"(?<![非不]){c}", text)), None)
    if explicit is not None:
        return explicit
    return extract_category(text) if _PROCUREMENT_CONTEXT.search(u.text) else None


def stated_facts(u: Understanding) -> CaseFacts:
    """The facts a question states itself (nothing inherited)."""
    text = u.text
    f = CaseFacts(amount=u.amount, category=_category(u))
    f.method = next((name for name, pat in _METHOD_WORDS if pat.search(text)), None)
    if _NOT_E_TENDERING.search(text):
        f.e_tendering = False
    elif _E_TENDERING.search(text):
        f.e_tendering = True
        f.electronic_bid = True if u.electronic_bid else None
    if _NOT_URGENT.search(text):
        f.urgent = False
    elif u.urgent:
        f.urgent = True
    if u.retender or re.search(r"流標|廢標", text) and re.search(r"第二次|再|重新|重行", text):
        f.retender = True
    return f


def given_facts(d: dict[str, Any] | None) -> CaseFacts:
    """Facts given explicitly (the API's ``facts`` object), validated."""
    if not d:
        return CaseFacts()
    f = CaseFacts.from_dict({k: v for k, v in d.items() if k in FACT_KEYS})
    if f.amount is not None and (
        not isinstance(f.amount, int) or isinstance(f.amount, bool) or f.amount <= 0
    ):
        raise ValueError("facts.amount 須為正整數（新臺幣元）")
    if f.category is not None and f.category not in CATEGORIES:
        raise ValueError("facts.category 須為 工程、財物 或 勞務")
    for k in ("e_tendering", "urgent", "retender"):
        if getattr(f, k) is not None and not isinstance(getattr(f, k), bool):
            raise ValueError(f"facts.{k} 須為 true 或 false")
    if f.method is not None and (not isinstance(f.method, str) or not f.method.strip()):
        raise ValueError("facts.method 須為招標方式名稱，例如 公開招標")
    return f


def fact_value_zh(key: str, value: Any) -> str:
    if key == "amount":
        return short_twd(int(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def facts_line(facts: CaseFacts, keys: list[str] | None = None) -> str:
    """「金額 3,000萬元、類別 勞務」 for the given keys (default: every known fact)."""
    known = facts.known()
    return "、".join(
        f"{FACT_LABELS[k]} {fact_value_zh(k, known[k])}" for k in (keys or list(known)) if k in known
    )


def changes_line(changes: list[tuple[str, Any, Any]]) -> str:
    return "、".join(
        f"{FACT_LABELS[k]} {fact_value_zh(k, old)} → {fact_value_zh(k, new)}" for k, old, new in changes
    )
