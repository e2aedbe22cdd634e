"""Markdown images and links in generated text (LLM mode).

A retrieved document can tell a model to write an image whose URL carries data out (the reader's browser
fetches it) or a link that leads anywhere. ``remove_links_and_images`` takes both out of text on the server:
an image keeps its alt text, a link keeps its text, reference definitions, autolinks and HTML ``<img>`` /
``<a>`` tags go. It repeats until nothing changes, so a construct nested inside another does not survive.
Bare URLs stay as text here; the pages show them as code (``ui.render``).
"""

from __future__ import annotations

import re

# ![alt](url "title") and ![alt][ref]: removed, the alt text kept as plain text
IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)|!\[([^\]\n]*)\]\[[^\]\n]*\]")
# [text](url) and [text][ref]: the text kept
LINK = re.compile(r"\[([^\]\n]*)\]\([^)\n]*\)|\[([^\]\n]*)\]\[[^\]\n]*\]")
# [ref]: url  (reference definitions)
REF_DEF = re.compile(r"^[ ]{0,3}\[[^\]\n]+\]:[ \t]*\S+.*$", re.M)
# <https://...> and <www....>
AUTOLINK = re.compile(r"<((?:[a-zA-Z][a-zA-Z0-9+.-]{1,31}:|www\.)[^>\s]*)>")
# raw HTML images and anchors (the pages block raw HTML, other clients may not)
HTML_TAG = re.compile(r"<\s*/?\s*(?:img|a|image|picture|source|iframe)\b[^>\n]*>", re.I)


def _once(text: str) -> str:
    out = IMAGE.sub(lambda m: m.group(1) or m.group(2) or "", text)
    out = LINK.sub(lambda m: m.group(1) or m.group(2) or "", out)
    out = REF_DEF.sub("", out)
    out = AUTOLINK.sub(lambda m: m.group(1), out)
    return HTML_TAG.sub("", out)


def remove_links_and_images(text: str) -> tuple[str, bool]:
    """``(text without Markdown/HTML images and links, whether anything was removed)``."""
    out = text
    for _ in range(8):  # nesting deeper than this is not Markdown anyone writes; the loop still ends
        nxt = _once(out)
        if nxt == out:
            break
        out = nxt
    return out, out != text


def construct_start(text: str) -> int:
    """Index of the first character on the last line of ``text`` that may open an image, a link or a tag
    not yet closed (``!``, ``[``, ``<``), or -1. A stream holds text back from there until the line ends."""
    line_start = text.rfind("\n") + 1
    positions = [p for p in (text.find(ch, line_start) for ch in "![<") if p >= 0]
    return min(positions) if positions else -1


__all__ = ["AUTOLINK", "HTML_TAG", "IMAGE", "LINK", "REF_DEF", "construct_start", "remove_links_and_images"]
