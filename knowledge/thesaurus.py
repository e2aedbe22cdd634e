"""Query expansion and typo correction over the phrase tables in knowledge/data/lexicon/.

Callers say 「公告幾天」, the standard says 「等標期」; they say 「拆案」, the Act says 「分批辦理」 and
「意圖規避」. Each synonym rule (synonyms.json) is a regular expression over the normalised query and the
statutory terms it adds; expansion only ADDS terms (the user's words stay), so a wrong rule costs a little
precision, never recall of the original words. Typos (typos.json, 壓標金 -> 押標金) are replaced, but only
when the corpus vocabulary says the typed form is not a word and the fix is (``correct_typos``).
Every entry carries its reason in the data file; knowledge.tables validates the files at import.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from knowledge.tables import Rule, Typo, load_synonyms, load_typos

__all__ = ["RULES", "TABLES", "TYPOS", "Rule", "correct_typos", "expand"]

TYPOS: list[Typo] = load_typos()
RULES: list[Rule] = load_synonyms()

# The phrase tables retrieval can switch off one at a time (RetrievalConfig.tables_off, scripts/ablate_tables.py).
TABLES: tuple[str, ...] = ("typos", "synonyms", "aliases")


def expand(query: str, rules: Sequence[Rule] = RULES) -> str:
    """Statutory terms implied by the (normalised) query, space-separated; "" when none."""
    added: list[str] = []
    for rule in rules:
        if rule.pattern.search(query):
            for t in rule.terms.split():
                if t not in added and t not in query:
                    added.append(t)
    return " ".join(added)


def _inside_word(
    text: str, start: int, end: int, fix: str, vocabulary: Collection[str], longest: int = 8
) -> bool:
    """True when a vocabulary word occurs in ``text`` reaching beyond ``[start, end)`` and covering a
    character the fix would change: the typed characters belong to a real word (費 of 收費標準 is part
    of 收費, 單 of 招標單位 of 單位), whereas 金額 after 壓標金 leaves the changed 壓 alone."""
    typed = text[start:end]
    if len(typed) == len(fix):
        changed = {start + k for k in range(len(typed)) if typed[k] != fix[k]}
    else:
        changed = set(range(start, end))
    for i in range(max(0, start - longest + 1), end):
        for j in range(max(i + 2, start + 1), min(len(text), i + longest) + 1):
            if (i < start or j > end) and any(i <= c < j for c in changed) and text[i:j] in vocabulary:
                return True
    return False


def correct_typos(text: str, vocabulary: Collection[str], typos: Sequence[Typo] = TYPOS) -> str:
    """Replace known typos with the corpus word they stand for: 壓標金 -> 押標金.

    A fix applies only when the typed form is NOT a word of the corpus vocabulary, the fix IS one, and the
    typed characters are not part of a longer vocabulary word in the question (收費標準 keeps 費標). With
    an empty vocabulary nothing is changed: no evidence, no rewrite."""
    if not vocabulary:
        return text
    for typo in typos:
        if typo.typed not in text or typo.typed in vocabulary or typo.fix not in vocabulary:
            continue
        out: list[str] = []
        pos = 0
        start = text.find(typo.typed)
        while start >= 0:
            end = start + len(typo.typed)
            if not _inside_word(text, start, end, typo.fix, vocabulary):
                out.append(text[pos:start] + typo.fix)
                pos = end
            start = text.find(typo.typed, end)
        text = "".join(out) + text[pos:]
    return text
