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
- ``top_score``: the fused retrieval score of the first hit, scaled to about [0, 1].
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
)
_LAW = re.compile(r"(?:依照|依據|根據|適用|違反|依|按|照)?([\u4e00-\u9fff]{1,10}?(?:法|條例))")
_NOT_A_LAW = re.compile(
    r"(?:方法|做法|作法|看法|說法|合法|違法|依法|非法|立法|手法|想法|用法|本法|該法|辦法|算法)$"
)


def named_laws(question: str) -> list[str]:
    """Law names a question cites (個資法, 勞動基準法, 政治檔案條例), without generic words such as 方法."""
    return [m.group(1) for m in _LAW.finditer(question) if not _NOT_A_LAW.search(m.group(1))]


@dataclass(frozen=True)
class AnswerabilityModel:
    weights: dict[str, float]
    bias: float
    threshold: float

    def probability(self, x: dict[str, float]) -> float:
        z = self.bias + sum(self.weights[f] * x[f] for f in FEATURES)
        return 1.0 / (1.0 + math.exp(-z))

    def answerable(self, x: dict[str, float]) -> bool:
        return self.probability(x) >= self.threshold


@lru_cache(maxsize=1)
def model(path: Path = DATA) -> AnswerabilityModel:
    data = json.loads(path.read_text(encoding="utf-8"))
    w = {f: float(data["weights"][f]) for f in FEATURES}
    return AnswerabilityModel(weights=w, bias=float(data["bias"]), threshold=float(data["threshold"]))
