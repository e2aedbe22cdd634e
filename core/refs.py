"""Article references in free text: 採購法第22條第1項第9款, 第22條之1, 檔案法§17, 第16點 …

Used to parse questions (assistant.nlu, knowledge.retrieval); the document parser has its own line markers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from core.citation import article_label
from core.numerals import LABEL_CN, LABEL_NUM_RE, label_int
from core.text import to_halfwidth


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
    rf"(?:第{_S}(?P<n>{LABEL_NUM_RE}){_S}條(?:{_S}之{_S}(?P<m>{LABEL_NUM_RE}))?"
    rf"|第{_S}(?P<n2>[0-9]+){_S}-{_S}(?P<m2>[0-9]+){_S}條"
    rf"|§{_S}(?P<n3>[0-9]+)(?:{_S}-{_S}(?P<m3>[0-9]+))?"
    rf"|(?P<n4>[0-9]+|[{LABEL_CN}]+){_S}條(?:{_S}之{_S}(?P<m4>{LABEL_NUM_RE}))?"
    rf"|第{_S}(?P<pt>{LABEL_NUM_RE}){_S}點)"
    rf"(?:{_S}第{_S}(?P<p>{LABEL_NUM_RE}){_S}項)?"
    rf"(?:{_S}第{_S}(?P<i>{LABEL_NUM_RE}){_S}款)?"
    rf"(?:{_S}第{_S}(?P<s>{LABEL_NUM_RE}){_S}目)?"
)
_LAW_PREFIXES = ("依據", "根據", "依照", "按照", "參照", "參酌", "依", "按", "違反", "適用", "準用", "請問", "關於",
                 "查詢", "規定", "請", "問", "見", "即", "我", "想", "知道", "看", "的", "是", "在", "把", "就",
                 "和", "跟", "對", "給", "從", "讓", "被", "用", "可以", "如何", "怎麼", "什麼", "哪", "嗎", "呢",
                 "了", "都", "也", "還", "再", "該", "能")


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
                no, unit = str(label_int(m["pt"])), "point"
            else:
                n_raw = m["n"] or m["n2"] or m["n3"] or m["n4"]
                if m["n4"] and not law_raw:
                    continue  # bare "22條" without a law name is too ambiguous
                n = label_int(n_raw)
                sub_raw = m["m"] or m["m2"] or m["m3"] or m["m4"]
                no = f"{n}-{label_int(sub_raw)}" if sub_raw else str(n)
                unit = "article"
            para = label_int(m["p"]) if m["p"] else None
            item = label_int(m["i"]) if m["i"] else None
            subitem = label_int(m["s"]) if m["s"] else None
        except ValueError:
            continue
        law = _trim_law(law_raw, known) if law_raw else None
        start = m.start() if law is None else m.start("law") + (len(law_raw) - len(law))
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
