"""Loaders on the shipped corpus JSON shapes (law, template, page excerpts, raw extracts)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fixtures.ingest_docs import SOURCES

from core.vocab import Domain, Unit
from ingest.loaders import SUPPORTED_SUFFIXES, load_path
from ingest.models import IngestError
from ingest.structure import parse_structure

MAX = 5_000_000


def test_supported_suffixes() -> None:
    assert {".json", ".pdf", ".docx", ".md", ".markdown", ".txt", ".html", ".htm"} == SUPPORTED_SUFFIXES


def test_procurement_act_json() -> None:
    (doc,) = load_path(SOURCES / "procurement" / "procurement-act.json", max_bytes=MAX)
    assert doc.fmt == "law-json" and doc.doc_id == "procurement-act" and doc.title == "政府採購法"
    assert doc.domain == Domain.procurement and doc.unit == Unit.article
    assert doc.amended == date(2019, 5, 22)
    assert doc.meta["url"] == "https://law.moj.gov.tw/LawClass/LawAll.aspx?pcode=A0030057"
    assert doc.meta["level"] == "法律"
    secs = {s.no: s for s in doc.sections or []}
    assert len(secs) == 123
    assert secs["85-1"].label == "第85條之1"
    assert secs["22"].chapter == ["第二章 招標"]
    assert secs["69"].deleted and not secs["22"].deleted
    sd = parse_structure(doc)
    assert sd.version == "2019-05-22" and sd.unit == Unit.article and not sd.partial
    assert sd.url == doc.meta["url"] and len(sd.content_hash) == 64


def test_every_shipped_json_loads_and_parses() -> None:
    docs = []
    for path in sorted(SOURCES.glob("*/*.json")):
        for loaded in load_path(path, max_bytes=MAX):
            docs.append(parse_structure(loaded))
    ids = [d.doc_id for d in docs]
    assert len(ids) == len(set(ids))
    assert len(docs) >= 70
    for d in docs:
        nos = [s.no for s in d.sections]
        assert len(nos) == len(set(nos)), d.doc_id
        assert all(s.text for s in d.sections), d.doc_id


def test_template_json_is_a_point_document() -> None:
    path = SOURCES / "templates" / "tender-instructions-template.json"
    if not path.exists():
        pytest.skip("template JSON not generated yet")
    (doc,) = load_path(path, max_bytes=MAX)
    sd = parse_structure(doc)
    assert sd.unit == Unit.point and sd.domain == Domain.template
    by_no = {s.no: s for s in sd.sections}
    assert by_no["1"].label == "第1點"
    assert by_no["52-1"].label == "第52點之1"


def test_page_excerpts_become_partial_point_and_section_documents() -> None:
    loaded = load_path(SOURCES / "excerpts" / "page-excerpts.json", max_bytes=MAX)
    assert len(loaded) == 8
    docs = {d.doc_id: d for d in (parse_structure(x) for x in loaded)}
    assert all(d.partial for d in docs.values())

    taichung = docs["taichung-procurement-operation-points-1071017"]
    assert taichung.unit == Unit.point
    assert [s.no for s in taichung.sections] == ["1", "2", "3", "4", "5", "6", "7"]
    assert taichung.amended == date(2018, 10, 17) and taichung.version == "2018-10-17"
    assert taichung.note is not None and taichung.note.startswith("partial")
    # hard-wrapped lines with 4-space indents are joined back into sentences
    assert taichung.sections[0].text.endswith("落實分層負責,特訂定本要點。")
    assert "\n" not in taichung.sections[0].text

    records = docs["taichung-agency-records-management-points-gl001993"]
    assert [s.no for s in records.sections] == ["45", "46", "47", "48", "49", "50", "51"]
    assert records.sections[0].chapter == ["捌、清理(銷毀、移轉)"]
    s47 = records.sections[2]
    assert s47.text.count("\n(") == 4  # (一)..(四) stay inside point 47

    norms = docs["document-records-computerization-norms-1091203-excerpt"]
    assert [s.no for s in norms.sections if s.no != "前言"] == ["2", "4"]

    manual = docs["naa-agency-records-management-manual-ch1-excerpt"]
    assert manual.unit == Unit.section
    assert [s.no for s in manual.sections][:2] == ["1.1", "1.2.1"]

    plan = docs["nfa-social-welfare-institution-fire-protection-plan-sample-excerpt"]
    assert plan.unit == Unit.section and "壹/1" in [s.no for s in plan.sections]


def test_raw_extracts_are_one_lossy_section_document() -> None:
    (doc,) = load_path(SOURCES / "procurement" / "pcc-guidance-raw-extracts.json", max_bytes=MAX)
    assert doc.meta["partial"] is True and doc.meta["lossy"] is True
    sd = parse_structure(doc)
    assert sd.unit == Unit.section and sd.partial
    assert sd.sections[0].no == "政府採購法第二十二條第一項各款執行錯誤態樣"
    assert sd.note is not None and sd.note.startswith("LOSSY")


def test_bad_json_is_reported(tmp_path: Path) -> None:
    p = tmp_path / "broken.json"
    p.write_text('{"articles": [', encoding="utf-8")
    with pytest.raises(IngestError, match="JSON 格式錯誤：第 1 行"):
        load_path(p, max_bytes=MAX)
    p.write_text('{"foo": 1}', encoding="utf-8")
    with pytest.raises(IngestError, match="無法辨識的 JSON 格式"):
        load_path(p, max_bytes=MAX)
    p.write_text('{"title_zh": "某法", "articles": [{"no": "1"}]}', encoding="utf-8")
    with pytest.raises(IngestError, match="缺少 no 或 text"):
        load_path(p, max_bytes=MAX)


def test_sample_plan_markdown_follows_the_section_convention() -> None:
    path = SOURCES / "plans" / "taichung-city-hall-disaster-plan-sample.md"
    if not path.exists():
        pytest.skip("sample plan not present")
    (doc,) = load_path(path, max_bytes=MAX)
    sd = parse_structure(doc)
    assert sd.unit == Unit.section and sd.domain == Domain.plan
    assert sd.title == "臺中市政府市政大樓防災救災計畫（範例）"
    nos = [s.no for s in sd.sections]
    assert nos[0] == "前言" and {"壹/1", "參/2", "附表/2"} <= set(nos)
    assert "<!--" not in sd.sections[0].text and "**" not in sd.sections[0].text
    s = next(s for s in sd.sections if s.no == "參/2")
    assert s.label.startswith("參、") and " > 二、" in s.label
