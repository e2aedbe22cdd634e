"""The asked families (answers, numeric, multiturn, drafting) through the real assistant on a small real
index (three short shipped law files), the optional LLM judge inside the suite (LangChain fake chat
model), and the clear error when there is no assistant."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evals.datasets_io import DATASETS_DIR, read_jsonl
from evals.runner import SuiteError, run_suite
from knowledge.shipped import SHIPPED_SOURCES
from mishu.app import Container
from mishu.settings import Settings

FILES = [SHIPPED_SOURCES / p for p in ("procurement/tender-period-standards.json",
                                       "procurement/bid-bond-guarantee-rules.json", "archives/archives-act.json")]
TITLES = {json.loads(f.read_text(encoding="utf-8"))["title_zh"] for f in FILES}


def _subset(name: str, keep: Any, limit: int | None = None) -> list[dict[str, Any]]:
    rows = [r for r in read_jsonl(DATASETS_DIR / name) if keep(r)]
    return rows[:limit] if limit else rows


def _in_files(gold: list[dict[str, str]]) -> bool:
    return bool(gold) and gold[0]["title"] in TITLES


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, Path]]:
    root = tmp_path_factory.mktemp("eval-e2e")
    c = Container(Settings(data_dir=root / "data", sources=FILES, llm_base_url=None))
    assert not c.indexer.ingest(FILES).failed
    ds = root / "datasets"
    ds.mkdir()
    subsets = {
        "retrieval_dev.jsonl": _subset("retrieval_dev.jsonl", lambda r: _in_files(r["gold"]), 10),
        "answers_dev.jsonl": (_subset("answers_dev.jsonl", lambda r: _in_files(r["gold"]), 6)
                              + _subset("answers_dev.jsonl", lambda r: r["domain"] == "out_of_scope", 2)),
        "numeric_dev.jsonl": _subset("numeric_dev.jsonl", lambda r: True, 4),
        "multiturn_dev.jsonl": _subset("multiturn_dev.jsonl", lambda r: r["id"] == "mt-001"),
        "drafting_dev.jsonl": _subset("drafting_dev.jsonl", lambda r: r["id"] in ("dr-001", "dr-008")),
    }
    for name, rows in subsets.items():
        (ds / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    yield c, ds


def test_asked_families_run_through_the_real_assistant(env: tuple[Container, Path]) -> None:
    c, ds = env
    result = run_suite(c, ds, only={"answers", "numeric", "multiturn", "drafting"})
    fam = result.families
    assert fam["answers"]["overall"]["n"] == 8 and fam["numeric"]["overall"]["n"] == 4
    assert fam["multiturn"]["overall"]["n"] == 3 and fam["drafting"]["overall"]["n"] == 2
    ids = [i.id for i in result.items if i.family == "multiturn"]
    assert ids == ["mt-001#1", "mt-001#2", "mt-001#3"]
    assert fam["refusal"]["overall"]["n_must_refuse"] == 2
    assert fam["faithfulness"]["overall"]["quotes"] > 0  # quotes were checked against the article texts
    assert any(i.passed for i in result.items if i.family == "answers")
    assert {i.details.get("via") for i in result.items if i.family == "drafting"} <= {"ask", "draft"}
    assert fam["latency"]["overall"]["latency_p95_ms"] > 0
    assert not [i for i in result.items if i.details.get("error")], "no question crashed the assistant"


def test_answers_without_an_assistant_is_a_clear_error(env: tuple[Container, Path]) -> None:
    c, ds = env

    class RetrievalOnly:  # an object that only offers what the retrieval family needs
        retriever = c.retriever

    with pytest.raises(SuiteError, match="沒有 assistant"):
        run_suite(RetrievalOnly(), ds, only={"answers"})
    with pytest.raises(SuiteError, match="未知的評估項目"):
        run_suite(c, ds, only={"retrieval", "speed"})
    assert run_suite(RetrievalOnly(), ds, only={"retrieval"}).families["retrieval"]["overall"]["n"] > 0


class DraftingAssistant:
    """The real assistant plus a ``draft`` method backed by the real drafting module (the shape the suite
    calls when the assistant offers it)."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def ask(self, question: str, conversation_id: str | None = None) -> Any:
        return self.inner.ask(question, conversation_id=conversation_id)

    def draft(self, kind: str, case: dict[str, Any], request: str, subject: str | None = None,
              purpose: str | None = None, recipient: str | None = None) -> Any:
        from datetime import date

        from assistant.drafting import draft_from_request

        self.calls.append((kind, {"subject": subject, "recipient": recipient}))
        return draft_from_request(kind, case, subject=subject, purpose=purpose, recipient=recipient,
                                  on=date(2026, 6, 1)).to_draft()


def test_drafting_uses_assistant_draft_when_offered(env: tuple[Container, Path]) -> None:
    c, ds = env

    class WithDraft:
        retriever = c.retriever
        kb = c.kb
        assistant = DraftingAssistant(c.assistant)

    result = run_suite(WithDraft(), ds, only={"drafting"})
    rows = {i.id: i for i in result.items}
    assert {i.details["via"] for i in rows.values()} == {"draft"}
    assert rows["dr-001"].metrics["field_completeness"] == 1.0 and rows["dr-001"].passed
    assert rows["dr-008"].metrics["has_draft"] == 1.0
    assert ("letter", {"subject": "請轄內各區公所完成AED定期檢查並登錄資料庫", "recipient": "臺中市各區公所（範例）"}) \
        in WithDraft.assistant.calls


def test_llm_judge_runs_inside_the_suite_with_a_fake_chat_model(env: tuple[Container, Path]) -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from evals.judge import LLMJudge

    c, ds = env
    replies = ['{"statements": [{"statement": "a", "verdict": 1}, {"statement": "b", "verdict": 0}]}',
               '{"questions": ["押標金上限"], "noncommittal": 0}']  # faithfulness, relevancy, cycled per answer
    judge = LLMJudge(FakeListChatModel(responses=replies), lambda s: [float(len(s)), 1.0], model_name="fake")
    result = run_suite(c, ds, only={"answers"}, judge=judge)
    judged = [i for i in result.items if i.metrics.get("llm_faithfulness") is not None]
    assert judged and all(i.metrics["llm_faithfulness"] == 0.5 for i in judged)
    assert result.judge["status"] == "ran" and result.judge["faithfulness"] == 0.5
    assert result.families["answers"]["overall"]["llm_faithfulness"] == 0.5
    assert run_suite(c, ds, only={"retrieval"}).judge["message"] == "未設定 LLM 端點，略過 LLM 評審指標"
