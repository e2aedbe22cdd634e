"""RecordsService on a small hand-made dataset with known numbers, plus the read-only guarantee."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import InternalError, OperationalError
from sqlalchemy.orm import Session

from knowledge.records import (
    ReadOnlyViolation,
    RecordsService,
    RecordsValidationError,
    import_file,
    init_db,
    make_engine,
)
from knowledge.records.db import ReadOnlyAccess
from knowledge.records.importers import import_rows
from knowledge.records.models import Base, Consultation, Vendor
from knowledge.records.service import add_months
from knowledge.records.taxid import complete_tax_id

V1 = complete_tax_id("1000001")
V2 = complete_tax_id("2000002")
V3 = complete_tax_id("3000003")

CASES = [
    {"case_no": "114A001", "name": "（範例）公務用影印機採購", "agency": "秘書處", "unit": "文書科", "category": "財物",
     "amount": "1,500,000", "method": "公開招標", "award_basis": "最低標", "status": "履約中",
     "announced_on": "2025-01-06", "opened_on": "2025-02-10", "awarded_on": "2025-02-10", "award_amount": "130萬",
     "vendor_tax_id": V1},
    {"case_no": "114A002", "name": "（範例）市政大樓清潔勞務", "agency": "秘書處", "unit": "事務科", "category": "勞務",
     "amount": "800萬", "method": "公開招標", "award_basis": "最有利標", "status": "流標",
     "announced_on": "2025-03-03", "opened_on": "2025-04-15"},
    {"case_no": "114A003", "name": "（範例）廁所整修工程", "agency": "秘書處", "unit": "文書科", "category": "工程",
     "amount": "300萬", "method": "公開招標", "award_basis": "最低標", "status": "已結案",
     "announced_on": "114.02.03", "opened_on": "114.02.17", "awarded_on": "114.02.17", "vendor_tax_id": V2},
    {"case_no": "114A004", "name": "（範例）文具採購", "agency": "秘書處", "unit": "事務科", "category": "財物",
     "amount": "120000", "method": "小額採購", "award_basis": "最低標", "status": "已結案",
     "announced_on": "2025-05-02", "awarded_on": "2025-05-05", "vendor_tax_id": V1},
    {"case_no": "114A005", "name": "（範例）檔案清查勞務", "agency": "秘書處", "unit": "文書科", "category": "勞務",
     "amount": "50萬", "method": "公開取得報價單", "status": "籌備中"},
]
EVENTS = [
    ("114A001", "2025-01-06", "公告", None), ("114A001", "2025-01-20", "開標", None),
    ("114A001", "2025-01-20", "流標", "UNDER_3"), ("114A001", "2025-01-27", "重新招標", None),
    ("114A001", "2025-02-10", "開標", None), ("114A001", "2025-02-10", "決標", None),
    ("114A002", "2025-03-03", "公告", None), ("114A002", "2025-03-17", "開標", None),
    ("114A002", "2025-03-20", "廢標", "OVER_BASE"), ("114A002", "2025-04-01", "重新招標", None),
    ("114A002", "2025-04-15", "開標", None), ("114A002", "2025-04-15", "流標", "NO_BID"),
    ("114A003", "2025-02-03", "公告", None), ("114A003", "2025-02-17", "開標", None),
    ("114A003", "2025-02-17", "決標", None),
]


def _load(engine) -> None:
    batches: dict[str, list[dict[str, Any]]] = {
        "causes": [{"code": "NO_BID", "label": "無廠商投標", "group": "流標"},
                   {"code": "UNDER_3", "label": "投標廠商未達三家", "group": "流標"},
                   {"code": "OVER_BASE", "label": "超過底價無法減價", "group": "價格"}],
        "vendors": [{"tax_id": V1, "name": "範例測試甲資訊有限公司"}, {"tax_id": V2, "name": "範例測試乙營造有限公司"},
                    {"tax_id": V3, "name": "範例丙清潔有限公司"}],
        "suspensions": [
            {"tax_id": V2, "start_on": "2024-01-01", "end_on": "2024-06-30", "ground_item": 10},
            {"tax_id": V2, "start_on": "2025-06-01", "end_on": "2025-11-30", "ground_item": 7, "case_ref": "公報X"},
            {"tax_id": V3, "start_on": "112年3月1日", "end_on": "115年2月28日", "ground_item": 4}],
        "cases": CASES,
        "events": [{"case_no": c, "event_on": d, "kind": k, "cause_code": cc} for c, d, k, cc in EVENTS],
        "retention": [{"class_code": "S01.04", "title": "流標或廢標之採購文件", "retention": "3年"},
                      {"class_code": "S02.01", "title": "機關組織法規之制定", "retention": "永久"},
                      {"class_code": "S02.08", "title": "公文收發紀錄", "retention": 3, "note": "含交換紀錄"}],
        "aeds": [
            {"serial": "X1", "location": "1F 大廳", "floor": "1F", "pads_expiry": "2025-09-15",
             "battery_expiry": "2026-01-01", "last_check_on": "2025-03-01", "last_check_result": "正常"},
            {"serial": "X2", "location": "3F 電梯廳", "floor": "3F", "pads_expiry": "2027-01-01",
             "battery_expiry": "2025-10-20", "last_check_on": "2025-08-31", "last_check_result": "正常"},
            {"serial": "X3", "location": "B1", "floor": "B1", "pads_expiry": "2027-01-01", "battery_expiry": "2027-01-01"}],
        "drills": [{"held_on": "2025-03-15", "scenario": "火災", "participants": 80, "duration_minutes": 240},
                   {"held_on": "2025-08-20", "scenario": "地震", "participants": 60, "duration_minutes": 180}],
        "inspections": [
            {"kind": "消防安全設備檢修申報", "inspected_on": "2024-09-01", "inspector": "甲", "result": "合格",
             "next_due_on": "2025-09-01"},
            {"kind": "消防安全設備檢修申報", "inspected_on": "2025-09-20", "inspector": "甲", "result": "合格",
             "next_due_on": "2026-09-20"},
            {"kind": "飲用水設備水質檢驗", "inspected_on": "2025-07-10", "inspector": "乙", "result": "合格",
             "next_due_on": "2025-10-10"},
            {"kind": "昇降設備安全檢查", "inspected_on": "2024-06-01", "inspector": "丙", "result": "合格",
             "next_due_on": "2025-06-01"}],
        "seed_teachers": [
            {"name": "王○明", "agency": "西屯區公所", "district": "西屯", "expertise": "驗收", "contact": "a@example.org"},
            {"name": "李○華", "agency": "某國中", "district": "臺中市西屯區", "expertise": "招標", "contact": "b@example.org"},
            {"name": "陳○君", "agency": "和平區公所", "district": "和平區", "expertise": "履約", "contact": "c@example.org"}],
    }
    with Session(engine) as session:  # one transaction for the whole fixture (one fsync)
        for table, rows in batches.items():
            rep = import_rows(session, table, list(enumerate(rows, start=1)))
            assert rep.ok, (table, rep.errors)
        session.commit()


PG_URL = os.environ.get("MISHU_TEST_PG_URL")  # e.g. postgresql+psycopg://user@/db?host=/tmp/pg (disposable DB)


# --- consultations --------------------------------------------------------------------------------
def _log(svc: RecordsService, when: str | datetime, category: str = "招標", **kw: Any) -> Any:
    args: dict[str, Any] = {"occurred_at": when, "caller_agency": "某區公所", "category": category, "question": "問題",
            "answer": "答覆", "handled_by": "甲", "citations": [{"title": "政府採購法", "no": "48"}]}
    args.update(kw)
    return svc.log_consultation(**args)


class RecordsStoreContract:
    """The records service's behaviour on one database backend; subclasses give ``url(tmp_path)``."""

    def url(self, tmp_path: Path) -> str:
        raise NotImplementedError

    @pytest.fixture
    def svc(self, tmp_path: Path) -> Iterator[RecordsService]:
        engine = make_engine(self.url(tmp_path))
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        _load(engine)
        service = RecordsService(engine)
        yield service
        service.close()
        Base.metadata.drop_all(engine)
        engine.dispose()

    # --- cases ----------------------------------------------------------------------------------------
    def test_lookup_case(self, svc: RecordsService) -> None:
        case = svc.lookup_case(" １１４A001 ")
        assert case is not None
        assert case.vendor_name == "範例測試甲資訊有限公司" and case.award_amount == 1_300_000
        assert [e.kind for e in case.events] == ["公告", "開標", "流標", "重新招標", "開標", "決標"]
        assert case.events[2].cause_label == "投標廠商未達三家"
        assert svc.lookup_case("999X") is None


    def test_find_cases_filters(self, svc: RecordsService) -> None:
        assert [c.case_no for c in svc.find_cases(min_amount=1_500_000)] == ["114A002", "114A003", "114A001"]
        assert {c.case_no for c in svc.find_cases(category="財物")} == {"114A001", "114A004"}
        assert [c.case_no for c in svc.find_cases(text="清潔")] == ["114A002"]
        assert [c.case_no for c in svc.find_cases(text="114A00", unit="文書科", date_from=date(2025, 1, 10))] == ["114A003"]
        assert [c.case_no for c in svc.find_cases(status="流標", method="公開招標")] == ["114A002"]
        assert [c.case_no for c in svc.find_cases(max_amount=150_000)] == ["114A004"]
        assert len(svc.find_cases(limit=2)) == 2
        # not yet announced (籌備中) sorts last on every backend
        assert [c.case_no for c in svc.find_cases(unit="文書科")] == ["114A003", "114A001", "114A005"]
        assert svc.find_cases(text="%") == []  # wildcards are literal
        with pytest.raises(RecordsValidationError, match="類別"):
            svc.find_cases(category="家具")


    def test_text_dates_and_amounts_are_accepted(self, svc: RecordsService) -> None:
        """Tools may pass ROC dates and 萬 amounts as text; bad text is a zh-TW validation error."""
        assert [c.case_no for c in svc.find_cases(date_from="114.01.10", min_amount="150萬")] == ["114A002", "114A003"]
        assert svc.failed_tender_report("unit", date_from="民國114年2月1日").rounds == 4
        assert svc.vendor_suspension_check(V2, on="114/7/1").suspended
        with pytest.raises(RecordsValidationError, match="無法辨識的日期") as err:
            svc.find_cases(date_to="下週")
        assert err.value.issues[0][0] == "date_to"
        with pytest.raises(RecordsValidationError, match="金額"):
            svc.find_cases(max_amount="很多")


    # --- failed tender report --------------------------------------------------------------------------
    def test_failed_tender_report_totals_and_units(self, svc: RecordsService) -> None:
        rep = svc.failed_tender_report("unit")
        assert (rep.rounds, rep.failed, rep.opened, rep.rate) == (5, 3, 5, 0.6)
        rows = {r.key: (r.rounds, r.failed, r.rate) for r in rep.rows}
        assert rows == {"文書科": (3, 1, 0.3333), "事務科": (2, 2, 1.0)}
        assert rep.rows[0].key == "事務科"  # most failures first


    def test_failed_tender_report_by_cause_month_category(self, svc: RecordsService) -> None:
        by_cause = svc.failed_tender_report("cause")
        assert {r.key: (r.failed, r.rate, r.share) for r in by_cause.rows} == {
            "UNDER_3": (1, 0.2, 0.3333), "OVER_BASE": (1, 0.2, 0.3333), "NO_BID": (1, 0.2, 0.3333)}
        assert {r.label for r in by_cause.rows} == {"投標廠商未達三家", "超過底價無法減價", "無廠商投標"}
        by_month = svc.failed_tender_report("month")
        assert [(r.key, r.rounds, r.failed) for r in by_month.rows] == [
            ("2025-01", 1, 1), ("2025-02", 2, 0), ("2025-03", 1, 1), ("2025-04", 1, 1)]
        by_cat = svc.failed_tender_report("category")
        assert {r.key: (r.rounds, r.failed) for r in by_cat.rows} == {"財物": (2, 1), "勞務": (2, 2), "工程": (1, 0)}


    def test_failed_tender_report_filters(self, svc: RecordsService) -> None:
        rep = svc.failed_tender_report("unit", date_from=date(2025, 2, 1))
        assert (rep.rounds, rep.failed, rep.rate) == (4, 2, 0.5)
        rep = svc.failed_tender_report("cause", unit="文書科", date_to=date(2025, 1, 31))
        assert (rep.rounds, rep.failed) == (1, 1) and rep.rows[0].key == "UNDER_3"
        empty = svc.failed_tender_report("unit", date_from=date(2030, 1, 1))
        assert (empty.rounds, empty.rate, empty.rows) == (0, None, [])
        with pytest.raises(RecordsValidationError):
            bad_group: Any = "vendor"  # deliberately not one of the allowed groupings
            svc.failed_tender_report(bad_group)


    # --- vendors --------------------------------------------------------------------------------------
    def test_vendor_suspension_check(self, svc: RecordsService) -> None:
        r = svc.vendor_suspension_check(V2, on=date(2025, 7, 1))
        assert r.found and r.suspended
        (v,) = r.vendors
        assert [s.ground_item for s in v.active_suspensions] == [7]
        assert v.active_suspensions[0].legal_basis == "政府採購法第101條第1項第7款"
        assert v.active_suspensions[0].ground_label == "得標後無正當理由而不訂約"
        assert [s.start_on for s in v.past_suspensions] == [date(2024, 1, 1)]
        assert svc.vendor_suspension_check(V2, on=date(2025, 11, 30)).suspended  # end date inclusive
        later = svc.vendor_suspension_check(V2, on=date(2025, 12, 1))
        assert not later.suspended and len(later.vendors[0].past_suspensions) == 2
        by_name = svc.vendor_suspension_check("範例", on=date(2026, 1, 15))
        assert {(v.tax_id, v.suspended) for v in by_name.vendors} == {(V1, False), (V2, False), (V3, True)}
        assert not svc.vendor_suspension_check("不存在的公司", on=date(2025, 1, 1)).found
        assert [c.case_no for c in svc.find_cases(text="114a00", max_amount=150_000)] == ["114A004"]
        with pytest.raises(RecordsValidationError, match="檢查碼"):
            svc.vendor_suspension_check("12345678", on=date(2025, 1, 1))


    # --- archives -------------------------------------------------------------------------------------
    def test_retention_lookup(self, svc: RecordsService) -> None:
        assert [(r.class_code, r.retention) for r in svc.retention_lookup("S02")] == [("S02.01", "永久"), ("S02.08", "3年")]
        assert [r.class_code for r in svc.retention_lookup("流標")] == ["S01.04"]
        assert [r.class_code for r in svc.retention_lookup("收發 交換")] == ["S02.08"]  # title + note words
        (perm,) = svc.retention_lookup("s02.01")  # case-insensitive on SQLite and PostgreSQL
        assert perm.permanent and perm.retention_years is None
        assert svc.retention_lookup("太空") == []


    # --- building safety ------------------------------------------------------------------------------
    def test_building_safety_status(self, svc: RecordsService) -> None:
        st = svc.building_safety_status(on=date(2025, 10, 1))
        aeds = {a.serial: a for a in st.aeds}
        assert aeds["X1"].check_overdue and aeds["X1"].next_check_due == date(2025, 9, 1) and aeds["X1"].pads_expired
        assert not aeds["X2"].check_overdue and aeds["X2"].next_check_due == date(2026, 2, 28)
        assert aeds["X2"].expiring_soon and not aeds["X2"].battery_expired
        assert aeds["X3"].check_overdue and aeds["X3"].issues[0] == "尚無檢查紀錄"
        assert st.aeds_with_issues == 3
        assert st.last_drill is not None and st.last_drill.held_on == date(2025, 8, 20) and not st.last_drill.qualifies
        assert st.last_qualifying_drill is not None and st.last_qualifying_drill.held_on == date(2025, 3, 15)
        assert st.drill_next_due == date(2025, 9, 15) and not st.drill_rule_met
        assert svc.building_safety_status(on=date(2025, 9, 10)).drill_rule_met
        insp = {i.kind: i for i in st.inspections}
        assert insp["消防安全設備檢修申報"].last_inspected_on == date(2025, 9, 20)  # latest record per kind
        assert not insp["消防安全設備檢修申報"].overdue
        assert insp["飲用水設備水質檢驗"].due_soon and insp["昇降設備安全檢查"].overdue
        assert (st.inspections_overdue, st.inspections_due_soon) == (1, 1)
        assert {c.title for c in st.citations} == {"公共場所必要緊急救護設備管理辦法", "消防法施行細則"}

    # --- consultations ---------------------------------------------------------------------------
    def test_log_list_count_consultations(self, svc: RecordsService) -> None:
        a = _log(svc, "2025-10-01 09:30")
        b = _log(svc, "114年10月1日 14:05", "爭議", follow_up=True, follow_up_note="待回電")
        c = _log(svc, datetime(2025, 10, 2, 10, 0))
        assert (a.ref, b.ref, c.ref) == ("Q20251001-001", "Q20251001-002", "Q20251002-001")
        assert b.occurred_at == datetime(2025, 10, 1, 14, 5)
        day = svc.list_consultations(day=date(2025, 10, 1))
        assert [x.ref for x in day] == ["Q20251001-001", "Q20251001-002"]
        assert [x.ref for x in svc.list_consultations(category="招標")] == ["Q20251001-001", "Q20251002-001"]
        assert [x.ref for x in svc.list_consultations(follow_up=True)] == ["Q20251001-002"]
        counts = svc.consultation_counts(date(2025, 10, 1))
        assert counts.total == 2 and counts.follow_up == 1
        assert counts.by_category == {"招標": 1, "決標": 0, "履約": 0, "驗收": 0, "爭議": 1, "其他": 0}
        assert svc.consultation_counts(date(2025, 10, 3)).total == 0
        assert svc.consultation_counts("114年10月1日").total == 2
        assert [x.ref for x in svc.list_consultations(day="2025-10-02")] == ["Q20251002-001"]


    def test_log_consultation_validation(self, svc: RecordsService) -> None:
        with pytest.raises(RecordsValidationError) as err:
            _log(svc, "2025-10-01 09:30", "閒聊")
        assert err.value.issues[0][0] == "category"
        with pytest.raises(RecordsValidationError, match="追蹤說明"):
            _log(svc, "2025-10-01 09:30", follow_up=True)
        with pytest.raises(RecordsValidationError, match="title 與 no"):
            _log(svc, "2025-10-01 09:30", citations=[{"title": "政府採購法"}])
        with pytest.raises(RecordsValidationError, match="日期"):
            _log(svc, "昨天下午")
        assert svc.list_consultations() == []


    def test_export_consultations_csv_round_trips(self, svc: RecordsService, tmp_path: Path) -> None:
        _log(svc, "2025-10-01 09:30", question="逗號, 與\"引號\"", citations=[{"title": "政府採購法", "no": "22-1"}])
        _log(svc, "2025-10-05 11:00", "驗收")
        text_out = svc.export_consultations_csv(date_from=date(2025, 10, 1), date_to=date(2025, 10, 1))
        rows = list(csv.DictReader(io.StringIO(text_out)))
        assert len(rows) == 1 and rows[0]["question"] == "逗號, 與\"引號\"" and rows[0]["occurred_at"] == "2025-10-01 09:30"
        path = tmp_path / "export.csv"
        path.write_text(svc.export_consultations_csv(), encoding="utf-8")
        other = init_db(f"sqlite:///{tmp_path / 'other.sqlite3'}")
        rep = import_file(other, "consultations", path)
        assert rep.ok and rep.inserted == 2, rep.errors
        moved = RecordsService(other).list_consultations()
        assert [(c.ref, c.citations[0].no) for c in moved] == [("Q20251001-001", "22-1"), ("Q20251005-001", "48")]
        other.dispose()


    # --- seed teachers --------------------------------------------------------------------------------
    def test_find_seed_teachers(self, svc: RecordsService) -> None:
        assert [t.name for t in svc.find_seed_teachers("西屯區")] == ["李○華", "王○明"]
        assert [t.name for t in svc.find_seed_teachers("台中市和平區")] == ["陳○君"]
        assert svc.find_seed_teachers("大安") == []
        with pytest.raises(RecordsValidationError, match="不是臺中市的行政區"):
            svc.find_seed_teachers("信義區")


    # --- read-only guarantee --------------------------------------------------------------------------
    def test_read_sessions_cannot_write(self, svc: RecordsService) -> None:
        ro = ReadOnlyAccess(svc.engine)
        with ro.session() as s, pytest.raises((OperationalError, InternalError),
                                              match="readonly|read-only|query_only"):
            s.execute(text("DELETE FROM rec_vendors"))
        with ro.session() as s, pytest.raises(ReadOnlyViolation):
            s.add(Vendor(tax_id=complete_tax_id("4000004"), name="x"))
            s.flush()
        with ro.session() as s:
            vendor = s.get(Vendor, 1)
            assert vendor is not None
            vendor.name = "改名"
        ro.dispose()
        with Session(svc.engine) as s:
            assert s.scalar(select(func.count()).select_from(Vendor)) == 3
            assert "改名" not in s.scalars(select(Vendor.name)).all()


