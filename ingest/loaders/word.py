"""DOCX loader (python-docx): paragraphs and tables in document order; headings become '#' markers and
automatic list numbers (一、 (一) 1.) are rendered into the text."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from ingest.loaders.word_numbering import Numbering
from ingest.models import IngestError, LoadedDocument

_HEADING_RE = re.compile(r"^(?:heading|標題)\s*(\d)$", re.I)


def _heading_level(style_name: str) -> int | None:
    name = style_name.strip()
    if name.lower() == "title":
        return 1
    m = _HEADING_RE.match(name)
    return min(int(m[1]), 6) if m else None


def load_docx(path: Path, data: bytes) -> LoadedDocument:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise IngestError(path, "無法讀取：DOCX 檔案損毀或不是 Word 文件（.docx）") from e
    except Exception as e:
        raise IngestError(path, f"無法讀取：DOCX 檔案損毀或不是 Word 文件（{type(e).__name__}）") from e

    numbering = Numbering(document)
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            number = numbering.label(para)  # counted even for empty paragraphs, as Word does
            text = para.text.strip()
            if not text:
                lines.append("")
                continue
            text = number + text
            style = para.style.name if para.style is not None else ""
            level = _heading_level(style or "")
            lines.append(("#" * level + " " + text) if level else text)
        elif tag == "tbl":
            table = Table(child, document)
            lines.append("")
            for row in table.rows:
                cells: list[str] = []
                for cell in row.cells:
                    t = " ".join(cell.text.split())
                    if t and (not cells or cells[-1] != t):  # merged cells repeat their text
                        cells.append(t)
                if cells:
                    lines.append(" | ".join(cells))
            lines.append("")
    text = "\n".join(lines).strip()
    if not text:
        raise IngestError(path, "檔案沒有可用的文字內容（DOCX 內沒有文字）")
    title = (document.core_properties.title or "").strip()
    meta: dict[str, str | int | float | bool | None] = {"meta_title": title} if title else {}
    return LoadedDocument(path=str(path), fmt="docx", text=text, meta=meta)
