"""Structure parser: plain text -> citable sections.

Recognises the structure of Taiwanese legal and administrative texts:
編/章/節 headings, articles 第N條 / 第N條之M (with 項 = lines, 款 = 一、, 目 = (一)), 要點 points 一、二、,
plan/manual chapters 壹、貳、, numbered headings 1.1 / 1.2.3 and Markdown '#' headings.

Public API:
    parse_structure(doc: LoadedDocument) -> SourceDocument
    parse_text(text, *, unit=None, partial=False) -> ParsedText
    split_paragraphs(article_text) -> list[str]                 # 項
    split_items(paragraph) -> list[tuple[str, str]]              # 款 (numeral as written, text)
    parse_article_ref(text, known_titles=()) -> list[ArticleRef] # 採購法第22條第1項第9款, 檔案法§17 ...

Section ``no`` conventions: article "22" / "22-1"; point "5"; section = heading path joined with "/":
chapter ordinals as written (壹, 貳, 參 ...), numbered sub-headings 一、二、 as Arabic numbers ("參/2"),
dotted headings as written ("1.2"), unnumbered Markdown headings by their text; text before the first
heading is "前言" (or "全文" when a document has no headings at all). A repeated path gets "#2", "#3".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ingest.models import (
    AccessLevel,
    Domain,
    IngestError,
    LoadedDocument,
    Section,
    SourceDocument,
    Unit,
    sha256_text,
)
from ingest.zh import article_label, cn_to_int, parse_date, to_halfwidth

# --- numerals and markers --------------------------------------------------------------------------
_CN = "零〇○一二三四五六七八九十百千兩"
_NUM = rf"(?:[0-9]+|[{_CN}]+)"
_ORD_CHARS = "壹貳參叁肆伍陸柒捌玖拾"
_ORD_VALUES = {"壹": 1, "貳": 2, "參": 3, "叁": 3, "肆": 4, "伍": 5, "陸": 6, "柒": 7, "捌": 8, "玖": 9, "拾": 10}

# All regexes below run on the half-width form of a line (to_halfwidth maps char to char, so offsets hold).
_PART_RE = re.compile(
    rf"^第\s*(?P<n>{_NUM})\s*(?P<kind>[編章節])(?:\s*之\s*(?P<m>{_NUM}))?"
    r"(?:(?:\s+|\s*[、:.]\s*)(?P<title>\S.*?)|(?P<attached>[^\s,，。;；:、]{1,12}))?\s*$"
)
_ARTICLE_RE = re.compile(
    rf"^第\s*(?P<n>{_NUM})\s*(?:-\s*(?P<m2>[0-9]+)\s*)?條(?:\s*之\s*(?P<m>{_NUM}))?(?=$|\s|\(|:)\s*:?\s*(?P<rest>.*)$"
)
_POINT_RE = re.compile(rf"^(?P<n>[{_CN}](?:\s?[{_CN}]){{0,4}})(?:\s*之\s*(?P<m>[{_CN}]{{1,3}}))?\s*、\s*(?P<rest>.*)$")
_ORD_RE = re.compile(rf"^(?P<n>[{_ORD_CHARS}]+)\s*、\s*(?P<rest>.*)$")
_SUBITEM_RE = re.compile(rf"^\(\s*(?P<n>[{_CN}]+)\s*\)\s*(?P<rest>.*)$")
_DOTTED_RE = re.compile(r"^(?P<n>[0-9]{1,2}(?:\.[0-9]{1,2}){1,4})\.?(?:\s+(?P<rest>\S.*)|\s*)$")
_MD_RE = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<rest>.*?)\s*#*\s*$")
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


def _num(s: str) -> int:
    return cn_to_int(re.sub(r"\s+", "", s))


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
    """Classify one (left-stripped) line as a structural marker, or None for body text."""
    s = to_halfwidth(line.strip())
    if not s:
        return None
    m = _MD_RE.match(s)
    if m:
        return Marker("md", level=len(m["hashes"]), title=line.strip().lstrip("#").strip().rstrip("#").strip())
    m = _ARTICLE_RE.match(s)
    if m:
        try:
            n = _num(m["n"])
            sub = _num(m["m"]) if m["m"] else (int(m["m2"]) if m["m2"] else 0)
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
    m = _PART_RE.match(s)
    if m:
        title = (m["title"] or m["attached"] or "").strip()
        if len(title) > 40 or any(ch in title for ch in "。，,;；"):
            return None
        try:
            n = _num(m["n"])
            sub = _num(m["m"]) if m["m"] else 0
        except ValueError:
            return None
        token = f"第{m['n'].replace(' ', '')}{m['kind']}" + (f"之{m['m'].replace(' ', '')}" if m["m"] else "")
        return Marker("part", n=n, m=sub, level=_PART_LEVEL[m["kind"]], token=token, title=title)
    m = _ORD_RE.match(s)
    if m and all(ch in _ORD_VALUES for ch in m["n"]):
        token = m["n"]
        n = sum(_ORD_VALUES[ch] for ch in token) if len(token) > 1 else _ORD_VALUES[token]
        return Marker("ord", n=n, token=token, rest=_tail(line, m["rest"]))
    m = _POINT_RE.match(s)
    if m:
        try:
            n = _num(m["n"])
            sub = _num(m["m"]) if m["m"] else 0
        except ValueError:
            return None
        token = m["n"].replace(" ", "") + (f"之{m['m']}" if m["m"] else "")
        return Marker("point", n=n, m=sub, token=token, rest=_tail(line, m["rest"]))
    m = _SUBITEM_RE.match(s)
    if m:
        try:
            n = _num(m["n"])
        except ValueError:
            return None
        return Marker("subitem", n=n, token=m["n"], rest=_tail(line, m["rest"]))
    m = _DOTTED_RE.match(s)
    if m:
        parts = m["n"].split(".")
        return Marker("dotted", level=len(parts), token=m["n"], rest=_tail(line, m["rest"] or ""))
    return None


def _tail(line: str, rest_h: str) -> str:
    """The original-width text of a half-width suffix ``rest_h`` of ``line``."""
    s = line.strip()
    return s[len(s) - len(rest_h):].strip() if rest_h else ""


def _is_list_line(line: str) -> bool:
    return bool(_LIST_RE.match(to_halfwidth(line.strip())))


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


# --- article-number sequences -----------------------------------------------------------------------
def _longest_increasing(keys: list[tuple[int, int]]) -> set[int]:
    """Indices of a longest strictly increasing subsequence (O(n^2), n = number of candidates)."""
    n = len(keys)
    if n == 0:
        return set()
    best = [1] * n
    prev = [-1] * n
    for i in range(n):
        for j in range(i):
            if keys[j] < keys[i] and best[j] + 1 > best[i]:
                best[i], prev[i] = best[j] + 1, j
    i = max(range(n), key=lambda k: (best[k], -k))
    chosen = set()
    while i != -1:
        chosen.add(i)
        i = prev[i]
    return chosen


@dataclass
class _Cand:
    idx: int
    n: int
    indent: int
    after_colon: bool
    group: int
    m: int = 0  # 之M of a point such as 五十二之一


def _accept_enumeration(cands: list[_Cand], *, allow_gaps: bool) -> tuple[set[int], bool]:
    """Choose which 一、二、 lines are top-level points/headings; the others are 款 inside them.

    A chain must count up by one (gaps only when ``allow_gaps``); a list that starts with 一 right after
    a line ending with a colon is a 款 list of the current point. ``group`` changes at every higher
    heading (壹、, 第N章, #); a chain may restart at 一 in a new group. Returns (accepted line indices,
    whether a restart happened).
    """
    accepted: set[int] = set()
    last: int | None = None
    global_last: int | None = None
    in_list, list_last = False, 0
    last_m = 0
    point_indent: int | None = None
    group = None
    restarted = False
    for k, c in enumerate(cands):
        if c.group != group:
            group = c.group
            if last is not None:
                global_last = last
            last, in_list = None, False
        if in_list:
            is_next_item = c.n == list_last + 1
            is_next_point = last is not None and c.n == last + 1
            if is_next_item and is_next_point:
                # ambiguous: indentation first, then look ahead for another candidate with the same number
                if point_indent is not None and c.indent > point_indent or any(o.n == c.n and o.group == c.group for o in cands[k + 1:]):
                    is_next_point = False
                else:
                    is_next_item = False
            if is_next_item and not is_next_point:
                list_last = c.n
                continue
            if not is_next_point:
                continue
            in_list = False
        if last is None:
            ok = c.n == 1 or (global_last is not None and c.n == global_last + 1) or allow_gaps
            if ok:
                if global_last is not None and c.n == 1:
                    restarted = True
                accepted.add(c.idx)
                last = c.n
                if point_indent is None:
                    point_indent = c.indent
            continue
        if c.m:
            if c.n == last and c.m == last_m + 1:  # 五十二之一 after 五十二
                accepted.add(c.idx)
                last_m = c.m
            continue
        if c.after_colon and c.n == 1:
            in_list, list_last = True, 1
            continue
        if c.n == last + 1 or (allow_gaps and c.n > last):
            last_m = 0
            accepted.add(c.idx)
            last = c.n
    return accepted, restarted



# --- the parser --------------------------------------------------------------------------------------
@dataclass
class ParsedText:
    unit: Unit
    sections: list[Section]
    title: str | None = None  # title found in the text (法規名稱: …, a single leading '# ' heading)
    amended: date | None = None  # date found in the preamble (修正日期 …, 民國107年10月17日)
    preamble: str = ""
    notes: list[str] = field(default_factory=list)


_DELETED_RE = re.compile(r"^[（(]?\s*(?:本條|本點)?(?:已)?刪除\s*[)）]?\s*[。.]?$")
_PLAN_TITLE_RE = re.compile(r"計畫|手冊|說明|指引|簡報|報告|範例")
_POINT_TITLE_RE = re.compile(r"要點|須知|作業規定|規範|注意事項|範本|要項")
_TITLE_LINE_RE = re.compile(r"^(?:法規名稱|名稱|標題)\s*[:：]\s*(?P<t>.+)$")
_DATE_LINE_RE = re.compile(
    r"^(?:(?:修正|公布|發布|訂定|制定|生效|異動)?日期\s*[:：]?\s*)?"
    r"(?P<d>(?:中華)?民國\s*[0-9０-９一二三四五六七八九十百零〇○]+\s*年\s*[0-9０-９一二三四五六七八九十]+\s*月"
    r"\s*[0-9０-９一二三四五六七八九十]+\s*日)\s*(?:[\u4e00-\u9fff]{0,4}(?:修正|公布|發布|訂定|制定|施行|生效))?\s*$"
)


def is_deleted_text(text: str) -> bool:
    """True for article texts such as "（刪除）" or "本條刪除。"."""
    return bool(_DELETED_RE.match(to_halfwidth(text.strip())))


def parse_text(text: str, *, unit: Unit | None = None, partial: bool = False,
               title: str | None = None) -> ParsedText:
    """Split plain text into sections, deciding the document unit unless ``unit`` is given."""
    lines = join_wrapped_lines(normalize_text(text))
    markers = [classify_line(ln.text) if ln.text else None for ln in lines]
    title_hint = title or ""

    if unit in (None, Unit.article):
        art_idx = [i for i, mk in enumerate(markers) if mk is not None and mk.kind == "article"]
        keys = [(markers[i].n, markers[i].m) for i in art_idx]  # type: ignore[union-attr]
        chosen = {art_idx[k] for k in _longest_increasing(keys)}
        if len(chosen) >= 2 or (len(chosen) == 1 and unit == Unit.article):
            return _parse_articles(lines, markers, chosen)
        if unit == Unit.article and not chosen:
            unit = None  # the hint was wrong; decide from the text

    groups = _group_ids(markers)
    cands = [
        _Cand(i, mk.n, lines[i].indent, _prev_ends_colon(lines, i), groups[i], mk.m)
        for i, mk in enumerate(markers) if mk is not None and mk.kind == "point"
    ]
    accepted, restarted = _accept_enumeration(cands, allow_gaps=partial)
    looks_like_plan = bool(_PLAN_TITLE_RE.search(title_hint)) and not _POINT_TITLE_RE.search(title_hint)
    wants_points = unit == Unit.point or (
        unit is None and not restarted and not looks_like_plan and (len(accepted) >= 2 or (partial and accepted))
    )
    if wants_points and accepted:
        return _parse_points(lines, markers, accepted)
    return _parse_sections(lines, markers, accepted)


def _prev_ends_colon(lines: list[_Line], i: int) -> bool:
    for j in range(i - 1, -1, -1):
        if lines[j].text:
            return lines[j].text[-1] in "：:"
    return False


def _group_ids(markers: list[Marker | None]) -> list[int]:
    """Group number per line; increments at every heading above the 一、 level."""
    out, g = [], 0
    for mk in markers:
        if mk is not None and mk.kind in ("md", "part", "ord"):
            g += 1
        out.append(g)
    return out


class _ChapterStack:
    """編/章/節 path. A heading whose parent level is missing from the path keeps only itself, because
    the source dropped the intermediate heading and the remembered parents may be stale."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str]] = []

    def push(self, level: int, display: str) -> None:
        kept = [(lv, d) for lv, d in self.items if lv < level]
        if kept and kept[-1][0] != level - 1:
            kept = []
        self.items = [*kept, (level, display)]

    def path(self) -> list[str]:
        return [d for _, d in self.items]


