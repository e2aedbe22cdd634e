"""Dated procurement amount thresholds (knowledge/data/thresholds.json).

Thresholds change by PCC order, so they are data. ``ThresholdTable.load()`` validates the file and
fails loudly on gaps, overlaps, several open-ended periods, or an inconsistent set of amounts
(政府採購法第13條第3項: 公告金額應低於查核金額; 第47條第3項: 小額不得逾公告金額十分之一).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from core.vocab import CATEGORIES, Category
from knowledge.shipped import THRESHOLDS_PATH

from .models import CalculatorError, ThresholdKind, ThresholdUsed

KINDS: tuple[ThresholdKind, ...] = ("小額", "公告金額", "查核金額", "巨額")


class ThresholdEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ThresholdKind
    category: Category | Literal["*"]
    amount: int
    effective_from: date
    effective_to: date | None
    source: str

    @model_validator(mode="after")
    def _check(self) -> ThresholdEntry:
        if self.amount <= 0:
            raise ValueError(f"{self.kind} amount must be positive, got {self.amount}")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"{self.kind}/{self.category}: effective_to before effective_from")
        if not self.source.strip():
            raise ValueError(f"{self.kind}/{self.category}: source is required")
        return self

    def covers(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def used(self) -> ThresholdUsed:
        return ThresholdUsed(**self.model_dump())


class ThresholdFile(BaseModel):
    model_config = ConfigDict(extra="allow")
    thresholds: list[ThresholdEntry]


class ThresholdTable:
    """Validated, immutable view of the threshold file."""

    def __init__(self, entries: list[ThresholdEntry]):
        self.entries: tuple[ThresholdEntry, ...] = tuple(entries)
        _validate(self.entries)

    @classmethod
    def load(cls, path: Path = THRESHOLDS_PATH) -> ThresholdTable:
        return _load_cached(Path(path).resolve())

    @classmethod
    def from_json(cls, raw: str) -> ThresholdTable:
        try:
            parsed = ThresholdFile.model_validate_json(raw)
        except ValidationError as exc:
            raise ValueError(f"門檻資料格式錯誤：{exc}") from exc
        return cls(parsed.thresholds)

    def get(self, kind: ThresholdKind, category: Category, on: date) -> ThresholdEntry:
        """The entry of ``kind`` in force on ``on`` for ``category`` (or for all categories)."""
        if category not in CATEGORIES:
            raise CalculatorError(f"採購性質須為工程、財物或勞務，收到：{category!r}")
        for e in self.entries:
            if e.kind == kind and e.category in (category, "*") and e.covers(on):
                return e
        raise CalculatorError(f"門檻資料未涵蓋 {on.isoformat()} 之{category}採購{kind}，無法計算")


def _validate(entries: tuple[ThresholdEntry, ...]) -> None:
    if not entries:
        raise ValueError("門檻資料為空")
    series: dict[tuple[str, str], list[ThresholdEntry]] = {}
    for e in entries:
        series.setdefault((e.kind, e.category), []).append(e)
    for kind in KINDS:
        _check_categories(kind, {c for (k, c) in series if k == kind})
    for (series_kind, cat), items in series.items():
        items.sort(key=lambda e: e.effective_from)
        _check_periods(f"{series_kind}/{cat}", items)
    # amounts must be consistent at every date where all four kinds are defined
    for d in sorted({e.effective_from for e in entries}):
        for cat in CATEGORIES:
            _check_amounts(d, cat, series)


def _check_categories(kind: str, cats: set[str]) -> None:
    """A kind holds either one entry for all categories or one per category."""
    if not cats:
        raise ValueError(f"門檻資料缺少{kind}")
    if "*" in cats and len(cats) > 1:
        raise ValueError(f"{kind}同時有全類別（*）與分類別項目，無法判定")
    if "*" not in cats and cats != set(CATEGORIES):
        raise ValueError(f"{kind}須涵蓋工程、財物、勞務，目前只有 {sorted(cats)}")


def _check_periods(name: str, items: list[ThresholdEntry]) -> None:
    """The periods of one series (sorted) follow each other without gap or overlap up to today."""
    for prev, nxt in zip(items, items[1:], strict=False):
        if prev.effective_to is None:
            raise ValueError(f"{name}：{prev.effective_from} 起之項目未設 effective_to，"
                             f"但其後另有 {nxt.effective_from} 起之項目")
        if nxt.effective_from <= prev.effective_to:
            raise ValueError(f"{name}：{prev.effective_from}～{prev.effective_to} 與 "
                             f"{nxt.effective_from} 起之項目期間重疊")
        if nxt.effective_from != prev.effective_to + timedelta(days=1):
            raise ValueError(f"{name}：{prev.effective_to} 與 {nxt.effective_from} 之間有空窗")
    if items[-1].effective_to is not None:
        raise ValueError(f"{name}：最新項目須為現行有效（effective_to 為 null）")


def _check_amounts(d: date, cat: Category, series: dict[tuple[str, str], list[ThresholdEntry]]) -> None:
    """小額 <= 公告金額/10 < 公告金額 < 查核金額 < 巨額 on ``d``, when all four are defined."""
    found: dict[str, ThresholdEntry] = {}
    for kind in KINDS:
        for e in series.get((kind, cat), []) + series.get((kind, "*"), []):
            if e.covers(d):
                found[kind] = e
    if len(found) < len(KINDS):
        return
    small, ann, audit, large = (found[k].amount for k in KINDS)
    if small * 10 > ann:
        raise ValueError(f"{d} {cat}：小額 {small} 逾公告金額十分之一（政府採購法第47條第3項）")
    if not ann < audit:
        raise ValueError(f"{d} {cat}：公告金額須低於查核金額（政府採購法第13條第3項）")
    if not audit < large:
        raise ValueError(f"{d} {cat}：查核金額須低於巨額")


@lru_cache(maxsize=8)
def _load_cached(path: Path) -> ThresholdTable:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"門檻資料無法讀取：{path}（{exc}）") from exc
    try:
        json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"門檻資料不是有效的 JSON：{path}（{exc}）") from exc
    return ThresholdTable.from_json(raw)
