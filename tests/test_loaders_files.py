"""Loaders on generated files: PDF, DOCX, TXT encodings, HTML, Markdown front matter, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.ingest_docs import make_blank_pdf, make_docx, make_pdf

from core.access import AccessLevel
from core.vocab import Domain, Unit
from ingest.loaders import load_path
from ingest.models import IngestError
from ingest.structure import parse_structure

MAX = 2_000_000

LAW_PAGE_1 = ["政府採購法", "第 1 頁，共 3 頁", "第一章 總則", "第 1 條",
              "為建立政府採購制度，依公平、公開之採購程序，提升採購效率與功能，確保採購品質，爰制定本法。",
              "第 2 條", "本法所稱採購，指工程之定作、財物之買受、定製、承租及勞務之委任或僱傭等。"]
LAW_PAGE_2 = ["政府採購法", "第 2 頁，共 3 頁", "第 3 條",
              "政府機關、公立學校、公營事業（以下簡稱機關）辦理採購，依本法之規定；本法未規定者，適用其他法律之規定。"]
LAW_PAGE_3 = ["政府採購法", "第 3 頁，共 3 頁", "第二章 招標", "第 18 條",
              "採購之招標方式，分為公開招標、選擇性招標及限制性招標。"]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def test_pdf_with_traditional_chinese(tmp_path: Path) -> None:
    p = _write(tmp_path, "procurement/gpa.pdf", make_pdf([LAW_PAGE_1, LAW_PAGE_2, LAW_PAGE_3], title="政府採購法"))
    (doc,) = load_path(p, max_bytes=MAX)
    assert doc.fmt == "pdf" and doc.meta["meta_title"] == "政府採購法" and doc.domain == Domain.procurement
    assert "為建立政府採購制度" in doc.text
    assert "第 2 頁" not in doc.text  # page numbers removed
    assert doc.text.count("政府採購法") == 0  # the repeated running header is gone
    sd = parse_structure(doc)
    assert sd.unit == Unit.article
    assert [(s.no, s.chapter) for s in sd.sections] == [
        ("1", ["第一章 總則"]), ("2", ["第一章 總則"]), ("3", ["第一章 總則"]), ("18", ["第二章 招標"])]
    assert sd.sections[3].text == "採購之招標方式，分為公開招標、選擇性招標及限制性招標。"


def test_encrypted_pdf(tmp_path: Path) -> None:
    p = _write(tmp_path, "secret.pdf", make_pdf([LAW_PAGE_1], encrypt_password="pw"))
    with pytest.raises(IngestError, match="PDF 已加密") as e:
        load_path(p, max_bytes=MAX)
    assert e.value.path == str(p)


def test_corrupt_pdf(tmp_path: Path) -> None:
    good = make_pdf([LAW_PAGE_1])
    p = _write(tmp_path, "broken.pdf", b"%PDF-1.4\n" + b"\x00garbage" * 50)
    with pytest.raises(IngestError, match="PDF 檔案損毀或格式不正確|沒有可擷取的文字"):
        load_path(p, max_bytes=MAX)
    p2 = _write(tmp_path, "truncated.pdf", good[: len(good) // 3])
    with pytest.raises(IngestError, match="無法讀取"):
        load_path(p2, max_bytes=MAX)
    p3 = _write(tmp_path, "notpdf.pdf", "這不是 PDF".encode())
    with pytest.raises(IngestError, match="PDF 檔案損毀或格式不正確"):
        load_path(p3, max_bytes=MAX)


def test_pdf_without_text_needs_ocr(tmp_path: Path) -> None:
    p = _write(tmp_path, "scan.pdf", make_blank_pdf())
    with pytest.raises(IngestError, match="可能是掃描影像，需要先 OCR"):
        load_path(p, max_bytes=MAX)


def test_empty_and_oversize_files(tmp_path: Path) -> None:
    for name in ("empty.pdf", "empty.txt", "empty.docx", "empty.json"):
        with pytest.raises(IngestError, match="檔案是空的"):
            load_path(_write(tmp_path, name, b""), max_bytes=MAX)
    with pytest.raises(IngestError, match="檔案是空的"):
        load_path(_write(tmp_path, "blank.md", b"  \n\n "), max_bytes=MAX)
    big = _write(tmp_path, "big.txt", "採購".encode() * 1000)
    with pytest.raises(IngestError, match=r"檔案太大：.*6,000 位元組.*超過上限.*1,000 位元組"):
        load_path(big, max_bytes=1000)
    with pytest.raises(IngestError, match="找不到檔案"):
        load_path(tmp_path / "missing.txt", max_bytes=MAX)
    with pytest.raises(IngestError, match="不支援的檔案類型「.xls」"):
        load_path(_write(tmp_path, "table.xls", b"x"), max_bytes=MAX)


def test_docx_headings_paragraphs_and_table(tmp_path: Path) -> None:
    data = make_docx([
        ("h1", "市政大樓消防防護計畫（範例）"),
        ("h2", "壹、總則"),
        ("p", "本計畫依消防法第十三條訂定。"),
        ("h2", "貳、自衛消防編組"),
        ("h3", "一、編組"),
        ("p", "編組如下表："),
        ("table", [["班別", "任務"], ["滅火班", "初期滅火"], ["通報班", "通報119"]]),
        ("h3", "二、訓練"),
        ("p", "每半年至少舉辦一次。"),
    ], title="市政大樓消防防護計畫")
    p = _write(tmp_path, "plans/fire-plan.docx", data)
    (doc,) = load_path(p, max_bytes=MAX)
    assert doc.fmt == "docx" and doc.meta["meta_title"] == "市政大樓消防防護計畫" and doc.domain == Domain.plan
    assert "## 壹、總則" in doc.text and "滅火班 | 初期滅火" in doc.text
    sd = parse_structure(doc)
    assert sd.unit == Unit.section and sd.title == "市政大樓消防防護計畫（範例）"  # the single h1 wins
    by_no = {s.no: s for s in sd.sections}
    assert set(by_no) == {"壹", "貳/1", "貳/2"}
    assert by_no["貳/1"].text == "編組如下表：\n班別 | 任務\n滅火班 | 初期滅火\n通報班 | 通報119"
    assert by_no["貳/1"].label == "貳、自衛消防編組 > 一、編組"


def test_corrupt_docx(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="DOCX 檔案損毀或不是 Word 文件"):
        load_path(_write(tmp_path, "bad.docx", b"PK\x03\x04 not really a zip"), max_bytes=MAX)


def test_big5_txt(tmp_path: Path) -> None:
    text = "臺中市政府秘書處採購作業要點\n一、為辦理採購，特訂定本要點。\n二、本要點所稱機關，指本府各機關。\n"
    p = _write(tmp_path, "procurement/points-big5.txt", text.encode("big5"))
    (doc,) = load_path(p, max_bytes=MAX)
    assert doc.text == text and doc.meta["encoding"] == "cp950"
    sd = parse_structure(doc)
    assert sd.unit == Unit.point and [s.no for s in sd.sections] == ["1", "2"]
    assert sd.title == "臺中市政府秘書處採購作業要點"


def test_utf8_bom_and_gb18030_txt(tmp_path: Path) -> None:
    (doc,) = load_path(_write(tmp_path, "a.txt", "\ufeff第1條\n檔案應保存。".encode()), max_bytes=MAX)
    assert doc.text.startswith("第1條") and doc.meta["encoding"] == "utf-8"
    simplified = "档案管理办法\n第一条 为加强档案管理，特制定本办法。"
    (doc2,) = load_path(_write(tmp_path, "b.txt", simplified.encode("gb18030")), max_bytes=MAX)
    assert doc2.text == simplified and doc2.meta["encoding"] == "gb18030"


def test_unknown_encoding_and_binary(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="無法辨識文字編碼"):
        load_path(_write(tmp_path, "weird.txt", b"\x80\x80\xff\xfe\xfa" * 20), max_bytes=MAX)
    with pytest.raises(IngestError, match="二進位檔案"):
        load_path(_write(tmp_path, "bin.txt", b"abc\x00\x01\x02def"), max_bytes=MAX)


def test_html_strips_scripts_and_keeps_blocks(tmp_path: Path) -> None:
    html = """<!doctype html><html><head><meta charset="utf-8"><title>防火管理 | 新竹市消防局</title>
    <style>.x{color:red}</style><script>var a = "第99條 不該出現";</script></head>
    <body><nav>首頁 &gt; 防火管理</nav>
    <h1>防火管理</h1>
    <h2>一、防火管理人</h2><p>防火管理人應為管理或監督層次人員。<br>每三年至少應接受複訓一次。</p>
    <h2>二、消防防護計畫</h2><ul><li>(一)自衛消防編組。</li><li>(二)防火避難設施之自行檢查。</li></ul>
    <table><tr><th>班別</th><th>人數</th></tr><tr><td>滅火班</td><td>2</td></tr></table>
    <noscript>請開啟 JavaScript</noscript></body></html>"""
    p = _write(tmp_path, "emergency/fire.html", html.encode("utf-8"))
    (doc,) = load_path(p, max_bytes=MAX)
    assert doc.title == "防火管理 | 新竹市消防局" and doc.domain == Domain.emergency
    assert "第99條" not in doc.text and "color:red" not in doc.text and "JavaScript" not in doc.text
    lines = doc.text.split("\n")
    assert "# 防火管理" in lines and "## 一、防火管理人" in lines
    assert "每三年至少應接受複訓一次。" in lines and "(一)自衛消防編組。" in lines
    assert "班別 | 人數" in lines and "滅火班 | 2" in lines
    sd = parse_structure(doc)
    assert [s.no for s in sd.sections][-2:] == ["1", "2"] or [s.no for s in sd.sections] == ["前言", "1", "2"]


def test_big5_html_with_meta_charset(tmp_path: Path) -> None:
    html = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=big5"></head>' \
           "<body><p>檔案管理作業要點</p></body></html>"
    (doc,) = load_path(_write(tmp_path, "archives/a.htm", html.encode("big5")), max_bytes=MAX)
    assert doc.text == "檔案管理作業要點" and doc.domain == Domain.archives


def test_markdown_front_matter(tmp_path: Path) -> None:
    md = """---