def normalize_chapter(s: str) -> str:
    """"第 一 章 總則" -> "第一章 總則"; "第 六 節之一 鹵化烴滅火設備" -> "第六節之一 鹵化烴滅火設備"."""
    s = re.sub(r"\s+", " ", s.replace("\u3000", " ")).strip()
    m = re.match(rf"^第\s*({_NUM}|[０-９]+)\s*([編章節])(?:\s*之\s*({_NUM}|[０-９]+))?\s*(.*)$", s)
    if not m:
        return s
    head = f"第{m[1]}{m[2]}" + (f"之{m[3]}" if m[3] else "")
    return f"{head} {m[4]}".strip()


def chapter_level(s: str) -> int | None:
    m = re.match(r"^第\s*\S+?\s*([編章節])", s)
    return _PART_LEVEL[m[1]] if m else None


def chapter_paths(chapters: Iterable[str | None]) -> list[list[str]]:
    """Chapter path per article from the per-article innermost heading strings of a law JSON."""
    stack = _ChapterStack()
    out: list[list[str]] = []
    prev: str | None = None
    for ch in chapters:
        if ch and ch != prev:
            for part in _split_chapter_string(ch):
                level = chapter_level(part)
                stack.push(level if level is not None else 1, part)
        prev = ch
        out.append(stack.path() if ch else [])
    return out


