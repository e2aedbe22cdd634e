"""LoadedDocument -> SourceDocument: ids, title, domain, unit, version and content hash."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from core.access import AccessLevel
from core.vocab import Domain, Unit
from ingest.models import (
    IngestError,
    LoadedDocument,
    Section,
    SourceDocument,
    sha256_text,
)
from ingest.sources import DOC_ID_RE
from ingest.structure.lines import normalize_text
from ingest.structure.parser import ParsedText, parse_text

DOMAIN_UNKNOWN = ("無法判斷文件類別（採購／檔案／消防防災／範本／計畫），"
                  "請放入對應資料夾、在檔案開頭註明 domain，或上傳時指定 domain")

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
    s = re.sub(r"[^0-9a-z\u3400-\u9fff]+", "-", s).strip("-")[:120].strip("-")
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
    # the file's own title > a title line in the text > PDF/DOCX metadata title > file name
    title = (doc.title or (parsed.title if parsed else None) or _meta_str(meta, "meta_title") or stem).strip()
    doc_id = doc.doc_id or slugify(stem)
    if not DOC_ID_RE.fullmatch(doc_id):
        raise IngestError(doc.path, f"doc_id 不正確：{doc_id[:60]}（只能用英數字、中文、「-」與「_」，最多 120 字）")
    domain = doc.domain or infer_domain_from_text(title + "\n" + "\n".join(s.text for s in sections[:50]))
    if domain is None:
        raise IngestError(doc.path, DOMAIN_UNKNOWN)
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
    hidden = hidden_note(meta)
    if hidden:
        note = f"{note}；{hidden}" if note else hidden
    return SourceDocument(
        doc_id=doc_id, title=title, domain=domain, unit=unit, source_path=doc.path, fmt=doc.fmt,
        amended=amended, effective=doc.effective, version=version, access_level=access, partial=partial,
        sample=_meta_bool(meta, "sample"),
        note=note, url=_meta_str(meta, "url"), content_hash=content_hash, sections=sections,
        hidden_chars=_meta_int(meta, "hidden_chars"), hidden_note=hidden,
    )


def _meta_int(meta: dict, key: str) -> int:
    try:
        return max(0, int(meta.get(key) or 0))
    except (TypeError, ValueError):
        return 0


def hidden_note(meta: dict) -> str | None:
    """The provenance note for text a loader left out because nobody sees it (review F-15), or None."""
    chars, kinds = _meta_int(meta, "hidden_chars"), _meta_str(meta, "hidden_kinds")
    if not kinds:
        return None
    return (f"匯入時略過 {chars} 字看不見的文字（{kinds}），未收錄；"
            "若這些文字應收錄，請提供可見的版本")
