"""Record routing: a question about cases, failed tenders, vendors, suspensions, AEDs, inspections, drills,
retention classes or seed teachers reaches its record tool with the filters it states.

The family comes from the question's focus nouns (``assistant/data/record_families.json``, one reason per
word) and from the records' own values (unit names, vendor names, AED places and floors, inspection kinds,
districts, expertise — read from the records store, not written here). A family noun alone is not enough:
the question must also refer to recorded instances (an instance cue, a date, or a records value), so
「AED 多久要檢查一次？」 stays a question about the rule while 「9樓那台AED上次檢查是什麼時候？」 is a record
look-up. Relative dates (今年、去年、這個月、上一次) are read against an injectable "today".
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.record_dates import DateSpan, date_span, elapsed_before
from assistant.record_filters import record_fragment, repeats, stated_status
from core.numerals import cn_to_int
from knowledge.records.results import RecordCatalog
from knowledge.records.vocab import METHODS, STATUSES, TAICHUNG_DISTRICTS

DATA = Path(__file__).resolve().parent / "data" / "record_families.json"
KIND_NAMES = Path(__file__).resolve().parent / "data" / "record_kind_names.json"
_CASE_NO = re.compile(
    r"(?:案號|標案編號|案件編號)[:：\s]*([A-Za-z0-9][A-Za-z0-9-]{3,30})|(?<![A-Za-z0-9])(\d{3}[A-Z]\d{4})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_TAX_ID = re.compile(r"(?<!\d)(\d{8})(?!\d)")
_FLOOR = re.compile(
    r"(地下|B)\s*([一二三四五六七八九十\d]{1,3})\s*(?:樓|F|層)?|([一二三四五六七八九十\d]{1,3})\s*(?:樓|F)",
    re.IGNORECASE,
)
_SAMPLE = re.compile(r"（範例）|\(範例\)|^範例|（範例資料）")
_VENDOR_SUFFIX = re.compile(r"(?:股份)?有限公司$|企業社$|工程行$|商行$")
_ONGOING = re.compile(r"(?:還在|正在|仍在|尚在)(籌備|招標|履約)")
_HIGHEST = re.compile(r"(?:最高|最大|最多)")
_NOT_PASSED = re.compile(r"(?<!合)不合格")
# asks the date something falls due (什麼時候到期), not which ones have a problem
_WHEN_DUE = re.compile(r"(?:什麼時候|何時|哪天|哪一天|幾月|幾號|日期|期限)[^，。？?]{0,2}(?:到期|過期)")
_COMPANY = re.compile(r"[「『]?([\u4e00-\u9fffA-Za-z]{2,24}?(?:股份有限公司|有限公司|企業社|工程行))[」』]?")


@dataclass(frozen=True)
class FamilyTable:
    precedence: list[str]
    nouns: dict[str, dict[str, str]]
    cues: dict[str, str]
    rule_markers: dict[str, str] = field(default_factory=dict)
    list_asks: dict[str, str] = field(default_factory=dict)
    generic_cues: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=1)
def families(path: Path = DATA) -> FamilyTable:
    data = json.loads(path.read_text(encoding="utf-8"))
    nouns = {k: dict(v) for k, v in data["families"].items()}
    for fam in data["precedence"]:
        if fam not in nouns:
            raise ValueError(f"record_families.json: precedence names unknown family {fam}")
    rules, asks, generic = data.get("rule_markers", {}), data.get("list_asks", {}), data.get("generic_cues", {})
    for table in [*nouns.values(), data["instance_cues"], rules, asks, generic]:
        for word, reason in table.items():
            if not word or not str(reason).strip():
                raise ValueError(f"record_families.json: entry {word!r} has no reason")
    return FamilyTable(precedence=list(data["precedence"]), nouns=nouns, cues=dict(data["instance_cues"]),
                       rule_markers=dict(rules), list_asks=dict(asks), generic_cues=dict(generic))


@lru_cache(maxsize=1)
def kind_names(path: Path = KIND_NAMES) -> dict[str, dict[str, str]]:
    """family -> common name -> the recorded words (電梯 -> 昇降設備); every entry must carry a reason."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict[str, str]] = {}
    for fam, names in data.items():
        if fam.startswith("_"):
            continue
        for name, entry in names.items():
            if not name or not entry.get("recorded") or not str(entry.get("reason", "")).strip():
                raise ValueError(f"record_kind_names.json: {fam}/{name!r} needs recorded words and a reason")
        out[fam] = {n: e["recorded"] for n, e in names.items()}
    return out


