"""Answer text as Markdown. Generated text (LLM mode) may carry what a retrieved document told the model
to write, so it is shown without images or links: an image would be fetched by the reader's browser (and
could carry data out in its URL), a link could lead anywhere. Extractive answers are the knowledge base's
own lines and keep their layout as they are.
"""

from __future__ import annotations

import re

from core.markdown import remove_links_and_images

# bare URLs / www. addresses (GitHub Markdown turns them into links)
_BARE_URL = re.compile(r"(?<![`\w])((?:[a-zA-Z][a-zA-Z0-9+.-]{1,31}://|www\.)[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%\\\[\]]+)")
# what is left of [ ] < that could still start a link, an image or an autolink
_SPECIAL = re.compile(r"([\[\]<])")


def strip_links_and_images(text: str) -> str:
    """Markdown without images and links: alt and link texts stay, URLs are shown as code (not clickable)."""
    out, _ = remove_links_and_images(text)
    parts = []
    for i, chunk in enumerate(re.split(r"(`[^`\n]*`)", out)):  # leave existing code spans alone
        if i % 2:
            parts.append(chunk)
            continue
        chunk = _SPECIAL.sub(r"\\\1", chunk)
        parts.append(_BARE_URL.sub(lambda m: f"`{m.group(1).replace(chr(92), '')}`", chunk))
    return "".join(parts)


def hard_breaks(text: str) -> str:
    """Keep the answer's line breaks in Markdown."""
    return text.replace("\n", "  \n")


def answer_markdown(text: str, mode: str) -> str:
    """The Markdown shown for an answer: generated text loses images and links; extractive text is as is."""
    body = text if mode == "extractive" else strip_links_and_images(text)
    return hard_breaks(body)


__all__ = ["answer_markdown", "hard_breaks", "strip_links_and_images"]
