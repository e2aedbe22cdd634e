"""Plain text, Markdown (with front matter) and HTML loaders."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from core.dates import parse_date
from core.vocab import Domain, Unit
from ingest.loaders._common import decode_text, hidden_meta, split_front_matter
from ingest.models import IngestError, LoadedDocument


def load_txt(path: Path, data: bytes) -> LoadedDocument:
    text, enc = decode_text(path, data)
    if not text.strip():
        raise IngestError(path, "檔案是空的（沒有文字內容）")
    return LoadedDocument(path=str(path), fmt="txt", text=text, meta={"encoding": enc})


_TRUE = ("1", "true", "yes", "y", "是")


_MD_COMMENT = re.compile(r"<!--.*?-->", re.S)
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")


def clean_markdown(body: str) -> str:
    """Drop HTML comments and table rule rows, unwrap block quotes and bold markers; keep '#' headings,
    lists and table rows (the structure parser reads them)."""
    body = _MD_COMMENT.sub("", body)
    lines = []
    for line in body.split("\n"):
        if _MD_TABLE_RULE.match(line):
            continue
        line = re.sub(r"^\s*>\s?", "", line)
        lines.append(_MD_BOLD.sub(r"\2", line))
    return "\n".join(lines)


def load_markdown(path: Path, data: bytes) -> LoadedDocument:
    text, enc = decode_text(path, data)
    front, body = split_front_matter(text)
    body = clean_markdown(body)
    if not body.strip():
        raise IngestError(path, "檔案是空的（沒有文字內容）")
    doc = LoadedDocument(path=str(path), fmt="md", text=body, meta={"encoding": enc})
    apply_front_matter(doc, front)
    return doc


def apply_front_matter(doc: LoadedDocument, front: dict[str, str]) -> None:
    """Front matter keys: doc_id/id, title, domain, unit, version, amended/date, effective, sample,
    access_level, partial, url, note. Unknown keys are kept in ``meta``."""
    path = doc.path
    for key, value in front.items():
        if key in ("doc_id", "id"):
            doc.doc_id = value
        elif key in ("title", "title_zh"):
            doc.title = value
        elif key == "domain":
            try:
                doc.domain = Domain(value)
            except ValueError:
                allowed = "、".join(d.value for d in Domain)
                raise IngestError(path, f"front matter 的 domain 不正確：{value}（可用 {allowed}）") from None
        elif key == "unit":
            try:
                doc.unit = Unit(value)
            except ValueError:
                raise IngestError(path, f"front matter 的 unit 不正確：{value}（可用 article、point、section）") from None
        elif key in ("amended", "date", "last_amended", "version_date"):
            try:
                doc.amended = parse_date(value)
            except ValueError as e:
                raise IngestError(path, f"front matter 的 {key} 日期無法辨識：{value}") from e
        elif key in ("effective", "effective_date"):
            try:
                doc.effective = parse_date(value)
            except ValueError as e:
                raise IngestError(path, f"front matter 的 {key} 日期無法辨識：{value}") from e
        elif key in ("sample", "partial"):
            doc.meta[key] = value.strip().lower() in _TRUE
        else:
            doc.meta[key] = value


# --- HTML ------------------------------------------------------------------------------------------
_BLOCK = {"p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "ul", "ol", "li",
          "table", "thead", "tbody", "tfoot", "tr", "dl", "dt", "dd", "blockquote", "pre", "hr", "br",
          "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "address", "form", "fieldset"}
_SKIP = {"script", "style", "noscript", "template", "svg", "iframe", "object", "head"}
_VOID = {"br", "hr", "img", "input", "meta", "link", "wbr", "area", "base", "col", "embed", "source", "track"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d])", re.I)


def _is_hidden(attrs: list[tuple[str, str | None]]) -> bool:
    for name, value in attrs:
        if name == "hidden" or (name == "aria-hidden" and (value or "").lower() == "true"):
            return True
        if name == "style" and value and _HIDDEN_STYLE.search(value):
            return True
    return False


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.skip = 0
        self.in_title = False
        self.title = ""
        self.heading: int | None = None
        self.in_cell = False
        self.row: list[str] = []
        self.pre = 0
        self.hidden: list[list[Any]] = []  # [tag, depth] of elements hidden by style or attribute
        self.hidden_chars = 0  # characters of text inside them (reported, not indexed)

    def _flush(self) -> None:
        text = "".join(self.buf)
        self.buf = []
        if self.pre:
            self.lines.extend(text.split("\n"))
            return
        text = re.sub(r"\s+", " ", text).strip()
        if text:
            if self.heading:
                text = "#" * self.heading + " " + text
            self.lines.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
            return
        if self.hidden and tag == self.hidden[-1][0]:
            self.hidden[-1][1] += 1
        elif tag not in _VOID and _is_hidden(attrs):  # text nobody sees in a browser is not indexed
            self.hidden.append([tag, 1])
            self.skip += 1
            return
        if tag in _SKIP:
            self.skip += 1
            return
        if self.skip:
            return
        if tag in ("td", "th"):
            self._cell_end()
            self.in_cell = True
            return
        if tag in _BLOCK:
            if tag == "tr":
                self._row_end()
            self._flush()
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self.heading = int(tag[1])
            if tag == "pre":
                self.pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
            return
        if self.hidden and tag == self.hidden[-1][0]:
            self.hidden[-1][1] -= 1
            if self.hidden[-1][1] == 0:
                self.hidden.pop()
                self.skip = max(0, self.skip - 1)
            return
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag in ("td", "th"):
            self._cell_end()
            return
        if tag in ("tr", "table"):
            self._row_end()
            return
        if tag in _BLOCK:
            self._flush()
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self.heading = None
            if tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
            return
        if self.hidden:
            self.hidden_chars += len("".join(data.split()))
        if self.skip:
            return
        self.buf.append(data)

    def _cell_end(self) -> None:
        if self.in_cell:
            text = re.sub(r"\s+", " ", "".join(self.buf)).strip()
            self.buf = []
            if text:
                self.row.append(text)
            self.in_cell = False

    def _row_end(self) -> None:
        self._cell_end()
        if self.row:
            self._flush()
            self.lines.append(" | ".join(self.row))
            self.row = []

    def close(self) -> None:
        super().close()
        self._row_end()
        self._flush()


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.I)


def _decode_html(path: Path, data: bytes) -> str:
    m = _META_CHARSET.search(data[:4096])
    if m:
        enc = m.group(1).decode("ascii").lower()
        enc = {"big5": "cp950", "gb2312": "gb18030", "gbk": "gb18030"}.get(enc, enc)
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(path, data)[0]


def load_html(path: Path, data: bytes) -> LoadedDocument:
    html = _decode_html(path, data)
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "\n".join(parser.lines).strip()
    if not text:
        raise IngestError(path, "HTML 檔案沒有可用的文字內容")
    title = re.sub(r"\s+", " ", parser.title).strip() or None
    meta = hidden_meta(Counter({"隱藏元素": parser.hidden_chars}))
    return LoadedDocument(path=str(path), fmt="html", text=text, title=title, meta=meta)