def recorded_words(q: str, family: str) -> str:
    """The question with the records' words for the common names it uses (電梯 -> 昇降設備), longest first."""
    for name, recorded in sorted(kind_names().get(family, {}).items(), key=lambda kv: -len(kv[0])):
        if name in q and recorded not in q:
            q = q.replace(name, recorded)
    return q


def reads_as_rule(q: str, t: FamilyTable) -> bool:
    """Whether the question asks what a rule requires (幾家廠商投標才能開標, 多久要檢查一次)."""
    return any(m in q for m in t.rule_markers)


@dataclass
class RecordRoute:
    family: str
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    values: list[str] = field(default_factory=list)  # records values the question named


def strip_sample(text: str) -> str:
    return _SAMPLE.sub("", text).strip()


def longest_common(a: str, b: str) -> str:
    """Longest common substring of two short strings (dynamic programming, O(len a × len b))."""
    best, end = 0, 0
    prev = [0] * (len(b) + 1)
    for i, ca in enumerate(a, 1):
        cur = [0] * (len(b) + 1)
        for j, cb in enumerate(b, 1):
            if ca == cb:
                cur[j] = prev[j - 1] + 1
                if cur[j] > best:
                    best, end = cur[j], i
        prev = cur
    return a[end - best : end]


def subsequence_window(question: str, value: str, min_len: int = 4) -> str:
    """The longest stretch of the question whose characters appear in order in ``value`` (公安申報 in
    建築物公共安全檢查簽證申報), at least ``min_len`` long, else ''."""
    best = ""
    for i in range(len(question)):
        it_pos, j = 0, i
        while j < len(question):
            k = value.find(question[j], it_pos)
            if k < 0:
                break
            it_pos, j = k + 1, j + 1
        if j - i > len(best):
            best = question[i:j]
    return best if len(best) >= min_len else ""


def vendor_core(name: str) -> str:
    return _VENDOR_SUFFIX.sub("", strip_sample(name))


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _shared_bigrams(q: str, value: str) -> int:
    return len(_bigrams(q) & _bigrams(value))


def match_vendor(q: str, cat: RecordCatalog | None) -> str | None:
    """The vendor a question names: its 統一編號, a vendor of the records by the core of its name (楓葉機電 for
    範例楓葉機電有限公司), or a company name the records may not hold (then the look-up finds nothing)."""
    m = _TAX_ID.search(q)
    if m:
        return m.group(1)
    vendors = cat.vendors if cat else []
    found = [
        (len(vendor_core(n)), n) for _t, n in vendors if len(vendor_core(n)) >= 2 and vendor_core(n) in q
    ]
    if found:
        return max(found)[1]
    m = _COMPANY.search(q)
    return m.group(1) if m else None


def match_floor(q: str, floors: list[str]) -> str | None:
    for m in _FLOOR.finditer(q):
        basement, num = bool(m.group(1)), m.group(2) or m.group(3)
        n = int(num) if num.isdigit() else cn_to_int(num)
        if n is None:
            continue
        floor = f"B{n}" if basement else f"{n}F"
        if not floors or floor in floors:
            return floor
    return None


def best_value(q: str, values: list[str], min_len: int) -> str:
    """The longest piece of the question that occurs in one of the records' values (its place or title)."""
    best = ""
    for v in values:
        common = longest_common(q, strip_sample(v))
        if len(common) > len(best):
            best = common
    return best if len(best) >= min_len else ""


def match_district(q: str, districts: list[str]) -> str | None:
    for d in sorted(TAICHUNG_DISTRICTS, key=len, reverse=True):
        stem = d[:-1]
        if d in q or (len(stem) >= 2 and stem in q):
            return d
    return None


