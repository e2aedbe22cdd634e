"""Text normalisation and joining of hard-wrapped lines (PDF/TXT printed at a fixed width)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from ingest.structure.markers import _DATE_LINE_RE, _FINAL_PUNCT, _TITLE_LINE_RE, _is_list_line, classify_line

# --- text normalisation and hard-wrap joining --------------------------------------------------------
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def normalize_text(text: str) -> str:
    """Unified newlines, no zero-width characters, no trailing spaces, tabs as spaces."""
    text = text.translate(_ZERO_WIDTH)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\t", "    ")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def display_width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


@dataclass
class _Line:
    indent: int
    text: str  # stripped
    last_width: int = 0  # display width of the last raw line joined into this one


def _indent(line: str) -> int:
    return display_width(line) - display_width(line.lstrip())


def _starts_marker(line: str) -> bool:
    return classify_line(line) is not None or _is_list_line(line)


def _wrap_width(lines: list[str]) -> int | None:
    """The fixed width a text was hard-wrapped at, or None when it was not hard-wrapped."""
    cands = []
    for i, line in enumerate(lines[:-1]):
        s = line.strip()
        nxt = lines[i + 1].strip()
        if s and nxt and s[-1] not in _FINAL_PUNCT and not _starts_marker(nxt):
            cands.append(display_width(line.rstrip()))
    if len(cands) < 3:
        return None
    best_w, best_count = 0, 0
    for w in set(cands):
        count = sum(1 for c in cands if w - 5 <= c <= w)
        if count > best_count or (count == best_count and w > best_w):
            best_w, best_count = w, count
    widths = [display_width(line.rstrip()) for line in lines if line.strip()]
    wider = sum(1 for w in widths if w > best_w + 2)
    if (best_count >= 3 and best_count >= 0.3 * len(cands) and best_count >= 0.1 * len(widths)
            and best_w >= 30 and wider <= 0.1 * len(widths)):
        return best_w
    return None


def _join_ascii(a: str, b: str) -> str:
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return a + " " + b
    return a + b


def join_wrapped_lines(text: str) -> list[_Line]:
    """Split into lines, joining hard-wrapped lines back into sentences when the text was hard-wrapped.

    A line is joined with the next one when it does not end with sentence-final punctuation, the next
    line does not start a new marker, and the line either reaches the wrap width or the next line is
    indented deeper than the paragraph's first line.
    """
    raw = text.split("\n")
    width = _wrap_width(raw)
    out: list[_Line] = []
    para_indent = 0
    joinable = False  # may the last output line absorb the next raw line?
    for line in raw:
        s = line.strip()
        if not s:
            out.append(_Line(0, ""))
            joinable = False
            continue
        ind = _indent(line)
        if joinable and out and not _starts_marker(s) and not _DATE_LINE_RE.match(s) and (
            width is not None and (out[-1].last_width >= 0.8 * width or ind > para_indent)
        ):
            out[-1].text = _join_ascii(out[-1].text, s)
            out[-1].last_width = display_width(line.rstrip())
        else:
            out.append(_Line(ind, s, display_width(line.rstrip())))
            para_indent = ind
        last = out[-1].text
        mk = classify_line(last)
        heading_only = mk is not None and mk.kind in ("md", "part", "dotted") and len(last) <= 40
        joinable = (width is not None and last[-1] not in _FINAL_PUNCT and not heading_only
                    and not _TITLE_LINE_RE.match(last))
    return out
