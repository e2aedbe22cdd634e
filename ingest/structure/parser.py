"""Plain text -> sections: decides the unit (article / point / section) and splits the text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from core.dates import parse_date
from core.numerals import LABEL_NUM_RE
from core.text import to_halfwidth
from core.vocab import Unit
from ingest.models import Section
from ingest.structure.lines import _Line, join_wrapped_lines, normalize_text
from ingest.structure.markers import (
    _DATE_LINE_RE,
    _PART_LEVEL,
    _SENTENCE_END,
    _TITLE_LINE_RE,
    Marker,
    classify_line,
    display_label,
)


# --- article-number sequences -----------------------------------------------------------------------
def _longest_increasing(keys: Sequence[tuple[int, ...]]) -> set[int]:
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
    chain = _Chain(allow_gaps)
    for k, c in enumerate(cands):
        chain.enter_group(c.group)
        if chain.in_list and chain.stays_in_list(cands, k):
            continue
        if chain.last is None:
            chain.start(c)
        else:
            chain.extend(c, chain.last)
    return chain.accepted, chain.restarted


@dataclass
class _Chain:
    """The walk of ``_accept_enumeration`` over the candidates, in line order."""

    allow_gaps: bool
    accepted: set[int] = field(default_factory=set)
    last: int | None = None  # number of the last accepted point of the current group
    global_last: int | None = None  # number of the last accepted point of the previous groups
    in_list: bool = False  # inside a 款 list ("…：" then 一、)
    list_last: int = 0  # number of the last 款 of that list
    last_m: int = 0  # 之M of the last accepted point
    point_indent: int | None = None  # indentation of the first accepted point
    group: int | None = None
    restarted: bool = False

    def enter_group(self, group: int) -> None:
        if group != self.group:
            self.group = group
            if self.last is not None:
                self.global_last = self.last
            self.last, self.in_list = None, False

    def stays_in_list(self, cands: list[_Cand], k: int) -> bool:
        """Inside a 款 list: True when candidate ``k`` is its next item (or not the next point either);
        False when it is the next point, which ends the list."""
        c = cands[k]
        is_next_item = c.n == self.list_last + 1
        is_next_point = self.last is not None and c.n == self.last + 1
        if is_next_item and is_next_point:
            # ambiguous: indentation first, then look ahead for another candidate with the same number
            deeper = self.point_indent is not None and c.indent > self.point_indent
            if deeper or any(o.n == c.n and o.group == c.group for o in cands[k + 1:]):
                is_next_point = False
            else:
                is_next_item = False
        if is_next_item and not is_next_point:
            self.list_last = c.n
            return True
        if not is_next_point:
            return True
        self.in_list = False
        return False

    def start(self, c: _Cand) -> None:
        """The first point of a group: 一, the continuation of the previous group, or any with gaps."""
        if c.n == 1 or (self.global_last is not None and c.n == self.global_last + 1) or self.allow_gaps:
            if self.global_last is not None and c.n == 1:
                self.restarted = True
            self.accepted.add(c.idx)
            self.last = c.n
            if self.point_indent is None:
                self.point_indent = c.indent

    def extend(self, c: _Cand, last: int) -> None:
        if c.m:
            if c.n == last and c.m == self.last_m + 1:  # 五十二之一 after 五十二
                self.accepted.add(c.idx)
                self.last_m = c.m
            return
        if c.after_colon and c.n == 1:
            self.in_list, self.list_last = True, 1
            return
        if c.n == last + 1 or (self.allow_gaps and c.n > last):
            self.last_m = 0
            self.accepted.add(c.idx)
            self.last = c.n


# --- the parser --------------------------------------------------------------------------------------
@dataclass
class _OpenSection:
    """The section being read: its lines until the next heading closes it."""

    no: str
    label: str
    chapter: list[str]
    lines: list[str]
    heading_text: str = ""  # the heading's own words (a section that has no body keeps a sentence heading)


@dataclass
class ParsedText:
    unit: Unit
    sections: list[Section]
    title: str | None = None  # title found in the text (法規名稱: …, a single leading '# ' heading)
    amended: date | None = None  # date found in the preamble (修正日期 …, 民國107年10月17日)
    preamble: str = ""


_DELETED_RE = re.compile(r"^[（(]?\s*(?:本條|本點)?(?:已)?刪除\s*[)）]?\s*[。.]?$")
_PLAN_TITLE_RE = re.compile(r"計畫|手冊|說明|指引|簡報|報告|範例")
_POINT_TITLE_RE = re.compile(r"要點|須知|作業規定|規範|注意事項|範本|要項")


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
        arts = [(i, mk) for i, mk in enumerate(markers) if mk is not None and mk.kind == "article"]
        chosen = {arts[k][0] for k in _longest_increasing([(mk.n, mk.m) for _, mk in arts])}
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
    m = re.match(rf"^第\s*({LABEL_NUM_RE}|[０-９]+)\s*([編章節])(?:\s*之\s*({LABEL_NUM_RE}|[０-９]+))?\s*(.*)$", s)
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
    pieces = re.split(rf"\s(?=第\s*{LABEL_NUM_RE}\s*[編章節])", norm)
    return [normalize_chapter(p) for p in pieces if p.strip()]


def _heading_display(line: str, mk: Marker) -> str:
    if mk.kind == "part":
        return normalize_chapter(line.strip().strip("#").strip())
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


def _parse_numbered(lines: list[_Line], markers: list[Marker | None], chosen: set[int], unit: Unit) -> ParsedText:
    """Articles (第N條) or points (一、) — one loop: a chosen marker opens a section, a heading marker
    (編章節, or for points also 壹/貳 ordinals) closes it and moves the chapter path."""
    stack = _ChapterStack()
    sections: list[Section] = []
    preamble: list[str] = []
    cur: _OpenSection | None = None

    def close() -> None:
        nonlocal cur
        if cur is not None:
            text = "\n".join(cur.lines).strip()
            sections.append(Section(no=cur.no, label=cur.label, chapter=cur.chapter, text=text,
                                    deleted=is_deleted_text(text)))
        cur = None

    for i, ln in enumerate(lines):
        mk = markers[i]
        if i in chosen and mk is not None:
            close()
            no = f"{mk.n}-{mk.m}" if mk.m else str(mk.n)
            label = display_label(no, unit)
            if unit is Unit.article and mk.title:
                label += f"（{mk.title}）"
            cur = _OpenSection(no, label, stack.path(), [mk.rest] if mk.rest else [])
        elif mk is not None and (mk.kind == "part" or (unit is Unit.point and mk.kind == "ord" and len(ln.text) <= 40)):
            close()
            stack.push(mk.level if mk.kind == "part" else 3, _heading_display(ln.text, mk))
        elif cur is not None:
            if ln.text:
                cur.lines.append(ln.text)
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
    return ParsedText(unit, sections, title=title, amended=amended, preamble=pre)


def _parse_articles(lines: list[_Line], markers: list[Marker | None], chosen: set[int]) -> ParsedText:
    return _parse_numbered(lines, markers, chosen, Unit.article)


def _parse_points(lines: list[_Line], markers: list[Marker | None], accepted: set[int]) -> ParsedText:
    return _parse_numbered(lines, markers, accepted, Unit.point)


def _md_title(lines: list[_Line], markers: list[Marker | None]) -> str | None:
    h1 = [(i, mk) for i, mk in enumerate(markers) if mk is not None and mk.kind == "md" and mk.level == 1]
    if len(h1) == 1:
        first_heading = next(i for i, mk in enumerate(markers) if mk is not None and mk.kind == "md")
        if first_heading == h1[0][0]:
            return h1[0][1].title
    return None


_RANK_PART = {0: 10, 1: 11, 2: 12}


def _parse_sections(lines: list[_Line], markers: list[Marker | None], accepted_points: set[int]) -> ParsedText:
    """Headed sections (壹、, 第N章, 一、, 1.2, #): each heading opens a section numbered by its heading path."""
    md_title = _md_title(lines, markers)
    title_idx: int | None = None  # the line of the document's one '# ' title
    if md_title is not None:
        title_idx = next(i for i, mk in enumerate(markers) if mk is not None and mk.kind == "md")
    dotted_ok = _increasing_dotted(markers)
    out = _Sections()
    for i, ln in enumerate(lines):
        if i == title_idx:
            continue
        mk = markers[i]
        heading = _heading_of(ln, mk, i in accepted_points, i in dotted_ok) if mk is not None else None
        if heading is not None:
            out.open(heading)
        elif ln.text:
            out.add_line(ln.text)
    out.close()
    title, amended, pre_text = _split_preamble(out.pre, md_title)
    title = md_title or title
    sections = _dedupe(out.sections)
    if pre_text:
        no = "前言" if out.seen_heading else "全文"
        sections.insert(0, Section(no=no, label=no, text=pre_text))
    return ParsedText(Unit.section, sections, title=title, amended=amended, preamble=pre_text)


def _increasing_dotted(markers: list[Marker | None]) -> set[int]:
    """The lines of the dotted headings (1.1, 1.2.3) that increase through the document."""
    dotted = [(i, mk) for i, mk in enumerate(markers) if mk is not None and mk.kind == "dotted"]
    if len(dotted) < 2:
        return set()
    keys = [tuple(int(p) for p in mk.token.split(".")) for _, mk in dotted]
    return {dotted[k][0] for k in _longest_increasing(keys)}


@dataclass(frozen=True)
class _Heading:
    rank: int  # nesting: lower ranks contain higher ones (#: 1-6, 編章節: 10-12, 壹: 13, 一: 14, 1.2: 15+)
    token: str  # its part of the section number
    display: str  # its part of the label
    dotted: bool  # a dotted number is the whole path ("1.2", not "1/1.2")
    text: str  # the heading's own words


def _heading_of(ln: _Line, mk: Marker, accepted_point: bool, increasing_dotted: bool) -> _Heading | None:
    """The heading a marked line opens, or None when the marker is not a heading here."""
    if mk.kind == "md":
        inner = classify_line(mk.title)
        token = mk.title
        if inner is not None and inner.kind in ("ord", "part", "point", "dotted"):
            token = _section_token(inner)
        return _Heading(mk.level, token, mk.title, inner is not None and inner.kind == "dotted",
                        _heading_rest(inner) if inner is not None else mk.title)
    if mk.kind == "part" and len(ln.text) <= 40:
        return _Heading(_RANK_PART[mk.level], _section_token(mk), _heading_display(ln.text, mk), False, mk.title)
    if mk.kind == "ord":
        return _Heading(13, mk.token, ln.text, False, mk.rest)
    if mk.kind == "point" and accepted_point:
        return _Heading(14, str(mk.n), ln.text, False, mk.rest)
    if mk.kind == "dotted" and increasing_dotted:
        return _Heading(15 + mk.level, mk.token, ln.text, True, mk.rest)
    return None


class _Sections:
    """The sections of ``_parse_sections`` as they are read: the open heading path, the open section,
    the closed sections and the lines before the first heading."""

    def __init__(self) -> None:
        self.stack: list[_Heading] = []
        self.sections: list[Section] = []
        self.pre: list[str] = []
        self.cur: _OpenSection | None = None
        self.seen_heading = False

    def path_no(self) -> str:
        tokens: list[str] = []
        for h in self.stack:
            if h.dotted:
                tokens = [h.token]
            else:
                tokens.append(h.token)
        return "/".join(tokens)

    def open(self, heading: _Heading) -> None:
        self.close()
        self.seen_heading = True
        display, htext = heading.display, heading.text
        first: list[str] = []
        if _is_content(htext) and display.endswith(htext):
            # "一、依消防法第13條規定 …" is content, not a title: short label, text kept in the body
            first = [htext]
            display = display[: len(display) - len(htext)] + htext[:16] + "…"
            htext = ""
        while self.stack and self.stack[-1].rank >= heading.rank:
            self.stack.pop()
        chapter = [h.display for h in self.stack]
        self.stack.append(_Heading(heading.rank, heading.token, display, heading.dotted, htext))
        self.cur = _OpenSection(self.path_no(), " > ".join(h.display for h in self.stack), chapter, first, htext)

    def add_line(self, text: str) -> None:
        if self.cur is not None:
            self.cur.lines.append(text)
        else:
            self.pre.append(text)

    def close(self) -> None:
        cur = self.cur
        if cur is None:
            return
        body = "\n".join(cur.lines).strip()
        if not body and cur.heading_text and cur.heading_text[-1] in _SENTENCE_END:
            body = cur.heading_text
        if body:
            self.sections.append(Section(no=cur.no, label=cur.label, chapter=cur.chapter, text=body,
                                         deleted=is_deleted_text(body)))
        self.cur = None


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
