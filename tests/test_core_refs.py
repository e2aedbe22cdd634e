"""parse_article_ref: references as users and legal texts write them."""

from __future__ import annotations

import pytest

from core.refs import ArticleRef, parse_article_ref

CASES: list[tuple[str, list[tuple[str | None, str, int | None, int | None]]]] = [
    ("採購法第22條第1項第9款", [("採購法", "22", 1, 9)]),
    ("政府採購法第二十二條第一項第九款", [("政府採購法", "22", 1, 9)]),
    ("政府採購法第22條之1", [("政府採購法", "22-1", None, None)]),
    ("第八十五條之一", [(None, "85-1", None, None)]),
    ("第 85 條之 1", [(None, "85-1", None, None)]),
    ("第22-1條", [(None, "22-1", None, None)]),
    ("細則第6條", [("細則", "6", None, None)]),
    ("政府採購法施行細則第六條", [("政府採購法施行細則", "6", None, None)]),
    ("檔案法§17", [("檔案法", "17", None, None)]),
    ("§ 17-1", [(None, "17-1", None, None)]),
    ("依第 二十二 條規定", [(None, "22", None, None)]),
    ("第２２條", [(None, "22", None, None)]),
    ("第２２條第１項", [(None, "22", 1, None)]),
    ("請問採購法22條", [("採購法", "22", None, None)]),
    ("機關辦理採購依政府採購法第22條", [("政府採購法", "22", None, None)]),
    ("依採購法第 101 條第 3 項規定", [("採購法", "101", 3, None)]),
    ("採購法第101條第1項第3款", [("採購法", "101", 1, 3)]),
    ("檔案法第十七條、第十八條", [("檔案法", "17", None, None), ("檔案法", "18", None, None)]),
    ("消防法第13條暨同法施行細則第十三條", [("消防法", "13", None, None), ("消防法施行細則", "13", None, None)]),
    ("機關委託專業服務廠商評選及計費辦法第3條", [("機關委託專業服務廠商評選及計費辦法", "3", None, None)]),
    ("押標金保證金暨其他擔保作業辦法第9條", [("押標金保證金暨其他擔保作業辦法", "9", None, None)]),
    ("第一百零一條", [(None, "101", None, None)]),
    ("共22條之規定", []),
    ("本案預算22萬元", []),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_parse_article_ref_variants(text: str, expected: list[tuple[str | None, str, int | None, int | None]]) -> None:
    refs = parse_article_ref(text)
    assert [(r.law, r.no, r.paragraph, r.item) for r in refs] == expected


def test_subitem_and_span() -> None:
    text = "依各類場所消防安全設備設置標準第12條第1項第2款第6目規定"
    (ref,) = parse_article_ref(text)
    assert (ref.no, ref.paragraph, ref.item, ref.subitem) == ("12", 1, 2, 6)
    assert text[ref.span[0]:ref.span[1]] == "各類場所消防安全設備設置標準第12條第1項第2款第6目"
    assert ref.label == "各類場所消防安全設備設置標準第12條第1項第2款第6目"


def test_span_without_law_includes_marker() -> None:
    text = "依第 二十二 條規定"
    (ref,) = parse_article_ref(text)
    assert text[ref.span[0]:ref.span[1]] == "第 二十二 條"


def test_points() -> None:
    assert [(r.law, r.no, r.unit) for r in parse_article_ref("本須知第16點及第35點")] == [
        ("本須知", "16", "point"), ("本須知", "35", "point")]
    assert parse_article_ref("依第35點辦理")[0] == ArticleRef(law=None, no="35", span=(1, 5), unit="point")


def test_known_titles_trim_the_law_name() -> None:
    text = "廠商依政府採購法第31條第2項第7款規定"
    refs = parse_article_ref(text, known_titles=["政府採購法", "採購法"])
    assert [(r.law, r.no, r.paragraph, r.item) for r in refs] == [("政府採購法", "31", 2, 7)]
    refs = parse_article_ref("這是什麼檔案法第17條", known_titles=["檔案法"])
    assert refs[0].law == "檔案法"


def test_many_references_in_a_real_article() -> None:
    text = ("前項第九款專業服務、技術服務、資訊服務及第十款之廠商評選辦法與服務費用計算方式與第十一款、"
            "第十三款及第十四款之作業辦法，由主管機關定之。")
    assert parse_article_ref(text) == []  # 款 without 條 is not an article reference


@pytest.mark.parametrize("text,law", [
    ("我想知道政府採購法第22條的內容", "政府採購法"),
    ("請問檔案法第17條是什麼", "檔案法"),
    ("最有利標評選辦法第11條怎麼規定", "最有利標評選辦法"),
    ("機關主會計及有關單位會同監辦採購辦法第4條", "機關主會計及有關單位會同監辦採購辦法"),
])
def test_law_name_is_trimmed_from_a_question(text: str, law: str) -> None:
    assert parse_article_ref(text)[0].law == law
