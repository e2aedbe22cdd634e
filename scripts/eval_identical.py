#!/usr/bin/env python3
"""Are two evaluation reports identical in everything but timing?

``python scripts/eval_identical.py BEFORE/report.json AFTER/report.json``

A report of ``mishu eval all`` is compared split by split (dev, dev2, test).

Compares, ignoring only what depends on the machine or the clock (every metric whose name starts with
``latency``, ``timings_s``, ``environment``, and the baseline ``comparison``/``gate``):
- the headline metrics;
- every family table, overall and per domain;
- the suite configuration (families, k, retrieval configuration);
- every per-item result, matched by (family, id): pass/fail, every metric and every detail (answer excerpt,
  citations, tools, gold rank, missing facts …).

Prints a summary and exits 0 when identical, 1 otherwise (with the first differences listed). A behaviour-
preserving refactor must leave this at 0.

Run-to-run noise: the embedded Chroma HNSW search is not deterministic across processes (on the same index a
run can miss a vector that another run returns, e.g. one at rank 42 of 160), so two runs of the SAME code can
differ in a few items (a related article, a quote). Give re-runs of
the reference code with ``--noise REPORT`` (repeatable): an AFTER item (and the headline) then also counts as
identical when it equals that item in one of those reference runs; such items are listed separately.
Run every report on the same index and a fresh records store (the suite does not load the 範例 records).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

MAX_SHOWN = 40


def _load(path: Path) -> dict[str, dict[str, Any]]:
    """The report's split blocks by name: ``splits`` of a schema-2 report (``mishu eval all``), or the one
    block of a single-split report under the name ""."""
    obj = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(obj, dict):
        raise SystemExit(f"{path}: not an evaluation report")
    splits = obj.get("splits")
    blocks: dict[str, Any] = splits if isinstance(splits, dict) else {"": obj}
    for name, block in blocks.items():
        if not isinstance(block, dict) or "items" not in block or "families" not in block:
            raise SystemExit(f"{path}: not an evaluation report (no items/families{' in split ' + name if name else ''})")
    return {name: dict(block, environment=obj.get("environment", {})) for name, block in blocks.items()}


def _strip(value: Any) -> Any:
    """Drop latency figures at any depth (they measure the machine, not the behaviour)."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not str(k).startswith("latency")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _diff(path: str, a: Any, b: Any, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                out.append(f"{path}.{k}: only in AFTER ({json.dumps(b[k], ensure_ascii=False)[:120]})")
            elif k not in b:
                out.append(f"{path}.{k}: only in BEFORE ({json.dumps(a[k], ensure_ascii=False)[:120]})")
            else:
                _diff(f"{path}.{k}", a[k], b[k], out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(f"{path}[{i}]", x, y, out)
    elif a != b or type(a) is not type(b):
        out.append(f"{path}: {json.dumps(a, ensure_ascii=False)[:150]} -> {json.dumps(b, ensure_ascii=False)[:150]}")


def _items(report: dict[str, Any]) -> dict[tuple[str, str], Any]:
    out = {(i["family"], i["id"]): _strip(i) for i in report["items"]}
    if len(out) != len(report["items"]):
        raise SystemExit("items: duplicate (family, id) keys")
    return out


def compare(before: dict[str, Any], after: dict[str, Any],
            noise: list[dict[str, Any]] | None = None) -> tuple[list[str], list[str]]:
    """(differences, items that equal a --noise reference run instead of BEFORE)."""
    diffs: list[str] = []
    noisy: list[str] = []
    refs = [before, *(noise or [])]
    tables = [(r.get("headline"), _strip(r.get("families"))) for r in refs]
    if (after.get("headline"), _strip(after.get("families"))) not in tables:
        _diff("headline", before.get("headline"), after.get("headline"), diffs)
        _diff("families", _strip(before.get("families")), _strip(after.get("families")), diffs)
    elif (after.get("headline"), _strip(after.get("families"))) != tables[0]:
        noisy.append("headline and family tables (equal to a --noise run)")
    _diff("config", before.get("config"), after.get("config"), diffs)
    items_a, items_b = _items(before), _items(after)
    alt = [_items(r) for r in noise or []]
    for key in sorted(set(items_a) | set(items_b)):
        name = f"items[{key[0]}:{key[1]}]"
        if key not in items_b:
            diffs.append(f"{name}: missing in AFTER")
        elif key not in items_a:
            diffs.append(f"{name}: new in AFTER")
        elif items_a[key] != items_b[key]:
            if any(a.get(key) == items_b[key] for a in alt):
                noisy.append(name)
            else:
                _diff(name, items_a[key], items_b[key], diffs)
    return diffs, noisy


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("before", type=Path)
    p.add_argument("after", type=Path)
    p.add_argument("--noise", type=Path, action="append", default=[],
                   help="another run of the reference code (run-to-run noise of the vector store)")
    args = p.parse_args(argv)
    before, after = _load(args.before), _load(args.after)
    noise = [_load(n) for n in args.noise]
    if set(before) != set(after):
        print(f"NOT IDENTICAL: splits differ: {sorted(before)} -> {sorted(after)}")
        return 1
    diffs: list[str] = []
    noisy: list[str] = []
    first = next(iter(before.values()))
    print(f"BEFORE {args.before} (commit {first.get('environment', {}).get('git_commit')})")
    print(f"AFTER  {args.after} (commit {next(iter(after.values())).get('environment', {}).get('git_commit')})")
    for split, b in before.items():
        a = after[split]
        prefix = f"[{split}] " if split else ""
        d, n = compare(b, a, [r[split] for r in noise if split in r])
        diffs += [prefix + x for x in d]
        noisy += [prefix + x for x in n]
        by_family: dict[str, int] = {}
        for i in b["items"]:
            by_family[i["family"]] = by_family.get(i["family"], 0) + 1
        print(f"{prefix}items compared: " + ", ".join(f"{f} {k}" for f, k in sorted(by_family.items()))
              + f" (total {len(b['items'])})")
        for name, value in (b.get("headline") or {}).items():
            new = (a.get("headline") or {}).get(name)
            mark = "=" if value == new else "!="
            print(f"  {prefix}{name:<32} {value!s:>22} {mark} {new!s}")
    if diffs:
        print(f"NOT IDENTICAL: {len(diffs)} difference(s)")
        for x in diffs[:MAX_SHOWN]:
            print("  " + x)
        if len(diffs) > MAX_SHOWN:
            print(f"  … {len(diffs) - MAX_SHOWN} more")
        return 1
    if noisy:
        print(f"equal to a --noise run of the reference code rather than to BEFORE: {', '.join(noisy)}")
    print("IDENTICAL: headline metrics, family tables (latency excluded), config and every per-item result"
          + (" of every split" if len(before) > 1 else "")
          + (" (allowing the reference's own run-to-run noise)" if noisy else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