def _split_chapter_string(ch: str) -> list[str]:
    """A chapter string may hold several levels: "第一編 總則 第一章 通則" -> two headings."""
    norm = normalize_chapter(ch)
    pieces = re.split(rf"\s(?=第\s*{_NUM}\s*[編章節])", norm)
    return [normalize_chapter(p) for p in pieces if p.strip()]


def _heading_display(line: str, mk: Marker) -> str:
    if mk.kind == "part":
        return normalize_chapter(line)
    if mk.kind == "md":
        return mk.title
    return line.strip()


def _split_preamble(lines: list[str], known_title: str | None = None) -> tuple[str | None, date | None, str]:
    """Text before the first article/point/heading -> (title, amended date, remaining body text).

    The title is a "法規名稱: …" line or a short first line; date lines (民國107年10月17日, 修正日期 …)
    give the amended date. The body is kept only when it reads like content (has 。 or is long)."""
    title: str | None = None
    amended: date | None = None
    body: list[str] = []
    for k, ln in enumerate(lines):
        s = ln.strip()
        tm = _TITLE_LINE_RE.match(s)
        if tm and title is None:
            title = tm["t"].strip()
            continue
        dm = _DATE_LINE_RE.match(s)
        if dm:
            if amended is None:
                try:
                    amended = parse_date(re.sub(r"\s+", "", dm["d"]))
                except ValueError:
                    amended = None
            continue
        if re.match(r"^(?:法規內容|條文內容|內容)\s*[:：]?\s*$", s):
            continue
        if k == 0 and title is None and known_title is None and len(s) <= 40 and not any(ch in s for ch in "。；;"):
            title = s
            continue
        body.append(s)
    text = "\n".join(body).strip()
    if "。" not in text and len(re.sub(r"\s", "", text)) <= 60:
        text = ""
    return title, amended, text


