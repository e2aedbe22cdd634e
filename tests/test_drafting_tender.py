"""投標須知 drafts: real template, real calculators, real SQLite records, real .docx files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import docx
import pytest

from assistant.calculators import ArticleIndex
from assistant.drafting import (
    CaseInput,
    CaseInputError,
    TenderTemplate,
    draft_tender_instructions,
    to_docx,
)
from assistant.drafting.tender import build_tender_instructions
from assistant.models import Draft
from knowledge.records import RecordsService, init_db, load_sample

ON = date(2026, 11, 27)


@pytest.fixture(scope="module")
def articles() -> ArticleIndex:
    return ArticleIndex.load()


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> RecordsService:
    db = tmp_path_factory.mktemp("records") / "records.sqlite"
    engine = init_db(f"sqlite:///{db}")
    reports = load_sample(engine)
    assert all(r.ok for r in reports)
    return RecordsService(engine)


def draft(articles: ArticleIndex, **fields: object):
    return build_tender_instructions(CaseInput.from_dict(fields), on=ON, articles=articles)


def point(d, no: str):
    return next(p for p in d.points if p.no == no)


def point_text(d, no: str) -> str:
    return point(d, no).markdown()


BASE = {"名稱": "（範例）公務用影印機採購", "機關": "臺中市政府秘書處", "單位": "事務科", "類別": "財物",
        "預算金額": 4_800_000, "招標方式": "公開招標", "決標原則": "最低標"}


# --- from a records-store case to a .docx ---------------------------------------------------------------
def test_sample_case_drafts_to_valid_docx(records: RecordsService, articles: ArticleIndex, tmp_path: Path) -> None:
    found = records.find_cases(category="財物", method="公開招標", limit=1)
    assert found, "the sample data has 財物 公開招標 cases"
    case = records.lookup_case(found[0].case_no)
    assert case is not None
    d = draft_tender_instructions(case, on=ON, articles=articles)
    assert d.case_no == case.case_no
    assert f"案號：{case.case_no}" in d.markdown
    assert "■(2)財物" in point_text(d, "3")
    assert "□(1)工程。" in point_text(d, "3")
    path = to_docx(d, tmp_path / "out" / "須知.docx")
    reopened = docx.Document(str(path))
    text = "\n".join(p.text for p in reopened.paragraphs)
    assert "投標須知（草稿）" in text
    assert "■(2)財物" in text and "□(3)勞務。" in text
    assert "■(1)公開招標" in text
    assert "待補欄位" in text and "檢核提醒" in text
    for name in d.missing_fields:
        assert name in text
    # the record has no 開標地點 and no time of day: listed, never invented
    assert "開標地點" in d.missing_fields
    if case.opened_on is not None:
        assert "開標時刻" in d.missing_fields and "上午0時" not in d.markdown
    assert "【待補：開標地點】" in text
    section = reopened.sections[0]
    assert section.page_width is not None and section.page_height is not None
    assert abs(section.page_width.cm - 21.0) < 0.01 and abs(section.page_height.cm - 29.7) < 0.01
    assert "草稿" in section.header.paragraphs[0].text
    assert "PAGE" in section.footer._element.xml
    normal_fonts = reopened.styles["Normal"].element.rPr.rFonts
    assert normal_fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "標楷體"


def test_to_draft_matches_answer_contract(articles: ArticleIndex, tmp_path: Path) -> None:
    d = draft(articles, **BASE)
    out = d.to_draft()
    assert isinstance(out, Draft) and out.kind == "tender_instructions"
    assert out.model_dump()["kind"] == "tender_notice"  # the answer object's name (docs/DESIGN.md)
    assert Draft.model_validate(out.model_dump()).kind == "tender_instructions"  # and it reads back
    assert out.missing_fields == d.missing_fields and out.markdown == d.markdown
    # the answer-object Draft itself can be written too
    path = to_docx(out, tmp_path / "answer.docx")
    assert d.to_draft(docx_path=str(path)).docx_path == str(path)
    assert "■(2)財物" in "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def test_header_block_and_sections(articles: ArticleIndex) -> None:
    md = draft(articles, **BASE).markdown
    head = md.split("## 案件摘要")[0]
    assert head.startswith("# 投標須知（草稿）")
    assert "依據：行政院公共工程委員會投標須知範本（115.7.27版）" in head
    assert "本草稿由 mishu 依範本與案件紀錄產生，送出前請承辦人逐點核對" in head
    assert md.index("## 投標須知") < md.index("## 待補欄位") < md.index("## 檢核提醒")


def test_every_point_in_form_order_with_official_numbers(articles: ArticleIndex) -> None:
    tpl = TenderTemplate.load()
    d = draft(articles, **BASE)
    assert [p.no for p in d.points] == [p.no for p in tpl.points]
    body = d.markdown.split("## 投標須知")[1]
    positions = [body.index(f"\n{p.number}") for p in d.points]
    assert positions == sorted(positions)
    assert point(d, "52-1").number == "五十二之一、"
    assert point(d, "93").number == "九十三、"


# --- missing fields are listed, never invented -----------------------------------------------------------
def test_missing_values_are_pending_not_invented(articles: ArticleIndex) -> None:
    d = draft(articles, 類別="財物", 預算金額=None, 招標方式="公開招標")
    for name in ("標案名稱", "預算金額", "採購金額級距", "等標期", "押標金", "履約保證金", "開標地點", "機關名稱"):
        assert name in d.missing_fields, name
        assert f"【待補：{name}】" in d.markdown, name
    assert "【待補：預算金額】" in point_text(d, "6")
    assert "新臺幣" not in point_text(d, "6")
    assert "■" not in point_text(d, "4")  # no tier without an amount
    # every 【待補：X】 in the text is listed, and every listed field shows up in the text
    import re
    shown = set(re.findall(r"【待補：([^】]+)】", d.markdown))
    assert shown <= set(d.missing_fields)


def test_given_values_fill_the_form(articles: ArticleIndex) -> None:
    d = draft(articles, **BASE, 案號="115A0001", 開標地點="市政大樓惠中樓3樓開標室", 開標時間="115.12.21 10:00",
              公告日="2026-11-27", 截止投標日="2026-12-18", 截止投標時間="17:00", 收件地點="臺中市政府秘書處事務科")
    assert "開標地點" not in d.missing_fields and "開標時間" not in d.missing_fields
    assert "市政大樓惠中樓3樓開標室" in point_text(d, "28")
    assert "民國115年12月21日上午10時00分" in point_text(d, "27")
    assert "須於民國115年12月18日17時00分前" in point_text(d, "90")
    assert "本標案名稱：（範例）公務用影印機採購" in point_text(d, "2")
    assert "新臺幣4,800,000元" in point_text(d, "6")
    assert ("等標期", "22日；法定最少14日，依招標期限標準第2條第2項第2款") in d.summary
    assert not d.warnings


def test_earliest_deadline_hint_without_deadline(articles: ArticleIndex) -> None:
    d = draft(articles, **BASE, 公告日="2026-11-27")
    assert "截止投標日期" in d.missing_fields
    # 14 days counted from 2026-11-27 (day 1) end on 2026-12-10, a Thursday
    assert "截止日最早為民國115年12月10日" in point_text(d, "90")


def test_agency_points_stay_unticked_and_are_listed(articles: ArticleIndex) -> None:
    d = draft(articles, **BASE)
    for no, topic in (("14", "是否分批辦理"), ("17", "是否以統包辦理"), ("57", "底價之訂定及公告")):
        assert f"第{no}點：{topic}（待機關勾選）" in d.missing_fields
        assert "■" not in point_text(d, no)
        assert "□(1)" in point_text(d, no)


# --- options chosen from the case ----------------------------------------------------------------------
@pytest.mark.parametrize(("amount", "category", "option"), [
    (150_000, "財物", "(1)"), (150_001, "財物", "(2)"), (1_499_999, "財物", "(2)"), (1_500_000, "財物", "(3)"),
    (49_999_999, "工程", "(3)"), (50_000_000, "工程", "(4)"), (10_000_000, "勞務", "(4)"),
    (9_999_999, "勞務", "(3)"), (200_000_000, "工程", "(5)"), (20_000_000, "勞務", "(5)"),
])
def test_tier_option_at_boundaries(articles: ArticleIndex, amount: int, category: str, option: str) -> None:
    d = draft(articles, 類別=category, 預算金額=amount, 招標方式="公開招標")
    p = point(d, "4")
    assert p.chosen == [option]
    assert f"■{option}" in p.markdown()
    assert p.markdown().count("■") == 1


def test_method_award_and_category_options(articles: ArticleIndex) -> None:
    d = draft(articles, **{**BASE, "決標原則": "最有利標", "類別": "勞務", "預算金額": 12_000_000})
    assert "■(3)勞務。" in point_text(d, "3")
    assert "■(1)公開招標" in point_text(d, "15")
    assert "■(2)最有利標" in point_text(d, "58") and "■（2-1）" in point_text(d, "58")
    assert "評選項目及配分" in d.missing_fields
    assert "■臺中市政府採購申訴審議委員會" in point_text(d, "13")
    assert "□臺北市政府採購申訴審議委員會" in point_text(d, "13")
    # 勞務 without a bond amount: legal default ticked, with its reason
    assert "■(1)勞務採購。" in point_text(d, "38")
    assert "政府採購法第30條" in point_text(d, "38")
    assert any("先報經上級機關核准" in n for n in d.notes)


def test_quote_method_point_and_fields(articles: ArticleIndex) -> None:
    d = draft(articles, 名稱="（範例）AED購置", 類別="財物", 預算金額=900_000, 招標方式="公開取得報價單", 決標原則="最低標")
    assert "■(4)依採購法第49條" in point_text(d, "15")
    assert "截止收件日期" in d.missing_fields and "報價單格式" in d.missing_fields
    assert "法定最少5日" in dict(d.summary)["等標期"]


# --- validations --------------------------------------------------------------------------------------------
def test_warning_for_too_short_tender_period(articles: ArticleIndex) -> None:
    d = draft(articles, **BASE, 公告日="2026-11-27", 截止投標日="2026-12-06")  # 10 days, minimum 14
    assert any("等標期10日少於法定最少14日" in w and "招標期限標準第2條第2項第2款" in w for w in d.warnings)
    # 2026-12-06 is a Sunday: 招標期限標準第11條第3項
    assert any("星期日" in w and "招標期限標準第11條第3項" in w for w in d.warnings)
    ok = draft(articles, **BASE, 公告日="2026-11-27", 截止投標日="2026-12-06", 電子領標="是", 電子投標="是")
    assert not any("等標期" in w for w in ok.warnings)  # 14 - 3 - 2 = 9 <= 10


def test_warning_for_bid_bond_over_cap(articles: ArticleIndex) -> None:
    d = draft(articles, **BASE, 押標金=300_000)  # 5% of 4,800,000 = 240,000
    assert any("逾預算金額5%" in w and "240,000" in w and "押標金保證金暨其他擔保作業辦法第9條" in w for w in d.warnings)
    assert "■(1)一定金額：新臺幣300,000元" in point_text(d, "32")
    huge = draft(articles, 類別="工程", 預算金額=2_000_000_000, 招標方式="公開招標", 押標金=60_000_000)
    assert any("5,000萬元之上限" in w for w in huge.warnings)
    fine = draft(articles, **BASE, 押標金=240_000)
    assert not any("押標金" in w for w in fine.warnings)


def test_warning_for_waiver_that_does_not_fit(articles: ArticleIndex) -> None:
    d = draft(articles, 類別="工程", 預算金額=3_000_000, 招標方式="公開招標", 無押標金理由="勞務採購")
    assert any("僅適用於勞務採購" in w and "政府採購法第30條" in w for w in d.warnings)
    assert "■(1)勞務採購。" in point_text(d, "38")  # the record's choice is shown, and flagged
    d2 = draft(articles, 類別="財物", 預算金額=3_000_000, 招標方式="公開招標", 無押標金理由="未達公告金額")
    assert any("第1項第2款" in w for w in d2.warnings)
    d3 = draft(articles, 類別="財物", 預算金額=900_000, 招標方式="公開取得報價單", 無押標金理由="未達公告金額")
    assert not any("押標金" in w for w in d3.warnings)


def test_warnings_for_method_basis_and_tier(articles: ArticleIndex) -> None:
    d = draft(articles, **{**BASE, "招標方式": "限制性招標"})
    assert any("政府採購法第22條第1項" in w and "款次" in w for w in d.warnings)
    assert "限制性招標依據款次" in d.missing_fields
    ok = draft(articles, **{**BASE, "招標方式": "限制性招標", "限制性招標依據款次": 1, "限制性招標方式": "比價"})
    assert not any("第22條" in w for w in ok.warnings)
    assert "第22條第1項第1款之情形" in point_text(ok, "15") and "■（3-2）" in point_text(ok, "15")
    q = draft(articles, **{**BASE, "招標方式": "公開取得報價單"})
    assert any("政府採購法第49條" in w for w in q.warnings)
    s = draft(articles, **{**BASE, "招標方式": "選擇性招標"})
    assert any("政府採購法第20條" in w for w in s.warnings)
    t = draft(articles, **BASE, 採購金額級距="未達公告金額")
    assert any("採購金額級距「未達公告金額」" in w for w in t.warnings)
    t2 = draft(articles, **BASE, 採購金額級距="公告金額以上未達查核金額")
    assert not t2.warnings


def test_public_inspection_rule_for_audit_tier(articles: ArticleIndex) -> None:
    d = draft(articles, 類別="工程", 預算金額=60_000_000, 招標方式="公開招標", 公開閱覽="否")
    assert any("政府採購招標文件公開閱覽制度實施要點第2點" in w for w in d.warnings)
    d2 = draft(articles, 類別="工程", 預算金額=60_000_000, 招標方式="公開招標")
    assert "招標文件公開閱覽" in d2.missing_fields


def test_citations_are_verbatim(articles: ArticleIndex) -> None:
    d = draft(articles, **BASE, 押標金=300_000, 公告日="2026-11-27", 截止投標日="2026-12-06")
    assert d.citations
    for c in d.citations:
        assert c.quote in articles.text(c.title, c.no)
    names = [t["name"] for t in d.tool_calls]
    assert names == ["procurement_tier", "tender_period", "bid_bond_and_guarantees"]


# --- bad input ---------------------------------------------------------------------------------------------
def test_bad_case_input_gives_zh_error() -> None:
    with pytest.raises(CaseInputError, match="無法辨識的案件欄位：顏色"):
        CaseInput.from_dict({"名稱": "x", "顏色": "紅"})
    with pytest.raises(CaseInputError, match="類別"):
        CaseInput.from_dict({"類別": "服務"})
    with pytest.raises(CaseInputError, match="預算金額"):
        CaseInput.from_dict({"預算金額": "很多"})


def test_docx_path_must_end_with_docx(articles: ArticleIndex, tmp_path: Path) -> None:
    from assistant.drafting import DocxWriteError
    with pytest.raises(DocxWriteError, match=r"\.docx"):
        to_docx(draft(articles, **BASE), tmp_path / "a.txt")