class TestRecordsSQLite(RecordsStoreContract):
    def url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'rec.sqlite3'}"


@pytest.mark.live
@pytest.mark.skipif(not PG_URL, reason="set MISHU_TEST_PG_URL to run on PostgreSQL")
class TestRecordsPostgres(RecordsStoreContract):
    """On a disposable PostgreSQL database (CI: scripts/ci_services.sh); its tables are dropped after each test."""

    def url(self, tmp_path: Path) -> str:
        return str(PG_URL)


def test_add_months_clamps_day() -> None:
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2025, 3, 15), -12) == date(2024, 3, 15)


def test_read_only_on_in_memory_sqlite_and_writes_still_work() -> None:
    engine = init_db("sqlite://")
    svc = RecordsService(engine)
    ro = ReadOnlyAccess(engine)
    with ro.session() as s, pytest.raises(OperationalError):
        s.execute(text("DELETE FROM rec_vendors"))
    _log(svc, "2025-10-01 09:30")  # query_only is switched off again for the writer
    assert len(svc.list_consultations()) == 1
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Consultation)) == 1
    engine.dispose()


def test_missing_database_file_is_a_clear_error(tmp_path: Path) -> None:
    svc = RecordsService(make_engine(f"sqlite:///{tmp_path / 'none.sqlite3'}"))
    with pytest.raises(FileNotFoundError, match="紀錄資料庫不存在"):
        svc.find_cases()
