"""Write a draft (投標須知, 函, 簽, or any ``assistant.models.Draft``) to a real Word .docx.

The drafts' Markdown is a small fixed subset (``# 標題``, ``## 節``, ``- 項目``, plain lines; a line
ending in two spaces continues the same block; leading full-width spaces indent; ``※`` starts a
note), so the .docx is rebuilt from it faithfully: A4 page, 標楷體 for Chinese text set in the
East-Asian font slot (``w:eastAsia``), ■/□ check boxes kept as text, a 「草稿」 header line on every page
and the page number in the footer (a Word PAGE field).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.font import CT_RPr
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run

BODY_FONT = "標楷體"
NOTE_FONT = "新細明體"
LATIN_FONT = "Times New Roman"
HEADER_TEXT = "草稿　本文件由 mishu 產生，僅供承辦人核對修改，非正式文件"
GREY = RGBColor(0x80, 0x80, 0x80)


class HasMarkdown(Protocol):
    markdown: str


class DocxWriteError(OSError):
    """The .docx could not be written (zh-TW message)."""


def _set_fonts(rpr: CT_RPr, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Set the fonts of a run's or a style's run properties (``w:rPr``)."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:cs"), latin)


def _run(p: Paragraph, text: str, *, size: float = 12, bold: bool = False, italic: bool = False,
         font: str = BODY_FONT, color: RGBColor | None = None) -> Run:
    r = p.add_run(text)
    # Body runs inherit 標楷體 (w:eastAsia) and 12 pt from the Normal style; only differences are written.
    if size != 12:
        r.font.size = Pt(size)
    if bold:
        r.font.bold = True
    if italic:
        r.font.italic = True
    if font != BODY_FONT:
        _set_fonts(r._element.get_or_add_rPr(), font)
    if color is not None:
        r.font.color.rgb = color
    return r


def _page_field(p: Paragraph) -> None:
    """Append a PAGE field (the current page number) to ``p``."""
    run = _run(p, "", size=10)
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    num = OxmlElement("w:t")
    num.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for el in (begin, instr, sep, num, end):
        run._element.append(el)


def _setup(doc: DocxDocument) -> None:
    for section in doc.sections:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.top_margin = section.bottom_margin = Cm(2.5)
        section.left_margin = section.right_margin = Cm(2.2)
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _run(header, HEADER_TEXT, size=9, color=GREY)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(footer, "第 ", size=10)
        _page_field(footer)
        _run(footer, " 頁", size=10)
    for name in ("Normal", "List Bullet", "Title", "Heading 1", "Heading 2"):
        style = doc.styles[name]
        style.font.name = LATIN_FONT
        _set_fonts(style.element.get_or_add_rPr(), BODY_FONT)
    doc.styles["Normal"].font.size = Pt(12)


def _indent(text: str) -> tuple[int, str]:
    n = len(text) - len(text.lstrip("　"))
    return n, text[n:]


def _strip_md(text: str) -> str:
    return text.replace("**", "")


def build_document(markdown: str) -> DocxDocument:
    """A python-docx Document for a draft's Markdown."""
    doc = Document()
    _setup(doc)
    title_done = False
    for raw in markdown.splitlines():
        line = _strip_md(raw.rstrip())
        if not line.strip():
            continue
        if line.startswith("# "):
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _run(p, line[2:].strip(), size=18 if not title_done else 16, bold=True)
            title_done = True
        elif line.startswith("## "):
            p = doc.add_paragraph()
            p.paragraph_format.space_before = Pt(12)
            _run(p, line[3:].strip(), size=14, bold=True)
        elif line.startswith("- "):
            p = doc.add_paragraph(style="List Bullet")
            body = line[2:]
            _run(p, body, color=RGBColor(0xC0, 0x00, 0x00) if body.startswith("⚠") else None)
        else:
            depth, body = _indent(line)
            p = doc.add_paragraph()
            p.paragraph_format.space_after = Pt(2)
            if depth:
                p.paragraph_format.left_indent = Cm(0.85 * depth)
            if body.startswith("※"):
                _run(p, body, size=10, italic=True, font=NOTE_FONT, color=GREY)
            else:
                _run(p, body)
    return doc


def to_docx(draft: HasMarkdown, path: str | Path) -> Path:
    """Write ``draft`` (anything with a ``markdown`` attribute) to ``path`` as .docx; returns the path.

    The file is written to a temporary name first and moved into place, so a failed write never leaves
    a half-written file or destroys an existing one.
    """
    target = Path(path)
    if target.suffix.lower() != ".docx":
        raise DocxWriteError(f"檔名須以 .docx 結尾：{target}")
    doc = build_document(draft.markdown)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".draft-", suffix=".docx", dir=target.parent)
        os.close(fd)
        try:
            doc.save(tmp)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        raise DocxWriteError(f"無法寫入 Word 檔 {target}：{exc.strerror or exc}") from exc
    return target
