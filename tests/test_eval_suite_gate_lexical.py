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

import pytest

from evals.datasets_io import DATASETS_DIR, read_jsonl
from evals.gate import gate
from evals.report import write_report
from evals.runner import run_suite
from evals.suite import build_report
from knowledge.shipped import SHIPPED_SOURCES
from mishu.app import Container
from mishu.settings import Settings

FILES = [SHIPPED_SOURCES / p for p in ("procurement/procurement-act.json", "procurement/tender-period-standards.json",
                                       "procurement/bid-bond-guarantee-rules.json", "archives/archives-act.json")]
TITLES = {json.loads(f.read_text(encoding="utf-8"))["title_zh"] for f in FILES}


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
    rows = [r for r in read_jsonl(DATASETS_DIR / "retrieval_dev.jsonl") if _in_files(r["gold"])]
    (ds / "retrieval_dev.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                            encoding="utf-8")
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


def test_cli_entry_point_gate_fails_with_lexical_disabled(env: tuple[Container, Path], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from mishu.evalcli import cmd_eval_all, cmd_eval_baseline_update

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
