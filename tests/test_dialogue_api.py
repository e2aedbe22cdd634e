"""Conversations through POST /v1/ask: inherited facts, overrides, entity swaps, clarifying questions,
corrections and the ``facts`` override — real index (USE embedder, Chroma, bm25s) over shipped laws."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

SOURCES = Path(__file__).resolve().parent.parent / "knowledge" / "sources"
SUBSET = [
    SOURCES / "procurement" / "procurement-act.json",
    SOURCES / "procurement" / "procurement-act-enforcement-rules.json",
    SOURCES / "procurement" / "tender-period-standards.json",
    SOURCES / "procurement" / "bid-bond-guarantee-rules.json",
    SOURCES / "procurement" / "tenderer-qualification-standards.json",
    SOURCES / "emergency" / "fire-safety-equipment-inspection-reporting-rules.json",
    SOURCES / "emergency" / "public-place-emergency-equipment-rules.json",
    SOURCES / "emergency" / "emergency-medical-services-act.json",
    SOURCES / "archives" / "archives-act.json",
]
KEY = "key-dialogue-staff-000000000001"
H = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from mishu.api.app import create_app
    from mishu.app import Container
    from mishu.settings import Settings

    root = tmp_path_factory.mktemp("mishu-dialogue")
    src = root / "src"
    src.mkdir()
    for p in SUBSET:
        shutil.copy(p, src / p.name)
    settings = Settings(
        _env_file=None,
        data_dir=root / "data",
        sources=[src],
        api_keys=f"{KEY}:staff",
    )
    c = Container(settings)
    report = c.indexer.ingest([src])
    assert not report.failed, report.failed
    with TestClient(create_app(container=c)) as tc:
        yield tc


def ask(
    client: TestClient, question: str, cid: str | None = None, facts: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"question": question, "conversation_id": cid}
    if facts is not None:
        body["facts"] = facts
    r = client.post("/v1/ask", json=body, headers=H)
    assert r.status_code == 200, r.text
    return r.json()


def tool(answer: dict[str, Any], name: str) -> dict[str, Any]:
    found = [t["result"] for t in answer["tool_calls"] if t["name"] == name]
    assert found, f"no {name} call in {[t['name'] for t in answer['tool_calls']]}"
    return found[0]


def top3(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((c["title"], c["no"]) for c in answer["citations"]))[:3]


def test_amount_override_then_a_new_question_computes_from_the_inherited_facts(client: TestClient) -> None:
    first = ask(client, "預算250萬元的勞務採購，等標期幾天？")
    cid = first["conversation_id"]
    assert "14日" in first["answer"] and first["facts"] == {"amount": 2_500_000, "category": "勞務"}
    second = ask(client, "那如果預算是3000萬呢？", cid)
    assert "28日" in second["answer"]
    assert second["facts"] == {"amount": 30_000_000, "category": "勞務"}
    third = ask(client, "押標金最多可以收多少？", cid)
    bond = tool(third, "bid_bond_and_guarantees")["details"]["items"][0]
    assert bond["kind"] == "押標金" and bond["requirement"] == "以免收取為原則"
    assert bond["cap_fixed_amount"] == 1_500_000
    assert "免收" in third["answer"] and "150萬" in third["answer"]
    assert "沿用對話中的案情" in third["answer"] and "3,000萬" in third["answer"]  # says what it assumed
    assert third["facts"] == {"amount": 30_000_000, "category": "勞務"} and third["clarify"] is None
    assert ("政府採購法", "30") in top3(third)


def test_entity_swap_keeps_the_frame_and_moves_to_the_new_entitys_rules(client: TestClient) -> None:
    first = ask(client, "消防安全設備檢修申報的規定是什麼？")
    assert top3(first)[0][0] == "消防安全設備檢修及申報辦法"
    assert first["facts"] is None  # 「設備」 alone is not a procurement category
    aed = ask(client, "那AED呢？", first["conversation_id"])
    titles = {t for t, _ in top3(aed)}
    assert "公共場所必要緊急救護設備管理辦法" in titles
    assert "政府採購法" not in titles


def test_clarify_then_fill_then_corrections(client: TestClient) -> None:
    first = ask(client, "公開招標的等標期最少幾天？")
    assert first["clarify"] and "金額" in first["clarify"]
    assert all(d in first["answer"] for d in ("7日", "14日", "21日", "28日"))  # what is known: every tier
    cid = first["conversation_id"]
    filled = ask(client, "是勞務，預算大概1,900萬。", cid)
    assert filled["clarify"] is None and "21日" in filled["answer"]
    assert filled["facts"] == {"amount": 19_000_000, "category": "勞務", "method": "公開招標"}
    goods = ask(client, "不是勞務，是財物", cid)
    assert goods["facts"]["category"] == "財物" and "14日" in goods["answer"]  # 財物查核金額 is 5,000萬
    assert "勞務 → 財物" in goods["answer"]
    amount = ask(client, "金額打錯了，是300萬", cid)
    assert amount["facts"]["amount"] == 3_000_000 and amount["facts"]["category"] == "財物"
    assert "1,900萬元 → 300萬元" in amount["answer"] and "14日" in amount["answer"]


def test_facts_object_overrides_the_conversation(client: TestClient) -> None:
    first = ask(client, "預算250萬元的勞務採購，押標金最多多少？")
    cid = first["conversation_id"]
    works = ask(client, "押標金最多可以收多少？", cid, facts={"category": "工程"})
    bond = tool(works, "bid_bond_and_guarantees")["details"]["items"][0]
    assert bond["requirement"] == "應收取" and bond["cap_fixed_amount"] == 125_000
    assert works["facts"] == {"amount": 2_500_000, "category": "工程"}
    later = ask(client, "保固保證金呢？", cid)  # the override holds for later turns
    assert later["facts"]["category"] == "工程"
    r = client.post("/v1/ask", json={"question": "押標金？", "facts": {"amount": -5}}, headers=H)
    assert r.status_code == 422
    r = client.post("/v1/ask", json={"question": "押標金？", "facts": {"colour": "紅"}}, headers=H)
    assert r.status_code == 422


def test_a_new_topic_resets_the_topic_but_keeps_the_case(client: TestClient) -> None:
    first = ask(client, "預算250萬元的勞務採購，等標期幾天？")
    cid = first["conversation_id"]
    other = ask(client, "換個問題，檔案法規定的檔案是什麼？", cid)
    assert other["facts"] is None and all(t != "招標期限標準" for t, _ in top3(other))
    back = ask(client, "押標金最多可以收多少？", cid)
    assert tool(back, "bid_bond_and_guarantees")["details"]["basis_amount"] == 2_500_000


def test_streaming_carries_facts_and_clarify(client: TestClient) -> None:
    r = client.post(
        "/v1/ask/stream", json={"question": "等標期最少幾天？", "facts": {"category": "財物"}}, headers=H
    )
    assert r.status_code == 200
    events = [block for block in r.text.strip().split("\n\n")]
    answer = next(json.loads(b.split("data: ", 1)[1]) for b in events if b.startswith("event: answer"))
    assert answer["clarify"] and answer["facts"] == {"category": "財物"}
