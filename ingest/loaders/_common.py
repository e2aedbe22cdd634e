"""Shared loader helpers: size checks, text decoding, domain and id inference."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

from core.vocab import Domain
from ingest.models import IngestError
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


def hidden_meta(hidden: Counter[str]) -> dict[str, str | int | float | bool | None]:
    """Loader metadata for text left out because nobody sees it (kind -> characters): ``hidden_chars`` and
    ``hidden_kinds`` become the document's provenance note (``ingest.structure.document.hidden_note``)."""
    kinds = [k for k, n in hidden.items() if n > 0]
    if not kinds:
        return {}
    return {"hidden_chars": sum(hidden[k] for k in kinds), "hidden_kinds": "、".join(kinds)}


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


# The most frequent characters of the shipped legal corpus, in Traditional and Simplified form. Big5 and
# GBK overlap in byte ranges, so GBK bytes often decode "cleanly" as Big5 into rare characters; the share
# of common characters tells the two apart.
_COMMON_CJK = frozenset(
    "一七万三上下不与专且业並个中为主之九书予事二于五交产人他付代令以件价任优会传估但位低体作使供依保信修個值備储傳價優儲元先免入內全八公六共关其具内决准减出分划列则別利别制則前劃力办加务动助動務包化区医區十协協单卫危厂压原县参參及反发取受变口另可台号各合同名后向告员品員商單器四因团围固国图國圍圖團在地场型域執基報場壓处备复外大央头契如委子存学學安完定实审室害家容密實審对射将將專對小少就尺层属層履屬工市平年并序应府度廠建开式当录形影征後得徵心必急性总情意應成或所托执技投护报招择指损排採接措提損撒擇支收改放政效救数整數文料新方於施无日时明時更書最會月有服期未本术机权材条板构果查标栓核格案档條检業楼構樓標機檔檢權次款止正每比民气氣水求決沫法泡测消減測源準滅满滿火灭災灾点為無照營物特率理生產用由申电画畫當登發百的监監目直相知碍礙示离种积称程種稱積立符第等筑签简算管範築簡簽类約納級紧組結給統經緊編練縣總繳约级纳练组经结给统编缴置者而职職能自至臺與范营萬處號行術衛补表装補裝製複要規視规视解訂計訊訓託記設訴評該認調請證警議護變计订认训议讯记设证评诉该请调財責費資質購财责质购费资起距載轄载辖辦达过进违连送适选通造連進逾過達違適選避部配醫采重量金銷錄销長长開間關间防附际限院除险際險难離難零電需非面項預頭額類项预额驗验體高點"
)


def _common_share(text: str) -> float:
    cjk = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
    if not cjk:
        return 0.0
    return sum(1 for ch in cjk if ch in _COMMON_CJK) / len(cjk)


def decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """Decode text bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else Big5/CP950 or GB18030.

    An encoding is chosen only when decoding is strict-clean and the result has (almost) no control,
    private-use or unassigned characters; between Big5 and GB18030 the one giving more common Chinese
    characters wins (Big5 on a tie). Returns (text, encoding name)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        raise IngestError(path, "看起來是二進位檔案，不是文字檔")
    try:
        text = data.decode("utf-8-sig")
        if _clean_ratio(text) >= 0.995:
            return text, "utf-8"
    except UnicodeDecodeError:
        pass
    best: tuple[float, str, str] | None = None
    for enc in ("cp950", "big5hkscs", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _clean_ratio(text) < 0.995:
            continue
        score = _common_share(text)
        if best is None or score > best[0]:
            best = (score, text, enc)
    if best is not None:
        return best[1], best[2]
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
