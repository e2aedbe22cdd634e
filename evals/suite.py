"""The regression gate: headline metrics with their tolerances, baseline comparison and the CLI entry points.

Headline metric names are ``<table>.<metric>`` and read ``report["families"][table]["overall"][metric]``.
The gate fails when a headline metric is worse than the committed baseline by more than its tolerance
(for :data:`LOWER_IS_BETTER` metrics, "worse" means higher). Updating the baseline is explicit:
``cmd_eval_baseline_update`` (``mishu eval baseline --update``) copies a report over the baseline and
prints the diff of the headline metrics.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.datasets_io import DATASETS_DIR

EVALS_DIR = Path(__file__).resolve().parent
DEFAULT_BASELINE = EVALS_DIR / "baseline" / "report.json"
PROJECT_ROOT = EVALS_DIR.parent

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
    "refusal.false_refusal_rate": 0.03,
    "faithfulness.quote_verbatim": 0.0,
    "faithfulness.sentence_support": 0.03,
}
LOWER_IS_BETTER: frozenset[str] = frozenset({"false_refusal_rate", "latency_p50_ms", "latency_p95_ms"})
# tables that exist when at least one of these families ran
TABLE_SOURCES: dict[str, set[str]] = {
    "refusal": {"answers", "numeric", "multiturn", "refusal"},
    "faithfulness": {"answers", "numeric", "multiturn", "refusal"},
    "refusal_questions": {"refusal"},
}
_EPS = 1e-9


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


def gate(current: Mapping[str, Any], baseline: Mapping[str, Any]) -> GateResult:
    """Fail when a headline metric is worse than the baseline by more than its tolerance."""
    res = GateResult(passed=True)
    for name, tol in HEADLINE.items():
        old = metric_value(baseline, name)
        if old is None:
            continue
        new = metric_value(current, name)
        if new is None:
            if _ran(current, name):
                res.failures.append(GateFailure(name, old, None, tol, f"{name}：本次報告缺少此指標（基準 {old:.4f}）"))
            else:
                res.skipped.append(name)
            continue
        drop = worse_by(name, old, new)
        if drop > tol + _EPS:
            res.failures.append(GateFailure(
                name, old, new, tol, f"{name}：{old:.4f} → {new:.4f}（變差 {drop:.4f}，容許 {tol:.4f}）"))
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
                if delta > _EPS:
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
                  and abs(float(v) - float(prev["metrics"][k])) > _EPS}
        row = {"family": it["family"], "id": it["id"], "domain": it["domain"], "changes": deltas,
               "details": it.get("details") or {}}
        (regressions if prev["passed"] else fixed).append(row)
    drops.sort(key=lambda d: (not d["headline"], d["domain"] is not None, -d["worse_by"]))
    return {"baseline_commit": (baseline.get("environment") or {}).get("git_commit"),
            "baseline_date": (baseline.get("environment") or {}).get("date"),
            "baseline_headline": headline(baseline),
            "metric_drops": drops, "regressions": regressions, "fixed": fixed}


# --- report assembly ---------------------------------------------------------------------------------------
def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def environment(container: Any) -> dict[str, Any]:
    s = getattr(container, "settings", None)
    emb = getattr(container, "embedder", None) if s is not None else None
    return {
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "embedder": getattr(emb, "name", None) or (s.embedder if s is not None else None),
        "embedder_setting": getattr(s, "embedder", None),
        "embedder_model_path": str(s.embedder_model_path) if s is not None and s.embedder_model_path else None,
        "llm_model": s.llm_model if s is not None and s.llm_base_url else None,
        "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
    }


def build_report(result: Any, container: Any, baseline: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Suite result -> the report dict written as report.json (headline, tables, items, environment)."""
    report: dict[str, Any] = {"schema": 1, "environment": environment(container)} | result.to_dict()
    report["headline"] = headline(report)
    report["tolerances"] = dict(HEADLINE)
    if baseline is not None:
        report["comparison"] = compare(report, baseline)
        g = gate(report, baseline)
        report["gate"] = {"passed": g.passed, "failures": [f.message for f in g.failures], "skipped": g.skipped}
    return report


def load_report(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise FileNotFoundError(f"找不到報告：{path}")
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} 不是合法的 JSON：{e.msg}") from e
    if not isinstance(obj, dict) or "families" not in obj:
        raise ValueError(f"{path} 不是評估報告（缺少 families）")
    return obj