def _parse_articles(lines: list[_Line], markers: list[Marker | None], chosen: set[int]) -> ParsedText:
    stack = _ChapterStack()
    sections: list[Section] = []
    preamble: list[str] = []
    cur: dict | None = None

    def close() -> None:
        nonlocal cur
        if cur is not None:
            text = "\n".join(cur["lines"]).strip()
            sections.append(Section(no=cur["no"], label=cur["label"], chapter=cur["chapter"], text=text,
                                    deleted=is_deleted_text(text)))
        cur = None

    for i, ln in enumerate(lines):
        mk = markers[i]
        if i in chosen and mk is not None:
            close()
            no = f"{mk.n}-{mk.m}" if mk.m else str(mk.n)
            label = display_label(no, Unit.article) + (f"（{mk.title}）" if mk.title else "")
            cur = {"no": no, "label": label, "chapter": stack.path(), "lines": [mk.rest] if mk.rest else []}
        elif mk is not None and mk.kind == "part":
            close()
            stack.push(mk.level, _heading_display(ln.text, mk))
        elif cur is not None:
            if ln.text:
                cur["lines"].append(ln.text)
        elif ln.text:
            if mk is not None and mk.kind == "md":
                continue
            preamble.append(ln.text)
    close()
    md_title = _md_title(lines, markers)
    title, amended, pre = _split_preamble(preamble, md_title)
    title = md_title or title
    sections = _dedupe(sections)
    if pre:
        sections.insert(0, Section(no="前言", label="前言", text=pre))
    return ParsedText(Unit.article, sections, title=title, amended=amended, preamble=pre)


