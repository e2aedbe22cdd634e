"""Acceptance (issue 5): deliberately breaking retrieval — disabling the lexical side — makes the gate fail.

Builds a real index (USE embedder, Chroma, BM25) over four shipped law files in a temporary data dir, runs
the retrieval family on the dataset items whose best gold article is in those files, saves that as the
baseline, then runs again with ``retriever.config.lexical = False``. Also drives the asked families through
the real assistant on a few items of each dataset.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evals.datasets_io import DATASETS_DIR, read_jsonl
from evals.report import write_report
from evals.runner import SuiteError, run_suite
from evals.suite import build_report, gate
from mishu.app import Container
from mishu.settings import SHIPPED_SOURCES, Settings

FILES = [SHIPPED_SOURCES / p for p in ("procurement/procurement-act.json", "procurement/tender-period-standards.json",
                                       "procurement/bid-bond-guarantee-rules.json", "archives/archives-act.json")]
TITLES = {json.loads(f.read_text(encoding="utf-8"))["title_zh"] for f in FILES}


def _subset(name: str, keep: Any, limit: int | None = None) -> list[dict[str, Any]]:
    rows = [r for r in read_jsonl(DATASETS_DIR / name) if keep(r)]
    return rows[:limit] if limit else rows


def _in_files(gold: list[dict[str, str]]) -> bool:
    return bool(gold) and gold[0]["title"] in TITLES


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, Path]]:
    root = tmp_path_factory.mktemp("eval-suite")
    c = Container(Settings(data_dir=root / "data", sources=FILES, llm_base_url=None))
    report = c.indexer.ingest(FILES)
    assert not report.failed
    ds = root / "datasets"
    ds.mkdir()
    subsets = {
        "retrieval_dev.jsonl": _subset("retrieval_dev.jsonl", lambda r: _in_files(r["gold"])),
        "answers_dev.jsonl": (_subset("answers_dev.jsonl", lambda r: _in_files(r["gold"]), 6)
                              + _subset("answers_dev.jsonl", lambda r: r["domain"] == "out_of_scope", 2)),
        "numeric_dev.jsonl": _subset("numeric_dev.jsonl", lambda r: True, 4),
        "multiturn_dev.jsonl": _subset("multiturn_dev.jsonl", lambda r: r["id"] == "mt-001"),
        "drafting_dev.jsonl": _subset("drafting_dev.jsonl", lambda r: r["id"] in ("dr-001", "dr-008")),
    }
    for name, rows in subsets.items():
        (ds / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    yield c, ds


def test_disabling_lexical_retrieval_fails_the_gate(env: tuple[Container, Path], tmp_path: Path) -> None:
    c, ds = env
    assert c.retriever.config.lexical
    baseline = build_report(run_suite(c, ds, only={"retrieval"}), c)
    n = baseline["families"]["retrieval"]["overall"]["n"]
    assert n >= 60
    assert gate(build_report(run_suite(c, ds, only={"retrieval"}), c), baseline).passed  # deterministic rerun

    c.retriever.config.lexical = False
    try:
        broken = build_report(run_suite(c, ds, only={"retrieval"}), c, baseline)
    finally:
        c.retriever.config.lexical = True
    result = gate(broken, baseline)
    assert not result.passed, broken["headline"]
    assert "retrieval.hit@5" in {f.metric for f in result.failures} or "retrieval.mrr@10" in {
        f.metric for f in result.failures}
    assert broken["comparison"]["regressions"], "items that got worse are listed"
    assert broken["gate"]["passed"] is False
    paths = write_report(broken, tmp_path)
    assert "未通過" in paths["md"].read_text(encoding="utf-8")


def test_asked_families_run_through_the_real_assistant(env: tuple[Container, Path]) -> None:
    c, ds = env
    result = run_suite(c, ds, only={"answers", "numeric", "multiturn", "drafting"})
    fam = result.families
    assert fam["answers"]["overall"]["n"] == 8 and fam["numeric"]["overall"]["n"] == 4
    assert fam["multiturn"]["overall"]["n"] == 3 and fam["drafting"]["overall"]["n"] == 2
    ids = [i.id for i in result.items if i.family == "multiturn"]
    assert ids == ["mt-001#1", "mt-001#2", "mt-001#3"]
    assert fam["refusal"]["overall"]["n_must_refuse"] == 2
    assert 0.0 <= fam["faithfulness"]["overall"]["quote_verbatim"] <= 1.0
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


def test_cli_entry_point_gate_fails_with_lexical_disabled(env: tuple[Container, Path], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from evals.suite import cmd_eval_all, cmd_eval_baseline_update

    c, ds = env
    settings = c.settings
    baseline = tmp_path / "baseline" / "report.json"
    assert cmd_eval_all(tmp_path / "run1", baseline, gate=True, settings=settings, only={"retrieval"},
                        datasets_dir=ds) == 2  # no baseline yet: the gate cannot run
    assert cmd_eval_all(tmp_path / "run1", None, gate=False, settings=settings, only={"retrieval"},
                        datasets_dir=ds) == 0
    assert cmd_eval_baseline_update(tmp_path / "run1" / "report.json", baseline) == 0
    assert "retrieval.hit@5: — ->" in capsys.readouterr().out
    assert cmd_eval_all(tmp_path / "run2", baseline, gate=True, settings=settings, only={"retrieval"},
                        datasets_dir=ds) == 0
    broken = settings.model_copy(update={"lexical": False})
    assert cmd_eval_all(tmp_path / "run3", baseline, gate=True, settings=broken, only={"retrieval"},
                        datasets_dir=ds) == 1
    out = capsys.readouterr().out
    assert "回歸門檻：未通過" in out and "retrieval." in out
    assert (tmp_path / "run3" / "report.html").exists()
