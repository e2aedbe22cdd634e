#!/usr/bin/env python3
"""A digest of everything ingest produces for the shipped corpus, to prove a refactor changed nothing.

``python scripts/ingest_snapshot.py --out before.json`` (on the old code), the same with ``after.json`` on the
new code, then ``python scripts/ingest_snapshot.py --compare before.json after.json`` (exit 1 on any
difference, listing the differing items).

What is digested, each item as the sha256 of its canonical JSON:
- every shipped source file through the whole in-process path: load -> parse_structure -> chunk_document,
  with the BM25 entries and the vector entries the Indexer derives from the chunks;
- every law and point JSON rendered back to plain text (Arabic and Chinese article numerals) and every parsed
  document's section texts joined, each through ``parse_text`` with every unit hint (None, article, point,
  section): the parser on texts with and without the structure it must find;
- ``classify_line`` on every line of those texts;
- the tender-template recovery of the committed raw text (``knowledge/raw/templates``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.vocab import Unit  # noqa: E402
from ingest.chunking import chunk_document  # noqa: E402
from ingest.loaders import SUPPORTED_SUFFIXES, load_path  # noqa: E402
from ingest.models import IngestError  # noqa: E402
from ingest.structure import classify_line, parse_structure, parse_text  # noqa: E402
from ingest.template_recovery import recover_tender_template  # noqa: E402
from knowledge.indexer import IGNORED_NAMES, vector_entries  # noqa: E402
from knowledge.lexical import lexical_entries  # noqa: E402
from knowledge.shipped import SHIPPED_SOURCES  # noqa: E402
from tests.fixtures.ingest_docs import render_law_text  # noqa: E402

UNITS: tuple[Unit | None, ...] = (None, Unit.article, Unit.point, Unit.section)


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def _source_files() -> list[Path]:
    return sorted(f for f in SHIPPED_SOURCES.rglob("*")
                  if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES and f.name not in IGNORED_NAMES)


def _texts(files: list[Path], docs_text: dict[str, str]) -> Iterator[tuple[str, str]]:
    for f in files:
        if f.suffix == ".json":
            law = json.loads(f.read_text(encoding="utf-8"))
            if isinstance(law, dict) and law.get("articles") and law.get("last_amended"):
                for cn in (False, True):
                    yield f"render:{f.relative_to(ROOT)}:cn={cn}", render_law_text(law, chinese_numerals=cn)
    yield from docs_text.items()


def snapshot() -> dict[str, str]:
    items: dict[str, str] = {}
    files = _source_files()
    docs_text: dict[str, str] = {}
    for f in files:
        key = str(f.relative_to(ROOT))
        try:
            docs = [parse_structure(ld) for ld in load_path(f, max_bytes=50 * 1024 * 1024)]
        except IngestError as e:
            items[f"file:{key}"] = _digest({"error": e.reason})
            continue
        for doc in docs:
            chunks = chunk_document(doc)
            items[f"doc:{key}:{doc.doc_id}"] = _digest(doc.model_dump(mode="json"))
            items[f"chunks:{key}:{doc.doc_id}"] = _digest([c.model_dump(mode="json") for c in chunks])
            items[f"lexical:{key}:{doc.doc_id}"] = _digest(lexical_entries(chunks))
            items[f"vectors:{key}:{doc.doc_id}"] = _digest([(e.vec_id, e.chunk.chunk_id, e.text)
                                                            for e in vector_entries(chunks)])
            docs_text[f"sections:{key}:{doc.doc_id}"] = "\n".join(
                [doc.title, *(f"{s.label}\n{s.text}" for s in doc.sections)])
    for name, text in _texts(files, docs_text):
        for unit in UNITS:
            parsed = parse_text(text, unit=unit)
            items[f"parse:{name}:{unit}"] = _digest(
                [parsed.unit, parsed.title, parsed.amended, parsed.preamble, [s.model_dump(mode="json") for s in parsed.sections]])
        marks = [classify_line(ln) for ln in text.split("\n") if ln.strip()]
        items[f"lines:{name}"] = _digest([m.__dict__ if m is not None else None for m in marks])
        items["#lines"] = str(int(items.get("#lines", "0")) + len(marks))
    for raw in sorted((ROOT / "knowledge" / "raw" / "templates").glob("*.txt")):
        items[f"template:{raw.name}"] = _digest(recover_tender_template(raw.read_text(encoding="utf-8")))
    return items


def _counts(items: dict[str, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for k in items:
        if not k.startswith("#"):
            kind = k.split(":", 1)[0]
            out[kind] = out.get(kind, 0) + 1
    out["classified_lines"] = int(items.get("#lines", "0"))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args(argv)
    if args.compare:
        a, b = (json.loads(p.read_text(encoding="utf-8")) for p in args.compare)
        diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        print(f"compared {len(a)} digests: {_counts(a)}")
        for k in diff[:50]:
            print(f"  differs: {k}")
        print("identical" if not diff else f"{len(diff)} differ")
        return 1 if diff else 0
    items = snapshot()
    text = json.dumps(items, ensure_ascii=False, indent=0, sort_keys=True)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(f"{len(items)} digests: {_counts(items)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
