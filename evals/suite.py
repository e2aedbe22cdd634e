"""Evaluation reports: assembly (suite result + environment + headline + gate), reading, and the baseline.

The gate policy (headline metrics, tolerances, comparison) is :mod:`evals.gate`; rendering is
:mod:`evals.report`. Updating the baseline is explicit: :func:`update_baseline` (``mishu eval baseline
--update``) copies a report over the baseline and returns the diff of the headline metrics.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.gate import (
    EPS,
    HEADLINE,
    compare,
    gate,
    gate_splits,
    headline,
    metric_value,
    split_blocks,
    worse_by,
)
from evals.report import render_markdown

CHECKOUT = Path(__file__).resolve().parent.parent  # git metadata of the report comes from here


# --- report assembly ---------------------------------------------------------------------------------------
def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=CHECKOUT, capture_output=True, text=True, timeout=10)
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


def build_split_report(results: Mapping[str, Any], container: Any,
                       baseline: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Suite results per split (``{"dev": ..., "test": ..., "dev2": ...}``) -> one report (schema 2): each
    split is a single-split report under ``splits``; the gate covers every split of the baseline."""
    splits: dict[str, Any] = {}
    for name, result in results.items():
        block = result.to_dict()
        block["headline"] = headline(block)
        if name in BLIND_SPLITS:
            block["items"] = blind_items(block["items"])
        splits[name] = block
    first: dict[str, Any] = next(iter(splits.values()), {})
    report: dict[str, Any] = {
        "schema": 2, "environment": environment(container),
        "config": {"splits": list(splits), **{k: v for k, v in (first.get("config") or {}).items()
                                              if k not in ("split", "sources")}},
        "timings_s": {name: (b.get("timings_s") or {}).get("total") for name, b in splits.items()},
        "judge": first.get("judge") or {}, "splits": splits,
        "headline": {name: b["headline"] for name, b in splits.items()}, "tolerances": dict(HEADLINE)}
    if baseline is not None:
        base = split_blocks(baseline)
        report["comparison"] = {name: compare(b, base[name]) for name, b in splits.items() if name in base}
        g = gate_splits(report, baseline)
        report["gate"] = {"passed": g.passed, "failures": [f.message for f in g.failures], "skipped": g.skipped}
    return report


def load_report(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise FileNotFoundError(f"找不到報告：{path}")
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} 不是合法的 JSON：{e.msg}") from e
    if not isinstance(obj, dict) or ("families" not in obj and "splits" not in obj):
        raise ValueError(f"{path} 不是評估報告（缺少 families）")
    return obj


def update_baseline(report_path: Path, baseline_path: Path) -> str:
    """Copy a report over the baseline (JSON, plus a readable .md beside it) and return the headline diff."""
    new = load_report(Path(report_path))
    old = load_report(Path(baseline_path)) if Path(baseline_path).exists() else None
    lines = [f"基準報告：{baseline_path}",
             f"舊基準：{(old or {}).get('environment', {}).get('git_commit') or '（無）'}",
             f"新基準：{new.get('environment', {}).get('git_commit')}（{new.get('environment', {}).get('date')}）"]
    old_blocks = split_blocks(old) if old else {}
    new_blocks = split_blocks(new)
    for split, block in new_blocks.items():
        prefix = f"[{split}] " if len(new_blocks) > 1 or "splits" in new else ""
        lines += _headline_diff(old_blocks.get(split), block, prefix)
    Path(baseline_path).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(baseline_path).with_suffix(".json.tmp")
    tmp.write_text(baseline_json(new), encoding="utf-8")
    tmp.replace(baseline_path)
    stripped = {k: v for k, v in new.items() if k not in ("comparison", "gate")}
    Path(baseline_path).with_suffix(".md").write_text(render_markdown(stripped), encoding="utf-8")
    return "\n".join(lines)


def _headline_diff(old: Mapping[str, Any] | None, new: Mapping[str, Any], prefix: str) -> list[str]:
    lines = []
    for name in HEADLINE:
        a = metric_value(old, name) if old else None
        b = metric_value(new, name)
        if a is None and b is None:
            continue
        if a is not None and b is not None:
            mark = "" if abs(a - b) <= EPS else ("  ▲ 改善" if worse_by(name, a, b) < 0 else "  ▼ 變差")
            lines.append(f"  {prefix}{name}: {a:.4f} -> {b:.4f} ({b - a:+.4f}){mark}")
        else:
            lines.append(f"  {prefix}{name}: {'—' if a is None else f'{a:.4f}'} -> {'—' if b is None else f'{b:.4f}'}")
    return lines


BLIND_SPLITS = frozenset({"test"})  # reports show their numbers, never what their items ask or expect
_KEEP_DETAILS = ("gold_rank", "missing_key_facts", "quote_failures", "absent_fields", "expected", "got", "error")


def blind_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items of a blind split as reports keep them: id, family, domain, pass/fail, metrics and tags; no
    details (answer excerpts, missing key facts, expected values would reveal the split)."""
    return [{**i, "details": {"error": "（略）"} if (i.get("details") or {}).get("error") else {}} for i in items]


def _items_json(items: list[dict[str, Any]], blind: bool) -> str:
    kept = blind_items(items) if blind else [
        {**i, "details": {k: v for k, v in (i.get("details") or {}).items() if k in _KEEP_DETAILS}} for i in items]
    return "[\n" + ",\n".join("  " + json.dumps(i, ensure_ascii=False) for i in kept) + "\n ]"


def baseline_json(report: Mapping[str, Any]) -> str:
    """A report as a baseline: without its own comparison/gate, item details reduced to what explains a
    failure (none for a blind split), one item per line (readable diffs in git)."""
    rest: dict[str, Any] = {k: v for k, v in report.items() if k not in ("comparison", "gate")}
    blocks: dict[str, str] = {}
    if "splits" in rest:
        rest["splits"] = {name: {**b, "items": f"@@items:{name}@@"} for name, b in rest["splits"].items()}
        blocks = {name: _items_json(b.get("items") or [], name in BLIND_SPLITS)
                  for name, b in report["splits"].items()}
    else:
        rest["items"] = "@@items:@@"
        blocks = {"": _items_json(report.get("items") or [], False)}
    text = json.dumps(rest, ensure_ascii=False, indent=1)
    for name, body in blocks.items():
        text = text.replace(f'"@@items:{name}@@"', body)
    return text + "\n"