def detect_family(q: str, cat: RecordCatalog | None, table: FamilyTable | None = None) -> str | None:
    """The record family the question is about, or None when it asks about rules, not records."""
    t = table or families()
    named = [f for f in t.precedence if any(w.lower() in q.lower() for w in t.nouns[f])]
    vendor = match_vendor(q, cat)
    if vendor and not named:
        named = ["vendors"]
    if not named and (_CASE_NO.search(q) or _case_values(q, cat) or stated_status(q, "cases")):
        named = ["cases"]  # a case number, or a unit, method or status the cases table holds, names the cases
    if not named and _inspection_kind(q, cat):
        named = ["inspections"]  # a recorded inspection kind (緊急發電機定期保養) names the inspections
    if not named:
        return None
    fam = named[0]
    if fam == "cases" and vendor and not _CASE_NO.search(q):
        fam = "vendors"  # the cases of a named vendor (雲海科技標了哪些案子) are its awarded cases
    if fam == "vendors" and not vendor:
        fam = named[1] if len(named) > 1 else ""
    if not fam:
        return None
    return fam if has_instance_signal(q, fam, cat, t) else None


def _case_values(q: str, cat: RecordCatalog | None) -> list[str]:
    units = cat.units if cat else []  # in full: an abbreviation may be the asker's own unit (我在採購科)
    return [v for v in (*units, *METHODS, *STATUSES) if v in q and v not in ("流標", "廢標")]


def abbreviates(short: str, name: str) -> bool:
    """Whether ``short`` is a Chinese abbreviation of ``name``: shorter, same first and last character, and
    one character from each word before the last, i.e. its characters in order in ``name`` with none
    directly after the one before it (綜企科 of 綜合企劃科, 公關科 of 公共關係科, 採管科 of 採購管理科; not 採購科)."""
    if not 3 <= len(short) < len(name) or short[0] != name[0] or short[-1] != name[-1]:
        return False
    pos = [0]
    for ch in short[1:-1]:
        k = name.find(ch, pos[-1] + 2)
        if k < 0:
            return False
        pos.append(k)
    return len(name) - 1 >= pos[-1] + 2


def _abbreviated(q: str, names: list[str]) -> str | None:
    """The one name of ``names`` the question abbreviates (None when none or more than one)."""
    found = {n for n in names for i in range(len(q)) for j in range(i + 3, min(len(q), i + len(n) - 1) + 1)
             if abbreviates(q[i:j], n)}
    return found.pop() if len(found) == 1 else None


def _inspection_kind(q: str, cat: RecordCatalog | None) -> str | None:
    """The recorded inspection kind the question names: a stretch of 4+ characters in order in the kind
    (公安申報 in 建築物公共安全檢查簽證申報), the most shared bigrams breaking ties."""
    if not cat or not cat.inspection_kinds:
        return None
    q = recorded_words(q, "inspections")  # staff's common name for the recorded kind (電梯 -> 昇降設備)
    best = max((len(subsequence_window(q, k)), _shared_bigrams(q, k), k) for k in cat.inspection_kinds)
    return best[2] if best[0] >= 4 else None


def has_instance_signal(q: str, fam: str, cat: RecordCatalog | None, t: FamilyTable) -> bool:
    """Whether the question refers to recorded instances. A question that reads as a rule question
    (:func:`reads_as_rule`) needs a records instance: generic cues (幾家, 目前) and a records value with a
    list ask do not count then; a referring cue (上次, 那台), a date span, a case number, a vendor, a unit
    or a records value do."""
    rule = reads_as_rule(q, t)
    if any(c in q for c in t.cues if not (rule and c in t.generic_cues)):
        return True
    if not rule and any(a in q for a in t.list_asks) and _family_value(q, fam, cat):
        return True  # a recorded value of the family plus a list ask (停權期滿的廠商有哪些)
    if date_span(q, date(2000, 1, 1)) is not None:
        return True
    if _CASE_NO.search(q) or _TAX_ID.search(q) or match_vendor(q, cat):
        return True
    if cat is None:
        return False
    return bool(
        any(u in q for u in cat.units)
        or (fam == "failed_tenders" and _case_text(q, cat))  # the failures of a case it names (除濕機那案)
        or (fam == "aeds" and (match_floor(q, cat.aed_floors) or best_value(q, cat.aed_locations, 3)))
        or (
            fam == "seed_teachers"
            and (match_district(q, cat.teacher_districts) or any(x in q for x in cat.teacher_expertise))
        )
        or (fam == "retention" and best_value(q, [t for _c, t in cat.retention_titles], 4))
    )


