"""Answer types and the answerability model's data file (no index needed)."""

from __future__ import annotations

from assistant.answer_type import answer_types
from assistant.answerability import FEATURES, model, named_laws


def test_answer_type_of_questions() -> None:
    t = answer_types()
    assert t.classify("採購科的分機是幾號？") == "phone"
    assert t.classify("閱覽室幾點開門？") == "time"
    assert t.classify("開標室在幾樓？") == "place"
    assert t.classify("什麼是統包？") == "definition"
    assert t.classify("廠商可以參加投標嗎？") == "yesno"
    assert t.is_specific("phone") and not t.is_specific("procedure")


def test_carried_by_a_line() -> None:
    t = answer_types()
    assert not t.carries("phone", "機關應將其事實、理由通知廠商。")
    assert t.carries("phone", "請洽 04-2228-9111 分機 1234")
    assert t.carries("amount", "押標金額度不得逾預算金額或預估採購總額之百分之五。")
    assert t.carries("procedure", "任何一行")  # kinds without value patterns are carried by any line


def test_named_laws_skip_generic_words() -> None:
    assert named_laws("依個資法機關一定要照做嗎") == ["個資法"]
    assert named_laws("押標金的計算方法為何") == []


def test_model_file_is_complete_and_monotone_where_it_must_be() -> None:
    m = model()
    assert set(m.weights) == set(FEATURES) and 0 < m.threshold < 1
    base = {f: 0.5 for f in FEATURES}
    assert m.probability({**base, "support": 1.0}) > m.probability({**base, "support": 0.0})
    assert m.probability({**base, "other_law": 1.0}) < m.probability({**base, "other_law": 0.0})
