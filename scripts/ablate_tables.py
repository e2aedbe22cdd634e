"""Retrieval numbers on the dev sets (and the test split, for the record) with each phrase table on/off.

    python scripts/ablate_tables.py                 # all tables on, then each table off in turn
    python scripts/ablate_tables.py --only all      # just the current configuration
    python scripts/ablate_tables.py --no-test       # dev only

Dev = evals/datasets/retrieval_dev.jsonl + retrieval_templates_plans.jsonl ("dev1") and
evals/datasets/dev2/questions_*.jsonl ("dev2"); test = evals/datasets/test/questions_*.jsonl. Items with
gold articles and ``refuse`` false are scored with evals.metrics (hit@5 and MRR@10 of the FIRST gold
article; any_hit@5 of any gold article). The test numbers are printed for the record only: no table or
signal is chosen by them. Uses MISHU_DATA_DIR's index (built on first use).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evals.metrics import aggregate, keys, retrieval_item_scores  # noqa: E402
from knowledge.thesaurus import TABLES  # noqa: E402
from mishu.app import Container  # noqa: E402
from mishu.settings import Settings  # noqa: E402

DATASETS = ROOT / "evals" / "datasets"
SETS: dict[str, list[Path]] = {
    "dev1": [DATASETS / "retrieval_dev.jsonl", DATASETS / "retrieval_templates_plans.jsonl"],
    "dev2": sorted((DATASETS / "dev2").glob("questions_*.jsonl")),
    "test": sorted((DATASETS / "test").glob("questions_*.jsonl")),
}


def load_rows(paths: list[Path]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for p in paths:
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                if r.get("gold") and not r.get("refuse"):
                    rows.append(r)
    return rows


def measure(container: Container, rows: list[dict[str, Any]], k: int = 10) -> dict[str, dict[str, float]]:
    """{"overall"|domain: {"n", "hit@5", "mrr@10", "any_hit@5"}} for the container's retriever."""
    by: dict[str, list[dict[str, float]]] = {}
    for r in rows:
        hits = container.retriever.search(r["query"], k)
        s = retrieval_item_scores([(h.title, h.no) for h in hits], keys(r["gold"]), k)
        by.setdefault("overall", []).append(s)
        by.setdefault(str(r.get("domain", "?")), []).append(s)
    out: dict[str, dict[str, float]] = {}
    for name, scores in by.items():
        agg = aggregate(scores)
        out[name] = {
            "n": len(scores),
            "hit@5": agg["hit@5"],
            "mrr@10": agg["mrr@10"],
            "any_hit@5": agg["any_hit@5"],
        }
    return out


def fmt(res: dict[str, dict[str, float]]) -> str:
    order = ["overall", *sorted(d for d in res if d != "overall")]
    return "  ".join(
        f"{d} {res[d]['hit@5']:.3f}/{res[d]['mrr@10']:.3f} (n={int(res[d]['n'])})" for d in order if d in res
    )


def markdown(results: dict[str, dict[str, Any]]) -> str:
    """One row per configuration and set: overall and per-domain hit@5 / MRR@10."""
    domains = sorted(
        {d for per_set in results.values() for res in per_set.values() for d in res} - {"overall"}
    )
    head = "| tables | set | overall | " + " | ".join(domains) + " |"
    lines = [head, "|" + "---|" * (3 + len(domains))]
    for name, per_set in results.items():
        label = "all on" if name == "all" else f"without {name}"
        for s, res in per_set.items():
            cells = [
                f"{res[d]['hit@5']:.3f} / {res[d]['mrr@10']:.3f}" if d in res else "–"
                for d in ["overall", *domains]
            ]
            lines.append(f"| {label} | {s} (n={int(res['overall']['n'])}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--only", choices=["all", *TABLES], help="measure one configuration: all tables on, or one table off"
    )
    ap.add_argument("--no-test", action="store_true", help="dev sets only")
    ap.add_argument("--json", type=Path, help="also write the numbers as JSON")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table at the end")
    args = ap.parse_args(argv)
    container = Container(Settings())
    container.ensure_ready()
    base = container.retriever.config
    sets = {n: load_rows(p) for n, p in SETS.items() if not (args.no_test and n == "test") and p}
    configs = ["all", *TABLES] if args.only is None else [args.only]
    results: dict[str, dict[str, Any]] = {}
    for name in configs:
        off = () if name == "all" else (name,)
        container.retriever.config = replace(base, tables_off=off)
        results[name] = {s: measure(container, rows) for s, rows in sets.items()}
        label = "all tables on" if name == "all" else f"without {name}"
        for s, res in results[name].items():
            print(f"{label:<22} {s:<5} {fmt(res)}", flush=True)
    if args.markdown:
        print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
