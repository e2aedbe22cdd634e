"""Shared loader helpers: size checks, text decoding, domain and id inference."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ingest.models import Domain, IngestError
from ingest.structure import infer_domain_from_text, slugify

FOLDER_DOMAINS: dict[str, Domain] = {
    "procurement": Domain.procurement,
    "archives": Domain.archives,
    "emergency": Domain.emergency,
    "templates": Domain.template,
    "template": Domain.template,
    "plans": Domain.plan,
    "plan": Domain.plan,
}


def _human(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} 位元組"


def read_checked(path: Path, max_bytes: int) -> bytes:
    """File bytes after existence, size and emptiness checks (IngestError with a zh-TW reason)."""
    if not path.exists():
        raise IngestError(path, "找不到檔案")
    if path.is_dir():
        raise IngestError(path, "這是資料夾，不是檔案")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(path, "檔案是空的")
    if size > max_bytes:
        raise IngestError(path, f"檔案太大：{_human(size)}（{size:,} 位元組），超過上限 {_human(max_bytes)}"
                                f"（{max_bytes:,} 位元組）")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise IngestError(path, f"無法讀取檔案：{e.strerror or e}") from e
    return data


_BAD_CATEGORIES = {"Cc", "Co", "Cn", "Cs"}


def _clean_ratio(text: str) -> float:
    """Share of characters that are plausible text (no controls, private-use or unassigned code points)."""
    if not text:
        return 1.0
    bad = sum(1 for ch in text if ch not in "\t\n\r\f" and unicodedata.category(ch) in _BAD_CATEGORIES)
    return 1 - bad / len(text)


def decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """Decode text bytes: UTF-8 (with or without BOM), UTF-16 with BOM, then Big5/CP950, then GB18030.

    An encoding is chosen only when decoding is strict-clean and the result has (almost) no control,
    private-use or unassigned characters. Returns (text, encoding name)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        raise IngestError(path, "看起來是二進位檔案，不是文字檔")
    for enc in ("utf-8-sig", "cp950", "big5hkscs", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _clean_ratio(text) >= 0.995:
            return text, "utf-8" if enc == "utf-8-sig" else enc
    raise IngestError(path, "無法辨識文字編碼（已試過 UTF-8、Big5/CP950、GB18030），請另存為 UTF-8 後再匯入")


def infer_domain(path: Path, text: str = "") -> Domain | None:
    """Domain from the nearest parent folder name (procurement/archives/emergency/templates/plans),
    else from keywords in the text."""
    for parent in path.resolve().parents:
        d = FOLDER_DOMAINS.get(parent.name.lower())
        if d is not None:
            return d
    return infer_domain_from_text(text[:20000])


def doc_id_for(path: Path) -> str:
    return slugify(path.stem)


_FRONT_RE = re.compile(r"\A---[ \t]*\n(?P<body>.*?)\n---[ \t]*(?:\n|\Z)", re.S)


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Simple ``key: value`` front matter between --- lines (no nested YAML)."""
    m = _FRONT_RE.match(text.lstrip("\ufeff"))
    if not m:
        return {}, text
    meta: dict[str, str] = {}
    for line in m["body"].split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        meta[key.strip().lower()] = value
    return meta, text[m.end():]
