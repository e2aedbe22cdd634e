"""The guarantee calculator answers a figure asked, not the word 保證金 (issue 9): a rule question about a
guarantee in a conversation whose case has an amount is answered from the rule, not computed. Real index
(USE embedder, Chroma, bm25s) over the small set of shipped laws."""

from __future__ import annotations


def test_the_guarantee_calculator_fires_on_a_figure_asked_not_on_the_word(small_container: object) -> None:
    from assistant.nlu import asks_guarantee_figure, understand

    assert asks_guarantee_figure(understand("押標金上限是多少？"))
    assert asks_guarantee_figure(understand("預算500萬的財物採購押標金"))
    assert not asks_guarantee_figure(understand("保固保證金可以直接用履約保證金來抵嗎？"))
    a = small_container.assistant  # type: ignore[attr-defined]
    first = a.ask("工程採購預算1,250萬，保固保證金最多可以收多少？")
    assert any(tc.name == "bid_bond_and_guarantees" for tc in first.tool_calls)
    rule = a.ask("保固保證金可以直接用履約保證金來抵嗎？", conversation_id=first.conversation_id)
    assert not any(tc.name == "bid_bond_and_guarantees" for tc in rule.tool_calls)
    assert ("押標金保證金暨其他擔保作業辦法", "24") in [(c.title, c.no) for c in rule.citations[:3]]