def _parse_points(lines: list[_Line], markers: list[Marker | None], accepted: set[int]) -> ParsedText:
    stack = _ChapterStack()
    sections: list[Section] = []
    preamble: list[str] = []
    cur: dict | None = None

    def close() -> None:
        nonlocal cur
        if cur is not None:
            text = "\n".join(cur["lines"]).strip()
            sections.append(Section(no=cur["no"], label=cur["label"], chapter=cur["chapter"], text=text,
                                    deleted=is_deleted_text(text)))
        cur = None

    for i, ln in enumerate(lines):
        mk = markers[i]
        if i in accepted and mk is not None:
            close()
            no = f"{mk.n}-{mk.m}" if mk.m else str(mk.n)
            cur = {"no": no, "label": display_label(no, Unit.point), "chapter": stack.path(),
                   "lines": [mk.rest] if mk.rest else []}
        elif mk is not None and mk.kind in ("part", "ord") and len(ln.text) <= 40:
            close()
            level = mk.level if mk.kind == "part" else 3
            stack.push(level, _heading_display(ln.text, mk))
        elif cur is not None:
            if ln.text:
                cur["lines"].append(ln.text)
        elif ln.text:
            if mk is not None and mk.kind == "md":
                continue
            preamble.append(ln.text)
    close()
    md_title = _md_title(lines, markers)
    title, amended, pre = _split_preamble(preamble, md_title)
    title = md_title or title
    sections = _dedupe(sections)
    if pre:
        sections.insert(0, Section(no="前言", label="前言", text=pre))
    return ParsedText(Unit.point, sections, title=title, amended=amended, preamble=pre)


def _md_title(lines: list[_Line], markers: list[Marker | None]) -> str | None:
    h1 = [i for i, mk in enumerate(markers) if mk is not None and mk.kind == "md" and mk.level == 1]
    if len(h1) == 1:
        first_heading = next(i for i, mk in enumerate(markers) if mk is not None and mk.kind == "md")
        if first_heading == h1[0]:
            return markers[h1[0]].title  # type: ignore[union-attr]
    return None


_RANK_PART = {0: 10, 1: 11, 2: 12}


