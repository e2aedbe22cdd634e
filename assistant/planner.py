"""The embedded planner (no LLM): from an understood question to the tool calls that answer it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.nlu import Understanding

_TAX_ID = re.compile(r"(?<!\d)\d{8}(?!\d)")
_QUOTED = re.compile(r"[「『\"“]([^」』\"”]{2,40})[」』\"”]")
_RETENTION_NOISE = re.compile(r"請問|的?保存年限|要?保存多久|要?留多久|要存幾年|是多久|多久|幾年|是什麼|呢|嗎|[？?。，,]")


_DISTRICT = re.compile(r"([\u4e00-\u9fff]{1,2}區)|(?:臺中|台中)市?([\u4e00-\u9fff]{1,2})(?:區)?")


@dataclass
class PlannedCall:
    name: str
    args: dict[str, Any]


class RulePlanner:
    """Routes on intents and facts; never calls a writing tool."""

    def plan(self, u: Understanding, query: str, *, k: int = 8) -> list[PlannedCall]:
        calls: list[PlannedCall] = []
        intents = set(u.intents)
        amount, cat = u.amount, u.category
        cats = [cat] if cat else ["財物", "勞務", "工程"]
        if amount is not None and "tier" in intents:
            for c in cats:
                calls.append(PlannedCall("procurement_tier", {"amount": amount, "category": c}))
        basis: dict[str, Any] | None = ({"amount": amount} if amount is not None
                                        else {"tier": u.tier_word} if u.tier_word else None)
        if basis is not None and "tender_period" in intents:
            period_cats = cats if amount is not None else ["財物"]
            for c in period_cats:
                args: dict[str, Any] = {**basis, "category": c}
                if u.method:
                    args["method"] = u.method
                if u.retender:
                    args["retender"] = "流標廢標撤銷決標或解除契約後3個月內重行招標"
                for flag in ("electronic_download", "electronic_bid", "public_inspection", "urgent"):
                    if getattr(u, flag):
                        args[flag] = True
                if u.dates:
                    args["publication_date"] = u.dates[0].isoformat()
                calls.append(PlannedCall("tender_period", args))
        if amount is not None and "guarantee" in intents:
            for c in cats:
                calls.append(PlannedCall("bid_bond_and_guarantees",
                                         {"budget": amount, "category": c,
                                          "negotiation": bool(re.search(r"議價", u.text))}))
        if amount is not None and intents & {"tender_period", "guarantee"} and "tier" not in intents:
            # the tier the figures rest on is part of a complete answer
            for c in cats:
                calls.insert(0, PlannedCall("procurement_tier", {"amount": amount, "category": c}))
        for case_no in u.case_numbers:
            calls.append(PlannedCall("lookup_case", {"case_no": case_no}))
        if "failed_tenders" in intents:
            args = {"group_by": "cause"}
            if re.search(r"(?:各|按|依)(?:單位|科)", u.text):
                args["group_by"] = "unit"
            elif re.search(r"(?:各|按|依|每)月", u.text):
                args["group_by"] = "month"
            elif re.search(r"(?:各|按|依)類別", u.text):
                args["group_by"] = "category"
            if u.dates:
                args["date_from"] = u.dates[0].isoformat()
                if len(u.dates) > 1:
                    args["date_to"] = u.dates[1].isoformat()
            calls.append(PlannedCall("failed_tender_report", args))
        if "vendor" in intents:
            m = _TAX_ID.search(u.text) or _QUOTED.search(u.text)
            if m:
                calls.append(PlannedCall("vendor_suspension_check",
                                         {"tax_id_or_name": m.group(1) if m.groups() else m.group(0)}))
        if "retention" in intents:
            subject = _RETENTION_NOISE.sub("", u.text).strip()
            if subject and not re.fullmatch(r"檔案|公文|文件", subject):
                calls.append(PlannedCall("retention_lookup", {"text_or_code": subject}))
        if "seed_teacher" in intents:
            m = _DISTRICT.search(u.text)
            if m:
                calls.append(PlannedCall("find_seed_teachers", {"district": m.group(1)}))
        if "building_safety" in intents:
            calls.append(PlannedCall("building_safety_status", {}))
        calls.append(PlannedCall("search_regulations", {"query": query, "k": k}))
        return calls