doc_id: city-hall-fire-plan
title: "市政大樓消防防護計畫（範例）"
domain: plan
version: 2026-01
sample: true
access_level: restricted
amended: 115.1.5
owner: 秘書處事務科
---
# 市政大樓消防防護計畫（範例）

## 壹、總則
本計畫依消防法第十三條訂定。

## 貳、自衛消防編組
### 一、編組
分為滅火班、通報班及避難引導班。
"""
    p = _write(tmp_path, "misc/plan.md", md.encode("utf-8"))
    (doc,) = load_path(p, max_bytes=MAX)
    assert doc.doc_id == "city-hall-fire-plan" and doc.domain == Domain.plan
    assert doc.meta["owner"] == "秘書處事務科" and doc.meta["sample"] is True
    assert "doc_id:" not in doc.text
    sd = parse_structure(doc)
    assert sd.title == "市政大樓消防防護計畫（範例）" and sd.version == "2026-01"
    assert sd.access_level == AccessLevel.restricted and sd.amended is not None and sd.amended.year == 2026
    assert sd.note is not None and sd.note.startswith("範例資料")
    assert [s.no for s in sd.sections] == ["壹", "貳/1"]


def test_markdown_bad_front_matter_values(tmp_path: Path) -> None:
    p = _write(tmp_path, "x.md", "---\ndomain: cooking\n---\n# 標題\n內容。".encode())
    with pytest.raises(IngestError, match="domain 不正確：cooking"):
        load_path(p, max_bytes=MAX)


def test_domain_from_keywords_and_doc_id_slug(tmp_path: Path) -> None:
    p = _write(tmp_path, "inbox/Records Retention 2024.txt",
               "機關檔案保存年限\n一、檔案之銷毀應依規定辦理。\n二、檔案保存年限依檔案法定之。".encode())
    (doc,) = load_path(p, max_bytes=MAX)
    assert doc.domain == Domain.archives and doc.doc_id == "records-retention-2024"
    p2 = _write(tmp_path, "templates/招標公告範本.md", "# 招標公告\n內容。".encode())
    (doc2,) = load_path(p2, max_bytes=MAX)
    assert doc2.domain == Domain.template and doc2.doc_id == "招標公告範本"


def test_markdown_cleanup_keeps_structure(tmp_path: Path) -> None:
    md = "<!-- 編輯說明 -->\n# 作業手冊\n> **注意**：本文件為範例。\n\n## 壹、總則\n| 欄 | 值 |\n|---|---|\n| 甲 | 乙 |\n"
    (doc,) = load_path(_write(tmp_path, "archives/m.md", md.encode()), max_bytes=MAX)
    assert "編輯說明" not in doc.text and "**" not in doc.text and "|---|" not in doc.text
    sd = parse_structure(doc)
    assert [(s.no, s.text) for s in sd.sections] == [("前言", "注意：本文件為範例。"), ("壹", "| 欄 | 值 |\n| 甲 | 乙 |")]


def test_hard_wrapped_multi_page_pdf_of_a_real_law(tmp_path: Path) -> None:
    from fixtures.ingest_docs import article, law_json, paginate, wrap_lines

    law = law_json("procurement/procurement-act.json")
    nos = ["18", "19", "20", "21", "22", "23", "24"]
    body = ["第二章 招標"]
    for no in nos:
        base, _, sub = no.partition("-")
        body.append(f"第 {base} 條" + (f"之{sub}" if sub else ""))
        body.extend(wrap_lines(article(law, no)["text"], 36))
    pages = paginate(body, 25, "政府採購法")
    assert len(pages) >= 3
    p = _write(tmp_path, "gpa-wrapped.pdf", make_pdf(pages))
    (doc,) = load_path(p, max_bytes=MAX)
    assert "頁，共" not in doc.text and "政府採購法" not in doc.text
    sd = parse_structure(doc)
    assert [s.no for s in sd.sections] == nos
    for s in sd.sections:
        original = article(law, s.no)["text"]
        assert "".join(s.text.split()) == "".join(original.split()), s.no
    s22 = next(s for s in sd.sections if s.no == "22")
    assert s22.text == article(law, "22")["text"]  # wraps joined back exactly at the original line breaks


def test_article_markers_at_every_page_top_are_not_headers(tmp_path: Path) -> None:
    pages = [["臺中市政府某某辦法", f"第 {n} 條", f"本辦法第{n}條之內容，依規定辦理。", f"- {n} -"] for n in range(1, 5)]
    (doc,) = load_path(_write(tmp_path, "archives/rules.pdf", make_pdf(pages)), max_bytes=MAX)
    sd = parse_structure(doc)
    assert [s.no for s in sd.sections] == ["1", "2", "3", "4"]
    assert sd.sections[2].text == "本辦法第3條之內容，依規定辦理。"
    assert "某某辦法" not in doc.text and "- 3 -" not in doc.text


def test_docx_automatic_numbering_is_rendered(tmp_path: Path) -> None:
    from fixtures.ingest_docs import make_numbered_docx

    data = make_numbered_docx(
        [(0, "本採購適用政府採購法及其主管機關所訂定之規定。"),
         (0, "本標案名稱：辦公大樓清潔勞務。"),
         (0, "投標廠商之基本資格如下："),
         (1, "依法辦理公司或商業登記者。"),
         (1, "其他經機關認定者。"),
         (0, "本須知未載明之事項，依政府採購法規定辦理。")],
        levels=[("taiwaneseCountingThousand", "%1、"), ("taiwaneseCountingThousand", "(%2)")],
    )
    p = _write(tmp_path, "templates/tender-instructions.docx", data)
    (doc,) = load_path(p, max_bytes=MAX)
    assert doc.text.split("\n")[:4] == ["一、本採購適用政府採購法及其主管機關所訂定之規定。", "二、本標案名稱：辦公大樓清潔勞務。",
                                        "三、投標廠商之基本資格如下：", "(一)依法辦理公司或商業登記者。"]
    sd = parse_structure(doc.model_copy(update={"title": "投標須知（範例）"}))
    assert sd.unit == Unit.point and sd.domain == Domain.template
    assert [s.no for s in sd.sections] == ["1", "2", "3", "4"]
    assert sd.sections[2].text == "投標廠商之基本資格如下：\n(一)依法辦理公司或商業登記者。\n(二)其他經機關認定者。"


@pytest.mark.parametrize("n,fmt,expected", [
    (22, "taiwaneseCountingThousand", "二十二"), (3, "chineseLegalSimplified", "參"), (2, "ideographTraditional", "乙"),
    (4, "decimal", "4"), (12, "upperRoman", "XII"), (3, "lowerLetter", "c"), (105, "ideographDigital", "一〇五"),
])
def test_word_number_formats(n: int, fmt: str, expected: str) -> None:
    from ingest.loaders.word_numbering import format_number

    assert format_number(n, fmt) == expected


def test_pdf_title_from_text_and_junk_metadata_title(tmp_path: Path) -> None:
    pdf = make_pdf([["政府採購法", "第 1 條", "為建立政府採購制度，特制定本法。", "第 2 條", "本法所稱採購，指工程之定作。"]])
    (doc,) = load_path(_write(tmp_path, "procurement/x.pdf", pdf), max_bytes=MAX)  # reportlab says "untitled"
    assert "meta_title" not in doc.meta
    assert parse_structure(doc).title == "政府採購法"