def _parse_sections(lines: list[_Line], markers: list[Marker | None], accepted_points: set[int]) -> ParsedText:
    title_idx: int | None = None
    md_title = _md_title(lines, markers)
    if md_title is not None:
        title_idx = next(i for i, mk in enumerate(markers) if mk is not None and mk.kind == "md")
    # dotted headings must increase through the document
    dotted = [i for i, mk in enumerate(markers) if mk is not None and mk.kind == "dotted"]
    dkeys = [tuple(int(p) for p in markers[i].token.split(".")) for i in dotted]  # type: ignore[union-attr]
    dotted_ok = {dotted[k] for k in _longest_increasing(dkeys)} if len(dotted) >= 2 else set()  # type: ignore[arg-type]

    # stack entries: (rank, token, display, is_dotted)
    stack: list[tuple[int, str, str, bool]] = []
    sections: list[Section] = []
    pre: list[str] = []
    cur: dict | None = None
    seen_heading = False

    def path_no() -> str:
        tokens: list[str] = []
        for _rank, token, _disp, is_dotted in stack:
            if is_dotted:
                tokens = [token]
            else:
                tokens.append(token)
        return "/".join(tokens)

    def close() -> None:
        nonlocal cur
        if cur is None:
            return
        body = "\n".join(cur["lines"]).strip()
        if not body and cur["heading_text"] and cur["heading_text"][-1] in _SENTENCE_END:
            body = cur["heading_text"]
        if body:
            sections.append(Section(no=cur["no"], label=cur["label"], chapter=cur["chapter"], text=body,
                                    deleted=is_deleted_text(body)))
        cur = None

    for i, ln in enumerate(lines):
        mk = markers[i]
        heading: tuple[int, str, str, bool, str] | None = None  # rank, token, display, dotted, text
        if i == title_idx:
            continue
        if mk is not None:
            if mk.kind == "md":
                inner = classify_line(mk.title)
                token = mk.title
                if inner is not None and inner.kind in ("ord", "part", "point", "dotted"):
                    token = _section_token(inner)
                heading = (mk.level, token, mk.title, inner is not None and inner.kind == "dotted",
                           _heading_rest(inner) if inner is not None else mk.title)
            elif mk.kind == "part" and len(ln.text) <= 40:
                heading = (_RANK_PART[mk.level], _section_token(mk), _heading_display(ln.text, mk), False,
                           mk.title)
            elif mk.kind == "ord":
                heading = (13, mk.token, ln.text, False, mk.rest)
            elif mk.kind == "point" and i in accepted_points:
                heading = (14, str(mk.n), ln.text, False, mk.rest)
            elif mk.kind == "dotted" and i in dotted_ok:
                heading = (15 + mk.level, mk.token, ln.text, True, mk.rest)
        if heading is not None:
            close()
            seen_heading = True
            rank, token, display, is_dotted, htext = heading
            first: list[str] = []
            if _is_content(htext) and display.endswith(htext):
                # "一、依消防法第13條規定 …" is content, not a title: short label, text kept in the body
                first = [htext]
                display = display[: len(display) - len(htext)] + htext[:16] + "…"
                htext = ""
            while stack and stack[-1][0] >= rank:
                stack.pop()
            chapter = [d for _, _, d, _ in stack]
            stack.append((rank, token, display, is_dotted))
            cur = {"no": path_no(), "label": " > ".join(d for _, _, d, _ in stack), "chapter": chapter,
                   "lines": first, "heading_text": htext}
            continue
        if not ln.text:
            continue
        if cur is not None:
            cur["lines"].append(ln.text)
        else:
            pre.append(ln.text)
    close()
    title, amended, pre_text = _split_preamble(pre, md_title)
    title = md_title or title
    sections = _dedupe(sections)
    if pre_text:
        no = "前言" if seen_heading else "全文"
        sections.insert(0, Section(no=no, label=no, text=pre_text))
    return ParsedText(Unit.section, sections, title=title, amended=amended, preamble=pre_text)


def _is_content(heading_text: str) -> bool:
    t = heading_text.strip()
    return len(t) > 30 or "。" in t[:-1] or (len(t) > 12 and t[-1:] in "。;；")


def _section_token(mk: Marker) -> str:
    if mk.kind == "point":
        return str(mk.n)
    return mk.token


def _heading_rest(mk: Marker) -> str:
    return mk.rest or mk.title


def _dedupe(sections: list[Section]) -> list[Section]:
    seen: dict[str, int] = {}
    out = []
    for s in sections:
        if s.no in seen:
            seen[s.no] += 1
            s = s.model_copy(update={"no": f"{s.no}#{seen[s.no]}"})
        else:
            seen[s.no] = 1
        out.append(s)
    return out


# --- LoadedDocument -> SourceDocument ---------------------------------------------------------------
_DOMAIN_KEYWORDS: dict[Domain, tuple[str, ...]] = {
    Domain.procurement: ("採購", "招標", "決標", "廠商", "押標金", "履約", "投標", "驗收"),
    Domain.archives: ("檔案", "公文", "文書", "銷毀", "保存年限", "印信", "典藏"),
    Domain.emergency: ("消防", "防災", "災害", "避難", "緊急", "火災", "防火", "救護", "地震"),
}


def infer_domain_from_text(text: str) -> Domain | None:
    """Domain by keyword counts (procurement / archives / emergency); None when nothing matches."""
    scores = {d: sum(text.count(w) for w in words) for d, words in _DOMAIN_KEYWORDS.items()}
    best = max(scores, key=lambda d: scores[d])
    return best if scores[best] > 0 else None


def slugify(stem: str) -> str:
    """File stem -> doc_id: lower-case ASCII letters/digits and CJK kept, everything else "-"."""
    s = unicodedata.normalize("NFKC", stem).lower()
    s = re.sub(r"[^0-9a-z\u3400-\u9fff]+", "-", s).strip("-")
    return s or "document"


