"""Record routing: did a records question reach the right record tool with the right filters?

A records item (``records.jsonl`` of dev2 and the test split) names the ``record`` kind that answers it
(cases, failed_tenders, vendors, suspensions, aeds, inspections, drills, retention, seed_teachers) and the
``filters`` a correct look-up applies (``{"case_no": "115S0023"}``, ``{"method": "限制性招標", "year": 2026}``).
The answer object records every tool the assistant ran in ``tool_calls[{name, args, result}]``
(docs/DESIGN.md; a tool that failed or was denied carries ``result: {"error": ...}``).

* **Routed** — at least one successful call of a tool that serves the record kind (:data:`RECORD_TOOLS`),
  and every filter of the item is carried by the arguments of those calls (:func:`filter_carried`).
* **Denied** items (``expect: "denied"``: the caller's role may not see that record) are routed right when
  the answer is refused or no tool serving the record kind returned data.

Pure functions over dicts; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# record kind -> the tools that serve it (the records tools of assistant/tools.py and their successors).
RECORD_TOOLS: dict[str, frozenset[str]] = {
    # cases: one case by number, or a filtered list
    "cases": frozenset({"lookup_case", "find_cases"}),
    # failed tenders: the 流標/廢標 report, or a case's own tender events
    "failed_tenders": frozenset({"failed_tender_report", "failed_tender_events", "lookup_case", "find_cases"}),
    # vendors: the cases a vendor won, or its record and suspension status
    "vendors": frozenset({"vendor_cases", "find_cases", "vendor_suspension_check"}),
    # suspensions: 刊登政府採購公報 periods
    "suspensions": frozenset({"vendor_suspension_check", "suspended_vendors"}),
    # AEDs, inspections and drills: the building-safety status (or a dedicated tool per kind)
    "aeds": frozenset({"building_safety_status", "find_aeds"}),
    "inspections": frozenset({"building_safety_status", "inspection_history"}),
    "drills": frozenset({"building_safety_status", "list_drills"}),
    # retention: the 檔案保存年限區分表
    "retention": frozenset({"retention_lookup"}),
    # seed teachers by district
    "seed_teachers": frozenset({"find_seed_teachers"}),
}
# argument names that can carry a year filter (a date range inside the year, or the year itself)
_YEAR_ARGS = re.compile(r"year|date|from|to|since|until|start|end", re.I)
_SPACE = re.compile(r"\s+")


def _norm(v: Any) -> str:
    return _SPACE.sub("", str(v)).lower()


def _flat_args(args: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    for k, v in args.items():
        if isinstance(v, Mapping):
            yield from _flat_args(v)
        elif isinstance(v, list | tuple):
            for x in v:
                yield k, x
        elif v is not None:
            yield k, v


def _year_carried(year: int, args: Mapping[str, Any]) -> bool:
    for k, v in _flat_args(args):
        if not _YEAR_ARGS.search(k):
            continue
        s = str(v)
        if s == str(year) or s.startswith(f"{year}-") or s.startswith(f"{year}/") or s == str(year - 1911):
            return True
    return False


def filter_carried(key: str, value: Any, args: Mapping[str, Any]) -> bool:
    """Whether one item filter is carried by a tool call's arguments: ``year`` by a year or a date in that
    year in a date/year argument; any other filter by an argument value equal to it, or (text of two or
    more characters) one containing the other."""
    if key == "year" and isinstance(value, int):
        return _year_carried(value, args)
    want = _norm(value)
    for _, v in _flat_args(args):
        got = _norm(v)
        if isinstance(v, bool) or not got:
            continue
        if got == want or (len(want) >= 2 and len(got) >= 2 and (want in got or got in want)):
            return True
    return False


def _ok(call: Mapping[str, Any]) -> bool:
    result = call.get("result")
    return not (isinstance(result, Mapping) and "error" in result) and not call.get("error")


@dataclass
class RoutingCheck:
    routed: bool
    tools: list[str] = field(default_factory=list)  # the record-kind tools that ran successfully
    missing_filters: list[str] = field(default_factory=list)


def record_routing(item: Mapping[str, Any], answer: Mapping[str, Any] | None) -> RoutingCheck:
    """Routing of one records item (see the module docstring); a crashed question (``answer`` None) is
    not routed."""
    if answer is None:
        return RoutingCheck(False, missing_filters=sorted(item.get("filters") or {}))
    serving = RECORD_TOOLS.get(str(item.get("record")), frozenset())
    calls: Sequence[Mapping[str, Any]] = [c for c in answer.get("tool_calls") or []
                                          if c.get("name") in serving and _ok(c)]
    tools = list(dict.fromkeys(str(c.get("name")) for c in calls))
    if item.get("expect") == "denied":
        return RoutingCheck(bool(answer.get("refused")) or not calls, tools)
    filters: Mapping[str, Any] = item.get("filters") or {}
    missing = [k for k, v in filters.items() if not any(filter_carried(k, v, c.get("args") or {}) for c in calls)]
    return RoutingCheck(bool(calls) and not missing, tools, missing)
