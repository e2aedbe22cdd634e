"""Record filters a question states in its own words, read against the records' schema and values.

* :func:`stated_status` — a status the records derive from dates (a suspension is 停權中, 已解除 or 尚未開始
  on the day asked about), from the phrases of ``assistant/data/record_statuses.json`` (one reason each;
  the longest phrase found decides).
* :func:`record_fragment` — the longest stretch of a recorded free-text value (an AED's check result, a
  drill's findings) that the question repeats, allowing the few extra characters staff put in between
  (電極片已經過期 repeats 電極片過期 of 「電極片過期，已申請更換」). The fragment is the records' own text, so
  a substring filter on that column finds the rows that hold it.
* :func:`record_vocabulary` — the words of the records a role may read (statuses, methods, result words,
  places, kinds), so the typo fixer (knowledge.thesaurus.correct_typos: fix only when the typed form is not
  a known word and the fix is) also knows record words the regulations never use (不合格 of an inspection
  result).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from knowledge.records.results import RecordCatalog
from knowledge.records.vocab import EVENT_KINDS, METHODS, STATUSES, SUSPENSION_STATUSES

STATUS_DATA = Path(__file__).resolve().parent / "data" / "record_statuses.json"
_CLAUSE = re.compile(r"[，,、；;。：:（）()「」『』\s/]+")
_SAMPLE_MARK = re.compile(r"（範例(?:資料)?）|\(範例\)")


@lru_cache(maxsize=4)
def status_phrases(path: Path = STATUS_DATA) -> dict[str, dict[str, dict[str, str]]]:
    """family -> status -> {phrase: reason}; every entry must carry a reason."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict[str, dict[str, str]]] = {}
    for fam, statuses in data.items():
        if fam.startswith("_"):
            continue
        for status, phrases in statuses.items():
            for phrase, reason in phrases.items():
                if not phrase or not str(reason).strip():
                    raise ValueError(f"record_statuses.json: {fam}/{status} entry {phrase!r} has no reason")
        out[fam] = {s: dict(p) for s, p in statuses.items()}
    return out


def stated_status(q: str, family: str, table: dict[str, dict[str, dict[str, str]]] | None = None) -> str | None:
    """The status of ``family`` records the question states (the longest phrase found wins), or None."""
    best: tuple[int, str] | None = None
    for status, phrases in (table or status_phrases()).get(family, {}).items():
        for phrase in phrases:
            if phrase in q and (best is None or len(phrase) > best[0]):
                best = (len(phrase), status)
    return best[1] if best else None


def clauses(values: Iterable[str]) -> list[str]:
    """The clauses of recorded texts (split at punctuation, without the 範例 mark): 「電極片過期，已申請更換」
    -> 電極片過期, 已申請更換."""
    out: dict[str, None] = {}
    for v in values:
        for piece in _CLAUSE.split(_SAMPLE_MARK.sub("", v or "")):
            if piece:
                out[piece] = None
    return list(out)


def _repeated_from(q: str, clause: str, i: int, p: int, max_gap: int) -> int:
    """How many characters of ``clause`` from ``i`` the question repeats in order from ``p`` (where they
    start to agree), with at most ``max_gap`` extra question characters in between in all."""
    n, gap = 0, 0
    while i + n < len(clause) and p < len(q):
        k = q.find(clause[i + n], p, p + 1 + max_gap - gap)
        if k < 0:
            break
        gap += k - p
        n, p = n + 1, k + 1
    return n


def repeats(q: str, word: str, max_gap: int = 1) -> bool:
    """Whether the question repeats every character of ``word`` in order, with at most ``max_gap``
    characters in between in all (已經結案 repeats 已結案)."""
    p = q.find(word[:1]) if word else -1
    while p >= 0:
        if _repeated_from(q, word, 0, p, max_gap) == len(word):
            return True
        p = q.find(word[0], p + 1)
    return False


def record_fragment(q: str, values: Iterable[str], min_len: int = 4, max_gap: int = 2) -> str:
    """The longest piece of one clause of ``values`` that the question repeats, in order, with at most
    ``max_gap`` characters in between (its first character matched exactly where the question has it);
    at least ``min_len`` characters, else ''. The piece is the records' text, not the question's."""
    best = ""
    for clause in clauses(values):
        for i, ch in enumerate(clause):
            if len(clause) - i <= len(best):
                break
            p = q.find(ch)
            while p >= 0:
                n = _repeated_from(q, clause, i, p, max_gap)
                if n > len(best):
                    best = clause[i : i + n]
                p = q.find(ch, p + 1)
    return best if len(best) >= min_len else ""


# which tool reads each catalog field: a role sees a field's words only when it may use that tool
# (core.policy), so a record it may not read never changes how its question is read
FIELD_TOOL: dict[str, str] = {
    "units": "find_cases",
    "case_names": "find_cases",
    "vendors": "vendor_cases",
    "aed_locations": "find_aeds",
    "aed_results": "find_aeds",
    "inspection_kinds": "inspection_history",
    "inspection_results": "inspection_history",
    "drill_texts": "list_drills",
    "retention_titles": "retention_lookup",
    "teacher_districts": "find_seed_teachers",
    "teacher_expertise": "find_seed_teachers",
}
# the controlled vocabularies of the records store, by the tool whose records use them
_CONTROLLED: dict[str, tuple[str, ...]] = {
    "find_cases": (*STATUSES, *METHODS, *EVENT_KINDS),
    "suspended_vendors": SUSPENSION_STATUSES,
}


def record_vocabulary(cat: RecordCatalog | None, permitted: Callable[[str], bool]) -> frozenset[str]:
    """The record words a caller may rely on: the clauses of the catalog values (and the controlled
    vocabularies) of the records whose tools ``permitted`` allows; two characters or more."""
    words: set[str] = set()
    for tool, vocab in _CONTROLLED.items():
        if permitted(tool):
            words.update(vocab)
    if cat is not None:
        for name, tool in FIELD_TOOL.items():
            if not permitted(tool):
                continue
            raw = getattr(cat, name)
            texts = [x[1] if isinstance(x, tuple) else x for x in raw]
            words.update(clauses(texts))
    return frozenset(w.lower() for w in words if len(w) >= 2)


__all__ = ["clauses", "record_fragment", "record_vocabulary", "repeats", "stated_status", "status_phrases"]
