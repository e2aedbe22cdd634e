"""The metrics a split is judged by, as report tables: pure functions over per-item results.

Each table has the shape of the family tables (``{"overall": {...}, "by_domain": {...}}``) so the gate
(:mod:`evals.gate`) reads and compares it the same way, plus breakdowns that are reported, not gated.

* ``questions`` — the single-turn questions asked (families ``answers`` and ``refusal``):
  ``no_answer_refusal_rate`` (must-refuse items refused; ``by_refuse_kind``), ``false_refusal_rate``
  (answerable items refused; ``false_refusal_<style>`` for the situational and colloquial styles and
  ``by_style``), ``gold_top3`` (a gold article among the first 3 citations), ``citation_precision`` and
  ``key_fact_coverage`` (answerable items; key facts over the items that have some).
* ``records`` — records questions: ``routing`` (evals.record_routing), ``key_fact_coverage``,
  ``pass_rate`` (routed and every key fact stated); ``by_record``.
* ``conversations`` — ``pass_rate`` (a conversation passes when every turn is right),
  ``turn_right_rate``, ``turn_key_fact_coverage``; ``by_kind`` (inheritance, correction, …).

A crashed question carries failure values in its metrics (evals.runner.crash_metrics), so it counts
everywhere it would have counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

QUESTION_FAMILIES = frozenset({"answers", "refusal"})
FALSE_REFUSAL_STYLES = ("situational", "colloquial")


class Item(Protocol):
    id: str
    family: str
    domain: str
    passed: bool
    metrics: dict[str, float | None]
    tags: dict[str, str]


def _mean(values: Iterable[float | None]) -> float | None:
    vs = [float(v) for v in values if v is not None]
    return round(sum(vs) / len(vs), 4) if vs else None


def _metric(items: Iterable[Item], name: str) -> float | None:
    return _mean(i.metrics.get(name) for i in items)


def _refused(items: Iterable[Item]) -> float | None:
    return _mean(float(bool(i.metrics.get("refused"))) for i in items)


def _groups(items: Iterable[Item], key: Callable[[Item], str | None]) -> dict[str, list[Item]]:
    out: dict[str, list[Item]] = {}
    for it in items:
        k = key(it)
        if k is not None:
            out.setdefault(k, []).append(it)
    return dict(sorted(out.items()))


def _drop_none(d: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


# --- questions ------------------------------------------------------------------------------------------
def question_stats(items: Sequence[Item]) -> dict[str, Any]:
    must = [i for i in items if i.metrics.get("must_refuse")]
    answerable = [i for i in items if not i.metrics.get("must_refuse")]
    out: dict[str, Any] = {
        "no_answer_refusal_rate": _refused(must), "false_refusal_rate": _refused(answerable),
        "gold_top3": _metric(answerable, "gold_top3"),
        "citation_precision": _metric(answerable, "citation_precision"),
        "key_fact_coverage": _metric(answerable, "key_fact_coverage"),
        "pass_rate": _mean(float(i.passed) for i in items),
        "crashed": sum(int(bool(i.metrics.get("crashed"))) for i in items),
        "n_must_refuse": len(must), "n_answerable": len(answerable), "n": len(items),
    }
    for style in FALSE_REFUSAL_STYLES:
        of_style = [i for i in answerable if i.tags.get("style") == style]
        out[f"false_refusal_{style}"] = _refused(of_style)
        out[f"n_{style}"] = len(of_style)
    return _drop_none(out)


def questions_table(items: Sequence[Item]) -> dict[str, Any] | None:
    qs = [i for i in items if i.family in QUESTION_FAMILIES]
    if not qs:
        return None
    must = [i for i in qs if i.metrics.get("must_refuse")]
    answerable = [i for i in qs if not i.metrics.get("must_refuse")]
    return {
        "overall": question_stats(qs),
        "by_domain": {d: question_stats(v) for d, v in _groups(qs, lambda i: i.domain).items()},
        "by_refuse_kind": {k: {"no_answer_refusal_rate": _refused(v), "n": len(v)}
                           for k, v in _groups(must, lambda i: i.tags.get("refuse_kind") or "unlabelled").items()},
        "by_style": {k: {"false_refusal_rate": _refused(v), "n": len(v)}
                     for k, v in _groups(answerable, lambda i: i.tags.get("style")).items()},
    }


# --- records --------------------------------------------------------------------------------------------
def record_stats(items: Sequence[Item]) -> dict[str, Any]:
    return _drop_none({"routing": _metric(items, "routing"), "key_fact_coverage": _metric(items, "key_fact_coverage"),
                       "pass_rate": _mean(float(i.passed) for i in items),
                       "crashed": sum(int(bool(i.metrics.get("crashed"))) for i in items), "n": len(items)})


def records_table(items: Sequence[Item]) -> dict[str, Any] | None:
    rs = [i for i in items if i.family == "records"]
    if not rs:
        return None
    return {"overall": record_stats(rs),
            "by_domain": {},  # every records item is domain "records"; broken down by role and record kind
            "by_role": {r: record_stats(v) for r, v in _groups(rs, lambda i: i.tags.get("role")).items()},
            "by_record": {r: record_stats(v) for r, v in _groups(rs, lambda i: i.tags.get("record")).items()}}


# --- conversations --------------------------------------------------------------------------------------
def conversation_stats(turns: Sequence[Item]) -> dict[str, Any]:
    convs: dict[str, bool] = {}
    for t in turns:
        cid = t.id.split("#")[0]
        convs[cid] = convs.get(cid, True) and bool(t.metrics.get("turn_right"))
    return _drop_none({
        "pass_rate": round(sum(convs.values()) / len(convs), 4) if convs else None,
        "turn_right_rate": _metric(turns, "turn_right"),
        "turn_key_fact_coverage": _metric(turns, "key_fact_coverage"),
        "crashed": sum(int(bool(i.metrics.get("crashed"))) for i in turns),
        "n_conversations": len(convs), "n": len(turns)})


def conversations_table(items: Sequence[Item]) -> dict[str, Any] | None:
    turns = [i for i in items if i.family == "multiturn"]
    if not turns:
        return None
    return {"overall": conversation_stats(turns),
            "by_domain": {d: conversation_stats(v) for d, v in _groups(turns, lambda i: i.domain).items()},
            "by_kind": {k: conversation_stats(v) for k, v in _groups(turns, lambda i: i.tags.get("kind")).items()}}


def split_tables(items: Sequence[Item]) -> dict[str, dict[str, Any]]:
    """The ``questions``, ``records`` and ``conversations`` tables (those with items)."""
    tables = {"questions": questions_table(items), "records": records_table(items),
              "conversations": conversations_table(items)}
    return {k: v for k, v in tables.items() if v is not None}
