"""Is a question answerable from what was found? A logistic regression over evidence features, calibrated on
the dev sets by ``scripts/fit_answerability.py`` (weights and how they were fit: ``data/answerability.json``).

Features (all in [0, 1]):
- ``support``: share of the question's bigrams in the best of the top three articles;
- ``vocab``: share of the question's bigrams that occur anywhere in the knowledge base;
- ``domain``: the question uses the domains' words or a title;
- ``carried``: a best line of the top three articles carries the kind of answer asked (answer_type);
- ``specific``: the kind asked is a value only a directory or notice holds (phone, clock time, place …);
- ``specific_carried``: both of the above (a specific value that a line does carry);
- ``focus``: share of the question's rarest terms (by idf, top 3) found in the top three articles;
- ``other_law``: the question names a law (…法, …條例) that no document of the knowledge base is or abbreviates;
- ``top_score``: the fused retrieval score of the first hit, scaled to about [0, 1];
- ``core_support``: ``support`` over the question's asking part only (:func:`ask_core`: a situation told
  first, 「廠商來問…，」「我們科…，」, is dropped), so a long preamble neither hides nor fakes support;
- ``core_cover``: the idf-weighted share of the asking part's content words that the best of the top three
  articles contains (the rare, topical words weigh most: 分機, 停車場 or 印花稅 that no article holds);
- ``value_missing``: the question wants a concrete value (a figure, a clock time, a month, a count with its
  unit; answer_type ``values``) and no best line of the top three articles holds one;
- ``local``: the question points at the caller's own office, building or calendar (本處、科裡、市政大樓、今年…)
  and asks for a specific value (answer_type ``specific``) — a local operational fact;
- ``directory``: the question asks for what only a directory, notice or roster holds (an extension, an
  account, a counter, who is in charge now, a room, opening hours, a course date) (``data/local_cues.json``).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "answerability.json"
FEATURES = (
    "support",
    "vocab",
    "domain",
    "carried",
    "specific",
    "specific_carried",
    "focus",
    "other_law",
    "top_score",
    "core_support",
    "core_cover",
    "value_missing",
    "local",
    "directory",
)
CUES = Path(__file__).resolve().parent / "data" / "local_cues.json"
_LAW = re.compile(r"(?:依照|依據|根據|適用|違反|依|按|照)?([\u4e00-\u9fff]{1,10}?(?:法|條例))")
_NOT_A_LAW = re.compile(
    r"(?:方法|做法|作法|看法|說法|合法|違法|依法|非法|立法|手法|想法|用法|本法|該法|辦法|算法)$"
)


def named_laws(question: str) -> list[str]:
    """Law names a question cites (個資法, 勞動基準法, 政治檔案條例), without generic words such as 方法."""
    return [m.group(1) for m in _LAW.finditer(question) if not _NOT_A_LAW.search(m.group(1))]


_CLAUSE = re.compile(r"[，,。；;？?！!：:\n]+")


def ask_core(question: str) -> str:
    """The asking part of a question: the clauses from the first one that asks (an answer-type question
    pattern matches) to the end, so a situation told first (「中秋節廠商送來月餅，…，可以收嗎？」) is dropped.
    When the asking part, without its question phrasing, holds fewer than two bigrams (「該怎麼處理？」) the
    clause before it is kept too; a question with no asking clause is kept whole."""
    from assistant.answer_type import answer_types
    from knowledge.lexicon import question_bigrams

    clauses = [c for c in _CLAUSE.split(question) if c.strip()]
    types = answer_types()
    first = next((i for i, c in enumerate(clauses) if types.asks_something(c)), None)
    if first is None:
        return question
    while first > 0 and len(question_bigrams(types.strip_asks("，".join(clauses[first:])))) < 2:
        first -= 1
    return "，".join(clauses[first:])


@dataclass(frozen=True)
class LocalCues:
    deixis: tuple[re.Pattern[str], ...]
    directory: tuple[re.Pattern[str], ...]

    def points_here(self, question: str) -> bool:
        return any(p.search(question) for p in self.deixis)

    def asks_directory(self, question: str) -> bool:
        return any(p.search(question) for p in self.directory)


@lru_cache(maxsize=1)
def local_cues(path: Path = CUES) -> LocalCues:
    data = json.loads(path.read_text(encoding="utf-8"))
    groups = {}
    for group in ("deixis", "directory"):
        pats = []
        for e in data[group]:
            if not str(e.get("reason", "")).strip():
                raise ValueError(f"local_cues.json: {e.get('pattern')} has no reason")
            pats.append(re.compile(e["pattern"]))
        groups[group] = tuple(pats)
    return LocalCues(deixis=groups["deixis"], directory=groups["directory"])


MIN_SUPPORT = 0.1  # share of the question's bigrams in one of the top articles


def floor_passed(in_domain: bool, x: dict[str, float]) -> bool:
    """The floor under the model: the question is in the knowledge base's domains and one of the top articles
    holds some of its bigrams."""
    return in_domain and x["support"] >= MIN_SUPPORT


@dataclass(frozen=True)
class AnswerabilityModel:
    weights: dict[str, float]
    bias: float
    threshold: float

    @property
    def used(self) -> tuple[str, ...]:
        """The features with a non-zero weight: only these can move the probability."""
        return tuple(f for f in FEATURES if self.weights[f])

    def probability(self, x: dict[str, float]) -> float:
        """``x`` needs the features the model uses (``used``); a feature of weight 0 adds exactly 0 to the sum,
        so it is skipped (and need not be computed)."""
        z = self.bias + sum(self.weights[f] * x[f] for f in self.used)
        return 1.0 / (1.0 + math.exp(-z))

    def answerable(self, x: dict[str, float]) -> bool:
        return self.probability(x) >= self.threshold


@lru_cache(maxsize=1)
def model(path: Path = DATA) -> AnswerabilityModel:
    data = json.loads(path.read_text(encoding="utf-8"))
    w = {f: float(data["weights"][f]) for f in FEATURES}
    return AnswerabilityModel(weights=w, bias=float(data["bias"]), threshold=float(data["threshold"]))
