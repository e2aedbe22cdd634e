"""Ranking metrics over citation keys (title, no). Per-item scores and aggregates."""

from __future__ import annotations

import math
from collections.abc import Sequence

Key = tuple[str, str]


def keys(items: Sequence[dict[str, str]]) -> list[Key]:
    return [(str(x["title"]), str(x["no"])) for x in items]


def first_gold_rank(ranked: Sequence[Key], gold: Sequence[Key]) -> int | None:
    """1-based rank of the FIRST gold article (the best answer), or None."""
    if not gold:
        return None
    target = gold[0]
    for i, k in enumerate(ranked, 1):
        if k == target:
            return i
    return None


def any_gold_rank(ranked: Sequence[Key], gold: Sequence[Key]) -> int | None:
    g = set(gold)
    for i, k in enumerate(ranked, 1):
        if k in g:
            return i
    return None


def hit_at(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def rr_at(rank: int | None, k: int) -> float:
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def ndcg_at(ranked: Sequence[Key], gold: Sequence[Key], k: int) -> float:
    """Binary-relevance nDCG@k over all gold articles."""
    g = set(gold)
    if not g:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 1) for i, key in enumerate(ranked[:k], 1) if key in g)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(g), k) + 1))
    return dcg / ideal


def retrieval_item_scores(ranked: Sequence[Key], gold: Sequence[Key], k: int = 10) -> dict[str, float]:
    r1 = first_gold_rank(ranked, gold)
    ra = any_gold_rank(ranked, gold)
    return {
        "hit@1": hit_at(r1, 1), "hit@3": hit_at(r1, 3), "hit@5": hit_at(r1, 5), "hit@10": hit_at(r1, 10),
        "mrr@10": rr_at(r1, 10), "any_hit@5": hit_at(ra, 5), f"ndcg@{k}": ndcg_at(ranked, gold, k),
    }


def aggregate(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {}
    names = rows[0].keys()
    return {n: round(sum(r[n] for r in rows) / len(rows), 4) for n in names} | {"n": len(rows)}