def canonical_text(title: str, sections: list[Section]) -> str:
    parts = [title.strip()]
    for s in sections:
        head = f"{s.no}\t{' > '.join(s.chapter)}" + ("\t(deleted)" if s.deleted else "")
        parts.append(head + "\n" + s.text.strip())
    return normalize_text("\n\n".join(parts))


def _meta_str(meta: dict, key: str) -> str | None:
    v = meta.get(key)
    if v is None or v == "":
        return None
    return str(v)


def _meta_bool(meta: dict, key: str) -> bool:
    v = meta.get(key)
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "y", "是", "對")
    return bool(v)


def _validate_sections(doc: LoadedDocument, sections: list[Section]) -> list[Section]:
    seen: set[str] = set()
    out = []
    for s in sections:
        no = s.no.strip()
        if not no:
            raise IngestError(doc.path, "有條文缺少條號（no 是空的）")
        if no in seen:
            raise IngestError(doc.path, f"條號重複：{no}")
        seen.add(no)
        out.append(s.model_copy(update={"no": no, "text": normalize_text(s.text),
                                        "chapter": [c for c in s.chapter if c]}))
    return out


def parse_structure(doc: LoadedDocument) -> SourceDocument:
    """Build a SourceDocument: parse the text into sections (or validate given sections) and fill ids,
    title, domain, unit, version and content hash. Raises IngestError (zh-TW reason) when unusable."""
    meta = doc.meta
    partial = _meta_bool(meta, "partial")
    parsed: ParsedText | None = None
    if doc.sections is not None:
        sections = _validate_sections(doc, doc.sections)
        unit = doc.unit or Unit.article
    else:
        text = normalize_text(doc.text)
        if not text.strip():
            raise IngestError(doc.path, "檔案沒有可用的文字內容")
        parsed = parse_text(text, unit=doc.unit, partial=partial, title=doc.title)
        sections, unit = parsed.sections, parsed.unit
    if not sections:
        raise IngestError(doc.path, "找不到任何條文或段落內容")

    stem = Path(doc.path).stem
    title = (doc.title or (parsed.title if parsed else None) or stem).strip()
    doc_id = doc.doc_id or slugify(stem)
    domain = doc.domain or infer_domain_from_text(title + "\n" + "\n".join(s.text for s in sections[:50]))
    if domain is None:
        raise IngestError(doc.path, "無法判斷文件類別（採購／檔案／消防防災／範本／計畫），"
                                    "請放入對應資料夾或在檔案開頭註明 domain")
    amended = doc.amended or (parsed.amended if parsed else None)
    content_hash = sha256_text(canonical_text(title, sections))
    version = _meta_str(meta, "version") or (amended.isoformat() if amended else f"h:{content_hash[:12]}")

    access = AccessLevel.public
    raw_access = _meta_str(meta, "access_level")
    if raw_access:
        try:
            access = AccessLevel(raw_access.strip().lower())
        except ValueError as e:
            raise IngestError(doc.path, f"access_level 不正確：{raw_access}（可用 public、restricted、secret）") from e

    note = _meta_str(meta, "note")
    if _meta_bool(meta, "sample"):
        note = "範例資料（非正式文件）" + (f"；{note}" if note else "")
    return SourceDocument(
        doc_id=doc_id, title=title, domain=domain, unit=unit, source_path=doc.path, fmt=doc.fmt,
        amended=amended, effective=doc.effective, version=version, access_level=access, partial=partial,
        note=note, url=_meta_str(meta, "url"), content_hash=content_hash, sections=sections,
    )


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


# --- article references -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArticleRef:
    """A reference such as 採購法第22條第1項第9款: law "採購法", no "22", paragraph 1, item 9."""

    law: str | None
    no: str  # "22", "22-1"; for unit "point" the point number
    paragraph: int | None = None  # 項
    item: int | None = None  # 款
    span: tuple[int, int] = (0, 0)
    unit: str = "article"  # "article" | "point"
    subitem: int | None = None  # 目

    @property
    def label(self) -> str:
        out = (self.law or "") + article_label(self.no, self.unit)
        if self.paragraph:
            out += f"第{self.paragraph}項"
        if self.item:
            out += f"第{self.item}款"
        if self.subitem:
            out += f"第{self.subitem}目"
        return out


