"""The sample city-hall plan (範例) and the retrieval eval questions for the template and the plan."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from core.text import to_traditional
from ingest.loaders import load_path
from ingest.models import SourceDocument
from ingest.structure import parse_structure

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "knowledge" / "sources" / "plans" / "taichung-city-hall-disaster-plan-sample.md"
TEMPLATE = ROOT / "knowledge" / "sources" / "templates" / "tender-instructions-template.json"
DATASET = ROOT / "evals" / "datasets" / "retrieval_templates_plans.jsonl"
PLAN_TITLE = "臺中市政府市政大樓防災救災計畫（範例）"


@pytest.fixture(scope="module")
def plan_doc() -> SourceDocument:
    return parse_structure(load_path(PLAN, max_bytes=10_000_000)[0])


def test_plan_is_marked_as_sample(plan_doc: SourceDocument) -> None:
    text = PLAN.read_text(encoding="utf-8")
    assert text.startswith("---\ndoc_id: taichung-city-hall-disaster-plan-sample\n")
    assert "sample: true" in text.split("---")[1]
    assert plan_doc.title == PLAN_TITLE
    assert plan_doc.doc_id == "taichung-city-hall-disaster-plan-sample"
    preface = next(s for s in plan_doc.sections if s.no == "前言")
    assert "【範例文件】" in preface.text and "非臺中市政府正式核定" in preface.text


def test_plan_is_traditional_chinese_and_sized() -> None:
    text = PLAN.read_text(encoding="utf-8")
    assert to_traditional(text) == text
    assert "台" not in text
    body = text.split("-->", 1)[1]
    n = len(re.sub(r"\s", "", body))
    assert 6000 <= n <= 10000, n


def test_plan_sections_follow_the_heading_path_convention(plan_doc: SourceDocument) -> None:
    nos = [s.no for s in plan_doc.sections]
    for chapter in "壹貳參肆伍陸柒捌玖":
        assert f"{chapter}/1" in nos, chapter
    assert {"附表/1", "附表/2", "附表/3"} <= set(nos)
    by_no = {s.no: s for s in plan_doc.sections}
    assert by_no["參/2"].label == "參、自衛消防編組 > 二、各班任務"
    for squad in ("滅火班", "通報班", "避難引導班", "安全防護班", "救護班"):
        assert squad in by_no["參/2"].text


def test_plan_cites_the_current_article_numbers(plan_doc: SourceDocument) -> None:
    by_no = {s.no: s.text for s in plan_doc.sections}
    assert "消防法施行細則第5條第1款" in by_no["參/1"]
    assert "消防法施行細則第5條第2款" in by_no["貳/2"]
    assert "消防法施行細則第5條第5款" in by_no["柒/2"]
    assert "消防法施行細則第6條第2項" in by_no["貳/4"]
    assert "消防法第13條第10項" in by_no["壹/4"]
    assert "公共場所必要緊急救護設備管理辦法第5條" in by_no["伍/2"]
    assert "同辦法第7條第1項" in by_no["伍/3"]


def test_dataset_shape() -> None:
    rows = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 30
    assert [r["id"] for r in rows] == [f"tpl-{i:03d}" for i in range(1, 31)]
    for r in rows:
        assert set(r) == {"id", "query", "domain", "gold", "refuse", "style"}
        assert r["domain"] in ("template", "plan")
        assert r["style"] in ("colloquial", "formal", "typo", "simplified")
        assert r["refuse"] is False and len(r["gold"]) == 1
        if r["style"] == "simplified":
            assert to_traditional(r["query"]) != r["query"], r["id"]
        else:
            assert to_traditional(r["query"]) == r["query"], r["id"]
    assert {r["domain"] for r in rows} == {"template", "plan"}


def test_dataset_gold_exists(plan_doc: SourceDocument) -> None:
    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    template_nos = {a["no"] for a in template["articles"]}
    plan_nos = {s.no for s in plan_doc.sections}
    for line in DATASET.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        gold = r["gold"][0]
        if r["domain"] == "template":
            assert gold["title"] == template["title_zh"]
            assert gold["no"] in template_nos, r
        else:
            assert gold["title"] == PLAN_TITLE
            assert gold["no"] in plan_nos, r
