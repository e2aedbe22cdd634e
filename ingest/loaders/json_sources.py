"""Loaders for the JSON shapes of the shipped corpus.

- law layout (``articles``): laws, regulations, 要點 and the template JSON -> one document with sections
- page excerpts (``items``): each item is its own partial document; its text goes through the parser
- raw extracts (``sections``): one lossy document, each section keyed by its title
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from core.dates import parse_date
from core.text import to_halfwidth
from core.vocab import Domain, Unit
from ingest.loaders._common import doc_id_for, infer_domain
from ingest.models import IngestError, LoadedDocument, Section
from ingest.structure import chapter_paths, display_label, is_deleted_text, normalize_text

Meta = dict[str, str | int | float | bool | None]


def load_json(path: Path, data: bytes) -> list[LoadedDocument]:
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise IngestError(path, "JSON 檔案不是 UTF-8 編碼") from e
    except json.JSONDecodeError as e:
        raise IngestError(path, f"JSON 格式錯誤：第 {e.lineno} 行第 {e.colno} 欄（{e.msg}）") from e
    if not isinstance(obj, dict):
        raise IngestError(path, "無法辨識的 JSON 格式：最外層應為物件（含 articles、items 或 sections）")
    if isinstance(obj.get("articles"), list):
        return [_law(path, obj)]
    if isinstance(obj.get("items"), list):
        return _excerpts(path, obj)
    if isinstance(obj.get("sections"), list):
        return [_raw_sections(path, obj)]
    raise IngestError(path, "無法辨識的 JSON 格式：需要 articles（法規）、items（節錄）或 sections（擷取段落）欄位")


def _date(path: Path, value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return parse_date(str(value))
    except ValueError:
        # "2021-05-01 (法規修正日期 shown on …)": take the leading date when there is one
        head = str(value).split(" ")[0]
        try:
            return parse_date(head)
        except ValueError:
            raise IngestError(path, f"{field} 日期格式無法辨識：{value}") from None


def _domain(path: Path, value: Any, text: str) -> Domain | None:
    if value:
        try:
            return Domain(str(value))
        except ValueError:
            pass
    return infer_domain(path, text)


def _scalar(v: Any) -> str | int | float | bool | None:
    if v is None or isinstance(v, str | int | float | bool):
        return v
    return json.dumps(v, ensure_ascii=False)


def _unit(path: Path, value: Any) -> Unit:
    try:
        return Unit(str(value or "article"))
    except ValueError:
        raise IngestError(path, f"unit 不正確：{value}（可用 article、point、section）") from None


def normalize_no(raw: Any) -> str:
    """"22" / "22-1" / "22之1" / "２２" -> "22" / "22-1"."""
    s = to_halfwidth(str(raw)).strip().replace(" ", "")
    s = s.replace("之", "-").replace("條", "").replace("第", "")
    return s


def _law(path: Path, d: dict[str, Any]) -> LoadedDocument:
    unit = _unit(path, d.get("unit"))
    articles = d["articles"]
    paths = chapter_paths([a.get("chapter") if isinstance(a, dict) else None for a in articles])
    sections: list[Section] = []
    extra_keys = 0
    for k, (a, chapter) in enumerate(zip(articles, paths, strict=True)):
        if not isinstance(a, dict) or "no" not in a or "text" not in a:
            raise IngestError(path, f"第 {k + 1} 筆條文缺少 no 或 text 欄位")
        no = normalize_no(a["no"])
        text = normalize_text(str(a["text"]))
        label = display_label(no, unit) if unit != Unit.section else str(a.get("label") or no)
        sections.append(Section(no=no, label=label, chapter=chapter, text=text, deleted=is_deleted_text(text)))
        extra_keys += sum(1 for key in a if key not in ("no", "label", "chapter", "text"))
    meta: Meta = {
        "url": d.get("upstream_url") or d.get("url"),
        "level": d.get("level"),
        "note": d.get("note") or d.get("completeness") or d.get("text_note"),
        "effective_note": d.get("effective_note"),
        "pcode": d.get("pcode"),
        "title_en": d.get("title_en"),
    }
    if d.get("version"):
        meta["version_label"] = _scalar(d.get("version"))
    if isinstance(d.get("preamble"), list) and d["preamble"]:
        meta["preamble"] = "\n".join(str(x) for x in d["preamble"])
    if isinstance(d.get("appendices"), list) and d["appendices"]:
        meta["appendices"] = len(d["appendices"])  # not indexed as sections (they are forms, not points)
    if extra_keys:
        meta["article_extra_keys"] = extra_keys  # e.g. template options/blanks, kept in the JSON file
    for key in ("partial", "sample", "access_level"):
        if key in d:
            meta[key] = _scalar(d[key])
    title = str(d.get("title_zh") or d.get("title") or path.stem)
    amended = _date(path, d.get("last_amended") or d.get("version_date"), "last_amended")
    return LoadedDocument(
        path=str(path), fmt="law-json", title=title, doc_id=str(d.get("id") or doc_id_for(path)),
        domain=_domain(path, d.get("domain"), title), unit=unit, amended=amended,
        effective=_date(path, d.get("effective_date"), "effective_date"), sections=sections,
        meta={k: v for k, v in meta.items() if v is not None},
    )


def _excerpts(path: Path, d: dict[str, Any]) -> list[LoadedDocument]:
    out = []
    for k, it in enumerate(d["items"]):
        if not isinstance(it, dict) or not it.get("text"):
            raise IngestError(path, f"第 {k + 1} 筆節錄缺少 text 欄位")
        title = str(it.get("title_zh") or it.get("title") or f"{path.stem}-{k + 1}")
        meta: Meta = {"partial": True, "note": it.get("completeness"), "url": it.get("url"),
                      "issuer": it.get("issuer"), "text_note": it.get("text_note")}
        out.append(LoadedDocument(
            path=str(path), fmt="excerpt-json", text=str(it["text"]), title=title,
            doc_id=str(it.get("id") or f"{doc_id_for(path)}-{k + 1}"),
            domain=_domain(path, it.get("domain"), title + it["text"]),
            amended=_date(path, it.get("version_date"), "version_date"),
            meta={key: v for key, v in meta.items() if v is not None},
        ))
    return out


def _raw_sections(path: Path, d: dict[str, Any]) -> LoadedDocument:
    sections: list[Section] = []
    seen: dict[str, int] = {}
    for k, s in enumerate(d["sections"]):
        if not isinstance(s, dict) or not s.get("text"):
            raise IngestError(path, f"第 {k + 1} 段缺少 text 欄位")
        title = str(s.get("title_zh") or s.get("title") or f"段落{k + 1}").strip()
        no = title
        if no in seen:
            seen[no] += 1
            no = f"{no}#{seen[no]}"
        else:
            seen[no] = 1
        sections.append(Section(no=no, label=title, text=normalize_text(str(s["text"]))))
    title = str(d.get("title_zh") or d.get("title") or path.stem)
    meta: Meta = {"partial": True, "lossy": True, "note": d.get("quality") or d.get("note"),
                  "level": d.get("level"), "url": d.get("upstream_url") or d.get("url")}
    return LoadedDocument(
        path=str(path), fmt="extract-json", title=title, doc_id=str(d.get("id") or doc_id_for(path)),
        domain=_domain(path, d.get("domain"), title), unit=Unit.section, sections=sections,
        meta={k: v for k, v in meta.items() if v is not None},
    )
