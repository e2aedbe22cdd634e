"""Every item of evals/datasets/drafting_dev.jsonl yields a draft with each required field (filled or 待補)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import docx
import pytest

from assistant.calculators import ArticleIndex
from assistant.drafting import draft_from_request, to_docx
from core.vocab import draft_kind

DATASET = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "drafting_dev.jsonl"
ITEMS = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]
ON = date(2026, 11, 27)


@pytest.fixture(scope="module")
def articles() -> ArticleIndex:
    return ArticleIndex.load()


def _draft(item: dict, articles: ArticleIndex):
    return draft_from_request(item["kind"], item["case"], subject=item.get("subject"), purpose=item.get("purpose"),
                              recipient=item.get("recipient"), on=ON, articles=articles)


@pytest.mark.parametrize("item", ITEMS, ids=[i["id"] for i in ITEMS])
def test_required_fields_present(item: dict, articles: ArticleIndex) -> None:
    d = _draft(item, articles)
    assert d.kind == draft_kind(item["kind"])  # the datasets name 投標須知 tender_notice, an alias
    for name in item["required_fields"]:
        assert name in d.markdown, f"{item['id']}: {name}"
    for name in item.get("expected", {}).get("missing_fields", []):
        assert name in d.missing_fields, f"{item['id']}: {name} should be 待補"
        assert f"【待補：{name}】" in d.markdown
    if item["kind"] == "tender_notice":
        for value in item["case"].values():
            if isinstance(value, str):
                assert value in d.markdown  # case data is carried into the draft
    if item.get("subject"):
        assert item["subject"].rstrip("。") in d.markdown


@pytest.mark.parametrize("item", [i for i in ITEMS if i["kind"] == "tender_notice"], ids=lambda i: i["id"])
def test_expected_values_stated(item: dict, articles: ArticleIndex) -> None:
    d = _draft(item, articles)
    summary = dict(d.summary)
    exp = item["expected"]
    if "tier" in exp:
        assert exp["tier"] in summary["採購金額級距"]
    if "min_tender_days" in exp:
        assert f"法定最少{exp['min_tender_days']}日" in summary["等標期"]
    if "bid_bond_cap" in exp:
        assert f"{exp['bid_bond_cap']:,}" in summary["押標金"]
    if "bid_bond" in exp:
        assert exp["bid_bond"] in summary["押標金"]
    if exp.get("public_reading_required"):
        assert "招標文件公開閱覽" in summary


def test_all_items_write_docx(articles: ArticleIndex, tmp_path: Path) -> None:
    for item in ITEMS:
        d = _draft(item, articles)
        path = to_docx(d, tmp_path / f"{item['id']}.docx")
        text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
        for name in item["required_fields"]:
            assert name in text, f"{item['id']}: {name}"
