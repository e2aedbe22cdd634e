"""項 (paragraphs) and 款 (items) inside an article text."""

from __future__ import annotations

from ingest.structure.lines import normalize_text
from ingest.structure.markers import _is_list_line, classify_line


# --- 項 / 款 helpers -------------------------------------------------------------------------------
def _is_item_line(line: str) -> bool:
    mk = classify_line(line)
    return mk is not None and mk.kind in ("point", "subitem") or _is_list_line(line)


def split_paragraphs(article_text: str) -> list[str]:
    """Split an article into its 項 (paragraphs). 款 lines (一、), 目 lines ((一)) and numbered
    sub-lists stay with the paragraph that introduces them."""
    paras: list[list[str]] = []
    for line in normalize_text(article_text).split("\n"):
        s = line.strip()
        if not s:
            continue
        if paras and _is_item_line(s):
            paras[-1].append(s)
        else:
            paras.append([s])
    return ["\n".join(p) for p in paras]


def split_items(paragraph: str) -> list[tuple[str, str]]:
    """The 款 of one paragraph as (numeral as written, text without the marker); 目 lines and other
    continuation lines stay with their 款. Text before the first 款 is not returned."""
    items: list[list[str]] = []
    labels: list[str] = []
    for line in normalize_text(paragraph).split("\n"):
        s = line.strip()
        if not s:
            continue
        mk = classify_line(s)
        if mk is not None and mk.kind == "point":
            labels.append(mk.token)
            items.append([mk.rest])
        elif items:
            items[-1].append(s)
    return [(label, "\n".join(x for x in lines if x)) for label, lines in zip(labels, items, strict=True)]