def _family_value(q: str, fam: str, cat: RecordCatalog | None) -> bool:
    """Whether the question names a value that tells recorded instances apart: a status (in the records'
    or staff words), an inspection result, a recorded check result or drill finding. Kinds and methods
    are topics of rules as well (消防安全設備的檢修項目包括哪些), so they do not count here."""
    if fam in ("cases", "suspensions") and stated_status(q, fam):
        return True
    if fam == "cases":
        return bool(any(repeats(q, s, max_gap=1) for s in STATUSES if s not in ("流標", "廢標")) or _ONGOING.search(q))
    if fam == "inspections":
        return bool(_NOT_PASSED.search(q))
    if cat is None:
        return False
    if fam == "aeds":
        return bool(record_fragment(q, cat.aed_results))
    return fam == "drills" and bool(record_fragment(q, cat.drill_texts))


def route(question: str, cat: RecordCatalog | None, today: date) -> RecordRoute | None:
    """The record calls a question asks for (tool name, arguments), or None."""
    fam = detect_family(question, cat, families())
    if fam is None:
        return None
    builder = _BUILDERS[fam]
    r = RecordRoute(family=fam)
    builder(question, cat, today, r)
    return r if r.calls else None


def _case_numbers(q: str) -> list[str]:
    return [(m.group(1) or m.group(2)) for m in _CASE_NO.finditer(q)]


def _span_args(span: DateSpan | None) -> dict[str, Any]:
    return {"date_from": span[0].isoformat(), "date_to": span[1].isoformat()} if span else {}


def _unit(q: str, cat: RecordCatalog | None) -> str | None:
    """The unit the question names, in full or abbreviated (綜企科)."""
    if not cat:
        return None
    return next((u for u in sorted(cat.units, key=len, reverse=True) if u in q), None) or _abbreviated(q, cat.units)


def _case_text(q: str, cat: RecordCatalog | None, min_len: int = 3) -> str:
    """A piece of a case name the question repeats (公務車, 植栽維護, AED設備採購), at least ``min_len``
    characters (three: staff name a case by its object, 除濕機、公務車)."""
    if cat is None:
        return ""
    names = [re.sub(r"^\d{2,3}年度", "", strip_sample(n)) for n in cat.case_names]
    return best_value(q, names, min_len)


def _cases(q: str, cat: RecordCatalog | None, today: date, r: RecordRoute) -> None:
    nos = [m.upper() for m in _case_numbers(q)]
    if nos:
        r.calls.extend(("lookup_case", {"case_no": n}) for n in nos)
        return
    args: dict[str, Any] = {"limit": 200, **_span_args(date_span(q, today))}
    unit, text = _unit(q, cat), _case_text(q, cat)
    if unit:
        args["unit"] = unit
    if text:
        args["text"] = text
        r.values.append(text)
    method = next((m for m in sorted(METHODS, key=len, reverse=True) if m in q), None)
    if method:
        args["method"] = method
    cat_word = next((c for c in ("工程", "財物", "勞務") if c in q and c not in text), None)
    if cat_word:
        args["category"] = cat_word
    # the status word as recorded, or with a character in between (已經結案 states 已結案)
    status = next((s for s in STATUSES if repeats(q, s, max_gap=1) and s not in ("流標", "廢標")), None)
    ongoing = _ONGOING.search(q)
    if status is None and ongoing is not None:
        status = f"{ongoing.group(1)}中"
    if _HIGHEST.search(q) and "金額" in q:
        args["order_by"] = "award_amount"
    # a status in staff words (尚未決標) may stand for several recorded statuses: one call each
    stated = stated_status(q, "cases")
    statuses = [status] if status or not stated else stated.split("+")
    r.calls.extend(("find_cases", {**args, "status": s} if s else dict(args)) for s in statuses)


def _failed(q: str, cat: RecordCatalog | None, today: date, r: RecordRoute) -> None:
    nos = [m.upper() for m in _case_numbers(q)]
    args: dict[str, Any] = {**_span_args(date_span(q, today))}
    unit, text = _unit(q, cat), (nos[0] if nos else _case_text(q, cat))
    if unit:
        args["unit"] = unit
    if text:
        args["text"] = text
    if ("流標" in q) != ("廢標" in q):
        args["kind"] = "流標" if "流標" in q else "廢標"
    r.calls.extend(("lookup_case", {"case_no": n}) for n in nos)
    r.calls.append(("failed_tender_events", args))


def _vendors(q: str, cat: RecordCatalog | None, today: date, r: RecordRoute) -> None:
    vendor = match_vendor(q, cat)
    if vendor:
        r.values.append(vendor)
        r.calls.append(("vendor_cases", {"tax_id_or_name": vendor}))


