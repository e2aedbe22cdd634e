"""The embedded planner (no LLM): from an understood question to the tool calls that answer it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.nlu import Understanding, asks_guarantee_figure

_TAX_ID = re.compile(r"(?<!\d)\d{8}(?!\d)")
# 減收 of a guarantee (辦法第9條之1、第33條之1、第33條之5、第33條之6), as staff ask it: 減收, 少收, 減免, 打折
_REDUCTION = re.compile(r"減收|少收|減免|打折|折減")
_QUOTED = re.compile(r"[「『\"“]([^」』\"”]{2,40})[」』\"”]")
_RETENTION_NOISE = re.compile(r"請問|的?保存年限|要?保存多久|要?留多久|要存幾年|是多久|多久|幾年|是什麼|呢|嗎|[？?。，,]")


_DISTRICT = re.compile(r"([\u4e00-\u9fff]{1,2}區)|(?:臺中|台中)市?([\u4e00-\u9fff]{1,2})(?:區)?")


@dataclass
class PlannedCall:
    name: str
    args: dict[str, object]


class RulePlanner:
    """Routes on intents and facts; never calls a writing tool. Each step adds the calls of one kind of
    question, in the order the answer presents them; the regulation search always comes last."""

    def plan(self, u: Understanding, query: str, *, k: int = 8) -> list[PlannedCall]:
        calls = [*self.tiers(u), *self.tender_periods(u), *self.guarantees(u)]
        calls = [*reversed(self.supporting_tiers(u)), *calls]
        for step in (self.cases, self.failed_tenders, self.vendor, self.retention, self.seed_teachers,
                     self.building_safety):
            calls.extend(step(u))
        calls.append(PlannedCall("search_regulations", {"query": query, "k": k}))
        return calls

    @staticmethod
    def _categories(u: Understanding) -> list[str]:
        return [u.category] if u.category else ["財物", "勞務", "工程"]

    def tiers(self, u: Understanding) -> list[PlannedCall]:
        if u.amount is None or "tier" not in u.intents:
            return []
        return [PlannedCall("procurement_tier", {"amount": u.amount, "category": c}) for c in self._categories(u)]

    def tender_periods(self, u: Understanding) -> list[PlannedCall]:
        basis: dict[str, object] | None = ({"amount": u.amount} if u.amount is not None
                                        else {"tier": u.tier_word} if u.tier_word else None)
        if basis is None or "tender_period" not in u.intents:
            return []
        calls = []
        for c in self._categories(u) if u.amount is not None else ["財物"]:
            args: dict[str, object] = {**basis, "category": c}
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
        return calls

    def guarantees(self, u: Understanding) -> list[PlannedCall]:
        if u.amount is None or not asks_guarantee_figure(u):
            return []
        negotiation = bool(re.search(r"議價", u.text))
        args: dict[str, object] = {"budget": u.amount, "negotiation": negotiation}
        if _REDUCTION.search(u.text):  # 減收 asked: its largest amounts, of the guarantees named (押標金 by default)
            args["reductions"] = [k for k in ("押標金", "履約保證金") if k in u.text] or ["押標金"]
        return [PlannedCall("bid_bond_and_guarantees", {**args, "category": c}) for c in self._categories(u)]

    def supporting_tiers(self, u: Understanding) -> list[PlannedCall]:
        """The tier the figures rest on is part of a complete answer (it leads, before the figures)."""
        intents = set(u.intents)
        if not asks_guarantee_figure(u):
            intents.discard("guarantee")
        if u.amount is None or not intents & {"tender_period", "guarantee"} or "tier" in intents:
            return []
        return [PlannedCall("procurement_tier", {"amount": u.amount, "category": c}) for c in self._categories(u)]

    def cases(self, u: Understanding) -> list[PlannedCall]:
        return [PlannedCall("lookup_case", {"case_no": n}) for n in u.case_numbers]

    def failed_tenders(self, u: Understanding) -> list[PlannedCall]:
        if "failed_tenders" not in u.intents:
            return []
        args: dict[str, object] = {"group_by": "cause"}
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
        return [PlannedCall("failed_tender_report", args)]

    def vendor(self, u: Understanding) -> list[PlannedCall]:
        m = (_TAX_ID.search(u.text) or _QUOTED.search(u.text)) if "vendor" in u.intents else None
        if not m:
            return []
        return [PlannedCall("vendor_suspension_check", {"tax_id_or_name": m.group(1) if m.groups() else m.group(0)})]

    def retention(self, u: Understanding) -> list[PlannedCall]:
        subject = _RETENTION_NOISE.sub("", u.text).strip() if "retention" in u.intents else ""
        if not subject or re.fullmatch(r"檔案|公文|文件", subject):
            return []
        return [PlannedCall("retention_lookup", {"text_or_code": subject})]

    def seed_teachers(self, u: Understanding) -> list[PlannedCall]:
        m = _DISTRICT.search(u.text) if "seed_teacher" in u.intents else None
        return [PlannedCall("find_seed_teachers", {"district": m.group(1)})] if m else []

    def building_safety(self, u: Understanding) -> list[PlannedCall]:
        return [PlannedCall("building_safety_status", {})] if "building_safety" in u.intents else []
