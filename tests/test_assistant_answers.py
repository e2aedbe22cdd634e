"""The embedded assistant (no LLM) on a real small index: exact numeric answers with cited rules,
verbatim quotes, refusals, follow-ups, drafting.

Expected values are derived from the rule texts (2026 thresholds, docs/DESIGN.md):
- tiers: 小額 <= 150,000 (中央機關未達公告金額採購招標辦法第5條: 公告金額十分之一以下); 公告金額 1,500,000 以上
  (採購法第13條); 查核金額 工程/財物 50,000,000, 勞務 10,000,000; 巨額 工程 200,000,000, 財物 100,000,000,
  勞務 20,000,000 (投標廠商資格與特殊或巨額採購認定標準第8條, 「以上」 includes the amount).
- tender periods: 招標期限標準第2條 7/14/21/28 days; 第9條 reductions.
- bid bond: 押標金保證金暨其他擔保作業辦法第9條: 預算金額 5% 為原則, 不得逾新臺幣五千萬元.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

TIER = [
    ("10萬元的財物採購屬於哪一級距", "small"),
    ("15萬元的財物採購屬於哪一級距", "small"),
    ("150,001元的勞務採購屬於哪一級距", "below_announcement"),
    ("149萬的工程是哪一級距", "below_announcement"),
    ("150萬的工程是哪一級距", "announcement"),
    ("新臺幣2,500,000元的勞務採購是哪一級距", "announcement"),
    ("999萬的勞務採購是哪一級距", "announcement"),
    ("1000萬的勞務採購是哪一級距", "audit"),
    ("4999萬的財物採購是哪一級距", "announcement"),
    ("5000萬的財物採購是哪一級距", "audit"),
    ("5000萬的工程採購是哪一級距", "audit"),
    ("2000萬的勞務採購是哪一級距", "large"),
    ("1億的財物採購是哪一級距", "large"),
    ("1.5億的工程採購是哪一級距", "audit"),
    ("2億的工程採購是哪一級距", "large"),
]

PERIOD = [
    ("100萬的財物採購公開招標等標期幾天", 7),
    ("250萬的勞務案等標期幾天", 14),
    ("250萬的勞務案有電子領標，等標期最少幾天", 11),
    ("250萬的勞務案有辦公開閱覽，等標期最少幾天", 10),
    ("3000萬的勞務採購等標期幾天", 28),
    ("6000萬的工程採購等標期幾天", 21),
    ("800萬的工程採購等標期幾天", 14),
    ("3億的工程採購等標期幾天", 28),
]

BOND = [
    ("250萬的工程押標金最多收多少", 125_000),
    ("1000萬的財物採購押標金上限", 500_000),
    ("200萬的工程押標金上限是多少", 100_000),
    ("20億的工程押標金上限", 50_000_000),
    ("10億的工程押標金上限", 50_000_000),
    ("9億的財物押標金上限", 45_000_000),
]


def _tool(answer: Any, name: str) -> dict[str, Any]:
    calls = [t for t in answer.tool_calls if t.name == name and t.error is None]
    assert calls, f"no {name} call in {[t.name for t in answer.tool_calls]}"
    assert calls[0].result is not None
    out = calls[0].result.to_json()  # the answer object's tool_calls[].result (docs/DESIGN.md)
    assert isinstance(out, dict)
    return out


def _assert_quotes_verbatim(c: Any, answer: Any) -> None:
    for cit in answer.citations:
        art = c.kb.get_article(cit.title, cit.no)
        assert art is not None, (cit.title, cit.no)
        assert cit.quote and cit.quote in art.text, (cit.title, cit.no, cit.quote)


@pytest.mark.parametrize(("question", "tier"), TIER)
def test_tier_exact(small_container: Any, question: str, tier: str) -> None:
    a = small_container.assistant.ask(question)
    assert not a.refused
    assert _tool(a, "procurement_tier")["details"]["tier"] == tier
    assert a.answer.startswith("【直接答案】")
    assert any(c.title in ("政府採購法", "投標廠商資格與特殊或巨額採購認定標準", "中央機關未達公告金額採購招標辦法",
                           "政府採購法施行細則") for c in a.citations)
    _assert_quotes_verbatim(small_container, a)


@pytest.mark.parametrize(("question", "days"), PERIOD)
def test_tender_period_exact(small_container: Any, question: str, days: int) -> None:
    a = small_container.assistant.ask(question)
    res = _tool(a, "tender_period")
    assert res["details"]["minimum_days"] == days
    assert any(c.title == "招標期限標準" for c in a.citations)
    assert f"{days}日" in a.answer or f"{days} 日" in a.answer or f"{days}天" in a.answer
    _assert_quotes_verbatim(small_container, a)


@pytest.mark.parametrize(("question", "cap"), BOND)
def test_bid_bond_cap_exact(small_container: Any, question: str, cap: int) -> None:
    a = small_container.assistant.ask(question)
    res = _tool(a, "bid_bond_and_guarantees")
    bond = next(i for i in res["details"]["items"] if i["kind"] == "押標金")
    assert bond["cap_fixed_amount"] == cap
    assert any(c.title == "押標金保證金暨其他擔保作業辦法" and c.no == "9" for c in a.citations)
    _assert_quotes_verbatim(small_container, a)


def test_answer_object_contract(small_container: Any) -> None:
    a = small_container.assistant.ask("採購法第22條")
    d = a.contract()
    assert set(d) == {"answer", "refused", "mode", "citations", "tool_calls", "draft", "facts", "clarify"}
    assert d["mode"] == "extractive" and d["refused"] is False and d["draft"] is None
    assert d["citations"][0]["title"] == "政府採購法" and d["citations"][0]["no"] == "22"
    assert set(d["citations"][0]) == {"title", "no", "quote", "amended"}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", d["citations"][0]["amended"])
    _assert_quotes_verbatim(small_container, a)


@pytest.mark.parametrize("question", ["市長這週有哪些公開行程", "幫我寫一段給同事的生日祝福", "營業稅稅率是多少",
                                      "公文的速別有哪幾種", "工程會對開口契約最新的函釋怎麼說"])
def test_refuses_unsupported(small_container: Any, question: str) -> None:
    a = small_container.assistant.ask(question)
    assert a.refused and not a.citations
    assert "洽" in a.answer


@pytest.mark.parametrize("question", ["機關辦理限制性招標的條件有哪些", "檔案保存年限到了要怎麼銷毀",
                                      "AED多久要檢查一次", "押标金 上限"])
def test_answers_supported(small_container: Any, question: str) -> None:
    a = small_container.assistant.ask(question)
    assert not a.refused and a.citations
    _assert_quotes_verbatim(small_container, a)


def test_follow_ups_resolve_against_earlier_turns(small_container: Any) -> None:
    first = small_container.assistant.ask("250萬的勞務案等標期幾天？")
    cid = first.conversation_id
    bond = small_container.assistant.ask("那押標金呢？", conversation_id=cid)
    res = _tool(bond, "bid_bond_and_guarantees")
    assert res["details"]["items"][0]["kind"] == "押標金"
    assert _tool(bond, "procurement_tier")["details"]["category"] == "勞務"
    works = small_container.assistant.ask("如果是工程呢？", conversation_id=cid)
    assert _tool(works, "procurement_tier")["details"]["category"] == "工程"
    assert _tool(works, "bid_bond_and_guarantees")["details"]["items"][0]["cap_fixed_amount"] == 125_000
    turns = small_container.assistant.history(cid)
    assert [t["question"] for t in turns] == ["250萬的勞務案等標期幾天？", "那押標金呢？", "如果是工程呢？"]


def test_unknown_conversation_and_empty_question(small_container: Any) -> None:
    from assistant.service import AskError

    with pytest.raises(AskError):
        small_container.assistant.ask("   ")
    with pytest.raises(AskError):
        small_container.assistant.ask("押標金上限", conversation_id="does-not-exist")


def test_records_questions(small_container: Any) -> None:
    a = small_container.assistant.ask("案號 111S0002 的狀態")
    assert "111S0002" in a.answer and _tool(a, "lookup_case")["case_no"] == "111S0002"
    missing = small_container.assistant.ask("幫我查標案編號9990001的得標廠商")
    assert missing.refused and "9990001" in missing.answer


def test_draft_from_chat_lists_missing_fields(small_container: Any, tmp_path: Any) -> None:
    a = small_container.assistant.ask("幫我擬案號 111S0002 的投標須知")
    assert a.draft is not None and a.draft.kind == "tender_instructions"
    assert a.contract()["draft"]["kind"] == "tender_notice"  # the docs/DESIGN.md name
    assert a.draft.missing_fields and "待補" in a.draft.markdown
    from docx import Document

    doc = Document(a.draft.docx_path)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "投標須知" in text


def test_follow_up_that_names_a_new_topic_is_not_pulled_back(small_container: Any) -> None:
    first = small_container.assistant.ask("公告金額以上未達查核金額的採購等標期幾天")
    nxt = small_container.assistant.ask("押標金最多可以收多少", conversation_id=first.conversation_id)
    assert nxt.citations and all(c.title != "招標期限標準" for c in nxt.citations)
    assert any(c.title == "押標金保證金暨其他擔保作業辦法" for c in nxt.citations)


def test_elliptical_follow_up_uses_the_conversation(small_container: Any) -> None:
    first = small_container.assistant.ask("最低標超過底價的話怎麼辦")
    nxt = small_container.assistant.ask("減完還是超過呢？", conversation_id=first.conversation_id)
    assert ("政府採購法", "53") in {(c.title, c.no) for c in nxt.citations}


@pytest.mark.parametrize(("question", "tool"), [
    ("流標原因統計", "failed_tender_report"),
    ("市政大樓AED檢查狀況", "building_safety_status"),
    ("統編 28234021 有沒有被停權", "vendor_suspension_check"),
    ("西屯區的採購種子教師有誰", "find_seed_teachers"),
])
def test_record_tools_answer_with_cited_rules(small_container: Any, question: str, tool: str) -> None:
    a = small_container.assistant.ask(question)
    assert not a.refused and a.answer.startswith("【直接答案】")
    assert any(t.name == tool and t.error is None for t in a.tool_calls)
    assert "範例" in a.answer  # sample records are never presented as real
    _assert_quotes_verbatim(small_container, a)


def test_read_only_tools_cannot_write(small_container: Any) -> None:
    tc = small_container.toolbox.call("log_consultation", {"caller_agency": "x", "category": "招標", "question": "q",
                                                          "answer": "a"})
    assert tc.error and "寫入" in tc.error
    names = {s.name for s in small_container.toolbox.specs()}
    assert "log_consultation" not in names and "find_cases" in names


def _features(container: Any, question: str) -> dict[str, float]:
    from assistant.nlu import understand

    u = understand(question, container.toolbox.kb.vocabulary(None))
    tc = container.toolbox.call("search_regulations", {"query": u.text, "k": 8})
    return container.assistant.composer.evidence(question, u.text, tc.result.hit_dicts(), all_features=True).features


def test_evidence_features_see_what_the_found_articles_hold(small_container: Any) -> None:
    """The answerability features over the real index: a fee the law leaves to a notice has no figure in
    the found articles (value_missing); a figure the law states does; an extension is a directory fact."""
    fee = _features(small_container, "廠商提採購申訴，審議費一件要繳多少錢？")
    assert fee["value_missing"] == 1.0
    bond = _features(small_container, "押標金的額度最多是預算的百分之幾？")
    assert bond["value_missing"] == 0.0
    ext = _features(small_container, "廠商打電話來問開標結果，採購管理科的分機是幾號？")
    assert ext["directory"] == 1.0 and ext["value_missing"] == 1.0
    # a situation told first does not dilute the support of the asking part
    sit = _features(small_container, "颱風把停車場圍牆吹倒了，要馬上找廠商搶修，可以先不用招標嗎？")
    assert sit["core_support"] > sit["support"]


def test_an_ask_computes_only_the_weighted_features(small_container: Any) -> None:
    """Composer.evidence computes the features the shipped model weighs (and the floor's support); the fit
    script asks for all of them, and the ones both compute are the same numbers."""
    from assistant.answerability import FEATURES, model
    from assistant.nlu import understand

    q = "押標金的額度最多是預算的百分之幾？"
    u = understand(q, small_container.toolbox.kb.vocabulary(None))
    hits = small_container.toolbox.call("search_regulations", {"query": u.text, "k": 8}).result.hit_dicts()
    composer = small_container.assistant.composer
    some = composer.evidence(q, u.text, hits).features
    every = composer.evidence(q, u.text, hits, all_features=True).features
    assert set(some) == {"support", *model().used} and set(every) == set(FEATURES)
    assert all(every[f] == v for f, v in some.items())


@pytest.mark.parametrize("question", ["檔案閱覽室的電話分機是幾號？", "本處的開標室在幾樓？幾點開放？"])
def test_refuses_local_operational_facts(small_container: Any, question: str) -> None:
    a = small_container.assistant.ask(question)
    assert a.refused and not a.citations
