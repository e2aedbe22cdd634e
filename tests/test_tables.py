"""Phrase tables are data files with a reason per entry, validated when loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.lexicon import ALIASES, resolve_titles
from knowledge.tables import LEXICON_DIR, TableError, load_aliases, load_synonyms, load_typos
from knowledge.thesaurus import RULES, TYPOS, expand


def _write(tmp_path: Path, entries: object, name: str = "t.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps({"description": "x", "entries": entries}, ensure_ascii=False), encoding="utf-8")
    return p


def test_shipped_tables_load_with_a_reason_per_entry() -> None:
    typos, rules, aliases = load_typos(), load_synonyms(), load_aliases()
    assert typos and rules and aliases
    assert all(x.reason for x in typos) and all(r.reason for r in rules) and all(a.reason for a in aliases)
    assert typos == TYPOS and [r.pattern.pattern for r in RULES] == [r.pattern.pattern for r in rules]
    assert {a.alias: a.title for a in aliases} == ALIASES
    assert sorted(p.name for p in LEXICON_DIR.glob("*.json")) == [
        "aliases.json",
        "synonyms.json",
        "typos.json",
    ]


def test_alias_titles_are_shipped_titles() -> None:
    titles = set()
    for p in (LEXICON_DIR.parent.parent / "sources").rglob("*.json"):
        data = json.loads(p.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("title_zh"), str):
            titles.add(data["title_zh"])
    assert titles
    assert {a.title for a in load_aliases()} - titles == set()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"typed": "壓標金", "fix": "押標金"}], "欄位須恰為"),
        ([{"typed": "壓標金", "fix": "押標金", "reason": ""}], "reason 須為非空白字串"),
        ([{"typed": "壓標金", "fix": "押標金", "reason": "a\nb"}], "一行"),
        ([{"typed": "押標金", "fix": "押標金", "reason": "x"}], "相同"),
        ([{"typed": "壓標金", "fix": "押標金", "reason": "x"}] * 2, "重複"),
        ("not a list", "entries"),
    ],
)
def test_bad_typo_files_fail_with_the_entry_named(tmp_path: Path, entries: object, message: str) -> None:
    with pytest.raises(TableError, match=message):
        load_typos(_write(tmp_path, entries))


def test_bad_pattern_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="第 1 筆的 pattern 不是有效的正規表示式"):
        load_synonyms(_write(tmp_path, [{"pattern": "(", "adds": "x", "reason": "y"}]))
    with pytest.raises(TableError, match="比對空字串"):
        load_synonyms(_write(tmp_path, [{"pattern": "a?", "adds": "x", "reason": "y"}]))
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(TableError, match="bad.json 無法讀取"):
        load_aliases(bad)
    with pytest.raises(TableError, match="找不到詞表檔"):
        load_aliases(tmp_path / "missing.json")


def test_tables_drive_expansion_and_titles(tmp_path: Path) -> None:
    rules = load_synonyms(_write(tmp_path, [{"pattern": "拆案", "adds": "分批辦理", "reason": "y"}]))
    assert expand("可以拆案嗎", rules) == "分批辦理"
    assert expand("可以拆案嗎", []) == ""
    titles = ["政府採購法"]
    assert resolve_titles("採購法第22條", titles)[0][0] == "政府採購法"
    assert resolve_titles("採購法第22條", titles, {}) == []
