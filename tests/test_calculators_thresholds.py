"""Dated threshold data: the shipped file's values, and the loader failing loudly on bad data."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from assistant.calculators.models import CalculatorError, ThresholdKind
from assistant.calculators.thresholds import ThresholdTable
from core.vocab import Category
from knowledge.shipped import THRESHOLDS_PATH


def shipped() -> list[dict]:
    return list(json.loads(THRESHOLDS_PATH.read_text(encoding="utf-8"))["thresholds"])


def write(tmp_path: Path, entries: list[dict]) -> Path:
    p = tmp_path / "thresholds.json"
    p.write_text(json.dumps({"thresholds": entries}, ensure_ascii=False), encoding="utf-8")
    return p


@pytest.mark.parametrize("kind,category,on,amount", [
    ("公告金額", "工程", date(2026, 11, 27), 1_500_000),
    ("小額", "勞務", date(2026, 11, 27), 150_000),
    ("查核金額", "工程", date(2026, 11, 27), 50_000_000),
    ("查核金額", "財物", date(2026, 11, 27), 50_000_000),
    ("查核金額", "勞務", date(2026, 11, 27), 10_000_000),
    ("巨額", "工程", date(2026, 11, 27), 200_000_000),
    ("巨額", "財物", date(2026, 11, 27), 100_000_000),
    ("巨額", "勞務", date(2026, 11, 27), 20_000_000),
    ("公告金額", "財物", date(2022, 12, 31), 1_000_000),
    ("小額", "財物", date(2022, 12, 31), 100_000),
    ("公告金額", "財物", date(2023, 1, 1), 1_500_000),
    ("小額", "財物", date(2023, 1, 1), 150_000),
])
def test_shipped_values(kind: ThresholdKind, category: Category, on: date, amount: int) -> None:
    e = ThresholdTable.load().get(kind, category, on)
    assert e.amount == amount and e.source


def test_unknown_date_and_category() -> None:
    t = ThresholdTable.load()
    with pytest.raises(CalculatorError, match="未涵蓋"):
        t.get("公告金額", "工程", date(1999, 5, 26))
    with pytest.raises(CalculatorError, match="工程、財物或勞務"):
        unknown: Any = "服務"  # deliberately not a category
        t.get("公告金額", unknown, date(2026, 1, 1))


def _modified(change) -> list[dict]:
    entries = shipped()
    change(entries)
    return entries


def find(es: list[dict], kind: str, category: str, current: bool = True) -> dict:
    """The current (or the earlier) entry of a series in the shipped file."""
    return next(e for e in es if e["kind"] == kind and e["category"] == category
                and (e["effective_to"] is None) == current)


def _gap(es: list[dict]) -> None:
    find(es, "公告金額", "*")["effective_from"] = "2023-01-02"


def _overlap(es: list[dict]) -> None:
    find(es, "公告金額", "*")["effective_from"] = "2022-12-30"


def _two_open(es: list[dict]) -> None:
    find(es, "公告金額", "*", current=False)["effective_to"] = None


def _closed_latest(es: list[dict]) -> None:
    find(es, "公告金額", "*")["effective_to"] = "2030-12-31"


def _small_too_big(es: list[dict]) -> None:
    find(es, "小額", "*")["amount"] = 150_001


def _announcement_not_below_audit(es: list[dict]) -> None:
    find(es, "查核金額", "勞務")["amount"] = 1_500_000  # equal to 公告金額


def _missing_category(es: list[dict]) -> None:
    es.remove(find(es, "查核金額", "勞務"))


def _mixed_star(es: list[dict]) -> None:
    es.append(dict(find(es, "查核金額", "工程"), category="*"))


def _extra_field(es: list[dict]) -> None:
    es[0]["amount_wan"] = 100


def _bad_kind(es: list[dict]) -> None:
    es[0]["kind"] = "中額"


def _negative(es: list[dict]) -> None:
    find(es, "查核金額", "工程")["amount"] = -1


def _empty_source(es: list[dict]) -> None:
    find(es, "查核金額", "工程")["source"] = "  "


@pytest.mark.parametrize("change,fragment", [
    (_gap, "空窗"), (_overlap, "重疊"), (_two_open, "effective_to"), (_closed_latest, "現行有效"),
    (_small_too_big, "十分之一"), (_announcement_not_below_audit, "低於查核金額"), (_missing_category, "須涵蓋"),
    (_mixed_star, "全類別"), (_extra_field, "格式錯誤"), (_bad_kind, "格式錯誤"), (_negative, "格式錯誤"),
    (_empty_source, "格式錯誤"),
])
def test_loader_fails_loudly(tmp_path: Path, change, fragment: str) -> None:
    path = write(tmp_path, _modified(change))
    with pytest.raises(ValueError, match=fragment):
        ThresholdTable.load(path)


def test_loader_accepts_a_future_change(tmp_path: Path) -> None:
    entries = shipped()
    current = find(entries, "公告金額", "*")
    current["effective_to"] = "2027-12-31"
    entries.append(dict(current, amount=2_000_000, effective_from="2028-01-01", effective_to=None,
                        source="範例：假設之未來調整（測試用）"))
    t = ThresholdTable.load(write(tmp_path, entries))
    assert t.get("公告金額", "工程", date(2027, 12, 31)).amount == 1_500_000
    assert t.get("公告金額", "工程", date(2028, 1, 1)).amount == 2_000_000


def test_invalid_json(tmp_path: Path) -> None:
    p = tmp_path / "bad.json"
    p.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="JSON"):
        ThresholdTable.load(p)
