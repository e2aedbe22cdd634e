"""Locating and reading the versioned evaluation datasets (and where the committed baseline report lives)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"
BASELINE_DIR = Path(__file__).resolve().parent / "baseline"  # report.json the regression gate compares with


def dataset_path(name: str) -> Path:
    return DATASETS_DIR / name


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class DatasetError(ValueError):
    """A dataset file that cannot be used (missing, bad JSON, a line without id or query); zh-TW message."""


def read_query_rows(path: Path) -> list[dict[str, Any]]:
    """A user-given question file (``mishu eval retrieval|answers``): every line a JSON object with ``id`` and
    ``query`` (or ``question``); raises :class:`DatasetError` naming the file and line otherwise."""
    if not path.exists():
        raise DatasetError(f"找不到資料集：{path}")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise DatasetError(f"{path} 第 {n} 行不是合法的 JSON：{e.msg}") from e
        if not isinstance(obj, dict) or "id" not in obj or not (obj.get("query") or obj.get("question")):
            raise DatasetError(f"{path} 第 {n} 行缺少 id 或 query 欄位")
        rows.append(obj)
    return rows
