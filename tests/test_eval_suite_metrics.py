"""Answer metrics (evals/answer_metrics.py) on hand-made answer objects over the real law texts and real
calculator results."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from assistant.calculators import ArticleIndex, bid_bond_and_guarantees, procurement_tier, tender_period
from evals import answer_metrics as am
from evals.datasets_io import dataset_path, read_jsonl
from evals.runner import Asked, Corpus, ItemResult, aggregate_families, score_answer

LAWS = ArticleIndex.load()
ON = date(2026, 6, 1)


def get_text(title: str, no: str) -> str | None:
    try:
        return LAWS.text(title, no)
    except LookupError:
        return None


CORPUS = Corpus(get_text, tuple(LAWS.laws))
ART_9 = ("押標金保證金暨其他擔保作業辦法", "9")
QUOTE_9 = "但不得逾新臺幣五千萬元。"


def answer(text: str = "", citations: list[dict[str, Any]] | None = None, *, refused: bool = False,
           mode: str = "extractive", tool_calls: list[dict[str, Any]] | None = None,
           draft: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"answer": text, "refused": refused, "mode": mode, "citations": citations or [],
            "tool_calls": tool_calls or [], "draft": draft}


def cite(title: str, no: str, quote: str) -> dict[str, Any]:
    return {"title": title, "no": no, "quote": quote, "amended": None}


# --- citations and key facts ------------------------------------------------------------------------------
def test_citation_precision_and_recall() -> None:
    a = answer("…", [cite(*ART_9, QUOTE_9), cite("政府採購法", "30", "x"), cite(*ART_9, "百分之五")])
    s = am.citation_scores([ART_9, ("政府採購法", "31")], a)
    assert s["citation_precision"] == 0.5  # 2 distinct keys cited, 1 gold
    assert s["citation_recall"] == 0.5
    assert am.citation_scores([ART_9], answer("沒有引用"))["citation_precision"] == 0.0
    with pytest.raises(ValueError):
        am.citation_scores([], a)


def test_key_fact_coverage_reads_answer_and_quotes_ignoring_whitespace() -> None:
    a = answer("押標金以不逾預算金額之\n百分之五為原則。", [cite(*ART_9, QUOTE_9)])
    cov, missing = am.key_fact_coverage(["百分之五", "新臺幣五千萬元", "十四日"], a)
    assert cov == pytest.approx(2 / 3)
    assert missing == ["十四日"]


# --- faithfulness ---------------------------------------------------------------------------------------------
def test_verbatim_quote_passes_and_fabricated_quote_fails() -> None:
    text = LAWS.text(*ART_9)
    span = text[5:40]
    ok = am.quote_faithfulness(answer("…", [cite(*ART_9, span)]), get_text)
    assert (ok.total, ok.verbatim, ok.rate) == (1, 1, 1.0)

    fabricated = "押標金一律不得逾新臺幣一百萬元。"
    bad = am.quote_faithfulness(answer("…", [cite(*ART_9, span), cite(*ART_9, fabricated),
                                             cite("政府採購法", "999", "不存在的條文")]), get_text)
    assert bad.verbatim == 1 and bad.total == 3
    assert [f["reason"] for f in bad.failures] == ["引文不在條文中", "條文不存在"]
    assert bad.rate == pytest.approx(1 / 3)


def test_quote_spanning_two_paragraphs_matches_without_the_line_break() -> None:
    text = LAWS.text("政府採購法", "22")
    assert "\n" in text
    i = text.index("\n")
    q = text[i - 8:i] + text[i + 1:i + 9]
    assert am.quote_faithfulness(answer("…", [cite("政府採購法", "22", q)]), get_text).rate == 1.0


def test_sentence_support_by_bigram_overlap() -> None:
    a = answer("押標金保證金暨其他擔保作業辦法第9條第2項（民國108年11月18日修正）\n"
               "押標金以不逾預算金額之百分之五為原則，但不得逾新臺幣五千萬元。"
               "廠商得標後應於三日內到市府辦公室領取獎金！",
               [cite(*ART_9, QUOTE_9)], mode="llm")
    check = am.sentence_support(a["answer"], am.support_texts(a, get_text), titles=[ART_9[0]])
    # the reference line is not a claim; the paraphrase is supported; the invented sentence is not
    assert check.scored == 2 and check.supported == 1
    assert check.unsupported == ["廠商得標後應於三日內到市府辦公室領取獎金"]
    assert am.sentence_support(a["answer"], [], titles=[ART_9[0]]).supported == 0
    # a stricter threshold rejects the paraphrase too
    assert am.sentence_support(a["answer"], am.support_texts(a, get_text), threshold=0.99,
                               titles=[ART_9[0]]).supported == 0


def test_calculator_answer_supports_computed_sentence() -> None:
    r = bid_bond_and_guarantees(2_500_000, None, "工程", ON).model_dump(mode="json")
    a = answer(r["answer_zh"] + "。", tool_calls=[{"name": "bid_bond_and_guarantees", "args": {}, "result": r}])
    assert am.sentence_support(a["answer"], am.support_texts(a, get_text)).rate == 1.0


# --- refusal ---------------------------------------------------------------------------------------------------
def test_refusal_scores_and_false_refusal_rate() -> None:
    s = am.refusal_scores([(True, True), (True, False), (False, True), (False, False), (False, False)])
    assert s["refusal_precision"] == 0.5 and s["refusal_recall"] == 0.5 and s["refusal_f1"] == 0.5
    assert s["false_refusal_rate"] == pytest.approx(1 / 3)
    assert am.refusal_scores([])["refusal_f1"] == 0.0


def test_refused_answerable_item_is_a_false_refusal_and_fails() -> None:
    item = {"id": "t-1", "query": "押標金上限", "domain": "procurement", "gold": [{"title": ART_9[0], "no": "9"}],
            "key_facts": ["百分之五"], "refuse": False}
    refused = score_answer(item, Asked(answer("知識庫無法回答這個問題。", refused=True), 5.0), CORPUS,
                           family="answers")
    assert not refused.passed and refused.metrics["refused"] == 1.0
    assert refused.metrics["citation_recall"] == 0.0
    oos = {"id": "t-2", "query": "今天天氣如何", "domain": "out_of_scope", "gold": [], "refuse": True}
    ok = score_answer(oos, Asked(answer("這不在知識庫範圍內。", refused=True), 4.0), CORPUS, family="answers")
    assert ok.passed
    agg = aggregate_families([refused, ok])
    assert agg["refusal"]["overall"]["false_refusal_rate"] == 1.0
    assert agg["refusal"]["overall"]["recall"] == 1.0 and agg["refusal"]["overall"]["precision"] == 0.5
    assert agg["refusal"]["by_domain"]["procurement"]["n_answerable"] == 1


def test_fabricated_quote_fails_the_item_and_lowers_faithfulness() -> None:
    item = {"id": "t-3", "query": "押標金上限", "domain": "procurement", "gold": [{"title": ART_9[0], "no": "9"}],
            "key_facts": ["新臺幣五千萬元"], "refuse": False}
    good = score_answer(item, Asked(answer("上限如下。", [cite(*ART_9, QUOTE_9)]), 3.0), CORPUS, family="answers")
    bad = score_answer({**item, "id": "t-4"},
                       Asked(answer("上限如下。", [cite(*ART_9, "但不得逾新臺幣五千萬元，且不得少於一萬元。")]), 3.0),
                       CORPUS, family="answers")
    assert good.passed and not bad.passed
    assert bad.details["quote_failures"][0]["reason"] == "引文不在條文中"
    agg = aggregate_families([good, bad])
    assert agg["faithfulness"]["overall"]["quote_verbatim"] == 0.5


# --- numeric -------------------------------------------------------------------------------------------------
def call(name: str, result: Any) -> dict[str, Any]:
    return {"name": name, "args": {}, "result": result.model_dump(mode="json")}


def test_every_expected_key_of_the_numeric_dataset_has_an_extractor() -> None:
    keys = {k for r in read_jsonl(dataset_path("numeric_dev.jsonl")) for k in r["expected"]}
    assert keys <= set(am.NUMERIC_KEYS), keys - set(am.NUMERIC_KEYS)


def test_tier_items_of_the_dataset_match_real_calculator_results() -> None:
    rows = [r for r in read_jsonl(dataset_path("numeric_dev.jsonl"))
            if r["tool"] == "procurement_tier" and "amount" not in r["expected"]]
    assert len(rows) >= 15
    for r in rows:
        res = procurement_tier(r["args"]["amount"], r["args"]["category"], ON)
        check = am.numeric_exact_match(r["expected"], answer(tool_calls=[call("procurement_tier", res)]))
        assert check.exact_match == 1.0, (r["id"], check)


def test_tender_period_and_bond_values_are_read_from_results() -> None:
    tp = tender_period(2_500_000, "公開招標", "勞務", ON, electronic_download=True)
    bonds = bid_bond_and_guarantees(6_000_000, None, "財物", ON)
    a = answer(tool_calls=[call("tender_period", tp), call("bid_bond_and_guarantees", bonds)])
    check = am.numeric_exact_match({"min_days": 11, "bid_bond_cap": 300_000, "e_tender_reduction_cap": 30_000,
                                    "tier": "公告金額以上未達查核金額"}, a)
    assert check.exact_match == 1.0, check
    services = bid_bond_and_guarantees(2_500_000, None, "勞務", ON)
    small = bid_bond_and_guarantees(500_000, None, "財物", ON)
    assert am.numeric_exact_match({"bid_bond_cap": 125_000, "exempt_by_default": True},
                                  answer(tool_calls=[call("bid_bond_and_guarantees", services)])).exact_match == 1.0
    assert am.numeric_exact_match({"exempt_allowed": True, "exempt_by_default": False},
                                  answer(tool_calls=[call("bid_bond_and_guarantees", small)])).exact_match == 1.0


def test_wrong_missing_and_unknown_values_fail() -> None:
    bonds = bid_bond_and_guarantees(2_500_000, None, "工程", ON)
    a = answer(tool_calls=[call("bid_bond_and_guarantees", bonds)])
    wrong = am.numeric_exact_match({"bid_bond_cap": 125_001, "performance_bond_cap": 250_000}, a)
    assert wrong.exact_match == 0.0 and wrong.failures == ["bid_bond_cap"] and wrong.field_accuracy == 0.5
    assert am.numeric_exact_match({"min_days": 14}, a).got == {"min_days": None}
    unknown = am.numeric_exact_match({"bid_bond_cap": 125_000, "bid_bond_days": 3}, a)
    assert unknown.unknown_keys == ["bid_bond_days"] and unknown.exact_match == 0.0
    # a number given as text in the answer, without a tool call, does not count
    assert am.numeric_exact_match({"bid_bond_cap": 125_000}, answer("上限為125000元")).exact_match == 0.0


# --- drafting ---------------------------------------------------------------------------------------------------
DRAFT_ITEM = {
    "required_fields": ["標案名稱", "預算金額", "採購金額級距", "等標期", "押標金"],
    "expected": {"missing_fields": ["預算金額", "等標期"], "tier": "查核金額以上未達巨額", "min_tender_days": 21},
}


def test_drafting_completeness_counts_filled_and_todo_fields() -> None:
    md = ("# 投標須知（範例）\n- 標案名稱：市政大樓空調汰換工程（範例）\n- 預算金額：待補\n"
          "- 採購金額級距：查核金額以上未達巨額\n- 等標期：21日\n")
    check = am.drafting_completeness(DRAFT_ITEM, {"markdown": md, "missing_fields": []})
    assert check.absent == ["押標金"] and check.completeness == pytest.approx(4 / 5)
    assert check.missing_not_flagged == ["等標期"]  # filled in although the case has no budget
    assert check.expected_values == 1.0
    listed = am.drafting_completeness(DRAFT_ITEM, {"markdown": md.replace("21日", "待補") + "押標金：待補\n",
                                                   "missing_fields": ["押標金"]})
    assert listed.completeness == 1.0 and listed.missing_flagged == 1.0 and listed.values_wrong == ["min_tender_days"]
    assert am.drafting_completeness(DRAFT_ITEM, None).completeness == 0.0


# --- latency ---------------------------------------------------------------------------------------------------
def test_percentiles_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert am.percentile(values, 50) == 50.0 and am.percentile(values, 95) == 95.0
    assert am.latency_summary([])["latency_p95_ms"] == 0.0


def test_family_aggregates_per_domain() -> None:
    items = [ItemResult("a", "retrieval", "procurement", True, {"hit@5": 1.0}),
             ItemResult("b", "retrieval", "archives", False, {"hit@5": 0.0}),
             ItemResult("c", "retrieval", "archives", True, {"hit@5": 1.0})]
    agg = aggregate_families(items)["retrieval"]
    assert agg["overall"]["hit@5"] == pytest.approx(0.6667, abs=1e-4)
    assert agg["by_domain"]["archives"]["hit@5"] == 0.5 and agg["by_domain"]["archives"]["n"] == 2


@pytest.mark.parametrize("text,stated", [
    ("押標金原則不逾12萬5,000元", True),  # the 萬 form the calculators write
    ("押標金原則不逾125,000元", True),
    ("押標金原則不逾12.5萬元", True),
    ("押標金原則不逾12萬元", False),
    ("押標金原則不逾25萬元", False),
])
def test_numeric_stated_accepts_every_exact_written_form(text: str, stated: bool) -> None:
    share, missing = am.numeric_stated({"bid_bond_cap": 125_000, "exempt_allowed": True}, text)
    assert share == (1.0 if stated else 0.0) and (missing == [] if stated else missing == ["bid_bond_cap"])