def update_baseline(report_path: Path, baseline_path: Path) -> str:
    """Copy a report over the baseline (JSON, plus a readable .md beside it) and return the headline diff."""
    new = load_report(Path(report_path))
    old = load_report(Path(baseline_path)) if Path(baseline_path).exists() else None
    lines = [f"基準報告：{baseline_path}",
             f"舊基準：{(old or {}).get('environment', {}).get('git_commit') or '（無）'}",
             f"新基準：{new.get('environment', {}).get('git_commit')}（{new.get('environment', {}).get('date')}）"]
    for name in HEADLINE:
        a = metric_value(old, name) if old else None
        b = metric_value(new, name)
        if a is None and b is None:
            continue
        if a is not None and b is not None:
            mark = "" if abs(a - b) <= _EPS else ("  ▲ 改善" if worse_by(name, a, b) < 0 else "  ▼ 變差")
            lines.append(f"  {name}: {a:.4f} -> {b:.4f} ({b - a:+.4f}){mark}")
        else:
            lines.append(f"  {name}: {'—' if a is None else f'{a:.4f}'} -> {'—' if b is None else f'{b:.4f}'}")
    Path(baseline_path).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(baseline_path).with_suffix(".json.tmp")
    tmp.write_text(baseline_json(new), encoding="utf-8")
    tmp.replace(baseline_path)
    from evals.report import render_markdown

    stripped = {k: v for k, v in new.items() if k not in ("comparison", "gate")}
    Path(baseline_path).with_suffix(".md").write_text(render_markdown(stripped), encoding="utf-8")
    return "\n".join(lines)


def baseline_json(report: Mapping[str, Any]) -> str:
    """A report as a baseline: without its own comparison/gate, item details reduced to what explains a
    failure, one item per line (readable diffs in git)."""
    rest = {k: v for k, v in report.items() if k not in ("comparison", "gate", "items")}
    keep = ("gold_rank", "missing_key_facts", "quote_failures", "absent_fields", "expected", "got", "error")
    items = [{**i, "details": {k: v for k, v in (i.get("details") or {}).items() if k in keep}}
             for i in report.get("items") or []]
    head = json.dumps(rest, ensure_ascii=False, indent=1)
    body = ",\n".join("  " + json.dumps(i, ensure_ascii=False) for i in items)
    return head[:-2] + ',\n "items": [\n' + body + "\n ]\n}\n"


# --- CLI entry points -----------------------------------------------------------------------------------
def _print_headline(report: Mapping[str, Any]) -> None:
    base = (report.get("comparison") or {})
    print(f"評估完成（{report['timings_s'].get('total', 0):.1f} 秒）；基準："
          f"{base.get('baseline_commit') or '無'}")
    for name, value in (report.get("headline") or {}).items():
        if value is not None:
            print(f"  {name:<32} {value:.4f}")


def cmd_eval_all(out_dir: Path, baseline: Path | None = DEFAULT_BASELINE, gate: bool = False, *,
                 settings: Any | None = None, only: set[str] | None = None,
                 datasets_dir: Path = DATASETS_DIR) -> int:
    """Run the suite, write report.json/.md/.html to ``out_dir``, compare with ``baseline`` (when given
    and present) and, with ``gate``, return 1 when a headline metric dropped beyond its tolerance.
    Exit codes: 0 ok, 1 gate failed, 2 cannot run (message on stderr)."""
    from evals.judge import LLMJudge
    from evals.report import write_report
    from evals.runner import SuiteError, run_suite
    from mishu.app import Container
    from mishu.settings import Settings

    settings = settings or Settings()
    base_report = None
    if baseline is not None:
        if Path(baseline).exists():
            try:
                base_report = load_report(Path(baseline))
            except ValueError as e:
                print(f"錯誤：{e}", file=sys.stderr)
                return 2
        elif gate:
            print(f"錯誤：找不到基準報告 {baseline}；請先執行 mishu eval baseline --update", file=sys.stderr)
            return 2
    c = Container(settings)
    if not c.kb.view().chunks:
        print("索引是空的，先建立內建知識庫索引（約一分鐘）……", file=sys.stderr)
        c.indexer.ingest(list(settings.sources))
    judge = None
    if settings.llm_base_url:
        judge = LLMJudge.from_settings(settings, embed=lambda s: [float(x) for x in c.embedder.embed_query(s)])
    def progress(family: str, done: int, total: int) -> None:
        if done == total:
            print(f"  {family}：{total} 題完成", file=sys.stderr, flush=True)

    try:
        result = run_suite(c, datasets_dir, only=only, judge=judge, progress=progress)
    except SuiteError as e:
        print(f"錯誤：{e}", file=sys.stderr)
        return 2
    report = build_report(result, c, base_report)
    paths = write_report(report, Path(out_dir))
    _print_headline(report)
    print("報告：" + "、".join(str(p) for p in paths.values()))
    if report.get("judge", {}).get("status") == "skipped":
        print(report["judge"]["message"])
    if base_report is not None:
        comp = report["comparison"]
        print(f"指標下降 {len(comp['metric_drops'])} 項；變差的題目 {len(comp['regressions'])} 題；"
              f"改善的題目 {len(comp['fixed'])} 題")
        g = report["gate"]
        print("回歸門檻：" + ("通過" if g["passed"] else "未通過"))
        for f in g["failures"]:
            print(f"  - {f}")
        if gate and not g["passed"]:
            return 1
    return 0


def cmd_eval_baseline_update(report: Path, baseline: Path = DEFAULT_BASELINE) -> int:
    """Replace the baseline with ``report`` (a report.json from ``cmd_eval_all``) and print the diff."""
    try:
        print(update_baseline(Path(report), Path(baseline)))
    except (FileNotFoundError, ValueError) as e:
        print(f"錯誤：{e}", file=sys.stderr)
        return 2
    return 0
