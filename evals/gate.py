"""The regression gate: headline metrics with their tolerances, and the comparison with a baseline report.

Pure functions over report dicts (no I/O). Headline metric names are ``<table>.<metric>`` and read
``report["families"][table]["overall"][metric]``. The gate fails when a headline metric is worse than the
committed baseline by more than its tolerance (for :data:`LOWER_IS_BETTER` metrics, "worse" means higher).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# metric -> largest allowed drop below the baseline (absolute, on a 0..1 scale). Stated here and only here.
HEADLINE: dict[str, float] = {
    "retrieval.hit@5": 0.02,
    "retrieval.mrr@10": 0.02,
    "retrieval.ndcg@10": 0.02,
    "answers.citation_recall": 0.03,
    "answers.citation_precision": 0.03,
    "answers.key_fact_coverage": 0.03,
    "multiturn.key_fact_coverage": 0.03,
    "numeric.exact_match": 0.0,
    "drafting.field_completeness": 0.0,
    "refusal.f1": 0.03,
    "refusal.false_refusal_rate": 0.01,
    "faithfulness.quote_verbatim": 0.0,
    "faithfulness.sentence_support": 0.03,
    # the split tables (evals.split_metrics)
    "questions.no_answer_refusal_rate": 0.03,
    "questions.false_refusal_rate": 0.01,
    "questions.false_refusal_situational": 0.01,
    "questions.false_refusal_colloquial": 0.01,
    "questions.gold_top3": 0.03,
    "questions.citation_precision": 0.03,
    "questions.key_fact_coverage": 0.03,
    "numeric.stated": 0.0,
    "records.routing": 0.03,
    "records.key_fact_coverage": 0.03,
    "conversations.pass_rate": 0.03,
    "conversations.turn_key_fact_coverage": 0.03,
}
LOWER_IS_BETTER: frozenset[str] = frozenset({"false_refusal_rate", "false_refusal_situational",
                                            "false_refusal_colloquial", "latency_p50_ms", "latency_p95_ms",
                                            "crashed"})
# tables that exist when at least one of these families ran
TABLE_SOURCES: dict[str, set[str]] = {
    "refusal": {"answers", "numeric", "multiturn", "refusal", "records"},
    "faithfulness": {"answers", "numeric", "multiturn", "refusal", "records"},
    "refusal_questions": {"refusal"},
    "questions": {"answers", "refusal"},
    "conversations": {"multiturn"},
}
EPS = 1e-9
ROUNDING = 1e-4  # two values rounded to 4 decimals differ from their exact difference by at most this
# Per-domain slices are small (a domain of the test split may hold 2-30 items of a kind), so on a slice the gate
# allows the larger of the metric's tolerance and ONE item: 1/n, n being the count the metric is averaged over
# (read from the baseline's slice, else the current one). Headline (overall) values keep their tolerance, and a
# metric with tolerance 0 (a correctness invariant: verbatim quotes, exact figures, draft fields) allows nothing
# anywhere. A metric not listed here has no per-slice allowance. Decided before any candidate change was gated
# against it (see the issue 8 note): one flipped item in an 11-item slice is noise, a systematic drop is not.
SLICE_DENOMINATOR: dict[str, str] = {
    "retrieval.hit@5": "n", "retrieval.mrr@10": "n", "retrieval.ndcg@10": "n",
    "answers.citation_recall": "n", "answers.citation_precision": "n", "answers.key_fact_coverage": "n",
    "multiturn.key_fact_coverage": "n",
    "refusal.false_refusal_rate": "n_answerable",
    "faithfulness.sentence_support": "answers_scored",
    "questions.no_answer_refusal_rate": "n_must_refuse",
    "questions.false_refusal_rate": "n_answerable",
    "questions.false_refusal_situational": "n_situational",
    "questions.false_refusal_colloquial": "n_colloquial",
    "questions.gold_top3": "n_answerable",
    "questions.citation_precision": "n_answerable",
    "questions.key_fact_coverage": "n_answerable",
    "records.routing": "n", "records.key_fact_coverage": "n",
    "conversations.pass_rate": "n_conversations",
    "conversations.turn_key_fact_coverage": "n",
}


def metric_value(report: Mapping[str, Any], name: str, domain: str | None = None) -> float | None:
    table, _, metric = name.partition(".")
    block = (report.get("families") or {}).get(table) or {}
    scope = block.get("overall") if domain is None else (block.get("by_domain") or {}).get(domain)
    value = (scope or {}).get(metric)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def worse_by(name: str, old: float, new: float) -> float:
    """How much worse ``new`` is than ``old`` (positive = worse)."""
    return (new - old) if name.rpartition(".")[2] in LOWER_IS_BETTER else (old - new)


def headline(report: Mapping[str, Any]) -> dict[str, float | None]:
    return {name: metric_value(report, name) for name in HEADLINE}


def _ran(report: Mapping[str, Any], name: str) -> bool:
    table = name.partition(".")[0]
    families = set((report.get("config") or {}).get("families") or [])
    return bool(families & TABLE_SOURCES.get(table, {table}))


# --- gate -----------------------------------------------------------------------------------------------
@dataclass
class GateFailure:
    metric: str
    baseline: float
    current: float | None
    tolerance: float
    message: str


@dataclass
class GateResult:
    passed: bool
    failures: list[GateFailure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # headline metrics not run this time

    def summary(self) -> str:
        if self.passed:
            return "回歸門檻：通過" + (f"（未執行：{', '.join(self.skipped)}）" if self.skipped else "")
        return "回歸門檻：未通過\n" + "\n".join(f"  - {f.message}" for f in self.failures)


def slice_size(report: Mapping[str, Any], name: str, domain: str) -> int | None:
    """How many items the metric ``name`` is averaged over in one domain slice, if the report says."""
    key = SLICE_DENOMINATOR.get(name)
    table = name.partition(".")[0]
    block = ((report.get("families") or {}).get(table) or {}).get("by_domain") or {}
    n = (block.get(domain) or {}).get(key) if key else None
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else None


def slice_tolerance(name: str, tol: float, baseline: Mapping[str, Any], current: Mapping[str, Any],
                    domain: str | None) -> float:
    """The allowed drop of ``name`` in ``domain`` (None: overall): see :data:`SLICE_DENOMINATOR`."""
    if domain is None or tol <= 0:
        return tol
    n = slice_size(baseline, name, domain) or slice_size(current, name, domain)
    # report values are rounded to 4 decimals, so a drop of exactly one item may read up to 1e-4 larger
    return max(tol, 1.0 / n + ROUNDING) if n else tol


def _domains(report: Mapping[str, Any], name: str) -> list[str]:
    block = (report.get("families") or {}).get(name.partition(".")[0]) or {}
    return sorted(block.get("by_domain") or {})


def _check(res: GateResult, current: Mapping[str, Any], baseline: Mapping[str, Any], name: str, tol: float,
           domain: str | None, prefix: str) -> None:
    old = metric_value(baseline, name, domain)
    if old is None:
        return
    label = f"{prefix}{name}" + (f"［{domain}］" if domain else "")
    new = metric_value(current, name, domain)
    if new is None:
        if _ran(current, name):
            res.failures.append(GateFailure(label, old, None, tol, f"{label}：本次報告缺少此指標（基準 {old:.4f}）"))
        elif domain is None:
            res.skipped.append(label)
        return
    drop = worse_by(name, old, new)
    tol = slice_tolerance(name, tol, baseline, current, domain)
    if drop > tol + EPS:
        res.failures.append(GateFailure(
            label, old, new, tol, f"{label}：{old:.4f} → {new:.4f}（變差 {drop:.4f}，容許 {tol:.4f}）"))


def gate(current: Mapping[str, Any], baseline: Mapping[str, Any], prefix: str = "") -> GateResult:
    """Fail when a headline metric is worse than the baseline by more than its tolerance, overall or in
    any domain of the baseline (per domain: the tolerance or one item, see :data:`SLICE_DENOMINATOR`).
    ``prefix`` names the split in messages."""
    res = GateResult(passed=True)
    for name, tol in HEADLINE.items():
        for domain in (None, *_domains(baseline, name)):
            _check(res, current, baseline, name, tol, domain, prefix)
    res.passed = not res.failures
    return res


def split_blocks(report: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The per-split reports of a split report (schema 2); a single-split report (schema 1) is ``dev``."""
    if "splits" in report:
        return dict(report["splits"])
    return {"dev": report}


