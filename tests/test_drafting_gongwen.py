"""函 and 簽 drafts (公文程式條例 plus the common 文書處理手冊 layout) and their .docx."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import docx
import pytest

from assistant.calculators import ArticleIndex
from assistant.drafting import (
    GongwenInputError,
    LetterInput,
    MemoInput,
    draft_letter,
    draft_memo,
    to_docx,
)

ON = date(2026, 11, 27)

FULL_LETTER = {
    "發文機關": "臺中市政府秘書處", "承辦單位": "事務科", "地址": "40701臺中市西屯區臺灣大道三段99號（範例）",
    "承辦人": "王小明（範例）", "電話": "04-22289111#00000（範例）",
    "受文者": "臺中市各區公所（範例）", "發文日期": "2026-11-27", "發文字號": "府授秘事字第1150000000號（範例）",
    "速別": "普通件", "密等": "普通", "附件": ["AED檢查紀錄表", "資料庫登錄說明"],
    "行文方向": "上行", "主旨": "請轄內各區公所完成AED定期檢查並登錄資料庫",
    "說明": ["依公共場所必要緊急救護設備管理辦法第7條辦理", "請於本年12月31日前完成"],
    "辦法": ["檢查結果請登錄衛生福利部AED資料庫"], "副本": ["本府衛生局（範例）"],
}


def test_letter_with_all_parts_and_roc_date() -> None:
    d = draft_letter(FULL_LETTER, on=ON, articles=ArticleIndex.load())
    md = d.markdown
    assert d.kind == "letter" and d.missing_fields == []
    assert md.startswith("# 臺中市政府秘書處　函（草稿）")
    order = ["地址：", "承辦人：", "受文者：臺中市各區公所（範例）", "發文日期：中華民國115年11月27日",
             "發文字號：府授秘事字第1150000000號（範例）", "速別：普通件", "密等及解密條件或保密期限：普通",
             "附件：1.AED檢查紀錄表、2.資料庫登錄說明", "## 主旨", "## 說明", "## 辦法", "正本：臺中市各區公所（範例）",
             "副本：本府衛生局（範例）"]
    positions = [md.index(s) for s in order]
    assert positions == sorted(positions)
    assert "請轄內各區公所完成AED定期檢查並登錄資料庫，請鑒核。" in md
    assert "一、依公共場所必要緊急救護設備管理辦法第7條辦理。" in md and "二、請於本年12月31日前完成。" in md
    assert "【待補" not in md
    assert any("文書處理手冊" in n for n in d.notes)
    assert {c.no for c in d.citations} >= {"2", "6", "7"}
    assert d.to_draft().kind == "letter"


@pytest.mark.parametrize("text", ["115.11.27", "民國115年11月27日", "2026/11/27"])
def test_letter_date_accepts_roc_and_iso(text: str) -> None:
    d = draft_letter({**FULL_LETTER, "發文日期": text})
    assert "發文日期：中華民國115年11月27日" in d.markdown


def test_letter_missing_parts_are_pending() -> None:
    d = draft_letter({"主旨": "檢送本處檔案銷毀計畫，請審核"}, on=ON)
    for name in ("發文機關", "受文者", "發文字號", "速別", "附件"):
        assert name in d.missing_fields
        assert f"【待補：{name}】" in d.markdown
    assert "檢送本處檔案銷毀計畫，請審核。" in d.markdown  # the user's own 期望語 is kept, not doubled
    assert "發文日期：中華民國115年11月27日" in d.markdown
    from assistant.drafting import gongwen
    no_date = gongwen.draft_letter(LetterInput(subject="x"), on=None)  # the facade would default to today
    assert "發文日期" in no_date.missing_fields and "【待補：發文日期】" in no_date.markdown


def test_letter_ending_by_direction() -> None:
    assert "，請查照。" in draft_letter({**FULL_LETTER, "行文方向": "下行"}).markdown
    assert "，請查照。" in draft_letter({**FULL_LETTER, "行文方向": "平行"}).markdown


def test_bad_letter_input() -> None:
    with pytest.raises(GongwenInputError, match="日期"):
        LetterInput.from_dict({"發文日期": "下週一"})
    with pytest.raises(GongwenInputError, match="無法辨識的公文欄位"):
        LetterInput.from_dict({"顏色": "紅"})
    with pytest.raises(GongwenInputError, match="速別"):
        LetterInput.from_dict({"速別": "超級快"})


def test_memo_format(tmp_path: Path) -> None:
    memo = MemoInput.from_dict({
        "機關": "臺中市政府秘書處", "單位": "事務科", "主旨": "擬辦理本年度下半年市政大樓消防演練",
        "說明": ["依消防法施行細則第5條，每半年至少應舉辦一次"], "擬辦": ["奉核後通報消防局", "於12月辦理"],
        "陳核": ["科長", "副處長", "處長"], "承辦人": "王小明（範例）"})
    d = draft_memo(memo, on=ON)
    md = d.markdown
    assert md.startswith("# 簽　於秘書處事務科（草稿）")
    assert "日期：中華民國115年11月27日" in md
    assert md.index("## 主旨") < md.index("## 說明") < md.index("## 擬辦") < md.index("敬陳")
    assert "擬辦理本年度下半年市政大樓消防演練，請核示。" in md
    assert "一、奉核後通報消防局。" in md and "二、於12月辦理。" in md
    assert "敬陳　科長　轉陳　副處長　轉陳　處長" in md
    assert d.missing_fields == []
    path = to_docx(d, tmp_path / "簽.docx")
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "簽　於秘書處事務科" in text and "敬陳　科長" in text


def test_memo_missing_and_topic_items() -> None:
    d = draft_memo({"case": {"機關": "臺中市政府秘書處", "單位": "營繕科", "預算金額": 60_000_000},
                    "主旨": "簽請核定「市政大樓空調汰換工程（範例）」底價"}, on=ON)
    assert "簽請核定「市政大樓空調汰換工程（範例）」底價。" in d.markdown
    for name in ("預估金額及分析", "擬辦", "陳核層級"):
        assert name in d.missing_fields and f"【待補：{name}】" in d.markdown
    assert "預算金額新臺幣60,000,000元" in d.markdown
