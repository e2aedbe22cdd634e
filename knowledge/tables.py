"""Phrase tables as validated data files (knowledge/data/lexicon/*.json), one reason per entry.

Each file is ``{"description": "...", "entries": [...]}``; every entry carries a one-line ``reason`` (the
general rule or corpus evidence it rests on). A file that does not validate stops loading with a zh-TW
message naming the file and the entry, so a bad edit is caught when the module is imported.

- ``typos.json``     ``{"typed", "fix", "reason"}``: a misspelling and the corpus word it stands for
  (applied by knowledge.thesaurus.correct_typos only when the corpus vocabulary agrees).
- ``synonyms.json``  ``{"pattern", "adds", "reason"}``: a regular expression over the question and the
  statutory terms it implies (query expansion only adds terms).
- ``aliases.json``   ``{"alias", "title", "reason"}``: a short name of a law and its exact title.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LEXICON_DIR = Path(__file__).resolve().parent / "data" / "lexicon"
MAX_REASON = 200


class TableError(ValueError):
    """A phrase-table file that cannot be used (the message is zh-TW and names file and entry)."""


@dataclass(frozen=True)
class Typo:
    typed: str
    fix: str
    reason: str


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    terms: str
    reason: str = ""


@dataclass(frozen=True)
class Alias:
    alias: str
    title: str
    reason: str


def _entries(path: Path, fields: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise TableError(f"找不到詞表檔 {path}") from e
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise TableError(f"詞表檔 {path.name} 無法讀取或不是有效的 JSON：{e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise TableError(f"詞表檔 {path.name} 須為含 entries 清單的物件")
    out: list[dict[str, str]] = []
    for i, entry in enumerate(data["entries"], 1):
        where = f"詞表檔 {path.name} 第 {i} 筆"
        if not isinstance(entry, dict) or set(entry) != set(fields):
            raise TableError(f"{where} 的欄位須恰為 {', '.join(fields)}")
        for f in fields:
            v = entry[f]
            if not isinstance(v, str) or not v.strip() or v != v.strip():
                raise TableError(f"{where} 的 {f} 須為非空白字串（前後不可有空白）")
        if "\n" in entry["reason"] or len(entry["reason"]) > MAX_REASON:
            raise TableError(f"{where} 的 reason 須為一行（{MAX_REASON} 字以內）")
        out.append(entry)
    return out


def _unique(path: Path, keys: list[str]) -> None:
    seen: set[str] = set()
    for i, k in enumerate(keys, 1):
        if k in seen:
            raise TableError(f"詞表檔 {path.name} 第 {i} 筆重複：{k}")
        seen.add(k)


def load_typos(path: Path = LEXICON_DIR / "typos.json") -> list[Typo]:
    rows = _entries(path, ("typed", "fix", "reason"))
    for i, e in enumerate(rows, 1):
        if e["typed"] == e["fix"]:
            raise TableError(f"詞表檔 {path.name} 第 {i} 筆的 typed 與 fix 相同")
    _unique(path, [e["typed"] for e in rows])
    return [Typo(e["typed"], e["fix"], e["reason"]) for e in rows]


def load_synonyms(path: Path = LEXICON_DIR / "synonyms.json") -> list[Rule]:
    rules: list[Rule] = []
    for i, e in enumerate(_entries(path, ("pattern", "adds", "reason")), 1):
        try:
            pattern = re.compile(e["pattern"])
        except re.error as err:
            raise TableError(f"詞表檔 {path.name} 第 {i} 筆的 pattern 不是有效的正規表示式：{err}") from err
        if pattern.search(""):
            raise TableError(f"詞表檔 {path.name} 第 {i} 筆的 pattern 會比對空字串")
        rules.append(Rule(pattern, " ".join(e["adds"].split()), e["reason"]))
    _unique(path, [r.pattern.pattern for r in rules])
    return rules


def load_aliases(path: Path = LEXICON_DIR / "aliases.json") -> list[Alias]:
    rows = _entries(path, ("alias", "title", "reason"))
    _unique(path, [e["alias"] for e in rows])
    return [Alias(e["alias"], e["title"], e["reason"]) for e in rows]
