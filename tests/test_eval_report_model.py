"""evals.report_model.EvalReport: the committed baseline and a single-split report read as typed reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from evals.report_model import EvalReport

ROOT = Path(__file__).resolve().parent.parent


def test_the_committed_baseline_is_a_typed_report_and_round_trips() -> None:
    raw = json.loads((ROOT / "evals" / "baseline" / "report.json").read_text(encoding="utf-8"))
    report = EvalReport.model_validate(raw)
    assert {"dev", "test"} <= set(report.splits)
    assert report.splits["test"].headline["retrieval.hit@5"] == raw["splits"]["test"]["headline"]["retrieval.hit@5"]
    assert set(report.headline_table()["retrieval.hit@5"]) == set(raw["splits"])
    assert report.model_dump(mode="json", by_alias=True, exclude_unset=True) == raw  # nothing lost


def test_a_single_split_report_reads_as_that_split() -> None:
    raw = {"schema": 1, "environment": {"git_commit": "abc"}, "config": {"split": "dev"},
           "headline": {"retrieval.hit@5": 0.9}, "families": {"retrieval": {"overall": {"hit@5": 0.9}}},
           "gate": {"passed": False, "failures": ["x"]}}
    report = EvalReport.model_validate(raw)
    assert list(report.splits) == ["dev"] and report.splits["dev"].headline == {"retrieval.hit@5": 0.9}
    assert report.gate is not None and report.gate.failures == ["x"]
    assert report.headline_table() == {"retrieval.hit@5": {"dev": 0.9}}


@pytest.mark.parametrize("raw", [{"retrieval": {"recall@10": 0.9}}, {"schema": 2, "splits": {}},
                                 {"schema": 3, "splits": {"dev": {}}}, {"schema": 2, "splits": {"dev": {"headline": {"x": "high"}}}}])
def test_what_is_not_a_report_is_rejected(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        EvalReport.model_validate(raw)
