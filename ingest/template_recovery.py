"""Recover the point structure of the PCC 投標須知範本 (tender-instructions template) from plain text.

Input: ``knowledge/raw/templates/tender-instructions-template.txt`` (version 115.7.27, see
knowledge/SOURCES.md section D). The text was extracted from the official DOCX; the automatic list
numbering (一、二、… = 第1點, 第2點, …) and the check boxes were lost. Every paragraph of the form is one
line; options keep their labels ((1), （1）, (1-1), (5-1-1-1)); pre-ticked boxes show as ■ / █.

How the numbering is recovered (all rules are deterministic, applied line by line):

1. Line 1 is the title, line 2 the version ``（115.7.27版）``; the following instruction lines that say
   the form is filled in by the agency (``由機關填寫`` / ``由機關擇…勾填``) are a preamble, not points.
   From the first line ``切結書N（…檢附）`` to the end the text is the annexed affidavits (appendices).
2. Each remaining line gets a role:
   - ``option``: starts with a numbered option label ``(N)``/``（N-M）`` (half- or full-width brackets);
   - ``item``: a sub-element that can never start a point: enumerations ``(一)``, ``一、``, ``1.``, ``A.``,
     ``選項A``, notes ``註N``/``附記``, check marks ``■ □ █``, bracketed remarks ``[…]``, lines of full-width
     zeros (DOCX form fields), the rows of the drone security table (from the caption ending in
     ``(註1)`` through its last ``註N：`` footnote), unlabeled choices listed under an option that ends
     in an introducing colon (``其名稱為：``, ``外國廠商：`` …; an option ``其他…：`` is a fill-in, not an
     introduction), unlabeled lines sandwiched between options of one list ((2-3) … (3)), and short
     unlabeled choices (≤ 24 characters, no internal ，；：) after a point header ending in ``：``
     (e.g. the list of 採購申訴審議委員會, ``以電子投標文件簽約。``), ``其他…`` lines included;
   - ``paragraph``: a further paragraph (項) of the current point: lines that start with a
     back-reference (``前項``, ``上開``, ``除前項``), lines containing ``前N項`` (and the N paragraphs before
     such a line are merged into the same point, because ``前2項`` names paragraphs of the same point),
     lines that call themselves ``本項`` (``如勾選本項者``), and the four reviewed lines in
     ``CONTINUATION_OVERRIDES`` (each with its reason);
   - ``point``: everything else, in particular every unlabeled line directly followed by a fresh option
     list starting at ``(1)``; a line starting ``五十二之一、`` is a point that carries its own number.
3. Points are numbered 1, 2, 3 … in order; an explicitly numbered point ``N之M`` gets ``N-M`` and does
   not advance the counter.

How the numbering is verified (``verify_cross_references``): the text refers to its own points in
three places — ``至於押標金有效期，依第35點辦理`` (in the point on 投標文件有效期), twice
``妥適考量本須知第16點之勾選`` (in the 資格 paragraphs), and ``機關以書面答復前條請求釋疑`` (前條 = the
preceding point) — and one point keeps its printed number ``五十二之一`` (植栽工程養護期保證金), which must
follow 第52點 (預付款還款保證繳納期限). ``KNOWN_REFERENCES`` lists the expected content of each target.
With the rules above: 第16點 = 適用我國締結之條約或協定, 第35點 = 押標金有效期, 第21點 answers the 釋疑
request of 第20點, and 第52點之1 follows 第52點 — all consistent. These anchors pin the numbering from
第1點 to 第53點; the override lines were decided by reading and are exactly the ones the anchors
require (e.g. with 履約保證金's elaboration paragraphs as separate points 第52點之1 would not follow 第52點).
Points after 第53點 (第54點–第93點) are not anchored by any reference in the text; their numbering
follows the same rules. Result for 115.7.27: 93 numbered points + 第52點之1 = 94 entries.

Options are nested by label ((3-1-1) under (3-1) under (3)); blanks to fill are found from the line
shapes (a field line ending in ``：`` with nothing after it, ``：`` followed only by spaces, runs of
``_``/``＿``, ``第 款``, `` 年 月 日``, full-width-zero form fields).

Run: ``python -m ingest.template_recovery IN.txt OUT.json``.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from core.numerals import cn_to_int

DOC_ID = "tender-instructions-template"
TITLE_ZH = "投標須知範本"

SOURCE = {
    "repository": "Harry5450/gov-procurement-assistant",
    "path": "src/data/pcc-template-text/versions/tender-instructions/1150727.txt",
    "commit": "099472727801d5078f420e622b5020e31a41b36b",
    "snapshot": "text extracted in that repo from the official PCC DOCX (投標須知範本 115.7.27版)",
    "raw_file": "knowledge/raw/templates/tender-instructions-template.txt",
}


class TemplateRecoveryError(ValueError):
    """The input is not a 投標須知範本 text this recovery understands (message in zh-TW)."""


class Role(StrEnum):
    point = "point"
    option = "option"
    item = "item"
    paragraph = "paragraph"


@dataclass(frozen=True)
class KnownReference:
    """A reference inside the form to one of its own points, with what the target must contain."""

    pattern: str  # regex matched in the referring point's text
    target: str  # point number the reference names ("35", or "prev" for 前條)
    expected: tuple[str, ...]  # keywords the target point must contain
    source_keywords: tuple[str, ...]  # keywords the referring point must contain


KNOWN_REFERENCES: tuple[KnownReference, ...] = (
    KnownReference(r"依第35點辦理", "35", ("押標金有效期",), ("投標文件有效期",)),
    KnownReference(r"本須知第16點", "16", ("適用我國締結之條約或協定",), ("投標廠商之基本資格",)),
    KnownReference(r"答復前條請求釋疑", "prev", ("請求釋疑",), ("機關以書面答復",)),
)

# Explicitly numbered points: the point "N-M" must come right after point N, whose content is known.
EXPLICIT_ANCHORS: dict[str, tuple[str, ...]] = {"52-1": ("植栽工程養護期保證金",)}
EXPLICIT_PREDECESSOR: dict[str, tuple[str, ...]] = {"52": ("預付款還款保證繳納期限",)}

# Lines that are paragraphs of the preceding point although nothing in their shape says so.
# Keyed by the beginning of the line; each decision is explained and checked by the anchors.
CONTINUATION_OVERRIDES: dict[str, str] = {
    "已依「機關提報巨額採購使用情形及效益分析作業規定」": (
        "check box under option (5) 巨額採購 of 第4點 (the 作業規定 concerns 巨額採購 only); as a point it "
        "would move 適用條約或協定 to 第17點, contradicting 本須知第16點"
    ),
    "廠商如以銀行之書面連帶保證或開發或保兌之不可撤銷擔保信用狀繳納履約保證金者": (
        "second paragraph of 履約保證金金額 (how a bank guarantee is accepted); as a point 第52點之1 "
        "would not follow 預付款還款保證繳納期限"
    ),
    "廠商以銀行開發或保兌之不可撤銷擔保信用狀、銀行之書面連帶保證或保險公司之保證保險單繳納履約保證金者": (
        "second paragraph of 履約保證金有效期 (validity of bank/insurance guarantees); as a point "
        "第52點之1 would not follow 預付款還款保證繳納期限"
    ),
    "法務部廉政署受理檢舉電話": (
        "pre-printed content of the 檢舉 point (another channel for reports); not anchored"
    ),
}

_OPTION_RE = re.compile(r"^[(（]\s*(\d+(?:-\d+)*)\s*[)）]")
_EXPLICIT_RE = re.compile(r"^([一二三四五六七八九十百]+)之([一二三四五六七八九十]+)、")
_ITEM_RES = (
    re.compile(r"^[(（][一二三四五六七八九十]+[)）]"),  # (一) 款
    re.compile(r"^[一二三四五六七八九十]+、"),  # 一、 enumerations inside a point
    re.compile(r"^\d+\."),  # 1. 2.
    re.compile(r"^[A-Z]\."),  # A. B.
    re.compile(r"^選項[A-Z]"),
    re.compile(r"^註\d"),
    re.compile(r"^附記"),
    re.compile(r"^[■□█\[]"),
)
_PLACEHOLDER_RE = re.compile(r"^[０\s]+$")
_TABLE_CAPTION_RE = re.compile(r"[(（]註1[)）]$")
_NOTE_RE = re.compile(r"^註\d+[：:]")
_BACKREF_START_RE = re.compile(r"^(前項|前\d+項|前[二三四]項|上開|除前項)")
_PREV_N_RE = re.compile(r"前(\d+|[二三四])項")
_SELF_RE = re.compile(r"勾選本項")
_PREAMBLE_RE = re.compile(r"由機關(填寫|擇)")
_VERSION_RE = re.compile(r"^[（(](\d+)\.(\d+)\.(\d+)版[)）]$")
_APPENDIX_RE = re.compile(r"^切結書\d+（[^）]*檢附）$")
_INTERNAL_REF_RE = re.compile(r"(?<!」)第(\d+)點")
_INTRO_WORDS = ("下列", "如下", "可複選", "請勾選", "其名稱為")


@dataclass
class _Line:
    no: int  # 1-based line number in the raw text
    text: str  # the line with surrounding whitespace removed
    role: Role = Role.point
    label: str | None = None  # option label "(1-1)" or explicit point number "52-1"
    reason: str = ""


@dataclass
class _Point:
    no: str
    lines: list[_Line] = field(default_factory=list)


def _normalize_option_label(raw: str) -> str:
    return f"({raw})"


def _option_body(text: str) -> str:
    m = _OPTION_RE.match(text)
    return text[m.end():].strip() if m else text


def _ends_with_colon(text: str) -> bool:
    return text.rstrip().endswith(("：", ":"))


def _is_fill_in_other(text: str) -> bool:
    return _option_body(text).startswith("其他")


def _is_short_choice(text: str) -> bool:
    if text.startswith("其他"):
        return True
    if len(text) > 24 or _ends_with_colon(text):
        return False
    return not any(ch in text for ch in "，；：")


def _option_depth(label: str) -> int:
    return label.strip("()").count("-") + 1


def _split_sections(lines: list[str]) -> tuple[str, str, list[str], list[tuple[int, str]], list[tuple[int, str]]]:
    """Return title, version line, preamble lines, body lines and appendix lines (with raw numbers)."""
    cleaned = [ln.rstrip("\r") for ln in lines]
    non_empty = [(i + 1, ln) for i, ln in enumerate(cleaned) if ln.strip()]
    if len(non_empty) < 3 or non_empty[0][1].strip() != TITLE_ZH:
        raise TemplateRecoveryError(f"輸入檔第一行應為「{TITLE_ZH}」，無法辨識為投標須知範本。")
    title = non_empty[0][1].strip()
    version_line = non_empty[1][1].strip()
    if not _VERSION_RE.match(version_line):
        raise TemplateRecoveryError(f"輸入檔第二行應為版次（例如「（115.7.27版）」），實為「{version_line}」。")
    rest = non_empty[2:]
    preamble: list[str] = []
    while rest and _PREAMBLE_RE.search(rest[0][1]):
        preamble.append(rest[0][1].strip())
        rest = rest[1:]
    body: list[tuple[int, str]] = []
    appendix: list[tuple[int, str]] = []
    in_appendix = False
    for no, ln in rest:
        if not in_appendix and _APPENDIX_RE.match(ln.strip()):
            in_appendix = True
        (appendix if in_appendix else body).append((no, ln))
    if not body:
        raise TemplateRecoveryError("找不到投標須知各點內容。")
    return title, version_line, preamble, body, appendix


def _classify(body: list[tuple[int, str]]) -> list[_Line]:
    """The role of every body line (point, paragraph, option, item), then the 前N項 merge."""
    lines = [_Line(no, ln.strip()) for no, ln in body]
    _Classifier(lines).run()
    _merge_named_paragraphs(lines)
    return lines


class _Classifier:
    """Line-shape rules, one method each, tried in order (``_rules``): the first that matches sets the
    line's role. The walk remembers whether it is inside a table, under an option or a point that ended
    with a colon, and the last top-level option number of the current point."""

    def __init__(self, lines: list[_Line]) -> None:
        self.lines = lines
        self.n = len(lines)
        self.in_table = False
        self.table_notes = False
        self.option_list = False  # unlabeled lines belong to the last option (it ended with an introducing colon)
        self.point_list = False  # short choices may follow the current point/paragraph line (it ended with a colon)
        self.last_top = 0  # last top-level option number of the current point

    def run(self) -> None:
        rules = (self._explicit_number, self._option_label, self._table_caption, self._form_field,
                 self._enumeration_or_mark, self._back_reference, self._override, self._option_list_header,
                 self._listed_under_option, self._between_options, self._short_choice, self._default)
        for i, line in enumerate(self.lines):
            if self.in_table:
                self._table_row(i, line)
                continue
            next(rule for rule in rules if rule(i, line))
            if line.role in (Role.point, Role.paragraph):
                self.option_list = False
                self.point_list = _ends_with_colon(line.text)
                if line.role is Role.point:
                    self.last_top = 0

    # --- helpers
    def _next_is_fresh_option(self, i: int) -> bool:
        if i + 1 >= self.n:
            return False
        m = _OPTION_RE.match(self.lines[i + 1].text)
        return bool(m and m.group(1) == "1")

    def _table_row(self, i: int, line: _Line) -> None:
        line.role, line.reason = Role.item, "table row"
        if _NOTE_RE.match(line.text):
            self.table_notes = True
        if self.table_notes and (i + 1 >= self.n or not _NOTE_RE.match(self.lines[i + 1].text)):
            self.in_table = False

    # --- the rules, in order
    def _explicit_number(self, i: int, line: _Line) -> bool:
        m = _EXPLICIT_RE.match(line.text)
        if not m:
            return False
        line.role, line.reason = Role.point, "explicit number"
        line.label = f"{cn_to_int(m.group(1))}-{cn_to_int(m.group(2))}"
        return True

    def _option_label(self, i: int, line: _Line) -> bool:
        m = _OPTION_RE.match(line.text)
        if not m:
            return False
        line.role, line.reason = Role.option, "option label"
        line.label = _normalize_option_label(m.group(1))
        self.option_list = _ends_with_colon(line.text) and not _is_fill_in_other(line.text)
        self.point_list = False
        self.last_top = int(m.group(1).split("-")[0])
        return True

    def _table_caption(self, i: int, line: _Line) -> bool:
        if not _TABLE_CAPTION_RE.search(line.text):
            return False
        line.role, line.reason = Role.item, "table caption"
        self.in_table, self.table_notes = True, False
        return True

    def _form_field(self, i: int, line: _Line) -> bool:
        if not _PLACEHOLDER_RE.match(line.text):
            return False
        line.role, line.reason = Role.item, "form field"
        self.option_list = self.point_list = False
        return True

    def _enumeration_or_mark(self, i: int, line: _Line) -> bool:
        if not any(r.match(line.text) for r in _ITEM_RES):
            return False
        line.role, line.reason = Role.item, "enumeration or mark"
        return True

    def _back_reference(self, i: int, line: _Line) -> bool:
        t = line.text
        if not (_BACKREF_START_RE.match(t) or _PREV_N_RE.search(t) or _SELF_RE.search(t)):
            return False
        line.role, line.reason = Role.paragraph, "back-reference"
        return True

    def _override(self, i: int, line: _Line) -> bool:
        override = next((k for k in CONTINUATION_OVERRIDES if line.text.startswith(k)), None)
        if override is None:
            return False
        line.role, line.reason = Role.paragraph, "override: " + CONTINUATION_OVERRIDES[override]
        return True

    def _option_list_header(self, i: int, line: _Line) -> bool:
        if not self._next_is_fresh_option(i):
            return False
        line.role, line.reason = Role.point, "header of an option list"
        return True

    def _listed_under_option(self, i: int, line: _Line) -> bool:
        if not self.option_list:
            return False
        line.role, line.reason = Role.item, "listed under an option"
        return True

    def _between_options(self, i: int, line: _Line) -> bool:
        """The next labeled line continues the current option list (e.g. (3) after (2-3))."""
        if self.last_top == 0:
            return False
        for j in range(i + 1, self.n):
            t = self.lines[j].text
            if _EXPLICIT_RE.match(t) or self._next_is_fresh_option(j):
                return False
            m = _OPTION_RE.match(t)
            if m:
                if m.group(1) != "1" and int(m.group(1).split("-")[0]) in (self.last_top, self.last_top + 1):
                    line.role, line.reason = Role.item, "between options of one list"
                    return True
                return False
        return False

    def _short_choice(self, i: int, line: _Line) -> bool:
        if not (self.point_list and _is_short_choice(line.text)):
            return False
        line.role, line.reason = Role.item, "short choice under a header"
        return True

    def _default(self, i: int, line: _Line) -> bool:
        line.role, line.reason = Role.point, "default"
        return True


def _merge_named_paragraphs(lines: list[_Line]) -> None:
    """前N項 names N paragraphs of the same point: merge them."""
    paragraph_level = [k for k, ln in enumerate(lines) if ln.role in (Role.point, Role.paragraph)]
    for pos, k in enumerate(paragraph_level):
        m = _PREV_N_RE.search(lines[k].text)
        if not m:
            continue
        count = cn_to_int(m.group(1))
        earlier = paragraph_level[max(0, pos - count): pos]
        for j in earlier[1:]:
            if lines[j].role is Role.point and lines[j].label is None:
                lines[j].role = Role.paragraph
                lines[j].reason = f"merged: named by 前{count}項 in the line {lines[k].no}"


def _group(lines: list[_Line]) -> list[_Point]:
    points: list[_Point] = []
    counter = 0
    for line in lines:
        if line.role is Role.point:
            if line.label is not None:
                no = line.label
            else:
                counter += 1
                no = str(counter)
            points.append(_Point(no))
        elif not points:
            raise TemplateRecoveryError(f"第{line.no}行出現在第一點之前，無法歸屬。")
        points[-1].lines.append(line)
    return points


def _point_text_lines(point: _Point) -> list[str]:
    out = []
    for k, line in enumerate(point.lines):
        t = line.text
        if k == 0 and line.role is Role.point and line.label is not None:
            m = _EXPLICIT_RE.match(t)
            if m:
                t = t[m.end():]
        out.append(t)
    return out


def _build_options(point: _Point) -> list[dict[str, Any]]:
    roots: list[dict[str, Any]] = []
    by_label: dict[str, dict[str, Any]] = {}
    last: dict[str, Any] | None = None
    last_intro: dict[str, Any] | None = None
    for line in point.lines:
        if line.role is Role.option and line.label:
            node: dict[str, Any] = {"label": line.label, "text": line.text, "children": []}
            parts = line.label.strip("()").split("-")
            parent = by_label.get("(" + "-".join(parts[:-1]) + ")") if len(parts) > 1 else None
            (parent["children"] if parent is not None else roots).append(node)
            by_label[line.label] = node
            last = node
            last_intro = node if _ends_with_colon(line.text) and not _is_fill_in_other(line.text) else None
        elif line.role is Role.item and last is not None:
            if line.text.startswith(("■", "□", "█", "[")) or _PLACEHOLDER_RE.match(line.text):
                target = last
            elif last_intro is not None:
                target = last_intro
            else:
                top = last["label"].strip("()").split("-")[0]
                target = by_label.get(f"({top})", last)
            target["text"] += "\n" + line.text
        elif line.role in (Role.point, Role.paragraph):
            last = last_intro = None
    return roots


_INLINE_BLANK_RE = re.compile(
    r"[_＿]+(?:[\s年月日午時分]*[_＿]+)*"  # ___ runs (a date/time cluster counts as one blank)
    r"|：[ \u3000]+(?=[；。，%）)]|$)"  # colon followed only by spaces
    r"|(?<=第)[ \u3000]+(?=款)"  # 第 款
    r"|[ \u3000]+年[ \u3000]+月[ \u3000]+日(?:[ \u3000]+時[ \u3000]+分)?"  # 年 月 日 (時 分)
    r"|(?<=[\u4e00-\u9fff])[ \u3000]+(?=[年日家%][（(])"  # 至少 年（…
    r"|[０]{3,}[０ ]*"  # DOCX form field
)
_CLAUSE_SPLIT_RE = re.compile(r"[，；。(（)）]")


def _strip_parentheticals(text: str) -> str:
    prev = None
    while prev != text:
        prev = text
        text = re.sub(r"[(（][^()（）]*[)）]", "", text)
    return text


def _blank_name(before: str, after: str = "", inline: bool = False) -> str:
    core = _strip_parentheticals(_option_body(before)).rstrip("：: \u3000")
    parts = [p for p in _CLAUSE_SPLIT_RE.split(core) if p.strip()]
    name = parts[-1].strip() if parts else core.strip()
    if ":" in name or "：" in name:
        name = re.split(r"[：:]", name)[-1].strip() or name
    if inline:
        tail = _CLAUSE_SPLIT_RE.split(after, maxsplit=1)[0].strip()
        tail = re.split(r"[：:]", tail)[0]
        name = f"{name}＿＿{tail[:20]}"
    name = re.sub(r"[_＿]+", "＿＿", name)
    return name or before.strip()[-20:]


def _is_intro(line: _Line, nxt: _Line | None) -> bool:
    """A line ending in '：' introduces what follows (not a blank) when its choices follow it."""
    if nxt is None or nxt.role is Role.point:
        return False
    t = line.text
    if line.role is Role.option:
        if _is_fill_in_other(t):
            return False
        if nxt.role is Role.option and nxt.label and line.label:
            return _option_depth(nxt.label) > _option_depth(line.label)
        return nxt.role is Role.item
    if line.role is Role.item:
        if t.startswith("其他"):
            return False
        mark = any(r.match(nxt.text) for r in _ITEM_RES)
        return mark or any(w in t for w in _INTRO_WORDS) or len(t) <= 12
    return nxt.role in (Role.option, Role.item)


def _build_blanks(point: _Point) -> list[dict[str, str]]:
    blanks: list[dict[str, str]] = []
    lines = point.lines
    texts = _point_text_lines(point)
    for k, line in enumerate(lines):
        t = texts[k]
        found_inline = False
        for m in _INLINE_BLANK_RE.finditer(t):
            found_inline = True
            before = t[: m.start()]
            if _PLACEHOLDER_RE.match(t) and k > 0:
                blanks.append({"name": _blank_name(texts[k - 1]), "prompt": texts[k - 1]})
                continue
            is_colon_kind = m.group(0).startswith("：")
            if "年" in m.group(0) or "月" in m.group(0):  # a date (and time) field
                stem = before.rstrip()
                stem = stem[:-2] if stem.endswith("民國") else stem
                name = _blank_name(stem) + "（年月日）"
            else:
                name = _blank_name(before + ("：" if is_colon_kind else ""), t[m.end():],
                                   inline=not is_colon_kind and not before.rstrip().endswith(("：", ":")))
            blanks.append({"name": name, "prompt": before + ("：" if is_colon_kind else "")})
        if found_inline or not _ends_with_colon(t):
            continue
        nxt = lines[k + 1] if k + 1 < len(lines) else None
        if _is_intro(line, nxt):
            continue
        blanks.append({"name": _blank_name(t), "prompt": t})
    return blanks


def _raw_ref_targets(text: str) -> list[str]:
    return _INTERNAL_REF_RE.findall(text)


def verify_cross_references(doc: dict[str, Any]) -> list[str]:
    """Check every reference of the form to its own points; return problems (zh-TW), empty when consistent.

    Checks: (a) every ``第N點`` that is not part of a quoted other rule (``「…」第2點``) names an
    existing point; (b) the references in ``KNOWN_REFERENCES`` are found in the expected point and their
    target contains the expected keywords; (c) explicitly numbered points (``52-1``) directly follow
    their base point, whose content is known; (d) numbering is 1..N without gaps.
    """
    articles = doc.get("articles") or []
    by_no = {a["no"]: a for a in articles}
    order = [a["no"] for a in articles]
    problems: list[str] = []
    plain = [int(no) for no in order if no.isdigit()]
    if plain != list(range(1, len(plain) + 1)):
        problems.append("點次不連續：" + "、".join(map(str, plain)))
    for a in articles:
        for target in _raw_ref_targets(a["text"]):
            if target not in by_no:
                problems.append(f"第{a['no']}點引用第{target}點，但該點不存在。")
    for ref in KNOWN_REFERENCES:
        problems.extend(_known_reference_problems(ref, articles, by_no, order))
    for no, words in EXPLICIT_ANCHORS.items():
        problems.extend(_explicit_anchor_problems(no, words, by_no, order))
    return problems


def _known_reference_problems(ref: KnownReference, articles: list[dict[str, Any]],
                              by_no: dict[str, dict[str, Any]], order: list[str]) -> list[str]:
    """(b) of ``verify_cross_references`` for one known reference."""
    problems: list[str] = []
    sources = [a for a in articles if re.search(ref.pattern, a["text"])]
    if not sources:
        problems.append(f"找不到引用「{ref.pattern}」的點。")
    for a in sources:
        if not all(w in a["text"] for w in ref.source_keywords):
            problems.append(f"第{a['no']}點含「{ref.pattern}」，但不含預期內容 {ref.source_keywords}。")
        if ref.target == "prev":
            idx = order.index(a["no"])
            target_art = by_no[order[idx - 1]] if idx > 0 else None
        else:
            target_art = by_no.get(ref.target)
        if target_art is None:
            problems.append(f"第{a['no']}點之引用「{ref.pattern}」找不到被引用的點。")
        elif not all(w in target_art["text"] for w in ref.expected):
            problems.append(
                f"第{a['no']}點之引用「{ref.pattern}」指向第{target_art['no']}點，"
                f"但該點不含預期內容 {ref.expected}。"
            )
    return problems


def _explicit_anchor_problems(no: str, words: tuple[str, ...], by_no: dict[str, dict[str, Any]],
                              order: list[str]) -> list[str]:
    """(c) of ``verify_cross_references`` for one explicitly numbered point such as 52-1."""
    art = by_no.get(no)
    base = no.split("-")[0]
    if art is None:
        return [f"找不到明文編號之第{base}點之{no.split('-')[1]}。"]
    problems: list[str] = []
    if not all(w in art["text"] for w in words):
        problems.append(f"第{no}點不含預期內容 {words}。")
    idx = order.index(no)
    if idx == 0 or order[idx - 1] != base:
        problems.append(f"明文編號之第{no}點未緊接於第{base}點之後（前一點為第{order[idx - 1]}點）。")
    pred_words = EXPLICIT_PREDECESSOR.get(base, ())
    if base in by_no and not all(w in by_no[base]["text"] for w in pred_words):
        problems.append(f"第{base}點不含預期內容 {pred_words}。")
    return problems


def _count_verified(doc: dict[str, Any]) -> dict[str, int]:
    articles = doc["articles"]
    internal = sum(len(_raw_ref_targets(a["text"])) for a in articles)
    prev_refs = sum(1 for a in articles if "答復前條" in a["text"])
    return {"point_references": internal, "previous_point_references": prev_refs,
            "explicit_numbers": len(EXPLICIT_ANCHORS)}


def _label(no: str) -> str:
    if "-" in no:
        base, sub = no.split("-")
        return f"第{base}點之{sub}"
    return f"第{no}點"


def recover_tender_template(text: str) -> dict[str, Any]:
    """Recover the numbered points, options and blanks of the 投標須知範本 text; return the JSON document.

    Deterministic: the same text always gives the same dict. Raises ``TemplateRecoveryError`` (zh-TW
    message) when the text is not a 投標須知範本.
    """
    if not text.strip():
        raise TemplateRecoveryError("輸入內容為空白。")
    title, version_line, preamble, body, appendix = _split_sections(text.split("\n"))
    vm = _VERSION_RE.match(version_line)
    assert vm is not None  # checked in _split_sections
    roc_y, mon, day = (int(x) for x in vm.groups())
    version = f"{roc_y}.{mon}.{day}"
    amended = f"{roc_y + 1911:04d}-{mon:02d}-{day:02d}"
    articles = _articles(_group(_classify(body)))
    doc = _document(title, version, amended, preamble, articles, _appendices(appendix))
    doc["recovery"] = _recovery_notes(doc, text, articles)
    return doc


def _articles(points: list[_Point]) -> list[dict[str, Any]]:
    return [{
        "no": p.no,
        "label": _label(p.no),
        "chapter": None,
        "text": "\n".join(_point_text_lines(p)),
        "options": _build_options(p),
        "blanks": _build_blanks(p),
        "source_lines": [p.lines[0].no, p.lines[-1].no],
    } for p in points]


def _appendices(appendix: list[tuple[int, str]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for no, ln in appendix:
        t = ln.strip()
        if _APPENDIX_RE.match(t):
            out.append({"label": t, "text": t, "source_lines": [no, no]})
        else:
            out[-1]["text"] += "\n" + t
            out[-1]["source_lines"][1] = no
    return out


def _document(title: str, version: str, amended: str, preamble: list[str], articles: list[dict[str, Any]],
              appendices: list[dict[str, Any]]) -> dict[str, Any]:
    """The template's JSON document (the key order is the committed file's)."""
    return {
        "id": DOC_ID,
        "domain": "template",
        "title_zh": title,
        "title_en": "Tender Instructions Template (Public Construction Commission)",
        "title_en_source": "informal translation",
        "level": "行政規則",
        "issuer": "行政院公共工程委員會",
        "category": "行政院公共工程委員會",
        "last_amended": amended,
        "version": version,
        "effective_date": None,
        "unit": "point",
        "source": dict(SOURCE),
        "text_note": (
            "Each line of the extracted text is one paragraph of the form; a point's text is its lines "
            "joined with newlines (surrounding whitespace stripped). Point numbers were recovered "
            "(ingest/template_recovery.py); the printed number 五十二之一、 is moved from the text to the "
            "label. Check boxes are lost in the source (■/█ mark pre-ticked items)."
        ),
        "preamble": preamble,
        "articles": articles,
        "appendices": appendices,
        "article_count": len(articles),
        "deleted_article_count": 0,
        "char_count": sum(len(a["text"]) for a in articles),
    }


def _recovery_notes(doc: dict[str, Any], text: str, articles: list[dict[str, Any]]) -> dict[str, Any]:
    """How the numbering was recovered and verified, with the problems the cross-references show."""
    problems = verify_cross_references(doc)
    counts = _count_verified(doc)
    return {
        "method": (
            "line-shape rules (option labels, enumerations, check marks, back-references, option-list "
            "headers, short choices) + reviewed continuation overrides; numbering verified against the "
            "form's references to its own points (第35點, 本須知第16點 x2, 前條) and the printed 五十二之一"
        ),
        "raw_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "numbered_points": sum(1 for a in articles if a["no"].isdigit()),
        "entries": len(articles),
        "anchored_through": "53",
        "verified_references": counts["point_references"] + counts["previous_point_references"]
        + counts["explicit_numbers"],
        "verified_reference_kinds": counts,
        "overrides": sorted(CONTINUATION_OVERRIDES),
        "problems": problems,
    }


def dumps(doc: dict[str, Any]) -> str:
    """Canonical JSON serialization used for the committed file."""
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("用法：python -m ingest.template_recovery 輸入.txt 輸出.json", file=sys.stderr)
        return 2
    src, dst = Path(args[0]), Path(args[1])
    try:
        text = src.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"無法讀取輸入檔 {src}：{exc}", file=sys.stderr)
        return 1
    try:
        doc = recover_tender_template(text)
    except TemplateRecoveryError as exc:
        print(f"{src}：{exc}", file=sys.stderr)
        return 1
    problems = doc["recovery"]["problems"]
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(dst.suffix + ".tmp")
    tmp.write_text(dumps(doc), encoding="utf-8")
    tmp.replace(dst)
    print(f"{doc['article_count']} 點（含第52點之1），交叉引用驗證 {doc['recovery']['verified_references']} 處，"
          f"問題 {len(problems)} 項 -> {dst}")
    for p in problems:
        print("  - " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