def gate_splits(current: Mapping[str, Any], baseline: Mapping[str, Any]) -> GateResult:
    """:func:`gate` on every split of the baseline; a split the current report lacks fails."""
    res = GateResult(passed=True)
    cur = split_blocks(current)
    for split, base in split_blocks(baseline).items():
        if split not in cur:
            res.failures.append(GateFailure(f"{split}", 0.0, None, 0.0, f"[{split}] 本次報告缺少此資料切分"))
            continue
        g = gate(cur[split], base, prefix=f"[{split}] ")
        res.failures += g.failures
        res.skipped += g.skipped
    res.passed = not res.failures
    return res


# --- comparison -----------------------------------------------------------------------------------------
def _numeric_metrics(block: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in block.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and k != "n" and not k.startswith("n_")}


def compare(current: Mapping[str, Any], baseline: Mapping[str, Any]) -> dict[str, Any]:
    """Metrics that got worse (overall and per domain; latency excluded: machine-dependent) and items
    that passed in the baseline but fail now, with their metric deltas; also items fixed since."""
    drops: list[dict[str, Any]] = []
    cur_f, base_f = current.get("families") or {}, baseline.get("families") or {}
    for table, base_block in base_f.items():
        cur_block = cur_f.get(table)
        if not cur_block:
            continue
        scopes = [(None, base_block.get("overall") or {}, cur_block.get("overall") or {})]
        for d, b in (base_block.get("by_domain") or {}).items():
            scopes.append((d, b, (cur_block.get("by_domain") or {}).get(d) or {}))
        for domain, b, c in scopes:
            cm = _numeric_metrics(c)
            for metric, old in _numeric_metrics(b).items():
                if metric.startswith("latency") or metric not in cm:
                    continue
                name = f"{table}.{metric}"
                delta = worse_by(name, old, cm[metric])
                if delta > EPS:
                    drops.append({"metric": name, "domain": domain, "baseline": old, "current": cm[metric],
                                  "worse_by": round(delta, 4), "headline": domain is None and name in HEADLINE,
                                  "tolerance": HEADLINE.get(name) if domain is None else None})
    base_items = {(i["family"], i["id"]): i for i in baseline.get("items") or []}
    regressions: list[dict[str, Any]] = []
    fixed: list[dict[str, Any]] = []
    for it in current.get("items") or []:
        prev = base_items.get((it["family"], it["id"]))
        if prev is None or prev["passed"] == it["passed"]:
            continue
        deltas = {k: {"baseline": prev["metrics"][k], "current": v}
                  for k, v in it["metrics"].items()
                  if k != "latency_ms" and isinstance(v, int | float) and isinstance(prev["metrics"].get(k), int | float)
                  and abs(float(v) - float(prev["metrics"][k])) > EPS}
        row = {"family": it["family"], "id": it["id"], "domain": it["domain"], "changes": deltas,
               "details": it.get("details") or {}}
        (regressions if prev["passed"] else fixed).append(row)
    drops.sort(key=lambda d: (not d["headline"], d["domain"] is not None, -d["worse_by"]))
    return {"baseline_commit": (baseline.get("environment") or {}).get("git_commit"),
            "baseline_date": (baseline.get("environment") or {}).get("date"),
            "baseline_headline": headline(baseline),
            "metric_drops": drops, "regressions": regressions, "fixed": fixed}
