"""LLM mode end to end with a scripted fake chat model: tool calls through LangChain, tool errors fed
back, the step cap, and the post-generation citation check."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import ToolMessage

from assistant.llm_agent import CitationChecker, LLMAgent
from assistant.prompts import PromptError, load_prompt
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
    assert tier.result["details"]["tier"] == "announcement"
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
    final = "依規定「機關辦理採購一律應公開招標，沒有例外」〔政府採購法第19條〕。"
    agent, _ = _agent(small_container, [tool_call("get_article", {"title": "政府採購法", "no": "19"}), final])
    a = _ask(small_container, agent, "一定要公開招標嗎")
    assert "沒有例外" not in a.answer
    assert any("非逐字引文" in f for f in a.flags)
    # the citation itself is real and retrieved, so it stays, quoted verbatim from the article
    assert [(c.title, c.no) for c in a.citations] == [("政府採購法", "19")]
    assert a.citations[0].quote in small_container.kb.get_article("政府採購法", "19").text


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
    assert any("error" in json.loads(m.content) for m in tool_msgs)
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
