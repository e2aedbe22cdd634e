"""Record routing: family from focus nouns + the records' own values, filters from what the question states,
relative dates against an injected today. Real SQLite records store with the 範例 dataset."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest

from assistant.record_dates import date_span, elapsed_before
from assistant.record_filters import STATUS_DATA, record_fragment, repeats, stated_status, status_phrases
from assistant.routing import (
    DATA,
    KIND_NAMES,
    abbreviates,
    detect_family,
    families,
    kind_names,
    longest_common,
    route,
    subsequence_window,
)
from assistant.tool_results import SuspendedVendors
from assistant.tools import ToolBox
from knowledge.records import RecordsService, RecordsValidationError, init_db, load_sample
from knowledge.records.results import RecordCatalog
from knowledge.records.vocab import STATUSES, SUSPENSION_STATUSES
from knowledge.thesaurus import correct_typos

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordsService]:
    engine = init_db(f"sqlite:///{tmp_path_factory.mktemp('routing') / 'rec.sqlite3'}")
    assert all(r.ok for r in load_sample(engine))
    s = RecordsService(engine)
    yield s
    s.close()
    engine.dispose()


@pytest.fixture(scope="module")
def cat(svc: RecordsService) -> RecordCatalog:
    return svc.catalog()


def calls(q: str, cat: RecordCatalog) -> list[tuple[str, dict[str, Any]]]:
    r = route(q, cat, TODAY)
    return r.calls if r else []


def test_relative_and_explicit_dates() -> None:
    assert date_span("今年辦了幾件", TODAY) == (date(2026, 1, 1), date(2026, 12, 31))
    assert date_span("去年的案子", TODAY) == (date(2025, 1, 1), date(2025, 12, 31))
    assert date_span("前年", TODAY) == (date(2024, 1, 1), date(2024, 12, 31))
    assert date_span("民國一百一十二年", TODAY) == (date(2023, 1, 1), date(2023, 12, 31))
    assert date_span("113年度的流標", TODAY) == (date(2024, 1, 1), date(2024, 12, 31))
    assert date_span("2024年的演練", TODAY) == (date(2024, 1, 1), date(2024, 12, 31))
    assert date_span("上個月", date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert date_span("保存10年", TODAY) is None  # not a year of the ROC calendar
    assert date_span("案號114S0066", TODAY) is None
    assert elapsed_before("超過三個月沒檢查", TODAY) == date(2026, 9, 1)
    assert elapsed_before("已經半年沒保養", date(2026, 8, 31)) == date(2026, 2, 28)


def test_every_table_entry_has_a_reason() -> None:
    t = families(DATA)
    assert set(t.precedence) == set(t.nouns)
    assert all(reason.strip() for fam in t.nouns.values() for reason in fam.values())


def test_rule_questions_stay_with_the_regulations(cat: RecordCatalog) -> None:
    for q in (
        "AED多久要檢查一次？",
        "消防演練每次至少要幾小時？",
        "種子教師是什麼？",
        "流標的定義是什麼",
        "廠商被停權的法律依據是哪一條",
    ):
        assert detect_family(q, cat) is None, q


def test_cases_by_unit_method_and_year(cat: RecordCatalog, svc: RecordsService) -> None:
    ((name, args),) = calls("事務科前年用公開取得報價單辦了幾案？", cat)
    assert name == "find_cases"
    assert args["unit"] == "事務科" and args["method"] == "公開取得報價單"
    assert (args["date_from"], args["date_to"]) == ("2024-01-01", "2024-12-31")
    rows = svc.find_cases(**{k: v for k, v in args.items() if k != "limit"}, limit=500)
    assert rows and all(
        r.unit == "事務科" and r.method == "公開取得報價單" and r.announced_on is not None and r.announced_on.year == 2024 for r in rows
    )


def test_case_by_name_and_highest_award(cat: RecordCatalog) -> None:
    name = cat.case_names[0].replace("（範例）", "")
    piece = name[5:11]  # a stretch of a real case name, as staff repeat it
    ((tool, args),) = calls(f"那個{piece}的案子是誰得標？", cat)
    assert tool == "find_cases" and piece in args["text"]
    ((tool, args),) = calls("去年決標金額最高的採購案是哪一案？", cat)
    assert args["order_by"] == "award_amount"


def test_vendor_by_core_name_and_suspension_list(cat: RecordCatalog, svc: RecordsService) -> None:
    tax_id, full = cat.vendors[3]
    core = full.removeprefix("範例").removesuffix("股份有限公司").removesuffix("有限公司")
    ((tool, args),) = calls(f"{core}那家以前標過我們哪些案子？", cat)
    assert (tool, args) == ("vendor_cases", {"tax_id_or_name": full})
    ((tool, args),) = calls("現在還在停權期間的廠商有哪幾家？", cat)
    assert tool == "suspended_vendors" and args["on"] == "2026-12-01"
    active = svc.suspended_vendors(on=TODAY)
    assert all(x.suspension.start_on <= TODAY <= x.suspension.end_on for x in active)


def test_failed_tenders_kind_unit_year(cat: RecordCatalog, svc: RecordsService) -> None:
    ((tool, args),) = calls("採購管理科去年流標了幾次？", cat)
    assert tool == "failed_tender_events"
    assert args == {"unit": "採購管理科", "kind": "流標", "date_from": "2025-01-01", "date_to": "2025-12-31"}
    events = svc.failed_tender_events(**args)
    report = svc.failed_tender_report(unit="採購管理科", date_from="2025-01-01", date_to="2025-12-31")
    assert (
        len(svc.failed_tender_events(unit="採購管理科", date_from="2025-01-01", date_to="2025-12-31"))
        == report.failed
    )
    assert all(e.kind == "流標" for e in events)


def test_aeds_by_floor_place_and_expiry(cat: RecordCatalog) -> None:
    ((tool, args),) = calls("六樓的AED放在哪？", cat)
    assert tool == "find_aeds" and args["floor"] == "6F"
    ((tool, args),) = calls("地下二樓有沒有放AED？", cat)
    assert args["floor"] == "B2"
    ((tool, args),) = calls("市政會議中心那台AED上次什麼時候檢查？", cat)
    assert "市政會議中心" in args["text"]
    ((tool, args),) = calls("下個月有哪台AED的電極片會到期？", cat)
    assert (args["expires_from"], args["expires_to"]) == ("2027-01-01", "2027-01-31")


def test_inspections_by_abbreviated_kind(cat: RecordCatalog, svc: RecordsService) -> None:
    ((tool, args),) = calls("昇降設備上一次安全檢查是哪天？", cat)
    assert tool == "inspection_history" and args["kind"] == "昇降設備安全檢查"
    ((tool, args),) = calls("水質檢驗以前有沒有不合格過？", cat)
    assert args == {"kind": "飲用水設備水質檢驗", "result": "不合格"}
    assert all(i.result.startswith("不合格") for i in svc.inspection_history(**args))
    assert subsequence_window("公安申報哪天", "建築物公共安全檢查簽證申報") == "公安申報"


def test_drills_retention_and_teachers(cat: RecordCatalog, svc: RecordsService) -> None:
    ((tool, args),) = calls("前年辦了幾次消防演練？", cat)
    assert tool == "list_drills" and args["date_from"] == "2024-01-01"
    ((tool, args),) = calls("檔案移轉交接的紀錄我們要留幾年？", cat)
    assert tool == "retention_lookup"
    assert [e.class_code for e in svc.retention_lookup(args["text_or_code"])] == ["S02.06"]
    ((tool, args),) = calls("豐原那邊有沒有會教履約管理的種子教師？", cat)
    assert tool == "find_seed_teachers" and args == {"district": "豐原區", "expertise": "履約管理"}


def test_retention_beats_the_family_it_names(cat: RecordCatalog) -> None:
    assert detect_family("AED的使用紀錄我們要保存幾年？", cat) == "retention"
    assert detect_family("廠商停權通知的公文要保存多久？", cat) == "retention"


def test_longest_common() -> None:
    assert longest_common("員工餐廳附近", "員工餐廳B1出入口") == "員工餐廳"
    assert longest_common("abc", "xyz") == ""


def test_record_answer_leads_with_the_record(small_container: Any, tmp_path: Path) -> None:
    a = small_container.assistant.ask("最近一次消防演練是哪天？參加幾個人？")
    assert not a.refused and a.answer.startswith("【直接答案】")
    assert any(t.name == "list_drills" and t.error is None for t in a.tool_calls)
    assert "最近一次消防演練" in a.answer and "【相關條文】" not in a.answer
    # only the rule that bears on a drill record (消防法施行細則) may be quoted, never padding articles
    assert all(c.title == "消防法施行細則" for c in a.citations)


def test_retention_is_looked_up_by_the_questions_words_when_they_name_one_entry(cat: RecordCatalog,
                                                                                 svc: RecordsService) -> None:
    titles = [t for _c, t in cat.retention_titles]
    ((_, args),) = calls("公文收發交換的紀錄要留幾年？", cat)
    words = args["text_or_code"]
    assert words in "公文收發交換的紀錄要留幾年？" and sum(words in t for t in titles) == 1
    assert len(svc.retention_lookup(words)) == 1
    # words shared by several entries: the scored entry's code, so the look-up stays on one entry
    ((_, args),) = calls("採購文件要保存幾年？", cat)
    assert sum(args["text_or_code"] in t for t in titles) <= 1


# --- filters staff state in their own words (assistant.record_filters) -----------------------------------
def test_status_table_entries_have_reasons() -> None:
    table = status_phrases(STATUS_DATA)
    assert set(table["suspensions"]) == set(SUSPENSION_STATUSES)
    assert all(r.strip() for st in table.values() for ph in st.values() for r in ph.values())
    # the longest phrase decides: 停權期間已結束 holds 停權期間 but states 已解除
    assert stated_status("停權期間已結束的廠商", "suspensions") == "已解除"
    assert stated_status("還在停權期間的廠商", "suspensions") == "停權中"
    assert stated_status("停權的廠商有哪些", "suspensions") is None


def test_suspension_status_partitions_the_records(svc: RecordsService) -> None:
    by_status = {s: svc.suspended_vendors(on=TODAY, status=s) for s in SUSPENSION_STATUSES}
    assert all(x.suspension.start_on <= TODAY <= x.suspension.end_on for x in by_status["停權中"])
    assert by_status["已解除"] and all(x.suspension.end_on < TODAY for x in by_status["已解除"])
    assert all(x.suspension.start_on > TODAY for x in by_status["尚未開始"])
    assert sum(len(v) for v in by_status.values()) == svc.table_counts()["suspensions"]
    with pytest.raises(RecordsValidationError):
        svc.suspended_vendors(on=TODAY, status="停權")


def test_suspension_status_is_routed_and_carried_by_the_tool(cat: RecordCatalog, svc: RecordsService) -> None:
    ((tool, args),) = calls("有哪些廠商的停權已經解除了？", cat)
    assert (tool, args) == ("suspended_vendors", {"on": "2026-12-01", "status": "已解除"})
    ((tool, args),) = calls("目前被刊登公報、還在停權期間的廠商有幾家？", cat)
    assert args["status"] == "停權中"
    tools = ToolBox(cast(Any, None), cast(Any, None), svc, cast(Any, None), today=lambda: TODAY)
    listed = tools.call("suspended_vendors", {})  # no status stated: the tool's default, 停權中, is applied
    assert listed.error is None and listed.args["status"] == "停權中"
    ended = tools.call("suspended_vendors", {"status": "已解除"})
    assert isinstance(ended.result, SuspendedVendors) and "期間已結束" in (ended.result.text_zh() or "")
    assert {x.tax_id for x in ended.result.rows} == {x.tax_id for x in svc.suspended_vendors(TODAY, "已解除")}
    assert tools.call("suspended_vendors", {"status": "停權"}).error  # not a status of the schema


def test_aed_finding_filters_by_the_recorded_check_result(cat: RecordCatalog, svc: RecordsService) -> None:
    ((tool, args),) = calls("電極片已經過期的是哪一台AED？處理了沒？", cat)
    assert tool == "find_aeds" and args["text"] == "電極片過期"  # the records' words, not the question's
    rows = svc.find_aeds(text=args["text"], on=TODAY)
    assert rows and all("電極片過期" in (a.last_check_result or "") for a in rows)
    assert len(rows) < len(svc.find_aeds(on=TODAY))
    ((_, args),) = calls("員工餐廳附近有沒有放AED？", cat)
    assert args["text"] == "員工餐廳"  # a place still wins
    assert record_fragment("電極片已經過期", ["正常", "電極片過期，已申請更換"]) == "電極片過期"
    assert record_fragment("電極片到底什麼時候會過期", ["電極片過期，已申請更換"]) == ""  # too far apart
    assert record_fragment("檢查正常嗎", ["正常"]) == ""  # under four characters
    ((_, args),) = calls("惠中樓的AED電池什麼時候到期？", cat)
    assert "problem_only" not in args  # asks a date, not which ones have a problem


def test_record_words_let_the_typo_fixer_read_record_typos(svc: RecordsService, cat: RecordCatalog) -> None:
    staff = ToolBox(cast(Any, None), cast(Any, None), svc, cast(Any, None), today=lambda: TODAY, role="staff")
    hotline = staff.for_role("hotline")
    words = staff.record_vocabulary()
    assert {"不合格", "電極片過期", "停權中", "已結案"} <= words
    assert "不合格" not in hotline.record_vocabulary()  # inspections are not the hotline's records
    assert staff.record_vocabulary() is words  # cached with the catalog
    q = "消防安全設備檢修哪一年的申報不何格？"
    assert correct_typos(q, frozenset({"合格"})) == q  # the corpus alone does not know 不合格
    fixed = correct_typos(q, frozenset({"合格"}) | words)
    assert "不合格" in fixed
    ((tool, args),) = calls(fixed, cat)
    assert tool == "inspection_history" and args == {"kind": "消防安全設備檢修申報", "result": "不合格"}


def test_units_by_abbreviation_and_statuses_with_a_character_between(cat: RecordCatalog) -> None:
    assert abbreviates("綜企科", "綜合企劃科") and abbreviates("公關科", "公共關係科")
    assert abbreviates("採管科", "採購管理科") and not abbreviates("採購科", "採購管理科")  # 採購 is one word
    assert not abbreviates("事務科", "事務科") and not abbreviates("企劃科", "綜合企劃科")
    # an abbreviation filters a question about cases but names no cases by itself (the asker's own unit)
    assert detect_family("我想從採購科調到檔案管理的單位，內部請調要填什麼表、找誰簽？", cat) is None
    ((_, args),) = calls("綜企科今年的案子有哪些？", cat)
    assert args["unit"] == "綜合企劃科"
    ((_, args),) = calls("114年度有哪些案子已經結案？", cat)
    assert args["status"] == "已結案"
    assert repeats("已經結案", "已結案") and not repeats("已經快要結案", "已結案")


def test_records_named_by_their_own_values(cat: RecordCatalog, svc: RecordsService) -> None:
    assert calls("115S0048這案現在狀態？", cat) == [("lookup_case", {"case_no": "115S0048"})]
    tax_id, full = cat.vendors[0]
    core = full.removeprefix("範例").removesuffix("股份有限公司").removesuffix("有限公司")
    assert calls(f"{core}標了我們哪些案子？", cat) == [("vendor_cases", {"tax_id_or_name": full})]
    ((tool, args),) = calls("緊急發電機上次保養是哪天？", cat)
    assert (tool, args) == ("inspection_history", {"kind": "緊急發電機定期保養"})
    ((tool, args),) = calls("去年公安申報合格嗎？", cat)
    assert args["date_from"] == "2025-01-01" and args["kind"] == "建築物公共安全檢查簽證申報"
    assert all(i.inspected_on.year == 2025 for i in svc.inspection_history(**args))
    ((tool, args),) = calls("為什麼除濕機那案會流標？", cat)
    assert tool == "failed_tender_events" and args["text"] == "除濕機"
    assert all("除濕機" in e.name for e in svc.failed_tender_events(**args))
    assert detect_family("流標以後要重新公告幾天？", cat) is None


def test_rule_questions_need_a_records_instance(cat: RecordCatalog) -> None:
    # a generic count (幾家) with a procurement method reads as a rule question: it stays with the regulations
    for q in (
        "公開招標要幾家廠商投標才能開標？",
        "限制性招標至少要幾家廠商報價？",
        "電梯多久要檢查一次？",
        "公開招標的案子依規定要公告幾天？",
        "消防安全設備的檢修項目包括哪些？",
    ):
        assert detect_family(q, cat) is None, q
    # the same rule words with a records instance (a date span, a unit, a case number, a referring cue) still route
    assert calls("今年公開招標的案子有幾家廠商投標才能開標？", cat)[0][0] == "find_cases"
    (unit,) = cat.units[:1]
    assert calls(f"{unit}公開招標的案子依規定要幾家廠商？", cat)[0][1]["unit"] == unit
    assert calls("照規定AED至少半年要檢查一次，現在有哪幾台已經超過半年沒檢查？", cat)[0][0] == "find_aeds"
    assert calls("最近那次演練有沒有滿規定的4個小時？", cat)[0][0] == "list_drills"


def test_case_statuses_in_staff_words(cat: RecordCatalog, svc: RecordsService) -> None:
    table = status_phrases(STATUS_DATA)
    recorded = {c.status for c in svc.find_cases(limit=500)}
    for key in table["cases"]:
        assert set(key.split("+")) <= set(STATUSES), key  # every status named is one the records use
    got = calls("還沒決標的案子有哪些？", cat)
    assert [a["status"] for _t, a in got] == ["籌備中", "招標中"]  # the statuses before 已決標
    assert calls("尚未決標的案子有哪些？", cat) == got
    rows = [c for _t, a in got for c in svc.find_cases(status=a["status"], limit=500)]
    assert rows and all(c.award_amount is None for c in rows) and len(rows) < len(svc.find_cases(limit=500))
    assert recorded & {"籌備中", "招標中"}
    # an explicit recorded status is more precise than the staff phrase next to it
    ((_, args),) = calls("目前還在招標中、還沒決標的案子有哪幾件？", cat)
    assert args["status"] == "招標中"
    assert [a["status"] for _t, a in calls("還沒結案的案子有哪些？", cat)] == ["籌備中", "招標中", "已決標", "履約中"]


def test_common_names_of_recorded_kinds(cat: RecordCatalog, svc: RecordsService) -> None:
    names = kind_names(KIND_NAMES)
    for fam, table in names.items():
        assert fam == "inspections"
        for name, recorded in table.items():  # each common name stands for words the records hold
            assert any(recorded in k for k in cat.inspection_kinds), (name, recorded)
    ((tool, args),) = calls("今年電梯檢查的結果如何？", cat)
    assert (tool, args["kind"]) == ("inspection_history", "昇降設備安全檢查")
    assert svc.inspection_history(kind=args["kind"])
    ((_, args),) = calls("去年飲水機的水質檢驗有沒有過？", cat)
    assert args["kind"] == "飲用水設備水質檢驗"
    assert detect_family("電梯多久要檢查一次？", cat) is None  # a rule question about the kind


def test_recorded_value_with_a_list_ask_is_a_records_question(cat: RecordCatalog, svc: RecordsService) -> None:
    ((tool, args),) = calls("停權期滿的廠商有哪些", cat)
    assert (tool, args["status"]) == ("suspended_vendors", "已解除")
    ((tool, args),) = calls("有沒有AED已申請更換電極片", cat)
    assert tool == "find_aeds" and args["text"] == "已申請更換"
    rows = svc.find_aeds(text=args["text"], on=TODAY)
    assert rows and all("已申請更換" in (a.last_check_result or "") for a in rows)
    ((tool, args),) = calls("消防檢修申報不合格的有哪些？", cat)
    assert (tool, args["result"]) == ("inspection_history", "不合格")
    # without a recorded value the list ask alone is not enough, nor a value in a rule question
    assert detect_family("AED有哪些種類？", cat) is None
    assert detect_family("停權期滿的廠商有哪些規定要遵守？", cat) is None
