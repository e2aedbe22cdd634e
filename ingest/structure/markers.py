"""Line markers of Taiwanese legal/administrative text: 編章節, 第N條, 一、, 壹、, (一), 1.1, #."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from core.citation import article_label
from core.numerals import LABEL_CN, LABEL_NUM_RE, label_int
from core.text import to_halfwidth
from core.vocab import Unit

# --- numerals and markers --------------------------------------------------------------------------
_ORD_CHARS = "壹貳參叁肆伍陸柒捌玖拾"
_ORD_VALUES = {"壹": 1, "貳": 2, "參": 3, "叁": 3, "肆": 4, "伍": 5, "陸": 6, "柒": 7, "捌": 8, "玖": 9, "拾": 10}

# All regexes below run on the half-width form of a stripped line (to_halfwidth maps char to char, so
# offsets hold). Untrusted lines can be long: no pattern may have two quantifiers that can match the same
# characters in a row (such as "\s*#*\s*$" after ".*?"), which backtracks quadratically or worse.
_PART_RE = re.compile(
    rf"^第\s*(?P<n>{LABEL_NUM_RE})\s*(?P<kind>[編章節])(?:\s*之\s*(?P<m>{LABEL_NUM_RE}))?"
    r"(?:(?:\s+|\s*[、:.]\s*)(?P<title>\S.*)|(?P<attached>[^\s,，。;；:、]{1,12}))?$"
)
_ARTICLE_RE = re.compile(
    rf"^第\s*(?P<n>{LABEL_NUM_RE})\s*(?:-\s*(?P<m2>[0-9]+)\s*)?條(?:\s*之\s*(?P<m>{LABEL_NUM_RE}))?(?=$|\s|\(|:)\s*:?\s*(?P<rest>.*)$"
)
_POINT_RE = re.compile(rf"^(?P<n>[{LABEL_CN}](?:\s?[{LABEL_CN}]){{0,4}})(?:\s*之\s*(?P<m>[{LABEL_CN}]{{1,3}}))?\s*、\s*(?P<rest>.*)$")
_ORD_RE = re.compile(rf"^(?P<n>[{_ORD_CHARS}]+)\s*、\s*(?P<rest>.*)$")
_SUBITEM_RE = re.compile(rf"^\(\s*(?P<n>[{LABEL_CN}]+)\s*\)\s*(?P<rest>.*)$")
_DOTTED_RE = re.compile(r"^(?P<n>[0-9]{1,2}(?:\.[0-9]{1,2}){1,4})\.?(?:\s+(?P<rest>\S.*)|\s*)$")
# Only the opening hashes and one blank are matched; the title is cut with str.strip (a regex tail such as
# "\s*#*\s*$" after a lazy group backtracks cubically on a long line of blanks).
_MD_RE = re.compile(r"^(?P<hashes>#{1,6})\s")
_LIST_RE = re.compile(r"^(?:[-*•·˙・●○■□◆◇▪►※]|[0-9]+\s*[、.)]|\([0-9]+(?:-[0-9]+)?\)|[a-zA-Z][.)]|\[\.\.\.\])")

_FINAL_PUNCT = "。；：！？;:!?」』"
_SENTENCE_END = "。；;"


def display_label(no: str, unit: Unit | str) -> str:
    """Display form of a citation number: 第22條之1, 第5點, 第52點之1; sections keep their path."""
    unit = Unit(unit)
    if unit == Unit.point and "-" in no:
        base, _, sub = no.partition("-")
        return f"第{base}點之{sub}"
    return article_label(no, unit.value)


@dataclass(frozen=True)
class Marker:
    kind: str  # "md" | "part" | "article" | "ord" | "point" | "subitem" | "dotted"
    n: int = 0
    m: int = 0  # 之M for articles / 編章節
    level: int = 0  # md: number of '#'; part: 0 編, 1 章, 2 節; dotted: number of components
    token: str = ""  # written marker, e.g. "第一章", "壹", "1.2"
    title: str = ""  # heading text or article title
    rest: str = ""  # text after the marker on the same line


_PART_LEVEL = {"編": 0, "章": 1, "節": 2}


def classify_line(line: str) -> Marker | None:
    """Classify one (left-stripped) line as a structural marker, or None for body text.

    The first rule whose pattern matches decides (``_RULES``, in order); a rule returns None for a line
    that has the marker's shape but is not one (a 章 "title" that is a sentence, a numeral out of range).
    """
    s = to_halfwidth(line.strip())
    if not s:
        return None
    for pattern, build in _RULES:
        m = pattern.match(s)
        if m:
            return build(line, s, m)
    return None


def _md_marker(line: str, s: str, m: re.Match[str]) -> Marker | None:
    title = line.strip().lstrip("#").strip().rstrip("#").strip()
    inner = classify_line(title) if title else None
    if inner is not None and inner.kind in ("article", "part"):
        return inner  # "### 第 1 條", "## 第一章 總則" in Markdown laws
    return Marker("md", level=len(m["hashes"]), title=title)


def _article_marker(line: str, s: str, m: re.Match[str]) -> Marker | None:
    try:
        n = label_int(m["n"])
        sub = label_int(m["m"]) if m["m"] else (int(m["m2"]) if m["m2"] else 0)
    except ValueError:
        return None
    rest_h = m["rest"]
    title = ""
    tm = re.match(r"^\((?P<t>[^()]{1,30})\)\s*(?P<after>.*)$", rest_h)
    if tm and not re.fullmatch(r"\s*(本條)?刪除\s*", tm["t"]):
        title = tm["t"].strip()
        rest_h = tm["after"]
    rest = line.strip()[len(s) - len(rest_h):] if rest_h else ""
    return Marker("article", n=n, m=sub, title=title, rest=rest.strip())


def _part_marker(line: str, s: str, m: re.Match[str]) -> Marker | None:
    title = (m["title"] or m["attached"] or "").strip()
    if len(title) > 40 or any(ch in title for ch in "。，,;；"):
        return None
    try:
        n = label_int(m["n"])
        sub = label_int(m["m"]) if m["m"] else 0
    except ValueError:
        return None
    token = f"第{m['n'].replace(' ', '')}{m['kind']}" + (f"之{m['m'].replace(' ', '')}" if m["m"] else "")
    return Marker("part", n=n, m=sub, level=_PART_LEVEL[m["kind"]], token=token, title=title)


def _ord_marker(line: str, s: str, m: re.Match[str]) -> Marker | None:
    token = m["n"]  # every character is in _ORD_VALUES (the pattern's character class)
    n = sum(_ORD_VALUES[ch] for ch in token) if len(token) > 1 else _ORD_VALUES[token]
    return Marker("ord", n=n, token=token, rest=_tail(line, m["rest"]))


def _point_marker(line: str, s: str, m: re.Match[str]) -> Marker | None:
    try:
        n = label_int(m["n"])
        sub = label_int(m["m"]) if m["m"] else 0
    except ValueError:
        return None
    token = m["n"].replace(" ", "") + (f"之{m['m']}" if m["m"] else "")
    return Marker("point", n=n, m=sub, token=token, rest=_tail(line, m["rest"]))


def _subitem_marker(line: str, s: str, m: re.Match[str]) -> Marker | None:
    try:
        n = label_int(m["n"])
    except ValueError:
        return None
    return Marker("subitem", n=n, token=m["n"], rest=_tail(line, m["rest"]))


def _dotted_marker(line: str, s: str, m: re.Match[str]) -> Marker | None:
    parts = m["n"].split(".")
    return Marker("dotted", level=len(parts), token=m["n"], rest=_tail(line, m["rest"] or ""))


# (pattern on the half-width line, builder of the marker from the original line, the half-width line and
# the match), tried in order
_RULES: tuple[tuple[re.Pattern[str], Callable[[str, str, re.Match[str]], Marker | None]], ...] = (
    (_MD_RE, _md_marker),
    (_ARTICLE_RE, _article_marker),
    (_PART_RE, _part_marker),
    (_ORD_RE, _ord_marker),
    (_POINT_RE, _point_marker),
    (_SUBITEM_RE, _subitem_marker),
    (_DOTTED_RE, _dotted_marker),
)


def _tail(line: str, rest_h: str) -> str:
    """The original-width text of a half-width suffix ``rest_h`` of ``line``."""
    s = line.strip()
    return s[len(s) - len(rest_h):].strip() if rest_h else ""


def _is_list_line(line: str) -> bool:
    return bool(_LIST_RE.match(to_halfwidth(line.strip())))


# title and date lines of a preamble ("法規名稱: …", "民國107年10月17日", "修正日期：…")
_TITLE_LINE_RE = re.compile(r"^(?:法規名稱|名稱|標題)\s*[:：]\s*(?P<t>.+)$")
_DATE_LINE_RE = re.compile(
    r"^(?:(?:修正|公布|發布|訂定|制定|生效|異動)?日期\s*[:：]?\s*)?"
    r"(?P<d>(?:中華)?民國\s*[0-9０-９一二三四五六七八九十百零〇○]+\s*年\s*[0-9０-９一二三四五六七八九十]+\s*月"
    r"\s*[0-9０-９一二三四五六七八九十]+\s*日)(?:\s*[\u4e00-\u9fff]{0,4}(?:修正|公布|發布|訂定|制定|施行|生效))?$"
)
