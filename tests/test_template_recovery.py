"""Recovery of the 投標須知範本 point numbering (ingest/template_recovery.py) on the real shipped text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingest.template_recovery import (
    TemplateRecoveryError,
    dumps,
    main,
    recover_tender_template,
    verify_cross_references,
)

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "knowledge" / "raw" / "templates" / "tender-instructions-template.txt"
COMMITTED = ROOT / "knowledge" / "sources" / "templates" / "tender-instructions-template.json"


@pytest.fixture(scope="module")
def raw_text() -> str:
    return RAW.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def doc(raw_text: str) -> dict[str, Any]:
    return recover_tender_template(raw_text)


def _by_no(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["no"]: a for a in doc["articles"]}


def test_cross_references_are_consistent(doc: dict[str, Any]) -> None:
    assert verify_cross_references(doc) == []
    assert doc["recovery"]["problems"] == []
    kinds = doc["recovery"]["verified_reference_kinds"]
    assert kinds == {"point_references": 3, "previous_point_references": 1, "explicit_numbers": 1}
    assert doc["recovery"]["verified_references"] == 5


def test_numbering_shape(doc: dict[str, Any]) -> None:
    nos = [a["no"] for a in doc["articles"]]
    assert nos[:52] == [str(n) for n in range(1, 53)]
    assert nos[52] == "52-1"
    assert nos[53:] == [str(n) for n in range(53, 94)]
    assert doc["article_count"] == 94
    assert doc["recovery"]["numbered_points"] == 93
    assert doc["char_count"] == sum(len(a["text"]) for a in doc["articles"])


def test_known_points_have_the_official_content(doc: dict[str, Any]) -> None:
    p = _by_no(doc)
    assert p["1"]["text"] == "本採購適用政府採購法(以下簡稱採購法)及其主管機關所訂定之規定。"
    assert p["2"]["text"] == "本標案名稱："
    assert p["3"]["text"].startswith("採購標的為：\n(1)工程。")
    assert p["15"]["text"].startswith("招標方式為：")
    assert p["16"]["text"].startswith("本採購：\n(1)適用我國締結之條約或協定")
    assert "遙控無人機資安檢測需求(註1)" in p["16"]["text"]  # the drone table stays in 第16點
    assert p["20"]["text"].startswith("廠商對招標文件內容有疑義者")
    assert p["21"]["text"].startswith("機關以書面答復前條請求釋疑")
    assert "至於押標金有效期，依第35點辦理" in p["24"]["text"]
    assert p["35"]["text"].startswith("押標金有效期(無押標金者免填)")
    assert "上開有效期" in p["35"]["text"]
    assert p["52"]["text"].startswith("預付款還款保證繳納期限")
    assert p["52-1"]["label"] == "第52點之1"
    assert p["52-1"]["text"].startswith("植栽工程養護期保證金")
    assert "本須知第16點" in p["64"]["text"]
    assert p["64"]["text"].startswith("投標廠商之基本資格")
    assert p["93"]["text"].startswith("受理廠商檢舉之採購稽核小組")
    assert "法務部廉政署" in p["93"]["text"]
    assert p["7"]["label"] == "第7點" and p["7"]["chapter"] is None


def test_guarantee_paragraphs_are_merged(doc: dict[str, Any]) -> None:
    p = _by_no(doc)
    # 第34點: 優良廠商 + 全球化廠商 + 優良營造業 ("前2項" names the two paragraphs before it)
    assert "全球化廠商" in p["34"]["text"] and "不併入前2項" in p["34"]["text"]
    assert "全球化廠商" in p["41"]["text"] and "全球化廠商" in p["49"]["text"]
    assert "廠商以押標金轉換為履約保證金時" in p["39"]["text"]


def test_options_are_nested(doc: dict[str, Any]) -> None:
    p = _by_no(doc)
    opts = p["15"]["options"]
    assert [o["label"] for o in opts] == ["(1)", "(2)", "(3)", "(4)"]
    assert [c["label"] for c in opts[0]["children"]] == ["(1-1)"]
    three = opts[2]
    assert [c["label"] for c in three["children"]] == ["(3-1)", "(3-2)", "(3-3)", "(3-4)"]
    assert [c["label"] for c in three["children"][0]["children"]] == ["(3-1-1)", "(3-1-2)", "(3-1-3)"]
    drone = p["16"]["options"][4]
    assert drone["label"] == "(5)"
    deep = drone["children"][0]["children"][0]["children"][0]
    assert deep["label"] == "(5-1-1-1)" and "A.依遙控無人機管理規則第17條" in deep["text"]
    # unlabeled lines between (2-3) and (3) belong to (2) 最有利標
    award = p["58"]["options"]
    assert [o["label"] for o in award] == ["(1)", "(2)", "(3)"]
    assert "獎勵金" in award[1]["text"]
    # the list of treaty names sits under option (1) of 第16點
    assert "世界貿易組織政府採購協定（GPA）" in p["16"]["options"][0]["text"]


def test_blanks_found(doc: dict[str, Any]) -> None:
    p = _by_no(doc)
    assert p["2"]["blanks"] == [{"name": "本標案名稱", "prompt": "本標案名稱："}]
    assert p["1"]["blanks"] == []
    assert any(b["name"] == "文號" for b in p["14"]["blanks"])
    assert any("開標後＿＿日止" in b["name"] for b in p["24"]["blanks"])
    assert any(b["name"] == "押標金有效期（年月日）" for b in p["35"]["blanks"])
    assert any(b["name"] == "補助機關名稱及地址" for b in p["9"]["blanks"])
    # a list introduction is not a blank, its 其他 choice is
    assert [b["name"] for b in p["13"]["blanks"]] == ["其他"]
    assert p["3"]["blanks"] == []


def test_text_is_verbatim_and_complete(raw_text: str, doc: dict[str, Any]) -> None:
    raw_lines = [ln.strip() for ln in raw_text.split("\n") if ln.strip()]
    rebuilt = [doc["title_zh"], f"（{doc['version']}版）", *doc["preamble"]]
    for a in doc["articles"]:
        lines = a["text"].split("\n")
        if a["no"] == "52-1":
            lines[0] = "五十二之一、" + lines[0]
        rebuilt.extend(lines)
    for ap in doc["appendices"]:
        rebuilt.extend(ap["text"].split("\n"))
    assert rebuilt == raw_lines


def test_recovery_is_deterministic(raw_text: str) -> None:
    assert dumps(recover_tender_template(raw_text)) == dumps(recover_tender_template(raw_text))


def test_committed_json_equals_recovery(raw_text: str) -> None:
    committed = COMMITTED.read_text(encoding="utf-8")
    assert committed == dumps(recover_tender_template(raw_text))
    data = json.loads(committed)
    assert data["id"] == "tender-instructions-template"
    assert data["domain"] == "template" and data["unit"] == "point"
    assert data["last_amended"] == "2026-07-27" and data["version"] == "115.7.27"
    assert data["issuer"] == "行政院公共工程委員會"


def test_verifier_detects_shifted_numbering(raw_text: str) -> None:
    # An extra standalone line after 第1點 shifts every later point by one.
    shifted = raw_text.replace(
        "本標案名稱：\n", "本標案名稱：\n本行為測試插入之獨立段落，用以檢查點次。\n", 1
    )
    problems = recover_tender_template(shifted)["recovery"]["problems"]
    assert any("第16點" in p for p in problems)
    assert any("第35點" in p for p in problems)


def test_verifier_detects_missing_merge(raw_text: str) -> None:
    # Without the reviewed override the 履約保證金 paragraph becomes a point and 第52點之1 no longer fits.
    broken = raw_text.replace("廠商如以銀行之書面連帶保證", "如廠商以銀行之書面連帶保證", 1)
    problems = recover_tender_template(broken)["recovery"]["problems"]
    assert any("52" in p for p in problems)


def test_bad_input_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(TemplateRecoveryError, match="投標須知範本"):
        recover_tender_template("招標公告\n（115.7.27版）\n本標案名稱：\n")
    with pytest.raises(TemplateRecoveryError):
        recover_tender_template("   ")
    assert main([str(tmp_path / "missing.txt"), str(tmp_path / "out.json")]) == 1
    assert not (tmp_path / "out.json").exists()
    assert main(["only-one-arg"]) == 2


def test_main_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "t.json"
    assert main([str(RAW), str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["article_count"] == 94
