"""Importers of the records store: validation, all-or-nothing, ROC dates, amounts, duplicates, tax ids."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.records import import_bundle, import_file, import_records, init_db
from knowledge.records.models import ProcurementCase, TenderEvent, Vendor
from knowledge.records.taxid import complete_tax_id, is_valid_tax_id, tax_id_error

V1 = complete_tax_id("1000001")
V2 = complete_tax_id("2000002")

CASE_HEADER = "案號,名稱,機關,單位,類別,預算金額,採購金額,招標方式,決標原則,狀態,公告日,開標日,決標日,決標金額,得標廠商統一編號\n"


@pytest.fixture()
def engine(tmp_path: Path):
    eng = init_db(f"sqlite:///{tmp_path / 'rec.sqlite3'}")
    yield eng
    eng.dispose()


def _count(engine, model) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _vendors(engine, tmp_path: Path) -> None:
    rep = import_file(engine, "vendors", _write(tmp_path / "v.csv", f"統一編號,廠商名稱\n{V1},測試甲公司\n{V2},測試乙公司\n"))
    assert rep.ok, rep.errors


# --- tax id / amount parsing ----------------------------------------------------------------------
def test_tax_id_checksum() -> None:
    assert is_valid_tax_id("04595257")
    assert not is_valid_tax_id("04595258")
    # 7th digit 7: 28 -> 2+8=10 or 1+0=1; both sums are accepted
    assert is_valid_tax_id("10458575") and is_valid_tax_id("10458574")
    assert not is_valid_tax_id("1234567")
    assert not is_valid_tax_id("１２３４５６７８")
    assert tax_id_error("12345678") == "統一編號「12345678」檢查碼不正確"
    assert "8位數字" in (tax_id_error("1234") or "")
    assert is_valid_tax_id(complete_tax_id("0000001"))


# --- happy paths ----------------------------------------------------------------------------------
def test_csv_import_with_zh_headers_roc_dates_and_amounts(engine, tmp_path: Path) -> None:
    _vendors(engine, tmp_path)
    text = (CASE_HEADER
            + f"114A001,影印機採購,臺中市政府秘書處,事務科,財物,150萬,\"1,480,000\",公開招標,最低標,已決標,"
              f"114.01.06,民國114年1月20日,2025-01-20,120萬,{V1}\n"
            + "114A002,清潔勞務,臺中市政府秘書處,事務科,勞務,,8000000,公開招標,最有利標,招標中,114/3/3,,,,\n")
    rep = import_file(engine, "cases", _write(tmp_path / "cases.csv", "\ufeff" + text))
    assert rep.ok, rep.errors
    assert (rep.rows_read, rep.inserted, rep.updated) == (2, 2, 0)
    with Session(engine) as s:
        c = s.scalars(select(ProcurementCase).where(ProcurementCase.case_no == "114A001")).one()
        assert c.budget == 1_500_000 and c.amount == 1_480_000 and c.award_amount == 1_200_000
        assert (c.announced_on, c.opened_on, c.awarded_on) == (date(2025, 1, 6), date(2025, 1, 20), date(2025, 1, 20))
        assert c.vendor is not None and c.vendor.tax_id == V1
        c2 = s.scalars(select(ProcurementCase).where(ProcurementCase.case_no == "114A002")).one()
        assert c2.budget is None and c2.vendor_id is None and c2.announced_on == date(2025, 3, 3)


def test_big5_csv_from_excel_is_read(engine, tmp_path: Path) -> None:
    rep = import_file(engine, "vendors", _write(tmp_path / "v.csv", f"統一編號,廠商名稱\n{V1},測試甲公司\n", "cp950"))
    assert rep.ok, rep.errors
    with Session(engine) as s:
        assert s.scalars(select(Vendor.name)).one() == "測試甲公司"


def test_json_import_of_consultations(engine, tmp_path: Path) -> None:
    doc = {"records": [{"ref": "Q1", "occurred_at": "114年10月1日 09:30", "caller_agency": "某區公所", "category": "招標",
                        "question": "等標期？", "answer": "見招標期限標準第2條",
                        "citations": [{"title": "招標期限標準", "no": "2"}], "follow_up": "否", "handled_by": "甲"}]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    rep = import_file(engine, "consultations", path)
    assert rep.ok and rep.inserted == 1, rep.errors


# --- validation and all-or-nothing ---------------------------------------------------------------
def test_row_errors_have_line_field_reason_and_nothing_is_imported(engine, tmp_path: Path) -> None:
    _vendors(engine, tmp_path)
    text = (CASE_HEADER
            + "114A001,好的一筆,秘書處,事務科,財物,,100000,小額採購,最低標,已結案,2025-01-06,,,,\n"
            + "114A002,壞類別,秘書處,事務科,家具,,100000,小額採購,最低標,已結案,2025-01-06,,,,\n"
            + ",缺案號,秘書處,事務科,財物,,十萬多,小額採購,最低標,已結案,114年13月1日,,,,\n"
            + f"114A004,未知廠商,秘書處,事務科,財物,,100000,小額採購,最低標,已結案,2025-01-06,,,,{complete_tax_id('3000003')}\n"
            + "114A005,日期顛倒,秘書處,事務科,財物,,100000,公開招標,最低標,已決標,2025-02-01,2025-01-20,,,\n")
    rep = import_file(engine, "cases", _write(tmp_path / "cases.csv", text))
    assert not rep.ok
    assert rep.inserted == 0
    got = {(e.line, e.field) for e in rep.errors}
    assert (3, "類別") in got
    assert {(4, "案號"), (4, "採購金額"), (4, "公告日")} <= got
    assert (5, "得標廠商統一編號") in got
    assert any(e.line == 6 and "開標日不可早於公告日" in e.reason for e in rep.errors)
    reasons = {(e.line, e.field): e.reason for e in rep.errors}
    assert reasons[(4, "案號")] == "必填欄位未填"
    assert "不在允許值內" in reasons[(3, "類別")]
    assert "找不到統一編號" in reasons[(5, "得標廠商統一編號")]
    assert _count(engine, ProcurementCase) == 0  # the valid first row was not imported either
    assert "全部未匯入" in rep.summary_zh()


def test_invalid_tax_id_and_unknown_column(engine, tmp_path: Path) -> None:
    rep = import_file(engine, "vendors", _write(tmp_path / "v.csv", "統一編號,廠商名稱,電話\n12345678,某公司,04-1234\n"))
    fields = {e.field: e.reason for e in rep.errors}
    assert fields["統一編號"] == "統一編號「12345678」檢查碼不正確"
    assert fields["電話"] == "不認得的欄位"
    assert _count(engine, Vendor) == 0


def test_bundle_is_one_transaction(engine, tmp_path: Path) -> None:
    vendors = _write(tmp_path / "v.csv", f"tax_id,name\n{V1},甲\n")
    bad_cases = _write(tmp_path / "c.csv", "case_no,name,agency,unit,category,amount,method,status\n"
                                            "X1,名,秘書處,文書科,財物,abc,小額採購,已結案\n")
    reports = import_bundle(engine, [("vendors", vendors), ("cases", bad_cases)])
    assert reports[0].ok and not reports[1].ok
    assert reports[1].errors[0].line == 2 and reports[1].errors[0].field == "amount"
    assert _count(engine, Vendor) == 0  # vendors rolled back with the failing cases file
    assert reports[0].inserted == 0  # and the report does not claim otherwise
    missing = import_bundle(engine, [("vendors", vendors), ("cases", tmp_path / "nope.csv")])
    assert missing[0].inserted == 0 and missing[1].errors[0].line == 0
    assert _count(engine, Vendor) == 0


def test_duplicates_and_upsert_policy(engine, tmp_path: Path) -> None:
    dup = _write(tmp_path / "v.csv", f"tax_id,name\n{V1},甲\n{V1},甲二\n")
    rep = import_file(engine, "vendors", dup)
    assert [(e.line, e.reason) for e in rep.errors] == [(3, f"與第2行重複（{V1}）")]
    assert import_file(engine, "vendors", _write(tmp_path / "v1.csv", f"tax_id,name\n{V1},甲\n")).ok
    again = import_file(engine, "vendors", _write(tmp_path / "v2.csv", f"tax_id,name\n{V1},甲改名\n{V2},乙\n"))
    assert not again.ok and "upsert" in again.errors[0].reason
    assert _count(engine, Vendor) == 1
    up = import_file(engine, "vendors", tmp_path / "v2.csv", mode="upsert")
    assert up.ok and (up.inserted, up.updated) == (1, 1)
    with Session(engine) as s:
        assert s.scalars(select(Vendor.name).where(Vendor.tax_id == V1)).one() == "甲改名"


def test_events_need_existing_case_and_known_cause(engine, tmp_path: Path) -> None:
    assert import_records(engine, "causes", [{"code": "NO_BID", "label": "無廠商投標", "group": "流標"}]).ok
    assert import_records(engine, "cases", [{"case_no": "A1", "name": "n", "agency": "a", "unit": "u", "category": "財物",
                                             "amount": "200萬", "method": "公開招標", "status": "流標"}]).ok
    rep = import_records(engine, "events", [
        {"case_no": "A1", "event_on": "2025-01-02", "kind": "開標"},
        {"case_no": "A1", "event_on": "2025-01-02", "kind": "流標"},
        {"case_no": "NOPE", "event_on": "2025-01-02", "kind": "開標"},
        {"case_no": "A1", "event_on": "2025-01-03", "kind": "廢標", "cause_code": "MADE_UP"},
    ])
    assert {(e.line, e.field) for e in rep.errors} == {(2, "（整筆）"), (3, "case_no"), (4, "cause_code")}
    assert "須填原因代碼" in rep.errors[0].reason
    assert _count(engine, TenderEvent) == 0


def test_unreadable_files_are_reported(engine, tmp_path: Path) -> None:
    bad_json = _write(tmp_path / "x.json", "{not json")
    rep = import_file(engine, "vendors", bad_json)
    assert rep.errors[0].line == 0 and "JSON 格式錯誤" in rep.errors[0].reason
    rep = import_file(engine, "vendors", tmp_path / "missing.csv")
    assert "無法讀取檔案" in rep.errors[0].reason
    rep = import_file(engine, "vendors", _write(tmp_path / "x.xlsx", "x"))
    assert "不支援的檔案類型" in rep.errors[0].reason
    with pytest.raises(ValueError, match="不認得的資料表"):
        import_file(engine, "nope", bad_json)


def test_duplicate_key_errors_name_the_column_as_written(engine, tmp_path: Path) -> None:
    _vendors(engine, tmp_path)
    text = f"統一編號,起始日,截止日,第101條款次\n{V1},114.01.01,114.06.30,7\n{V1},2025-01-01,2025-06-30,7\n{V2},2025-01-01,2024-06-30,7\n"
    rep = import_file(engine, "suspensions", _write(tmp_path / "s.csv", text))
    assert [(e.line, e.field) for e in rep.errors] == [(3, "統一編號"), (4, "（整筆）")]
    assert rep.errors[0].reason.startswith("與第2行重複") and rep.errors[1].reason == "截止日不可早於起始日"
