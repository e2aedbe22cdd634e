"""Report writing, the regression gate, baseline update and the optional LLM judge (with LangChain's fake
chat model) — on suite results built from hand-made item results."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from evals import judge as judge_mod
from evals.gate import HEADLINE, compare, gate
from evals.judge import SKIPPED_MESSAGE, LLMJudge, PromptError, load_prompt
from evals.report import svg_bar_chart, svg_histogram, write_report
from evals.runner import ItemResult, SuiteResult, aggregate_families
from evals.suite import build_report, update_baseline
from mishu.evalcli import cmd_eval_baseline_update


def items(hit5: list[float], *, exact: Sequence[float] = (1.0, 1.0), refused: Sequence[bool] = (False, True),
          latency: float = 20.0) -> list[ItemResult]:
    out = [ItemResult(f"ret-{i:03d}", "retrieval", "procurement" if i % 2 else "archives", h == 1.0,
                      {"hit@5": h, "mrr@10": h, "ndcg@10": h, "latency_ms": 3.0}) for i, h in enumerate(hit5)]
    out += [ItemResult(f"num-{i:03d}", "numeric", "procurement", e == 1.0,
                       {"exact_match": e, "refused": 0.0, "must_refuse": 0.0, "latency_ms": latency,
                        "quotes_total": 1, "quotes_verbatim": 1, "sentence_support": 1.0})
            for i, e in enumerate(exact)]
    out += [ItemResult(f"ans-{i:03d}", "answers", "out_of_scope", r, {"refused": float(r), "must_refuse": 1.0,
                                                                      "latency_ms": latency * 2})
            for i, r in enumerate(refused)]
    return out


def report(its: list[ItemResult], baseline: dict[str, Any] | None = None) -> dict[str, Any]:
    fams = sorted({i.family for i in its})
    result = SuiteResult(its, aggregate_families(its), {"total": 1.0},
                         {"status": "skipped", "message": SKIPPED_MESSAGE}, {"families": fams})
    return build_report(result, None, baseline)


BASE = report(items([1.0] * 40))


# --- report files ---------------------------------------------------------------------------------------------
def test_report_files_json_md_html_with_svg(tmp_path: Path) -> None:
    current = report(items([1.0] * 38 + [0.0, 0.0]), BASE)
    paths = write_report(current, tmp_path / "out")
    assert all(p.exists() for p in paths.values())
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["headline"]["retrieval.hit@5"] == 0.95
    assert {"environment", "families", "items", "comparison", "gate", "timings_s"} <= data.keys()
    assert data["environment"]["git_commit"]
    md = paths["md"].read_text(encoding="utf-8")
    assert "未設定 LLM 端點，略過 LLM 評審指標" in md and "字元二元組" in md
    assert "ret-038" in md and "回歸門檻：**未通過**" in md
    assert "| retrieval.hit@5 | 0.95 | 0.95 | 0.95 |" in md  # 各領域: overall, 採購, 檔案
    html = paths["html"].read_text(encoding="utf-8")
    assert html.count("<svg") >= 3 and "提問延遲分布" in html and "<table>" in html
    assert "ret-039" in html


def test_svg_charts_scale_values() -> None:
    svg = svg_bar_chart("t", ["整體", "採購"], {"hit@5": [1.0, 0.5]}, height=260)
    heights = [float(h) for h in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"', svg)]
    assert heights[:2] == [180.0, 90.0]
    hist = svg_histogram("lat", [1.0, 2.0, 2.0, 9.0], bins=4)
    assert hist.count("<rect") == 4 and ">2</title>" not in hist and ": 3</title>" in hist


# --- gate ------------------------------------------------------------------------------------------------------
def test_gate_passes_within_tolerance_and_fails_beyond() -> None:
    assert HEADLINE["retrieval.hit@5"] == 0.02
    small_drop = report(items([1.0] * 99 + [0.0]))  # hit@5 1.0 -> 0.99
    assert gate(small_drop, BASE).passed
    big_drop = report(items([1.0] * 36 + [0.0] * 4))  # 1.0 -> 0.9; each domain of 20 loses 2 items
    g = gate(big_drop, BASE)
    assert not g.passed
    # overall and in each domain (per domain: one item of 20 allowed): the drop falls on both domains
    assert {f.metric for f in g.failures} == {f"retrieval.{m}{d}" for m in ("hit@5", "mrr@10", "ndcg@10")
                                              for d in ("", "［procurement］", "［archives］")}
    assert "容許 0.0200" in g.failures[0].message
    assert gate(BASE, BASE).passed and gate(report(items([1.0] * 40, latency=900.0)), BASE).passed


def test_zero_tolerance_and_lower_is_better_metrics() -> None:
    numeric_drop = report(items([1.0] * 40, exact=[1.0, 0.0]))
    assert [f.metric for f in gate(numeric_drop, BASE).failures] == ["numeric.exact_match",
                                                                     "numeric.exact_match［procurement］"]
    # answering a must-refuse question lowers refusal F1 (answers family, positive class)
    missed_refusal = report(items([1.0] * 40, refused=[False, False]))
    assert "refusal.f1" in {f.metric for f in gate(missed_refusal, BASE).failures}
    base = report(items([1.0] * 40, exact=[1.0, 1.0]))
    assert base["headline"]["refusal.false_refusal_rate"] == 0.0
    worse = json.loads(json.dumps(base))
    worse["families"]["refusal"]["overall"]["false_refusal_rate"] = 0.05
    assert [f.metric for f in gate(worse, base).failures] == ["refusal.false_refusal_rate"]
    better = json.loads(json.dumps(base))
    better["families"]["refusal"]["overall"]["f1"] = 1.0
    assert gate(better, base).passed


def test_missing_metric_fails_only_when_its_family_ran() -> None:
    retrieval_only = report([i for i in items([1.0] * 40) if i.family == "retrieval"])
    g = gate(retrieval_only, BASE)
    assert g.passed and "numeric.exact_match" in g.skipped
    broken = json.loads(json.dumps(BASE))
    del broken["families"]["numeric"]["overall"]["exact_match"]
    assert [f.metric for f in gate(broken, BASE).failures] == ["numeric.exact_match"]


def test_comparison_lists_regressions_and_dropped_metrics() -> None:
    current = report(items([1.0] * 38 + [0.0, 0.0], exact=[0.0, 1.0]))
    comp = compare(current, BASE)
    regressed = {(r["family"], r["id"]) for r in comp["regressions"]}
    assert regressed == {("retrieval", "ret-038"), ("retrieval", "ret-039"), ("numeric", "num-000")}
    r = next(r for r in comp["regressions"] if r["id"] == "num-000")
    assert r["changes"]["exact_match"] == {"baseline": 1.0, "current": 0.0}
    drops = {(d["metric"], d["domain"]): d for d in comp["metric_drops"]}
    assert drops[("retrieval.hit@5", None)]["worse_by"] == 0.05 and drops[("retrieval.hit@5", None)]["headline"]
    assert drops[("retrieval.hit@5", "archives")]["worse_by"] == 0.05
    assert not any(m.startswith("latency") for m, _ in drops)
    fixed = compare(BASE, current)["fixed"]
    assert {x["id"] for x in fixed} == {"ret-038", "ret-039", "num-000"}


# --- baseline update ------------------------------------------------------------------------------------------
def test_update_baseline_shows_diff_and_replaces_file(tmp_path: Path) -> None:
    old, new = tmp_path / "baseline" / "report.json", tmp_path / "run" / "report.json"
    write_report(BASE, old.parent)
    write_report(report(items([1.0] * 38 + [0.0, 0.0]), BASE), new.parent)
    diff = update_baseline(new, old)
    assert "retrieval.hit@5: 1.0000 -> 0.9500 (-0.0500)  ▼ 變差" in diff
    saved = json.loads(old.read_text(encoding="utf-8"))
    assert saved["headline"]["retrieval.hit@5"] == 0.95 and "comparison" not in saved and "gate" not in saved
    assert cmd_eval_baseline_update(tmp_path / "nope.json", old) == 2
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    assert cmd_eval_baseline_update(tmp_path / "bad.json", old) == 2
    assert json.loads(old.read_text(encoding="utf-8"))["headline"]["retrieval.hit@5"] == 0.95  # nothing lost


# --- LLM judge ---------------------------------------------------------------------------------------------------
def toy_embed(text: str) -> list[float]:
    """Counts of a few characters — enough to tell related questions from unrelated ones."""
    return [float(text.count(ch)) for ch in "押標金上限幾天檔案"]


def test_judge_scores_with_fake_chat_model() -> None:
    replies = [
        '```json\n{"statements": [{"statement": "押標金不得逾五千萬元", "verdict": 1}, '
        '{"statement": "得標後可領獎金", "verdict": 0}]}\n```',
        '{"questions": ["押標金上限多少", "押標金上限"], "noncommittal": 0}',
        '{"statements": [{"statement": "x", "verdict": 1}]}',
        '{"questions": ["押標金上限"], "noncommittal": 1}',
        "我不會輸出 JSON",
        '{"questions": [], "noncommittal": 0}',
    ]
    j = LLMJudge(FakeListChatModel(responses=replies), toy_embed, model_name="fake")
    a = {"answer": "押標金不得逾新臺幣五千萬元。", "refused": False, "citations": []}
    first = j.judge("押標金上限多少", a, ["但不得逾新臺幣五千萬元。"])
    assert first.metrics["llm_faithfulness"] == 0.5
    assert first.metrics["llm_answer_relevancy"] == pytest.approx(1.0, abs=0.02)
    second = j.judge("押標金上限多少", a, [])
    assert second.metrics == {"llm_faithfulness": 1.0, "llm_answer_relevancy": 0.0}
    third = j.judge("押標金上限多少", a, [])
    assert third.metrics["llm_faithfulness"] is None and third.errors
    its = [ItemResult("ans-1", "answers", "procurement", True, dict(first.metrics)),
           ItemResult("ans-2", "answers", "procurement", True, dict(second.metrics)),
           ItemResult("ans-3", "answers", "procurement", True, dict(third.metrics), {"judge_errors": third.errors})]
    s = j.summary(its)
    assert s["status"] == "ran" and s["faithfulness"] == 0.75 and s["n"] == 2 and s["errors"] == 1


def test_judge_skipped_without_endpoint_and_prompts_validated(tmp_path: Path) -> None:
    class NoLLM:  # the two Settings fields the judge reads
        llm_base_url = None

    with pytest.raises(ValueError, match=SKIPPED_MESSAGE):
        LLMJudge.from_settings(NoLLM(), toy_embed)
    assert "{contexts}" in load_prompt("judge_faithfulness")
    (tmp_path / "judge_faithfulness.txt").write_text("問題：{question}\n回答：{answer}\n", encoding="utf-8")
    with pytest.raises(PromptError, match="contexts"):
        load_prompt("judge_faithfulness", tmp_path)
    assert judge_mod.parse_json_object('前言 {"a": 1} 後記') == {"a": 1}
