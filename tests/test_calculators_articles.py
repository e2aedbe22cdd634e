"""Article loader: verbatim quotes only; display labels with 項/款."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.calculators import ArticleIndex, QuoteNotFoundError, quote


def test_quote_verbatim_and_amended() -> None:
    c = quote("招標期限標準", "9", "等標期得縮短三日")
    assert c.title == "招標期限標準" and c.no == "9" and c.amended == "2009-08-31"


@pytest.mark.parametrize("title,no,needle,fragment", [
    ("招標期限標準", "9", "等標期得縮短四日", "引文非"),
    ("招標期限標準", "9", "", "引文非"),
    ("招標期限標準", "99", "等標期", "不存在"),
    ("不存在的法規", "1", "x", "找不到法規"),
])
def test_quote_rejects(title: str, no: str, needle: str, fragment: str) -> None:
    with pytest.raises(QuoteNotFoundError, match=fragment):
        quote(title, no, needle)


@pytest.mark.parametrize("title,no,needle,label", [
    ("招標期限標準", "9", "等標期得縮短三日", "招標期限標準第9條第2款"),
    ("政府採購法", "13", "公告金額應低於查核金額", "政府採購法第13條第3項"),
    ("政府採購法", "30", "三、以議價方式辦理之採購，得免收押標金。", "政府採購法第30條第1項第3款"),
    ("招標期限標準", "4-1", "但縮短後不得少於十日", "招標期限標準第4條之1"),
    ("押標金保證金暨其他擔保作業辦法", "9", "但不得逾新臺幣五千萬元", "押標金保證金暨其他擔保作業辦法第9條第2項"),
])
def test_label(title: str, no: str, needle: str, label: str) -> None:
    ix = ArticleIndex.load()
    assert ix.label(ix.quote(title, no, needle)) == label


def test_custom_root(tmp_path: Path) -> None:
    law = {"title_zh": "範例辦法", "last_amended": "2020-01-01", "unit": "article",
           "articles": [{"no": "1", "label": "第 1 條", "chapter": None, "text": "本辦法為範例。"}]}
    (tmp_path / "x.json").write_text(json.dumps(law, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "notes.json").write_text("[1, 2]", encoding="utf-8")  # non-law JSON is skipped
    ix = ArticleIndex.load(tmp_path)
    assert ix.quote("範例辦法", "1", "為範例").amended == "2020-01-01"


def test_empty_or_missing_root(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="沒有法規檔案"):
        ArticleIndex.load(tmp_path)
    with pytest.raises(FileNotFoundError):
        ArticleIndex.load(tmp_path / "nope")
