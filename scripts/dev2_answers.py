"""Answer metrics on the dev2 set (evals/datasets/dev2/, dev only): record routing, refusals, gold among the
first three citations, numeric exact. "Today" is the set's 2026-12-01.

    MISHU_DATA_DIR=/tmp/mishu-answers python scripts/dev2_answers.py [records|questions|numeric|all] [--show]
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from mishu.app import Container
from mishu.settings import Settings

DEV2 = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "dev2"
TODAY = date(2026, 12, 1)
FAMILY_TOOLS = {
    "cases": {"lookup_case", "find_cases"},
    "failed_tenders": {"failed_tender_events", "failed_tender_report", "lookup_case"},
    "vendors": {"vendor_cases"},
    "suspensions": {"vendor_suspension_check", "suspended_vendors"},
    "aeds": {"find_aeds", "building_safety_status"},
    "inspections": {"inspection_history", "building_safety_status"},
    "drills": {"list_drills", "building_safety_status"},
    "retention": {"retention_lookup"},
    "seed_teachers": {"find_seed_teachers"},
}


def load(name: str) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in (DEV2 / name).read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def has_fact(text: str, fact: str | list[str]) -> bool:
    alts = [fact] if isinstance(fact, str) else fact
    return any(a in text for a in alts)


def records(c: Container, show: bool) -> dict[str, Any]:
    ok = routed = facts_ok = 0
    items = load("records.jsonl")
    for it in items:
        a = c.assistant.ask(it["query"], role=it.get("role", "staff"))
        called = {tc.name for tc in a.tool_calls if tc.error is None and tc.result not in (None, [], {})}
        if it.get("expect") == "denied":
            good = a.refused or not (called & FAMILY_TOOLS[it["record"]])
            routed += good
            ok += good
            continue
        r = bool(called & FAMILY_TOOLS[it["record"]])
        f = all(has_fact(a.answer, k) for k in it["key_facts"])
        routed += r
        facts_ok += f
        ok += r and f
        if show and not (r and f):
            print(
                f"--- {it['id']} routed={r} facts={f} {it['query']}\n    called={sorted(called)}"
                f" args={[tc.args for tc in a.tool_calls if tc.name != 'search_regulations']}\n"
                f"    {a.answer[:300]!r}"
            )
    n = len(items)
    return {
        "items": n,
        "routed": round(routed / n, 3),
        "key_facts": round(facts_ok / n, 3),
        "both": round(ok / n, 3),
    }


def questions(c: Container, show: bool) -> dict[str, Any]:
    items = [
        x
        for f in (
            "questions_procurement.jsonl",
            "questions_archives.jsonl",
            "questions_emergency.jsonl",
            "questions_general.jsonl",
        )
        for x in load(f)
    ]
    no_ans = refused_no = ans = false_ref = sit = sit_false = gold_n = gold3 = 0
    lat: list[float] = []
    for it in items:
        t0 = time.perf_counter()
        a = c.assistant.ask(it["query"], role="staff")
        lat.append((time.perf_counter() - t0) * 1000)
        if it["refuse"]:
            no_ans += 1
            refused_no += a.refused
        else:
            ans += 1
            false_ref += a.refused
            if it.get("style") == "situational":
                sit += 1
                sit_false += a.refused
        if it.get("gold") and not it["refuse"]:
            gold_n += 1
            first = list(dict.fromkeys((x.title, x.no) for x in a.citations))[:3]
            hit = any((g["title"], g["no"]) in first for g in it["gold"])
            gold3 += hit
        if show and (a.refused != it["refuse"]):
            print(
                f"--- {it['id']} want refuse={it['refuse']} got={a.refused} {it['query']}\n    {a.answer[:160]!r}"
            )
    lat.sort()
    return {
        "no_answer_refused": f"{refused_no}/{no_ans}",
        "false_refusals": f"{false_ref}/{ans}",
        "situational_false_refusals": f"{sit_false}/{sit}",
        "gold_in_first3": f"{gold3}/{gold_n}",
        "p95_ms": round(lat[int(0.95 * (len(lat) - 1))], 1),
    }


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "all"
    show = "--show" in argv
    c = Container(Settings(today=TODAY))
    c.ensure_ready()
    c.ensure_sample_records()
    out: dict[str, Any] = {}
    if what in ("records", "all"):
        out["records"] = records(c, show)
    if what in ("questions", "all"):
        out["questions"] = questions(c, show)
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
