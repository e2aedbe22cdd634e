"""Structure parser: plain text -> citable sections (article references in questions: ``core.refs``).

Recognises the structure of Taiwanese legal and administrative texts:
編/章/節 headings, articles 第N條 / 第N條之M (with 項 = lines, 款 = 一、, 目 = (一)), 要點 points 一、二、,
plan/manual chapters 壹、貳、, numbered headings 1.1 / 1.2.3 and Markdown '#' headings.

Public API:
    parse_structure(doc: LoadedDocument) -> SourceDocument
    parse_text(text, *, unit=None, partial=False) -> ParsedText
    split_paragraphs(article_text) -> list[str]                 # 項
    split_items(paragraph) -> list[tuple[str, str]]              # 款 (numeral as written, text)

Section ``no`` conventions: article "22" / "22-1"; point "5"; section = heading path joined with "/":
chapter ordinals as written (壹, 貳, 參 ...), numbered sub-headings 一、二、 as Arabic numbers ("參/2"),
dotted headings as written ("1.2"), unnumbered Markdown headings by their text; text before the first
heading is "前言" (or "全文" when a document has no headings at all). A repeated path gets "#2", "#3".
"""

from ingest.structure.articles import split_items, split_paragraphs
from ingest.structure.document import (
    DOMAIN_UNKNOWN,
    canonical_text,
    infer_domain_from_text,
    parse_structure,
    slugify,
)
from ingest.structure.lines import display_width, join_wrapped_lines, normalize_text
from ingest.structure.markers import Marker, classify_line, display_label
from ingest.structure.parser import (
    ParsedText,
    chapter_paths,
    is_deleted_text,
    normalize_chapter,
    parse_text,
)

__all__ = [
    "DOMAIN_UNKNOWN", "Marker", "ParsedText", "canonical_text", "chapter_paths", "classify_line", "display_label",
    "display_width", "infer_domain_from_text", "is_deleted_text", "join_wrapped_lines", "normalize_chapter",
    "normalize_text", "parse_structure", "parse_text", "slugify", "split_items",
    "split_paragraphs",
]
