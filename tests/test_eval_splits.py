"""Split metrics, crash accounting, the per-domain/per-split gate and the blind report — on small synthetic
answers and items (real metric computations; the only stand-ins are an honest retriever that raises and
hand-written answer dicts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals import answer_metrics as am
from evals.gate import gate, gate_splits
from evals.record_routing import filter_carried, record_routing
from evals.report import render_markdown, side_by_side
from evals.runner import (
    Asked,
    Corpus,
    ItemResult,
    SuiteResult,
    aggregate_families,
    retrieval_items,
    score_answer,
)
from evals.split_metrics import conversations_table, questions_table
from evals.suite import baseline_json, build_split_report

LAW = {("政府採購法", "30"): "機關辦理招標，應於招標文件中規定投標廠商須繳納押標金。勞務採購，得免收押標金。",
       ("招標期限標準", "2"): "公告金額以上未達查核金額之採購，等標期不得少於十四日。"}
CORPUS = Corpus(lambda t, n: LAW.get((t, n)), ("政府採購法", "招標期限標準"))
G30 = [{"title": "政府採購法", "no": "30"}]


def answer(cites: list[tuple[str, str]], text: str = "", refused: bool = False,
           tools: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"answer": text, "refused": refused, "mode": "extractive",
            "citations": [{"title": t, "no": n, "quote": LAW[(t, n)][:10]} for t, n in cites],
            "tool_calls": tools or []}


def question(i: int, domain: str = "procurement", *, refuse: bool = False, style: str = "colloquial",
             kind: str | None = None, key_facts: list[Any] | None = None) -> dict[str, Any]:
    return {"id": f"q{i}", "query": "押標金？", "domain": domain, "gold": [] if refuse else G30, "refuse": refuse,
            "refuse_kind": kind, "style": style, "key_facts": [] if refuse else (key_facts or ["得免收押標金"])}


def asked(ans: dict[str, Any] | None) -> Asked:
    return Asked(ans, 5.0, None if ans is not None else "RuntimeError: boom")


GOOD = answer([("政府採購法", "30")], "勞務採購，得免收押標金。")


# --- metrics -------------------------------------------------------------------------------------------------
def test_key_fact_alternatives_and_gold_among_first_three_citations() -> None:
    ans = answer([("招標期限標準", "2"), ("政府採購法", "30")], "等標期十四日")
    assert am.key_fact_coverage([["14日", "十四日"], "機關辦理招標"], ans) == (1.0, [])  # text or a quote
    assert am.key_fact_coverage([["21日", "二十一日"]], ans) == (0.0, ["21日／二十一日"])
    assert am.gold_in_first_citations([("政府採購法", "30")], ans, 3) == 1.0
    assert am.gold_in_first_citations([("政府採購法", "30")], ans, 1) == 0.0


def test_numeric_values_must_be_written_in_the_answer_text() -> None:
    assert am.numeric_stated({"min_days": 14, "bid_bond_cap": 950_000}, "最少十四日；押標金上限95萬元") == (1.0, [])
    assert am.numeric_stated({"min_days": 14, "bid_bond_cap": 950_000}, "最少14天") == (0.5, ["bid_bond_cap"])
    assert am.numeric_stated({"exempt_by_default": True}, "免收") == (None, [])


def test_refusal_metrics_by_kind_and_style() -> None:
    items = [score_answer(question(1, refuse=True, kind="local_fact"), asked(answer([], refused=True)), CORPUS,
                          family="answers"),
             score_answer(question(2, refuse=True, kind="other_law"), asked(GOOD), CORPUS, family="answers"),
             score_answer(question(3, style="situational"), asked(answer([], refused=True)), CORPUS, family="answers"),
             score_answer(question(4, style="colloquial"), asked(GOOD), CORPUS, family="answers"),
             score_answer(question(5, style="formal"), asked(GOOD), CORPUS, family="answers")]
    t = questions_table(items)
    assert t is not None
    o = t["overall"]
    assert o["no_answer_refusal_rate"] == 0.5 and o["false_refusal_rate"] == round(1 / 3, 4)
    assert o["false_refusal_situational"] == 1.0 and o["false_refusal_colloquial"] == 0.0
    assert t["by_refuse_kind"] == {"local_fact": {"no_answer_refusal_rate": 1.0, "n": 1},
                                   "other_law": {"no_answer_refusal_rate": 0.0, "n": 1}}
    assert o["gold_top3"] == round(2 / 3, 4) and o["key_fact_coverage"] == round(2 / 3, 4)


# --- crashes -------------------------------------------------------------------------------------------------
def test_a_crashed_question_fails_every_metric_it_feeds() -> None:
    ok = [score_answer(question(i), asked(GOOD), CORPUS, family="answers") for i in range(3)]
    crashed_answerable = score_answer(question(9), asked(None), CORPUS, family="answers")
    crashed_refuse = score_answer(question(8, refuse=True, kind="personal"), asked(None), CORPUS, family="answers")
    assert not crashed_answerable.passed and crashed_answerable.details["error"].startswith("RuntimeError")
    t = questions_table([*ok, crashed_answerable, crashed_refuse])
    assert t is not None
    o = t["overall"]
    assert o["false_refusal_rate"] == 0.25  # the crash counts as a refused answerable question
    assert o["no_answer_refusal_rate"] == 0.0  # … and as an unrefused must-refuse one
    assert o["gold_top3"] == 0.75 and o["citation_precision"] == 0.75 and o["key_fact_coverage"] == 0.75
    assert o["crashed"] == 2 and o["n"] == 5
    fam = aggregate_families([*ok, crashed_answerable])
    assert fam["refusal"]["overall"]["false_refusal_rate"] == 0.25
    assert fam["faithfulness"]["overall"]["sentence_support"] < 1.0


class RaisingRetriever:
    """A retriever whose search fails for one query, as a broken index would."""

    def search(self, query: str, k: int) -> list[Any]:
        raise RuntimeError("index missing")


def test_a_crashed_search_is_a_retrieval_miss_not_a_skip() -> None:
    rows = [question(1), question(2, refuse=True)]
    items = retrieval_items(RaisingRetriever(), rows)
    assert [i.id for i in items] == ["q1"]  # must-refuse rows have no gold to rank
    assert items[0].metrics["hit@5"] == 0.0 and items[0].metrics["crashed"] == 1.0
    assert aggregate_families(items)["retrieval"]["overall"]["hit@5"] == 0.0


def _turn(conv: str, n: int, ans: dict[str, Any] | None, kind: str) -> ItemResult:
    item = {**question(n), "id": f"{conv}#{n}", "kind": kind}
    res = score_answer(item, asked(ans), CORPUS, family="multiturn")
    res.metrics["turn_right"] = float(ans is not None and res.metrics.get("gold_top3") == 1.0
                                      and res.metrics.get("key_fact_coverage") == 1.0)
    return res


def test_a_conversation_with_a_crashed_turn_fails() -> None:
    turns = [_turn("c1", 1, GOOD, "correction"), _turn("c1", 2, None, "correction"),
             _turn("c2", 1, GOOD, "inheritance"), _turn("c2", 2, GOOD, "inheritance")]
    t = conversations_table(turns)
    assert t is not None
    assert t["overall"]["pass_rate"] == 0.5 and t["overall"]["turn_right_rate"] == 0.75
    assert t["overall"]["turn_key_fact_coverage"] == 0.75
    assert t["by_kind"]["correction"]["pass_rate"] == 0.0 and t["by_kind"]["inheritance"]["pass_rate"] == 1.0


# --- record routing ------------------------------------------------------------------------------------------
def test_record_routing_checks_the_tool_and_every_filter() -> None:
    item = {"record": "cases", "filters": {"method": "限制性招標", "year": 2026}}
    right = {"refused": False, "tool_calls": [{"name": "find_cases", "args": {"method": "限制性招標",
                                                                              "date_from": "2026-01-01"}, "result": []}]}
    no_year = {"refused": False, "tool_calls": [{"name": "find_cases", "args": {"method": "限制性招標"}, "result": []}]}
    wrong_tool = {"refused": False, "tool_calls": [{"name": "search_regulations", "args": {"query": "限制性招標 2026"},
                                                    "result": []}]}
    failed = {"refused": False, "tool_calls": [{"name": "find_cases", "args": {"method": "限制性招標", "year": 2026},
                                                "result": {"error": "紀錄資料庫未設定"}}]}
    assert record_routing(item, right).routed
    assert record_routing(item, no_year).missing_filters == ["year"]
    assert not record_routing(item, wrong_tool).routed and not record_routing(item, failed).routed
    assert not record_routing(item, None).routed  # a crash is not routed
    assert filter_carried("vendor", "範例雲海科技有限公司", {"tax_id_or_name": "雲海科技"})
    assert not filter_carried("year", 2025, {"on": "2025-12-01"})  # "on" is the query date, not a year filter


def test_denied_record_question_is_right_only_without_record_data() -> None:
    item = {"record": "cases", "filters": {"case_no": "115S0042"}, "expect": "denied"}
    leaked = {"refused": False, "tool_calls": [{"name": "lookup_case", "args": {"case_no": "115S0042"},
                                                "result": {"case_no": "115S0042"}}]}
    denied = {"refused": False, "tool_calls": [{"name": "lookup_case", "args": {"case_no": "115S0042"},
                                                "result": {"error": "權限不足"}}]}
    assert not record_routing(item, leaked).routed
    assert record_routing(item, denied).routed and record_routing(item, {"refused": True}).routed


# --- gate ----------------------------------------------------------------------------------------------------
def _retrieval(domain_hits: dict[str, list[float]]) -> list[ItemResult]:
    return [ItemResult(f"{d}-{i}", "retrieval", d, h == 1.0, {"hit@5": h, "mrr@10": h, "ndcg@10": h})
            for d, hits in domain_hits.items() for i, h in enumerate(hits)]


def _result(items: list[ItemResult]) -> SuiteResult:
    return SuiteResult(items, aggregate_families(items), {"total": 1.0}, {"status": "skipped"},
                       {"families": ["retrieval"]})


def _report(dev: list[ItemResult], test: list[ItemResult], baseline: dict[str, Any] | None = None) -> dict[str, Any]:
    return build_split_report({"dev": _result(dev), "test": _result(test)}, None, baseline)


def test_per_domain_gate_catches_a_single_domain_drop() -> None:
    big, small = [1.0] * 190, [1.0] * 10
    base = _report(_retrieval({"procurement": big, "template": small}), _retrieval({"procurement": big}))
    # two template items lost: overall hit@5 drops 0.01 (within 0.02), the template domain drops 0.2 (> one item)
    cur = _report(_retrieval({"procurement": big, "template": [1.0] * 8 + [0.0] * 2}),
                  _retrieval({"procurement": big}), base)
    g = gate_splits(cur, base)
    assert not g.passed and cur["gate"]["passed"] is False
    labels = {f.metric for f in g.failures}
    assert "[dev] retrieval.hit@5［template］" in labels and "[dev] retrieval.hit@5" not in labels
    assert gate(cur["splits"]["dev"], base["splits"]["dev"]).failures  # the single-split gate sees it too
    assert gate_splits(_report(_retrieval({"procurement": big, "template": small}),
                               _retrieval({"procurement": big})), base).passed


def test_the_gate_guards_the_test_split_and_fails_when_it_is_missing() -> None:
    dev = _retrieval({"procurement": [1.0] * 10})
    base = _report(dev, _retrieval({"archives": [1.0] * 10}))
    worse_test = _report(dev, _retrieval({"archives": [1.0] * 8 + [0.0] * 2}), base)
    assert [f.metric for f in gate_splits(worse_test, base).failures] == [
        "[test] retrieval.hit@5", "[test] retrieval.hit@5［archives］", "[test] retrieval.mrr@10",
        "[test] retrieval.mrr@10［archives］", "[test] retrieval.ndcg@10", "[test] retrieval.ndcg@10［archives］"]
    only_dev = build_split_report({"dev": _result(dev)}, None, base)
    assert not only_dev["gate"]["passed"] and "[test] 本次報告缺少此資料切分" in only_dev["gate"]["failures"]


def test_a_domain_slice_allows_one_item_but_not_two_and_overall_keeps_its_tolerance() -> None:
    big = [1.0] * 190
    base = _report(_retrieval({"procurement": big, "template": [1.0] * 10}), _retrieval({"procurement": big}))
    one = _report(_retrieval({"procurement": big, "template": [1.0] * 9 + [0.0]}), _retrieval({"procurement": big}),
                  base)
    assert one["gate"]["passed"]  # template -0.1 = one of 10 items; overall -0.005
    # the same single item is not noise overall when the split is that slice alone
    alone = _report(_retrieval({"template": [1.0] * 10}), _retrieval({"procurement": big}))
    lost = _report(_retrieval({"template": [1.0] * 9 + [0.0]}), _retrieval({"procurement": big}), alone)
    assert [f.metric for f in gate_splits(lost, alone).failures if "［" not in f.metric] == [
        "[dev] retrieval.hit@5", "[dev] retrieval.mrr@10", "[dev] retrieval.ndcg@10"]


def test_slice_allowance_uses_the_metric_denominator_and_spares_zero_tolerance_metrics() -> None:
    from evals.gate import slice_tolerance
    rep = {"families": {"questions": {"by_domain": {"plan": {"n_must_refuse": 2, "n_answerable": 25}}},
                        "numeric": {"by_domain": {"plan": {"n": 4}}}}}
    assert slice_tolerance("questions.no_answer_refusal_rate", 0.03, rep, {}, "plan") == 0.5 + 1e-4
    assert slice_tolerance("questions.false_refusal_rate", 0.01, rep, {}, "plan") == 0.04 + 1e-4
    # one item of 29 (0.2069 -> 0.2414 as rounded, 0.0345 > 1/29 = 0.03448) is still one item
    emergency = {"families": {"questions": {"by_domain": {"emergency": {"n_situational": 29}}}}}
    assert round(0.2414 - 0.2069, 4) <= slice_tolerance("questions.false_refusal_situational", 0.01, emergency, {},
                                                         "emergency")
    assert slice_tolerance("questions.false_refusal_rate", 0.01, rep, {}, None) == 0.01  # overall
    assert slice_tolerance("numeric.exact_match", 0.0, rep, {}, "plan") == 0.0  # an invariant
    assert slice_tolerance("questions.gold_top3", 0.03, {}, {}, "plan") == 0.03  # size unknown


def test_false_refusal_tolerance_is_one_point() -> None:
    def items(refused: int) -> list[ItemResult]:
        return [score_answer(question(i), asked(answer([], refused=True) if i < refused else GOOD), CORPUS,
                             family="answers") for i in range(200)]

    def rep(its: list[ItemResult], base: dict[str, Any] | None = None) -> dict[str, Any]:
        res = SuiteResult(its, aggregate_families(its), {}, {}, {"families": ["answers"]})
        return build_split_report({"dev": res}, None, base)

    base = rep(items(2))
    assert rep(items(4), base)["gate"]["passed"]  # +1 point
    failures = rep(items(5), base)["gate"]["failures"]  # +1.5 points
    assert any(f.startswith("[dev] questions.false_refusal_rate：") for f in failures)


# --- blind report --------------------------------------------------------------------------------------------
def test_report_shows_dev_and_test_side_by_side_without_test_item_contents(tmp_path: Path) -> None:
    dev_items = [score_answer(question(1, style="situational"), asked(GOOD), CORPUS, family="answers")]
    missing = {**question(2), "key_facts": ["秘密關鍵事實"]}
    test_items = [score_answer({**missing, "id": "t1"}, asked(GOOD), CORPUS, family="answers")]
    assert test_items[0].details["missing_key_facts"] == ["秘密關鍵事實"]
    rep = build_split_report({"dev": _result(dev_items), "test": _result(test_items)}, None)
    head, rows = side_by_side(rep)
    assert head[1:] == ["開發集（dev＋dev2）", "測試集（凍結）"]
    by_label = {r[0]: r[1:] for r in rows}
    assert by_label["關鍵事實涵蓋率"] == ["1（1）", "0（1）"]
    md = render_markdown(rep)
    text = md + baseline_json(rep) + json.dumps(rep, ensure_ascii=False)
    assert "秘密關鍵事實" not in text and "開發集與測試集並列" in md
    assert json.loads(baseline_json(rep))["splits"]["test"]["items"][0]["id"] == "t1"


# --- mishu eval answers --role --------------------------------------------------------------------------------
def _case_calls(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in obj["answer"]["tool_calls"] if t["name"] == "lookup_case"]


def test_eval_answers_asks_as_the_role(small_container: Any, capsys: Any, tmp_path: Path) -> None:
    from mishu.cli import main

    data = str(small_container.settings.data_dir)
    ds = tmp_path / "records.jsonl"
    rows = [{"id": "h", "query": "案號115S0023是哪一家得標？", "role": "hotline"},
            {"id": "s", "query": "案號115S0023是哪一家得標？"}]
    ds.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")

    def run(*extra: str) -> dict[str, dict[str, Any]]:
        out = tmp_path / f"out{len(extra)}.jsonl"
        assert main(["--data-dir", data, "eval", "answers", "--dataset", str(ds), "--out", str(out), *extra]) == 0
        capsys.readouterr()
        return {o["id"]: o for o in map(json.loads, out.read_text(encoding="utf-8").splitlines())}

    def sees_case(obj: dict[str, Any]) -> bool:
        return any(isinstance(t["result"], dict) and t["result"].get("case_no") == "115S0023"
                   for t in _case_calls(obj))

    by_item = run()  # no --role: the item's role, else staff
    assert sees_case(by_item["s"]) and not sees_case(by_item["h"])
    as_staff = run("--role", "staff")
    assert sees_case(as_staff["h"]) and sees_case(as_staff["s"])