_LAW_SUFFIX = r"(?:施行細則|細則|條例|辦法|規則|標準|準則|要點|須知|規程|通則|綱要|要項|作業規定|規範|手冊|法)"
_S = r"[ \t]*"
_REF_RE = re.compile(
    rf"(?P<law>[\u4e00-\u9fff]{{0,40}}?{_LAW_SUFFIX})?{_S}"
    rf"(?:第{_S}(?P<n>{_NUM}){_S}條(?:{_S}之{_S}(?P<m>{_NUM}))?"
    rf"|第{_S}(?P<n2>[0-9]+){_S}-{_S}(?P<m2>[0-9]+){_S}條"
    rf"|§{_S}(?P<n3>[0-9]+)(?:{_S}-{_S}(?P<m3>[0-9]+))?"
    rf"|(?P<n4>[0-9]+|[{_CN}]+){_S}條(?:{_S}之{_S}(?P<m4>{_NUM}))?"
    rf"|第{_S}(?P<pt>{_NUM}){_S}點)"
    rf"(?:{_S}第{_S}(?P<p>{_NUM}){_S}項)?"
    rf"(?:{_S}第{_S}(?P<i>{_NUM}){_S}款)?"
    rf"(?:{_S}第{_S}(?P<s>{_NUM}){_S}目)?"
)
_LAW_PREFIXES = ("依據", "根據", "依照", "按照", "參照", "參酌", "依", "按", "違反", "適用", "準用", "請問",
                 "關於", "有關", "查詢", "規定", "請", "問", "見", "即")


def _trim_law(raw: str, known: list[str]) -> str:
    for t in known:  # longest first
        if raw.endswith(t):
            return t
    for marker in ("同法", "本法"):
        k = raw.rfind(marker)
        if k > 0:
            return raw[k:]
    cut = 0
    for p in _LAW_PREFIXES:
        k = raw.rfind(p)
        # cut after the prefix word when the remainder is still a law name
        if k >= 0 and cut < k + len(p) < len(raw) and re.search(rf"{_LAW_SUFFIX}$", raw[k + len(p):]):
            cut = k + len(p)
    return raw[cut:]


def parse_article_ref(text: str, known_titles: Iterable[str] = ()) -> list[ArticleRef]:
    """Find article/point references in free text.

    Handles 第22條, 第二十二條, 第２２條, 第 22 條, 第22條之1, 第22-1條, §17, 檔案法§17, 採購法22條,
    第N條第N項第N款第N目, 第N點. ``law`` is the law name written before the reference (trimmed to a
    known title when ``known_titles`` are given), or None. Spans index into ``text``.
    """
    known = sorted({t for t in known_titles if t}, key=len, reverse=True)
    s = to_halfwidth(text)  # char-for-char, so spans stay valid
    refs: list[ArticleRef] = []
    for m in _REF_RE.finditer(s):
        law_raw = m["law"]
        try:
            if m["pt"]:
                no, unit = str(_num(m["pt"])), "point"
            else:
                n_raw = m["n"] or m["n2"] or m["n3"] or m["n4"]
                if m["n4"] and not law_raw:
                    continue  # bare "22條" without a law name is too ambiguous
                n = _num(n_raw)
                sub_raw = m["m"] or m["m2"] or m["m3"] or m["m4"]
                no = f"{n}-{_num(sub_raw)}" if sub_raw else str(n)
                unit = "article"
            para = _num(m["p"]) if m["p"] else None
            item = _num(m["i"]) if m["i"] else None
            subitem = _num(m["s"]) if m["s"] else None
        except ValueError:
            continue
        law = _trim_law(law_raw, known) if law_raw else None
        start = m.start() if law is None else m.start("law") + (len(law_raw) - len(law))  # type: ignore[arg-type]
        if law is None:
            start = m.start("pt") if m["pt"] else _first_group_start(m)
            # include the leading 第 / § in the span
            while start > m.start() and s[start - 1] in "第§ \t":
                start -= 1
        prev_law = refs[-1].law if refs else None
        if prev_law:
            if law is None and re.fullmatch(r"[、，,及與或和至到暨以\s]*", s[refs[-1].span[1]:start]):
                law = prev_law  # 檔案法第十七條、第十八條 -> both in 檔案法
            elif law is not None and law.startswith("同法"):
                law = re.sub(r"施行細則$", "", prev_law) + law[2:]  # 消防法…同法施行細則 -> 消防法施行細則
        refs.append(ArticleRef(law=law, no=no, paragraph=para, item=item, span=(start, m.end()), unit=unit,
                               subitem=subitem))
    return refs


def _first_group_start(m: re.Match[str]) -> int:
    for g in ("n", "n2", "n3", "n4"):
        if m[g]:
            return m.start(g)
    return m.start()