def _suspensions(q: str, cat: RecordCatalog | None, today: date, r: RecordRoute) -> None:
    vendor = match_vendor(q, cat)
    if vendor:
        r.values.append(vendor)
        r.calls.append(("vendor_suspension_check", {"tax_id_or_name": vendor, "on": today.isoformat()}))
        return
    args: dict[str, Any] = {"on": today.isoformat()}
    status = stated_status(q, "suspensions")
    if status:
        args["status"] = status
    r.calls.append(("suspended_vendors", args))


def _aeds(q: str, cat: RecordCatalog | None, today: date, r: RecordRoute) -> None:
    args: dict[str, Any] = {"on": today.isoformat()}
    floor = match_floor(q, cat.aed_floors if cat else [])
    if floor:
        args["floor"] = floor
    place = best_value(q, cat.aed_locations, 3) if cat else ""
    if place and not re.fullmatch(r"[\dA-Za-z]+F?", place):
        args["text"] = place
    elif cat and (finding := record_fragment(q, cat.aed_results)):
        args["text"] = finding  # a recorded check result the question repeats (電極片過期)
    span = date_span(q, today)
    if span and re.search(r"到期|過期", q):
        args["expires_from"], args["expires_to"] = span[0].isoformat(), span[1].isoformat()
    before = elapsed_before(q, today)
    if before:
        args["checked_before"] = before.isoformat()
    elif (re.search(r"過期|逾期|到期|沒檢查|有狀況|異常", q) and "expires_from" not in args
          and not _WHEN_DUE.search(q)):
        args["problem_only"] = True
    r.calls.append(("find_aeds", args))


def _drills(q: str, cat: RecordCatalog | None, today: date, r: RecordRoute) -> None:
    args: dict[str, Any] = {**_span_args(date_span(q, today))}
    text = max(best_value(q, cat.drill_texts, 4), record_fragment(q, cat.drill_texts), key=len) if cat else ""
    if text and text not in ("消防演練",):
        args["text"] = text
    r.calls.append(("list_drills", args))


def _inspections(q: str, cat: RecordCatalog | None, today: date, r: RecordRoute) -> None:
    args: dict[str, Any] = {**_span_args(date_span(q, today))}
    kind = _inspection_kind(q, cat)
    if kind:
        args["kind"] = kind
    if _NOT_PASSED.search(q):
        args["result"] = "不合格"
    r.calls.append(("inspection_history", args))


def _retention(q: str, cat: RecordCatalog | None, today: date, r: RecordRoute) -> None:
    if cat is None:
        return
    titles = [(c, strip_sample(t)) for c, t in cat.retention_titles]
    df: dict[str, int] = {}
    for _c, t in titles:
        for g in _bigrams(t):
            df[g] = df.get(g, 0) + 1
    qg = _bigrams(q)
    scored = sorted(
        (
            (sum(math.log(1 + len(titles) / df[g]) for g in qg & _bigrams(t)), len(longest_common(q, t)), c)
            for c, t in titles
        ),
        reverse=True,
    )
    if scored and scored[0][1] >= 3:
        code = scored[0][2]
        # the question's own words when they name this entry alone (what was asked stays visible), else its code
        words = longest_common(q, dict(titles)[code])
        key = words if len(words) >= 3 and sum(1 for _c, t in titles if words in t) == 1 else code
        r.values.append(key)
        r.calls.append(("retention_lookup", {"text_or_code": key}))


def _teachers(q: str, cat: RecordCatalog | None, today: date, r: RecordRoute) -> None:
    args: dict[str, Any] = {}
    district = match_district(q, cat.teacher_districts if cat else [])
    if district:
        args["district"] = district
    if cat:
        skill = max((x for x in cat.teacher_expertise if x in q), key=len, default=None)
        if skill:
            args["expertise"] = skill
    if args:
        r.calls.append(("find_seed_teachers", args))


_BUILDERS = {
    "cases": _cases,
    "failed_tenders": _failed,
    "vendors": _vendors,
    "suspensions": _suspensions,
    "aeds": _aeds,
    "drills": _drills,
    "inspections": _inspections,
    "retention": _retention,
    "seed_teachers": _teachers,
}

__all__ = ["RecordRoute", "detect_family", "families", "route"]
