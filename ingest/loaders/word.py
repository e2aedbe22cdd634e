"""DOCX loader (python-docx): paragraphs and tables in document order; headings become '#' markers and
automatic list numbers (一、 (一) 1.) are rendered into the text."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

from ingest.loaders._common import hidden_meta
from ingest.loaders.word_numbering import Numbering
from ingest.models import IngestError, LoadedDocument

_HEADING_RE = re.compile(r"^(?:heading|標題)\s*(\d)$", re.I)


def _heading_level(style_name: str) -> int | None:
    name = style_name.strip()
    if name.lower() == "title":
        return 1
    m = _HEADING_RE.match(name)
    return min(int(m[1]), 6) if m else None


# A DOCX is a ZIP: deflate reaches about 1000:1, so the file size limit says little about what python-docx
# would inflate into memory. Members are counted and their real inflated sizes summed (streamed, so a
# central directory that lies about sizes does not help) before python-docx opens the file.
MAX_ZIP_MEMBERS = 5000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024


def check_zip_limits(path: Path, data: bytes, *, max_members: int = MAX_ZIP_MEMBERS,
                     max_total: int = MAX_ZIP_UNCOMPRESSED) -> None:
    """Raise IngestError when the ZIP has too many members or inflates beyond ``max_total`` bytes."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > max_members:
                raise IngestError(path, f"無法讀取：DOCX 內含 {len(infos):,} 個檔案，超過上限 {max_members:,} 個")
            total = 0
            for info in infos:
                with zf.open(info) as member:
                    while block := member.read(1 << 20):
                        total += len(block)
                        if total > max_total:
                            raise IngestError(path, f"無法讀取：DOCX 解壓縮後超過上限 {max_total // (1024 * 1024)} MB"
                                                    "（可能是壓縮炸彈）")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, EOFError, ValueError) as e:
        raise IngestError(path, "無法讀取：DOCX 檔案損毀或不是 Word 文件（.docx）") from e
    except OSError as e:
        raise IngestError(path, f"無法讀取：DOCX 檔案損毀（{type(e).__name__}）") from e


_MIN_RUN_PT = 1.5  # a run smaller than this is unreadable (Word's smallest size in the menu is 8 pt)


def _hidden_kind(run: Any) -> str | None:
    """Why nobody sees ``run`` in Word: hidden (w:vanish), white, or too small to read; None when visible."""
    font = run.font
    if font.hidden:
        return "隱藏格式文字"
    try:
        rgb = font.color.rgb if font.color is not None and font.color.type is not None else None
    except (ValueError, AttributeError):
        rgb = None
    if rgb is not None and str(rgb).upper() == "FFFFFF" and not font.highlight_color:
        return "白色字"
    if font.size is not None and font.size.pt < _MIN_RUN_PT:
        return "極小字"
    return None


def _visible_text(para: Any, hidden: Counter[str]) -> str:
    """The paragraph's text without the runs nobody sees in Word (hidden, white, tiny): they are not
    indexed, and their characters are counted per kind in ``hidden``."""
    from docx.text.run import Run

    # Judge each run as it comes: python-docx makes a new proxy object per access, so ids of earlier
    # proxies are reused by later ones and cannot key a lookup (a visible run once inherited a hidden
    # run's id and was dropped).
    if not any(_hidden_kind(r) for r in para.runs):
        return str(para.text)
    out = []
    for x in para.iter_inner_content():
        kind = _hidden_kind(x) if isinstance(x, Run) else None
        if kind:
            hidden[kind] += len("".join(x.text.split()))
        else:
            out.append(x.text)
    return "".join(out)


def load_docx(path: Path, data: bytes) -> LoadedDocument:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_zip_limits(path, data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise IngestError(path, "無法讀取：DOCX 檔案損毀或不是 Word 文件（.docx）") from e
    except Exception as e:
        raise IngestError(path, f"無法讀取：DOCX 檔案損毀或不是 Word 文件（{type(e).__name__}）") from e

    numbering = Numbering(document)
    hidden: Counter[str] = Counter()
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            number = numbering.label(para)  # counted even for empty paragraphs, as Word does
            text = _visible_text(para, hidden).strip()
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
    meta.update(hidden_meta(hidden))
    return LoadedDocument(path=str(path), fmt="docx", text=text, meta=meta)
