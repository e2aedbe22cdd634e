"""The recovered PCC 投標須知範本 (knowledge/sources/templates/tender-instructions-template.json).

Loaded into small typed objects: points in form order, each with its option tree and blanks. The form
prints its points with Word's automatic Chinese numbering (一、二、… and 五十二之一、 for 第52點之1);
``TemplatePoint.printed_number`` reproduces it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from core.numerals import int_to_cn
from knowledge.shipped import TENDER_TEMPLATE_PATH

TEMPLATE_TITLE = "投標須知範本"


class TemplateError(ValueError):
    """The template file is missing or not in the expected layout (zh-TW message)."""


@dataclass(frozen=True)
class TemplateOption:
    label: str  # normalised, e.g. "(1)", "(3-1-2)"
    text: str  # first line of the option as printed, label included
    children: tuple[TemplateOption, ...] = ()

    def walk(self) -> list[TemplateOption]:
        out = [self]
        for c in self.children:
            out += c.walk()
        return out


@dataclass(frozen=True)
class TemplateBlank:
    name: str
    prompt: str


@dataclass(frozen=True)
class TemplatePoint:
    no: str  # "1" … "93", "52-1"
    text: str
    options: tuple[TemplateOption, ...] = ()
    blanks: tuple[TemplateBlank, ...] = ()

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def header(self) -> str:
        return self.lines[0]

    @property
    def printed_number(self) -> str:
        """一、 … 九十三、 ; 52-1 -> 五十二之一、"""
        base, _, sub = self.no.partition("-")
        return int_to_cn(int(base)) + (f"之{int_to_cn(int(sub))}" if sub else "") + "、"

    @property
    def label(self) -> str:
        base, _, sub = self.no.partition("-")
        return f"第{base}點" + (f"之{sub}" if sub else "")

    def all_options(self) -> list[TemplateOption]:
        out: list[TemplateOption] = []
        for o in self.options:
            out += o.walk()
        return out

    def option(self, label: str) -> TemplateOption:
        for o in self.all_options():
            if o.label == label:
                return o
        raise TemplateError(f"範本{self.label}沒有選項{label}")


@dataclass(frozen=True)
class TenderTemplate:
    title: str
    version: str
    issuer: str
    last_amended: str | None
    preamble: tuple[str, ...]
    points: tuple[TemplatePoint, ...]
    path: Path = field(default=TENDER_TEMPLATE_PATH)

    def point(self, no: str) -> TemplatePoint:
        for p in self.points:
            if p.no == no:
                return p
        raise TemplateError(f"範本沒有第{no}點")

    @classmethod
    def load(cls, path: Path | None = None) -> TenderTemplate:
        return _load(Path(path or TENDER_TEMPLATE_PATH).resolve())


def _norm_label(label: str) -> str:
    return label.replace("（", "(").replace("）", ")").strip()


def _option(raw: dict[str, object]) -> TemplateOption:
    children = raw.get("children") or []
    assert isinstance(children, list)
    return TemplateOption(label=_norm_label(str(raw["label"])), text=str(raw["text"]).split("\n")[0],
                          children=tuple(_option(c) for c in children))


@lru_cache(maxsize=4)
def _load(path: Path) -> TenderTemplate:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateError(f"找不到投標須知範本檔：{path}") from None
    except json.JSONDecodeError as exc:
        raise TemplateError(f"投標須知範本檔不是有效的 JSON：{path}（{exc}）") from None
    if doc.get("title_zh") != TEMPLATE_TITLE or doc.get("unit") != "point" or not doc.get("articles"):
        raise TemplateError(f"{path} 不是投標須知範本（須為 unit=point 之 {TEMPLATE_TITLE} JSON）")
    points = tuple(
        TemplatePoint(no=str(a["no"]), text=str(a["text"]),
                      options=tuple(_option(o) for o in a.get("options") or []),
                      blanks=tuple(TemplateBlank(name=str(b["name"]), prompt=str(b["prompt"]))
                                   for b in a.get("blanks") or []))
        for a in doc["articles"])
    return TenderTemplate(title=doc["title_zh"], version=str(doc.get("version") or ""),
                          issuer=str(doc.get("issuer") or "行政院公共工程委員會"),
                          last_amended=doc.get("last_amended"), preamble=tuple(doc.get("preamble") or ()),
                          points=points, path=path)
