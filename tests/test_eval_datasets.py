"""Integrity checks for the evaluation datasets in evals/datasets/ against the shipped law corpus."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from core.text import to_traditional

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "evals" / "datasets"
SOURCES = ROOT / "knowledge" / "sources"

OWN_FILES = ("retrieval_dev.jsonl", "answers_dev.jsonl", "numeric_dev.jsonl", "multiturn_dev.jsonl",
             "drafting_dev.jsonl")
# Written by another helper; its golds may point at templates/plans (heading paths), not law articles.
TEMPLATES_FILE = "retrieval_templates_plans.jsonl"

DOMAINS = {"procurement", "archives", "emergency", "out_of_scope"}
STYLES = {"colloquial", "formal", "typo", "simplified", "article-ref"}
TIERS = ("小額採購", "未達公告金額", "公告金額以上未達查核金額", "查核金額以上未達巨額", "巨額")
TOOLS = {"procurement_tier", "tender_period", "bid_bond_and_guarantees"}
DRAFT_KINDS = {"tender_notice", "letter", "memo"}

Row = dict[str, Any]
Gold = list[dict[str, str]]


@lru_cache(maxsize=1)
def law_index() -> dict[str, dict[str, str]]:
    """title_zh -> {article no -> text} for every law JSON of the shipped corpus."""
    index: dict[str, dict[str, str]] = {}
    for path in sorted(SOURCES.glob("*/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "articles" not in data:
            continue
        index[data["title_zh"]] = {a["no"]: a["text"] for a in data["articles"]}
    return index


def load(name: str) -> list[Row]:
    path = DATASETS / name
    rows: list[Row] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"{name}:{n}: blank line"
        row = json.loads(line)
        assert isinstance(row, dict), f"{name}:{n}: not an object"
        rows.append(row)
    return rows


def all_files() -> list[str]:
    return sorted(p.name for p in DATASETS.glob("*.jsonl"))


def golds_of(row: Row) -> Iterator[Gold]:
    if "turns" in row:
        for turn in row["turns"]:
            yield turn["gold"]
    else:
        yield row["gold"]


def queries_of(row: Row) -> Iterator[str]:
    if "turns" in row:
        for turn in row["turns"]:
            yield turn["query"]
    else:
        yield row["query"]


def missing_articles(gold: Gold, skip_non_law: bool = False) -> list[str]:
    """Gold entries that do not name an existing article of the corpus."""
    index = law_index()
    bad = []
    for ref in gold:
        title, no = ref.get("title"), ref.get("no")
        if title not in index:
            if not skip_non_law:
                bad.append(f"{title} (unknown title)")
        elif no not in index[title]:
            bad.append(f"{title} {no}")
    return bad


def facts_not_in_gold(gold: Gold, facts: list[str]) -> list[str]:
    index = law_index()
    texts = [index[g["title"]][g["no"]] for g in gold]
    return [f for f in facts if not any(f in t for t in texts)]


def expected_tier(amount: int, category: str) -> str:
    """Tier from the 2026 thresholds in docs/DESIGN.md (kept independent of the calculators under test)."""
    audit = {"工程": 50_000_000, "財物": 50_000_000, "勞務": 10_000_000}[category]
    huge = {"工程": 200_000_000, "財物": 100_000_000, "勞務": 20_000_000}[category]
    if amount >= huge:
        return "巨額"
    if amount >= audit:
        return "查核金額以上未達巨額"
    if amount >= 1_500_000:
        return "公告金額以上未達查核金額"
    if amount > 150_000:
        return "未達公告金額"
    return "小額採購"


# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OWN_FILES)
def test_every_line_parses_and_has_common_fields(name: str) -> None:
    rows = load(name)
    assert rows
    for row in rows:
        for key in ("id", "domain", "refuse", "style"):
            assert key in row, f"{name} {row.get('id')}: missing {key}"
        assert row["style"] in STYLES, row["id"]
        assert isinstance(row["refuse"], bool), row["id"]
        if "turns" not in row:
            assert isinstance(row.get("query"), str) and row["query"].strip(), row["id"]
            assert isinstance(row.get("gold"), list), row["id"]


def test_ids_unique_across_files() -> None:
    counts: Counter[str] = Counter()
    for name in all_files():
        counts.update(row["id"] for row in load(name))
    dupes = sorted(i for i, c in counts.items() if c > 1)
    assert not dupes, f"duplicate ids: {dupes[:10]}"


def test_retrieval_and_answer_schema() -> None:
    for name in ("retrieval_dev.jsonl", "answers_dev.jsonl"):
        for row in load(name):
            assert row["domain"] in DOMAINS, row["id"]
            if row["domain"] == "out_of_scope":
                assert row["refuse"], row["id"]
            if name == "answers_dev.jsonl":
                assert isinstance(row["key_facts"], list), row["id"]
                assert row["refuse"] or row["key_facts"], f"{row['id']}: answerable item without key facts"


@pytest.mark.parametrize("name", OWN_FILES)
def test_refuse_items_have_empty_gold_and_others_have_gold(name: str) -> None:
    for row in load(name):
        for gold in golds_of(row):
            if row["refuse"]:
                assert gold == [], f"{row['id']}: refuse item with gold"
            elif name != "drafting_dev.jsonl":
                assert gold, f"{row['id']}: answerable item without gold"


def test_every_gold_names_an_existing_article() -> None:
    problems = []
    for name in all_files():
        if name not in OWN_FILES and name != TEMPLATES_FILE:
            continue
        for row in load(name):
            for gold in golds_of(row):
                for bad in missing_articles(gold, skip_non_law=name == TEMPLATES_FILE):
                    problems.append(f"{name} {row['id']}: {bad}")
    assert not problems, "\n".join(problems[:20])


def test_key_facts_are_verbatim_in_a_gold_article() -> None:
    problems = []
    for row in load("answers_dev.jsonl"):
        for fact in facts_not_in_gold(row["gold"], row["key_facts"]):
            problems.append(f"{row['id']}: {fact}")
    for row in load("multiturn_dev.jsonl"):
        for n, turn in enumerate(row["turns"], 1):
            for fact in facts_not_in_gold(turn["gold"], turn["key_facts"]):
                problems.append(f"{row['id']}/{n}: {fact}")
    assert not problems, "\n".join(problems)


def test_checkers_reject_bad_data() -> None:
    """The helpers above must be able to fail: a wrong article number and a made-up fact are caught."""
    assert missing_articles([{"title": "政府採購法", "no": "999"}]) == ["政府採購法 999"]
    assert missing_articles([{"title": "不存在的法", "no": "1"}]) == ["不存在的法 (unknown title)"]
    assert missing_articles([{"title": "政府採購法", "no": "85-1"}]) == []
    assert facts_not_in_gold([{"title": "招標期限標準", "no": "2"}], ["十四日", "十五日"]) == ["十五日"]


def test_counts_meet_minimums() -> None:
    sizes = {name: len(load(name)) for name in OWN_FILES}
    assert sizes["retrieval_dev.jsonl"] >= 120
    assert sizes["answers_dev.jsonl"] >= 60
    assert sizes["numeric_dev.jsonl"] >= 35
    assert sizes["multiturn_dev.jsonl"] >= 12
    assert sizes["drafting_dev.jsonl"] >= 10
    assert sum(sizes.values()) >= 200
    for name in ("retrieval_dev.jsonl", "answers_dev.jsonl"):
        assert sum(row["refuse"] for row in load(name)) >= 15, name


def test_domain_mix_of_retrieval_set() -> None:
    rows = [r for r in load("retrieval_dev.jsonl") if not r["refuse"]]
    share = Counter(r["domain"] for r in rows)
    assert share["procurement"] / len(rows) >= 0.45
    assert share["archives"] / len(rows) >= 0.15
    assert share["emergency"] / len(rows) >= 0.12
    styles = Counter(r["style"] for r in load("retrieval_dev.jsonl"))
    assert styles["article-ref"] / sum(styles.values()) >= 0.15


@pytest.mark.parametrize("name", OWN_FILES)
def test_script_matches_style(name: str) -> None:
    import opencc

    s2t = opencc.OpenCC("s2t")
    for row in load(name):
        for query in queries_of(row):
            if row["style"] == "simplified":
                assert s2t.convert(query) != query, f"{row['id']}: marked simplified but is not: {query}"
            else:
                assert to_traditional(query) == query, f"{row['id']}: Simplified characters in {query!r}"


def test_numeric_items_are_consistent() -> None:
    for row in load("numeric_dev.jsonl"):
        assert row["tool"] in TOOLS, row["id"]
        assert row["why"].strip(), row["id"]
        expected = row["expected"]
        assert expected, row["id"]
        if row["tool"] == "procurement_tier":
            assert expected["tier"] in TIERS, row["id"]
            args = row["args"]
            amount = expected.get("amount", args.get("amount"))
            assert expected_tier(amount, args["category"]) == expected["tier"], row["id"]
        elif row["tool"] == "tender_period":
            assert isinstance(expected["min_days"], int) and 3 <= expected["min_days"] <= 28, row["id"]
        else:
            for key, value in expected.items():
                assert isinstance(value, bool | int), f"{row['id']}: {key}"


def test_drafting_items() -> None:
    for row in load("drafting_dev.jsonl"):
        assert row["kind"] in DRAFT_KINDS, row["id"]
        assert row["domain"] == "template", row["id"]
        assert row["request"] == row["query"], row["id"]
        assert row["required_fields"], row["id"]
        assert "範例" in row["case"]["名稱"], f"{row['id']}: sample case not labelled 範例"
        if row["kind"] == "tender_notice":
            assert {"名稱", "類別", "預算金額", "招標方式", "決標原則", "機關", "單位"} <= set(row["case"]), row["id"]
        else:
            assert row["subject"] and row["purpose"], row["id"]


def test_multiturn_conversations_have_follow_ups() -> None:
    for row in load("multiturn_dev.jsonl"):
        assert row["domain"] in DOMAINS - {"out_of_scope"}, row["id"]
        assert len(row["turns"]) >= 2, row["id"]
        for turn in row["turns"]:
            assert turn["query"].strip() and turn["key_facts"], row["id"]
