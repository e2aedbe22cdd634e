"""Which tools read the records, and why a record answer cannot be given. The record answers themselves
are rendered by their typed results (assistant/tool_results.py)."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.models import ToolCall

RECORD_TOOLS = frozenset(
    {
        "find_cases",
        "vendor_cases",
        "failed_tender_events",
        "suspended_vendors",
        "find_aeds",
        "list_drills",
        "inspection_history",
        "find_seed_teachers",
        "lookup_case",
        "failed_tender_report",
        "vendor_suspension_check",
        "retention_lookup",
        "building_safety_status",
    }
)


def missing_named(calls: Sequence[ToolCall]) -> str | None:
    """Why a record answer cannot be given: the question named something (案號, 統一編號, a vendor) that the
    records do not hold, and no record look-up found anything else. None when a record answered."""
    missing: str | None = None
    found = False
    for tc in calls:
        if tc.name not in RECORD_TOOLS:
            continue
        if tc.name == "lookup_case" and tc.error:
            missing = missing or f"{tc.error}（紀錄資料庫）"
        elif tc.error or tc.result is None:
            continue
        elif (why := tc.result.missing_zh()) is not None:
            missing = missing or why
        elif not tc.result.is_empty():
            found = True
    return None if found else missing
