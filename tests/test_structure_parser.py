"""Structure parser on real corpus texts: articles, 之N, 款/目, 編章節, points, sections, wraps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fixtures.ingest_docs import SOURCES, article, law_json, render_law_text

from core.vocab import Domain, Unit
from ingest.models import IngestError, LoadedDocument
from ingest.structure import (
    chapter_paths,
    is_deleted_text,
    normalize_chapter,
    parse_structure,
    parse_text,
    split_items,
    split_paragraphs,
)


def _squash(t: str) -> str:
    return re.sub(r"\s+", "", t)


def _law_files() -> list[str]:
    out = []
    for p in sorted(SOURCES.glob("*/*.json")):
        d = law_json(p.relative_to(SOURCES).as_posix())
        if isinstance(d.get("articles"), list):
            out.append(p.relative_to(SOURCES).as_posix())
    return out


@pytest.mark.parametrize("rel", _law_files())
def test_text_reconstruction_recovers_every_article(rel: str) -> None:
    """Render a law JSON back to text; the parser must recover the same numbers, texts and chapter paths."""
    law = law_json(rel)
    parsed = parse_text(render_law_text(law))
    assert parsed.unit.value == law["unit"]
    assert parsed.title == law["title_zh"]
    assert parsed.amended is not None and parsed.amended.isoformat() == law["last_amended"]
    got = [(s.no, _squash(s.text), s.chapter) for s in parsed.sections]
    paths = chapter_paths([a["chapter"] for a in law["articles"]])
    expected = [(a["no"], _squash(a["text"]), p) for a, p in zip(law["articles"], paths, strict=True)]
    assert got == expected


def test_reconstruction_keeps_line_structure_exactly() -> None:
    law = law_json("procurement/procurement-act.json")
    parsed = parse_text(render_law_text(law))
    by_no = {s.no: s for s in parsed.sections}
    for a in law["articles"]:
        assert by_no[a["no"]].text == a["text"].strip()


def test_chinese_numeral_article_markers() -> None:
    law = law_json("procurement/procurement-act.json")
    parsed = parse_text(render_law_text(law, chinese_numerals=True))
    assert [s.no for s in parsed.sections] == [a["no"] for a in law["articles"]]
    assert next(s for s in parsed.sections if s.no == "85-1").label == "第85條之1"


def test_article_22_with_16_items_stays_one_article() -> None:
    law = law_json("procurement/procurement-act.json")
    a21, a22, a23 = (article(law, n) for n in ("21", "22", "23"))
    text = "\n".join(["第二十一條", a21["text"], "第二十二條", a22["text"], "第二十三條", a23["text"]])
    parsed = parse_text(text)
    assert parsed.unit == Unit.article
    assert [s.no for s in parsed.sections] == ["21", "22", "23"]
    s22 = parsed.sections[1]
    assert s22.text == a22["text"]
    paras = split_paragraphs(s22.text)
    assert len(paras) == 4
    items = split_items(paras[0])
    assert [label for label, _ in items] == ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
                                             "十一", "十二", "十三", "十四", "十五", "十六"]
    assert items[8][1].startswith("委託專業服務、技術服務、資訊服務或社會福利服務")
    assert paras[1].startswith("前項第九款專業服務")


def test_zhi_articles_85_1_and_93_1() -> None:
    law = law_json("procurement/procurement-act.json")
    nos = ["85", "85-1", "85-2", "93", "93-1", "94"]
    lines = []
    for no in nos:
        base, _, sub = no.partition("-")
        lines += [f"第{base}條" + (f"之{sub}" if sub else ""), article(law, no)["text"]]
    parsed = parse_text("\n".join(lines))
    assert [s.no for s in parsed.sections] == nos
    assert parsed.sections[1].text == article(law, "85-1")["text"]
    assert parsed.sections[4].label == "第93條之1"
    # the 85-1 article has a 款 list 一、二、 that must stay inside it
    assert split_items(split_paragraphs(parsed.sections[1].text)[0])[1][0] == "二"


def test_subitems_mu_stay_with_their_item() -> None:
    law = law_json("emergency/fire-safety-equipment-installation-standards.json")
    a4 = article(law, "4")
    parsed = parse_text("第 4 條\n" + a4["text"] + "\n第 5 條\n" + article(law, "5")["text"])
    assert [s.no for s in parsed.sections] == ["4", "5"]
    items = split_items(split_paragraphs(parsed.sections[0].text)[0])
    assert items[1][0] == "二"
    assert "（一）十一層以上之樓層" in items[1][1] and "（二）十層以下之樓層" in items[1][1]


def test_bian_zhang_jie_nesting_of_fire_safety_standards() -> None:
    law = law_json("emergency/fire-safety-equipment-installation-standards.json")
    paths = dict(zip((a["no"] for a in law["articles"]),
                     chapter_paths([a["chapter"] for a in law["articles"]]), strict=True))
    assert paths["1"] == ["第一編 總則"]
    assert paths["4"] == ["第二編 消防設計"]
    # the MOJ data lacks the 第三編/第一章 headings above these 節: only the known 節 is kept
    assert paths["31"] == ["第一節 滅火器及室內消防栓設備"]
    assert paths["97-1"] == ["第六節之一 鹵化烴滅火設備"]
    assert paths["234"] == ["第五編 附則"]


def test_full_chapter_nesting_in_text() -> None:
    text = "\n".join([
        "第一編 總則", "第1條", "本標準依消防法第六條第一項規定訂定之。",
        "第二編 消防設計", "第一章 通則", "第一節 滅火設備", "第2條", "甲。",
        "第二節 警報設備", "第3條", "乙。", "第二章 特殊場所", "第4條", "丙。",
    ])
    parsed = parse_text(text)
    assert [(s.no, s.chapter) for s in parsed.sections] == [
        ("1", ["第一編 總則"]),
        ("2", ["第二編 消防設計", "第一章 通則", "第一節 滅火設備"]),
        ("3", ["第二編 消防設計", "第一章 通則", "第二節 警報設備"]),
        ("4", ["第二編 消防設計", "第二章 特殊場所"]),
    ]


@pytest.mark.parametrize("raw,expected", [
    ("第 一 章 總則", "第一章 總則"),
    ("第 六 節之一 鹵化烴滅火設備", "第六節之一 鹵化烴滅火設備"),
    ("第 三 章之一 消防人員安全衛生防護", "第三章之一 消防人員安全衛生防護"),
    ("第1章　計畫作業", "第1章 計畫作業"),
])
def test_normalize_chapter(raw: str, expected: str) -> None:
    assert normalize_chapter(raw) == expected


def test_chapter_string_with_two_levels() -> None:
    assert chapter_paths(["第 一 編 總則 第 一 章 通則", "第 二 章 罰則"]) == [
        ["第一編 總則", "第一章 通則"], ["第一編 總則", "第二章 罰則"]]


def test_in_text_references_are_not_articles() -> None:
    text = ("第1條\n機關辦理採購，依第二十二條規定辦理。\n"
            "第二十二條規定之情形，不在此限。\n"  # a line starting with a reference, no space after 條
            "第2條 前條之規定，於依第 5 條辦理者準用之。\n第3條\n本法自公布日施行。")
    parsed = parse_text(text)
    assert [s.no for s in parsed.sections] == ["1", "2", "3"]
    assert parsed.sections[0].text.endswith("第二十二條規定之情形，不在此限。")
    assert parsed.sections[1].text == "前條之規定，於依第 5 條辦理者準用之。"


def test_out_of_sequence_marker_is_body_text() -> None:
    text = "第1條\n甲。\n第2條\n乙：\n第1條 所定事項如下。\n第3條\n丙。"
    parsed = parse_text(text)
    assert [s.no for s in parsed.sections] == ["1", "2", "3"]
    assert "第1條 所定事項如下。" in parsed.sections[1].text


def test_article_title_in_parentheses_and_fullwidth_numbers() -> None:
    parsed = parse_text("第１條（立法目的）\n為建立制度，特制定本法。\n第２條 （定義）本法所稱採購，指工程。\n第3條\n（刪除）")
    assert [s.no for s in parsed.sections] == ["1", "2", "3"]
    assert parsed.sections[0].label == "第1條（立法目的）"
    assert parsed.sections[1].text == "本法所稱採購，指工程。"
    assert parsed.sections[2].deleted


@pytest.mark.parametrize("text,deleted", [("（刪除）", True), ("(刪除)", True), ("本條刪除。", True),
                                          ("刪除", True), ("刪除之檔案應造冊。", False)])
def test_is_deleted_text(text: str, deleted: bool) -> None:
    assert is_deleted_text(text) is deleted


def test_points_document_with_kuan_list_inside_a_point() -> None:
    text = "\n".join([
        "一、為辦理採購，特訂定本要點。",
        "二、機關辦理下列事項：",
        "一、擬定計畫。",
        "二、編列預算。",
        "三、本要點自即日生效。",
    ])
    parsed = parse_text(text, title="某某採購作業要點")
    assert parsed.unit == Unit.point
    assert [s.no for s in parsed.sections] == ["1", "2", "3"]
    assert parsed.sections[1].text == "機關辦理下列事項：\n一、擬定計畫。\n二、編列預算。"
    assert parsed.sections[2].label == "第3點"


def test_points_need_consecutive_numbers() -> None:
    parsed = parse_text("一、甲事項。\n三、乙事項。\n五、丙事項。")
    assert parsed.unit == Unit.section or [s.no for s in parsed.sections] != ["1", "3", "5"]


def test_plan_sections_use_agreed_heading_paths() -> None:
    text = "\n".join([
        "臺中市政府市政大樓消防防護計畫（範例）",
        "壹、總則",
        "本計畫依消防法第十三條訂定。",
        "一、目的",
        "預防火災。",
        "二、適用範圍",
        "本大樓全體人員。",
        "貳、預防管理對策",
        "一、防火管理人",
        "由總務科長擔任。",
        "參、自衛消防活動",
        "一、編組",
        "分為滅火班、通報班及避難引導班。",
        "二、任務",
        "(一)滅火班：初期滅火。",
        "(二)通報班：通報119。",
    ])
    parsed = parse_text(text, title="臺中市政府市政大樓消防防護計畫（範例）")
    assert parsed.unit == Unit.section
    assert [s.no for s in parsed.sections] == ["壹", "壹/1", "壹/2", "貳/1", "參/1", "參/2"]
    s = parsed.sections[-1]
    assert s.label == "參、自衛消防活動 > 二、任務"
    assert s.chapter == ["參、自衛消防活動"]
    assert s.text == "(一)滅火班：初期滅火。\n(二)通報班：通報119。"


def test_markdown_and_dotted_headings() -> None:
    text = "\n".join(["# 檔案管理手冊", "## 第1章 計畫作業", "1.1 範圍", "各機關應擬訂計畫。",
                      "1.2 主要適用法令", "1.2.1 預算法。", "## 附錄", "其他說明。"])
    parsed = parse_text(text)
    assert parsed.unit == Unit.section
    assert parsed.title == "檔案管理手冊"
    assert [s.no for s in parsed.sections] == ["1.1", "1.2.1", "附錄"]
    assert parsed.sections[0].chapter == ["第1章 計畫作業"]
    assert parsed.sections[1].text == "預算法。"


def test_hard_wrapped_text_is_joined() -> None:
    raw = "\n".join([
        "一、臺中市政府(以下簡稱本府)為強化本府及所屬各機關、學校、公營事",
        "    業採購制度之建立與管理,以提升整體採購效能,落實分層負責,特",
        "    訂定本要點。",
        "",
        "二、本要點所稱本府採購業務主管機關,指本府秘書處。",
        "    本要點所稱各機關,指本府及所屬各機關、學校、公營事業。",
        "三、各機關不得意圖規避政府採購法第十四條規定之適用,分批辦理公告",
        "    金額以上之採購。",
    ])
    parsed = parse_text(raw)
    assert parsed.sections[0].text == ("臺中市政府(以下簡稱本府)為強化本府及所屬各機關、學校、公營事業採購制度之"
                                       "建立與管理,以提升整體採購效能,落實分層負責,特訂定本要點。")
    assert parsed.sections[1].text.count("\n") == 1  # two sentences ending with 。 stay two lines
    assert parsed.sections[2].text.endswith("分批辦理公告金額以上之採購。")


def test_unwrapped_text_is_not_joined() -> None:
    parsed = parse_text("# 說明\n表格一\n表格二\n第三行沒有句點\n最後一行。")
    assert parsed.sections[0].text == "表格一\n表格二\n第三行沒有句點\n最後一行。"


def test_parse_structure_fills_ids_hash_and_version(tmp_path: Path) -> None:
    doc = LoadedDocument(path=str(tmp_path / "plans" / "市政大樓防護計畫.txt"), fmt="txt",
                         text="壹、總則\n本計畫依消防法訂定。", domain=Domain.plan)
    sd = parse_structure(doc)
    assert sd.doc_id == "市政大樓防護計畫"
    assert sd.title == "市政大樓防護計畫"
    assert sd.unit == Unit.section and sd.sections[0].no == "壹"
    assert len(sd.content_hash) == 64 and sd.version == "h:" + sd.content_hash[:12]
    changed = parse_structure(doc.model_copy(update={"text": "壹、總則\n本計畫依消防法第十三條訂定。"}))
    assert changed.content_hash != sd.content_hash


def test_parse_structure_rejects_empty_text_and_duplicate_numbers() -> None:
    with pytest.raises(IngestError, match="沒有可用的文字內容"):
        parse_structure(LoadedDocument(path="x.txt", fmt="txt", text="  \n "))
    from ingest.models import Section

    dup = [Section(no="1", label="第1條", text="甲"), Section(no="1", label="第1條", text="乙")]
    with pytest.raises(IngestError, match="條號重複：1"):
        parse_structure(LoadedDocument(path="x.json", fmt="law-json", title="某法", sections=dup,
                                       domain=Domain.procurement, unit=Unit.article))


def test_parse_structure_unknown_domain_is_a_clear_error() -> None:
    with pytest.raises(IngestError, match="無法判斷文件類別"):
        parse_structure(LoadedDocument(path="notes.txt", fmt="txt", text="今天天氣很好。\n明天也是。"))


def test_hard_wrapped_rendering_of_every_law_is_recovered() -> None:
    """All laws rendered and hard-wrapped at 32 characters (like a printed page): every article is found
    with its full text, and most keep their exact line (項/款) structure."""
    from fixtures.ingest_docs import wrap_lines

    total = exact = 0
    for rel in _law_files():
        law = law_json(rel)
        parsed = parse_text("\n".join(wrap_lines(render_law_text(law), 32)))
        got = {s.no: s.text for s in parsed.sections}
        for a in law["articles"]:
            total += 1
            assert _squash(got[a["no"]]) == _squash(a["text"]), (rel, a["no"])
            exact += got[a["no"]] == a["text"].strip()
    assert total > 1800
    assert exact / total > 0.85


def test_markdown_law_with_heading_markers() -> None:
    law = law_json("archives/archives-act.json")
    lines = [f"# {law['title_zh']}", ""]
    prev = None
    for a in law["articles"]:
        if a["chapter"] != prev:
            lines += [f"## {a['chapter']}", ""]
            prev = a["chapter"]
        lines += [f"### 第 {a['no']} 條", "", a["text"], ""]
    parsed = parse_text("\n".join(lines))
    assert parsed.unit == Unit.article and parsed.title == "檔案法"
    assert [s.no for s in parsed.sections] == [a["no"] for a in law["articles"]]
    assert parsed.sections[0].chapter == ["第一章 總則"]
    assert all(s.text == a["text"] for s, a in zip(parsed.sections, law["articles"], strict=True))
