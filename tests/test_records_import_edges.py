"""F-22: importer edge cases end in a zh-TW reason (a rejected import on the CLI), never a traceback; nothing is
imported. Real SQLite store, real CLI entry point."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from knowledge.records import import_file, init_db
from knowledge.records.models import Vendor
from knowledge.records.taxid import complete_tax_id

V1 = complete_tax_id("1000001")


@pytest.fixture()
def engine(tmp_path: Path) -> Engine:
    return init_db(f"sqlite:///{tmp_path / 'rec.sqlite3'}")


def _vendors(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(Vendor)) or 0)


def test_cli_big_cell_is_a_zh_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The review's reproduction: a 200,000-character cell raised _csv.Error and printed a traceback. Now it
    is a rejected import like any other (exit code 1, the CLI's code for "nothing imported")."""
    from mishu.cli import main

    big = tmp_path / "big.csv"
    big.write_text("case_no,name\n111X0001," + "a" * 200_000 + "\n", encoding="utf-8")
    assert (
        main(["--data-dir", str(tmp_path / "data"), "records", "import", str(big), "--table", "cases"]) == 1
    )
    out = capsys.readouterr()
    assert "儲存格過長" in out.err + out.out and "Traceback" not in out.err + out.out


def test_deeply_nested_json_is_reported(engine: Engine, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="ascii")
    rep = import_file(engine, "vendors", deep)
    assert not rep.ok and "巢狀層數過深" in rep.errors[0].reason


def test_two_headers_for_one_field_are_refused(engine: Engine, tmp_path: Path) -> None:
    both = tmp_path / "v.csv"
    both.write_text(f"統一編號,tax_id,廠商名稱\n{V1},{V1},甲公司\n", encoding="utf-8")
    rep = import_file(engine, "vendors", both)
    assert not rep.ok and "同一個欄位" in rep.errors[0].reason and rep.errors[0].line == 2
    same = tmp_path / "v2.csv"
    same.write_text(f"統一編號,廠商名稱,廠商名稱\n{V1},甲公司,乙公司\n", encoding="utf-8")
    rep = import_file(engine, "vendors", same)
    assert not rep.ok and "重複欄位：廠商名稱" in rep.errors[0].reason
    assert _vendors(engine) == 0


def test_nul_characters_are_refused(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    path.write_text(f'[{{"統一編號": "{V1}", "廠商名稱": "甲\\u0000公司"}}]', encoding="utf-8")
    rep = import_file(engine, "vendors", path)
    assert not rep.ok and "NUL" in rep.errors[0].reason and rep.errors[0].field == "廠商名稱"
    assert _vendors(engine) == 0


def test_gbk_bytes_are_not_taken_as_big5(engine: Engine, tmp_path: Path) -> None:
    """The CP950 fallback now has the plausibility check of source files: Simplified text saved as GBK is
    read as GB18030 (its common characters), not as rare Big5 characters."""
    path = tmp_path / "v.csv"
    path.write_bytes(f"统一编号,厂商名称\n{V1},测试甲公司\n".encode("gbk"))
    rep = import_file(engine, "vendors", path)
    # the headers are Simplified, so they are not known columns; what matters is how the text was decoded
    assert not rep.ok and any("统一编号" in e.field or "统一编号" in e.reason for e in rep.errors), rep.errors
    garbage = tmp_path / "g.csv"
    garbage.write_bytes(b"\x81\x30\x81\x30" * 10 + b"\xff\xfe\xfd" * 20)
    rep = import_file(engine, "vendors", garbage)
    assert not rep.ok and "編碼無法辨識" in rep.errors[0].reason
