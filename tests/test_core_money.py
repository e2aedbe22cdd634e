"""core.money, the one amount parser (questions, calculators, drafts, imported records): exact integers, zh-TW
errors."""

from __future__ import annotations

from typing import Any

import pytest

from core.money import format_twd, parse_amount, short_twd, twd_staff


@pytest.mark.parametrize("text,expected", [
    ("250萬", 2_500_000), ("250萬元", 2_500_000), ("新臺幣2,500,000元", 2_500_000), ("新台幣 150 萬元", 1_500_000),
    ("NT$2.5M", 2_500_000), ("NT$ 2,500,000", 2_500_000), ("2,500,000", 2_500_000), ("二百五十萬", 2_500_000),
    ("兩百五十萬元", 2_500_000), ("壹佰伍拾萬元整", 1_500_000), ("1.5億", 150_000_000), ("3千萬", 30_000_000),
    ("1億5,000萬", 150_000_000), ("一億五千萬", 150_000_000), ("十五萬", 150_000), ("一千零五十", 1_050),
    ("１５０萬", 1_500_000), ("250萬5000", 2_505_000), ("150,000元", 150_000), ("0", 0), ("20K", 20_000),
    ("1千5百萬", 15_000_000), ("一萬零五百", 10_500), ("两百五十万", 2_500_000), ("1.5亿", 150_000_000),
    ("新台币1200万元", 12_000_000),
])
def test_parse(text: str, expected: int) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text,fragment", [
    ("-5", "負數"), ("負100萬", "負數"), ("一萬五", "不明確"), ("二百五", "不明確"), ("250萬5", "不明確"),
    ("abc", "無法辨識"), ("2,50", "千分位"), ("1.23456萬", "整數"), ("1.5", "整數"), ("", "空"), ("萬", "缺少數字"),
    ("2 5", "空白"), ("NT$", "沒有數字"),
])
def test_parse_errors(text: str, fragment: str) -> None:
    with pytest.raises(ValueError) as exc:
        parse_amount(text)
    assert fragment in str(exc.value) and "無法解析金額" in str(exc.value)


@pytest.mark.parametrize("n,expected", [
    (2_500_000, "新臺幣2,500,000元（250萬元）"), (50_000_000, "新臺幣50,000,000元（5,000萬元）"),
    (200_000_000, "新臺幣200,000,000元（2億元）"), (123_456_789, "新臺幣123,456,789元（1億2,345萬6,789元）"),
    (9_999, "新臺幣9,999元"), (0, "新臺幣0元"), (10_000, "新臺幣10,000元（1萬元）"),
])
def test_format(n: int, expected: str) -> None:
    assert format_twd(n) == expected


def test_format_round_trip() -> None:
    for n in (1, 150_000, 1_500_000, 10_000_000, 123_456_789, 2_000_000_000):
        assert parse_amount(short_twd(n)) == n


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_format_rejects(bad: Any) -> None:
    with pytest.raises(ValueError):
        format_twd(bad)  # deliberately not a non-negative int


# --- forms staff write in imported records (the records importer reads amounts here too) ----------------
@pytest.mark.parametrize(("text", "value"), [
    ("1,500,000", 1_500_000), ("150萬", 1_500_000), ("1.5億", 150_000_000), ("新臺幣150萬元", 1_500_000),
    ("NT$12,345", 12_345), ("150萬5000", 1_505_000), ("３０萬", 300_000), ("一百五十萬", 1_500_000), (42, 42), (0, 0),
])
def test_record_amounts(text: str | int, value: int) -> None:
    assert parse_amount(text) == value


@pytest.mark.parametrize("bad", ["abc", "", "-5", "1.23456萬元", "150萬多", "1,500,00", "15,00000", -5, True])
def test_record_amounts_rejected(bad: str | int) -> None:
    with pytest.raises(ValueError, match="金額|千分位"):
        parse_amount(bad)


@pytest.mark.parametrize("n,expected", [
    (375_000, "37萬5,000元（375,000元）"), (2_500_000, "250萬元"), (9_999, "9,999元"), (0, "0元"),
    (123_456_789, "1億2,345萬6,789元（123,456,789元）"),
])
def test_twd_staff(n: int, expected: str) -> None:
    assert twd_staff(n) == expected
