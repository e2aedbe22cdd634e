"""Record routing: family from focus nouns + the records' own values, filters from what the question states,
relative dates against an injected today. Real SQLite records store with the 範例 dataset."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from assistant.record_dates import date_span, elapsed_before
from assistant.routing import DATA, detect_family, families, longest_common, route, subsequence_window
from knowledge.records import RecordsService, init_db, load_sample
from knowledge.records.results import RecordCatalog

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
