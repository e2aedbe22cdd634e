"""Answer types and the answerability model's data file (no index needed)."""

from __future__ import annotations

import json

from assistant.answer_type import answer_types
from assistant.answerability import CUES, FEATURES, ask_core, floor_passed, local_cues, model, named_laws


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


def test_values_are_the_value_itself_not_a_word_for_it() -> None:
    t = answer_types()
    assert t.wants_value("amount") and t.wants_value("phone") and t.wants_value("duration")
    assert not t.wants_value("procedure") and not t.wants_value("count")  # a list of kinds answers 「哪幾種」
    assert t.carries("amount", "審議費之收費金額，由主管機關定之。")  # 金額 is a word for an amount …
    assert not t.holds_value("amount", "審議費之收費金額，由主管機關定之。")  # … but no figure
    assert t.holds_value("amount", "押標金額度不得逾預算金額或預估採購總額之百分之五。")
    assert t.holds_value("duration", "應於收受之次日起十五日內為之。")
    assert not t.holds_value("duration", "其期限由主管機關定之。")
    assert t.holds_value("procedure", "任何一行")


def test_ask_core_drops_a_situation_told_first() -> None:
    assert ask_core("颱風把停車場圍牆吹倒了，要馬上找廠商搶修，可以先不用招標嗎？") == "可以先不用招標嗎"
    assert ask_core("同事下個月調職，他櫃子裡還有承辦中的案卷，交接時有什麼規定？") == "交接時有什麼規定"
    # an asking clause without content keeps the clause before it
    assert ask_core("廠商送來一盒月餅，退也退不回去，該怎麼處理？") == "退也退不回去，該怎麼處理"
    # no asking clause (an exam-style statement): the whole text
    s = "公務員洩漏職務上應秘密之公文內容，依刑法處三年以下有期徒刑。"
    assert ask_core(s) == s



def test_local_cues_are_structural_and_each_has_a_reason() -> None:
    data = json.loads(CUES.read_text(encoding="utf-8"))
    assert all(e["reason"].strip() for g in ("deixis", "directory") for e in data[g])
    cues = local_cues()
    assert cues.points_here("本處今年度的年度採購計畫要在幾月幾號前送出？")
    assert cues.points_here("科裡的分機是幾號？")
    assert not cues.points_here("本法所稱採購，指工程之定作。")  # 本法 is the law speaking, not the caller's office
    assert cues.asks_directory("押標金匯款要匯到哪一個帳戶？帳號多少？")
    assert cues.asks_directory("現在負責檔案銷毀的承辦人是誰？")
    assert not cues.asks_directory("押標金最多收多少？")


def test_floor_needs_domain_and_support() -> None:
    x = {f: 0.0 for f in FEATURES}
    assert not floor_passed(True, {**x, "support": 0.05})
    assert floor_passed(True, {**x, "support": 0.25})
    assert not floor_passed(False, {**x, "support": 0.9})  # out of the domains


def test_new_evidence_features_are_in_the_model_file() -> None:
    m = model()
    for f in ("core_support", "core_cover", "value_missing", "local", "directory"):
        assert f in m.weights


def test_probability_needs_only_the_weighted_features() -> None:
    """A feature of weight 0 adds exactly 0: the probability over the weighted features alone is the same
    number, so an ask computes only those (Composer.evidence) and the answer does not change."""
    from assistant.answerability import AnswerabilityModel

    m = model()
    assert set(m.used) == {f for f in FEATURES if m.weights[f] != 0}
    x = {f: (i % 5) / 4 for i, f in enumerate(FEATURES)}
    full = m.bias + sum(m.weights[f] * x[f] for f in FEATURES)
    import math

    assert m.probability(x) == 1.0 / (1.0 + math.exp(-full))
    assert m.probability({f: x[f] for f in m.used}) == m.probability(x)
    zero = AnswerabilityModel(weights={f: 0.0 for f in FEATURES} | {"vocab": 1.0}, bias=0.0, threshold=0.5)
    assert zero.used == ("vocab",)
