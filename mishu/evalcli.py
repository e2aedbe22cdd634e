"""`mishu eval` and `mishu bench`: the CLI builds the Container from Settings and drives the evals library.

evals/ never builds the application: it takes what it evaluates (an object offering ``retriever``,
``assistant``, ``kb`` and ``articles`` — the Container does) and returns results; this edge module wires it,
prints, and turns failures into exit codes (0 ok, 1 gate failed, 2 cannot run).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evals.bench import benchmark
from evals.judge import LLMJudge
from evals.report import write_report
from evals.runner import SuiteError, corpus_of
from evals.splits import EVAL_TODAY, available_splits, run_split, subset
from evals.suite import build_split_report, load_report, update_baseline
from mishu.app import Container
from mishu.settings import Settings


def default_baseline(settings: Settings) -> Path:
    return Path(settings.baseline_dir) / "report.json"


def _print_headline(report: Mapping[str, Any]) -> None:
    comp = report.get("comparison") or {}
    base: Mapping[str, Any] = next(iter(comp.values()), {}) if comp else {}
    print(f"評估完成（{report.get('elapsed_s', 0):.1f} 秒）；基準：{base.get('baseline_commit') or '無'}")
    heads = report.get("headline") or {}
    names = [s for s in heads if s != "dev2"]
    print(f"  {'指標':<36}" + "".join(f"{s:>10}" for s in names))
    for name in next(iter(heads.values()), {}):
        values = [heads[s].get(name) for s in names]
        if any(v is not None for v in values):
            print(f"  {name:<38}" + "".join(f"{'—' if v is None else f'{v:.4f}':>10}" for v in values))


def run_all_splits(c: Container, datasets_dir: Path, *, only: set[str] | None, judge: Any,
                   splits: list[str] | None = None) -> dict[str, Any]:
    """Every available split (dev, test) with one index; dev2 is also reported alone (no extra run)."""
    def progress(family: str, done: int, total: int) -> None:
        if done == total:
            print(f"  {family}：{total} 題完成", file=sys.stderr, flush=True)

    results: dict[str, Any] = {}
    get_text = corpus_of(c) if only is None or only - {"retrieval"} else None  # article texts, read once
    for name in splits or available_splits(datasets_dir):
        print(f"評估資料切分：{name}", file=sys.stderr, flush=True)
        results[name] = run_split(c, datasets_dir, name, only=only, judge=judge if name == "dev" else None,
                                  progress=progress, get_text=get_text)
        if name == "dev" and any(i.tags.get("source") == "dev2" for i in results[name].items):
            results["dev2"] = subset(results[name], "dev2")
    if not results:
        raise SuiteError(f"{datasets_dir} 沒有可評估的資料切分（dev 需要 retrieval_dev.jsonl 等檔案，test 需要 test/）")
    return results


def cmd_eval_all(out_dir: Path, baseline: Path | None, gate: bool = False, *,
                 settings: Settings | None = None, only: set[str] | None = None,
                 datasets_dir: Path | None = None) -> int:
    """Run the suite, write report.json/.md/.html to ``out_dir``, compare with ``baseline`` (when given
    and present) and, with ``gate``, return 1 when a headline metric dropped beyond its tolerance.
    Exit codes: 0 ok, 1 gate failed, 2 cannot run (message on stderr)."""
    settings = settings or Settings()
    if settings.today is None:  # relative dates of the splits (今年, 去年, 下一次) are as of the evaluation date
        settings = settings.model_copy(update={"today": EVAL_TODAY})
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
    t0 = time.perf_counter()
    c = Container(settings)
    c.ensure_ready(announce=lambda: print("索引是空的，先建立內建知識庫索引（約一分鐘）……", file=sys.stderr))
    c.ensure_sample_records()  # records questions are answered from the 範例 records
    judge = None
    if settings.llm_base_url:
        judge = LLMJudge.from_settings(settings, embed=lambda s: [float(x) for x in c.embedder.embed_query(s)])
    try:
        results = run_all_splits(c, Path(datasets_dir or settings.datasets_dir), only=only, judge=judge)
    except SuiteError as e:
        print(f"錯誤：{e}", file=sys.stderr)
        return 2
    report = build_split_report(results, c, base_report)
    report["elapsed_s"] = round(time.perf_counter() - t0, 1)  # index check, records and every split
    paths = write_report(report, Path(out_dir))
    _print_headline(report)
    print("報告：" + "、".join(str(p) for p in paths.values()))
    if report.get("judge", {}).get("status") == "skipped" and report["judge"].get("message"):
        print(report["judge"]["message"])
    if base_report is not None:
        for split, comp in report["comparison"].items():
            print(f"[{split}] 指標下降 {len(comp['metric_drops'])} 項；變差的題目 {len(comp['regressions'])} 題；"
                  f"改善的題目 {len(comp['fixed'])} 題")
        g = report["gate"]
        print("回歸門檻：" + ("通過" if g["passed"] else "未通過"))
        for f in g["failures"]:
            print(f"  - {f}")
        if gate and not g["passed"]:
            return 1
    return 0


def cmd_eval_baseline_update(report: Path, baseline: Path) -> int:
    """Replace the baseline with ``report`` (a report.json from ``cmd_eval_all``) and print the diff."""
    try:
        print(update_baseline(Path(report), Path(baseline)))
    except (FileNotFoundError, ValueError) as e:
        print(f"錯誤：{e}", file=sys.stderr)
        return 2
    return 0


def run_benchmark(work_dir: Path | None = None, queries: int = 200) -> dict[str, Any]:
    """`mishu bench`: a Container on a fresh data directory (temporary unless ``work_dir``), benchmarked."""
    tmp = None
    if work_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="mishu-bench-")
        work_dir = Path(tmp.name)
    try:
        c = Container(Settings(data_dir=work_dir))
        return benchmark(c.indexer, c.retriever, c.kb, list(c.settings.sources), queries=queries)
    finally:
        if tmp is not None:
            tmp.cleanup()
