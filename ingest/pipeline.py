"""Incremental, crash-safe (re)indexing.

Order of a run (see knowledge/registry.py for why it is safe):
1. discover source files; hash each file; files whose hash the registry already has are skipped
   without being parsed or embedded;
2. load -> parse -> chunk the changed files (a bad file is reported by name and skipped);
3. embed only chunk texts missing from the embedding cache, add the new vectors to the store
   (new chunk ids: ids carry the document's content hash, so they never collide with live ones);
4. build a new immutable lexical snapshot over the final chunk set;
5. ONE registry transaction swaps documents/sections/chunks and the snapshot pointer;
6. only then old vectors and snapshots are deleted.
A crash or Ctrl-C before step 5 leaves the previous index fully usable; leftovers are collected by
the next run.
"""

from __future__ import annotations

import fcntl
import hashlib
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunking import chunk_document, embedding_text
from ingest.models import Chunk, IngestError, SourceDocument
from knowledge.embedders import Embedder
from knowledge.lexical import LexicalIndex, Tokenizer, prune_snapshots
from knowledge.registry import DocumentWrite, Registry
from knowledge.vectorstore import VectorEntry, VectorStore

IGNORED_NAMES = {"README.md", "SOURCES.md", "LICENSE", ".DS_Store"}

# Bump when loaders/parser/chunker output changes: every file is then re-parsed (embeddings still
# come from the cache when a chunk's text is unchanged).
PIPELINE_VERSION = "2026-11-27.3"


@dataclass
class FileFailure:
    path: str
    reason: str


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[FileFailure] = field(default_factory=list)
    chunks_total: int = 0
    chunks_embedded: int = 0
    chunks_from_cache: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "added": self.added, "updated": self.updated, "unchanged": len(self.unchanged),
            "removed": self.removed, "failed": [f.__dict__ for f in self.failed],
            "chunks_total": self.chunks_total, "chunks_embedded": self.chunks_embedded,
            "chunks_from_cache": self.chunks_from_cache, "seconds": round(self.seconds, 3),
        }

    def summary_zh(self) -> str:
        s = (f"新增 {len(self.added)}、更新 {len(self.updated)}、未變更 {len(self.unchanged)}、"
             f"移除 {len(self.removed)}、失敗 {len(self.failed)} 份文件；"
             f"片段共 {self.chunks_total}（新嵌入 {self.chunks_embedded}，快取 {self.chunks_from_cache}），"
             f"耗時 {self.seconds:.1f} 秒")
        return s


ProgressFn = Callable[[str, int, int], None]  # (stage, done, total)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def source_key(path: Path, doc: SourceDocument, multi: bool) -> str:
    return f"{path}#{doc.doc_id}" if multi else str(path)


def _file_of(key: str) -> str:
    return key.split("#", 1)[0]


class Indexer:
    def __init__(self, registry: Registry, store: VectorStore, embedder: Embedder, tokenizer: Tokenizer,
                 lexical_dir: Path, *, max_bytes: int, chunk_max_tokens: int = 600):
        self.registry = registry
        self.store = store
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.lexical_dir = lexical_dir
        self.max_bytes = max_bytes
        self.chunk_max_tokens = chunk_max_tokens

    # --- discovery -----------------------------------------------------------------------------
    @staticmethod
    def discover(paths: list[Path]) -> tuple[list[tuple[Path, Path]], list[FileFailure]]:
        from ingest.loaders import SUPPORTED_SUFFIXES

        found: list[tuple[Path, Path]] = []  # (root, file)
        failures: list[FileFailure] = []
        for p in paths:
            root = p.resolve()
            if root.is_dir():
                for f in sorted(root.rglob("*")):
                    if (f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES and f.name not in IGNORED_NAMES
                            and not any(part.startswith(".") for part in f.relative_to(root).parts)):
                        found.append((root, f))
            elif root.is_file():
                if root.suffix.lower() not in SUPPORTED_SUFFIXES:
                    failures.append(FileFailure(str(root), f"不支援的檔案格式 {root.suffix or '（無副檔名）'}；"
                                                f"支援：{', '.join(sorted(SUPPORTED_SUFFIXES))}"))
                else:
                    found.append((root, root))
            else:
                failures.append(FileFailure(str(p), "找不到這個檔案或資料夾"))
        return found, failures

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.lexical_dir.mkdir(parents=True, exist_ok=True)
        with (self.lexical_dir / "ingest.lock").open("w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as e:
                raise RuntimeError("另一個索引作業正在執行，請稍後再試") from e
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # --- the run -------------------------------------------------------------------------------
    def ingest(self, paths: list[Path], progress: ProgressFn | None = None, prune: bool = True) -> IngestReport:
        with self._lock():
            return self._ingest(paths, progress, prune)

    def _ingest(self, paths: list[Path], progress: ProgressFn | None, prune: bool) -> IngestReport:
        from ingest.loaders import load_path
        from ingest.structure import parse_structure

        t0 = time.time()
        report = IngestReport()
        self._collect_garbage()
        files, failures = self.discover(paths)
        report.failed.extend(failures)
        roots = {str(p.resolve()) for p in paths}
        known = self.registry.documents()
        known_by_file: dict[str, list[str]] = {}
        known_hash: dict[str, str] = {}
        stale_pipeline = self.registry.get_state("pipeline_version") != PIPELINE_VERSION
        for d in known:
            known_by_file.setdefault(_file_of(d.source_path), []).append(d.source_path)
            known_hash[_file_of(d.source_path)] = d.file_hash
        writes: list[DocumentWrite] = []
        replaced_keys: set[str] = set()
        taken_versions = {(d.doc_id, d.version): d.source_path for d in known}

        for i, (root, f) in enumerate(files):
            if progress:
                progress("讀取", i, len(files))
            try:
                size = f.stat().st_size
                fh = file_sha256(f)
            except OSError as e:
                report.failed.append(FileFailure(str(f), f"無法讀取檔案：{e.strerror or e}"))
                continue
            if known_hash.get(str(f)) == fh and not stale_pipeline:
                report.unchanged.append(str(f))
                continue
            try:
                loaded = load_path(f, max_bytes=self.max_bytes)
                docs = [parse_structure(ld) for ld in loaded]
                if not docs or not any(s.text.strip() for d in docs for s in d.sections):
                    raise IngestError(f, "沒有可索引的內容")
            except IngestError as e:
                report.failed.append(FileFailure(str(f), e.reason))
                continue
            except Exception as e:  # a parser bug must not stop the whole run
                report.failed.append(FileFailure(str(f), f"處理時發生錯誤：{type(e).__name__}: {e}"))
                continue
            old_keys = set(known_by_file.get(str(f), []))
            multi = len(docs) > 1
            file_writes: list[DocumentWrite] = []
            conflict = None
            for doc in docs:
                key = source_key(f, doc, multi)
                doc = doc.model_copy(update={"source_path": key})
                owner = taken_versions.get((doc.doc_id, doc.version))
                if owner is not None and _file_of(owner) != str(f):
                    conflict = f"文件 {doc.doc_id}（版本 {doc.version}）已由 {_file_of(owner)} 提供"
                    break
                chunks = chunk_document(doc, self.chunk_max_tokens)
                file_writes.append(DocumentWrite(doc=doc, root=str(root), file_hash=fh, file_size=size,
                                                 chunks=chunks))
            if conflict:
                report.failed.append(FileFailure(str(f), conflict))
                continue
            for w in file_writes:
                taken_versions[(w.doc.doc_id, w.doc.version)] = w.doc.source_path
            writes.extend(file_writes)
            replaced_keys |= old_keys
            (report.updated if old_keys else report.added).append(str(f))

        removed: list[str] = []
        if prune:  # sources under the given roots (or given files) that no longer exist
            removed = [d.source_path for d in known
                       if d.root in roots and not Path(_file_of(d.source_path)).exists()]
        # keys of a changed file that the new parse no longer produces
        new_keys = {w.doc.source_path for w in writes}
        dropped = [k for k in replaced_keys if k not in new_keys]
        report.removed = sorted({_file_of(k) for k in removed})

        if not writes and not removed and not dropped and not stale_pipeline:
            report.chunks_total = len(self.registry.chunk_ids())
            report.seconds = time.time() - t0
            return report

        # 3. embed what is new, add to the store
        new_chunks = [c for w in writes for c in w.chunks]
        self._embed_and_add(new_chunks, report, progress)

        # 4. lexical snapshot over the final chunk set
        gone = set(removed) | replaced_keys
        final: list[Chunk] = [c for c in self.registry.chunks() if c.source_file not in gone]
        final.extend(new_chunks)
        if progress:
            progress("詞彙索引", 0, 1)
        lex_entries = lexical_entries(final)
        lex = LexicalIndex.build([i for i, _ in lex_entries], [t for _, t in lex_entries], self.tokenizer)
        snap = lex.save(self.lexical_dir)
        report.chunks_total = len(final)
        report.seconds = time.time() - t0

        # 5. the atomic swap
        old_ids = set(self.registry.chunk_ids())
        self.registry.commit_run(writes, [*removed, *dropped], snap, report.to_dict(),
                                 pipeline_version=PIPELINE_VERSION)

        # 6. cleanup
        live = {c.chunk_id for c in final}
        self.store.delete(sorted(old_ids - live))
        prune_snapshots(self.lexical_dir, {snap})
        report.seconds = time.time() - t0
        return report

    def _embed_and_add(self, chunks: list[Chunk], report: IngestReport, progress: ProgressFn | None) -> None:
        if not chunks:
            return
        entries = vector_entries(chunks)
        texts = [e.text for e in entries]
        hashes = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        cached = self.registry.cached_vectors(self.embedder.name, sorted(set(hashes)))
        missing = sorted({h: t for h, t in zip(hashes, texts, strict=True) if h not in cached}.items())
        report.chunks_from_cache = sum(1 for h in hashes if h in cached)
        report.chunks_embedded = len(hashes) - report.chunks_from_cache
        batch = 64
        for i in range(0, len(missing), batch):
            part = missing[i:i + batch]
            if progress:
                progress("嵌入", i, len(missing))
            vecs = self.embedder.embed_documents([t for _, t in part])
            new = {h: v for (h, _), v in zip(part, vecs, strict=True)}
            self.registry.store_vectors(self.embedder.name, new)
            cached.update(new)
        if progress:
            progress("嵌入", len(missing), len(missing))
        import numpy as np

        matrix = np.vstack([cached[h] for h in hashes])
        self.store.add(entries, matrix)

    def _collect_garbage(self) -> None:
        """Drop vectors that no committed chunk refers to (left by an interrupted run)."""
        live = self.registry.chunk_ids()
        orphans = sorted(self.store.ids() - live)
        if orphans:
            self.store.delete(orphans)
        snap = self.registry.get_state("lexical_snapshot")
        prune_snapshots(self.lexical_dir, {snap} if snap else set())


def lexical_text(c: Chunk) -> str:
    """What BM25 sees: title and label (so 法規名稱 and 第N條 match) plus the chunk body."""
    return f"{c.title} {c.label} {c.chapter}\n{c.text}"


def lexical_entries(chunks: list[Chunk]) -> list[tuple[str, str]]:
    """(entry id, text) for BM25: each whole chunk, plus each 項/款 line of multi-line chunks
    (ids "<chunk_id>:<j>"), so a question matching one 款 of a long article is not drowned by
    the article's length normalisation."""
    out: list[tuple[str, str]] = []
    for c in chunks:
        out.append((c.chunk_id, lexical_text(c)))
        lines = _passage_lines(c)
        if len(lines) > 1:
            out.extend((f"{c.chunk_id}:{j}", f"{c.title} {c.label}\n{ln}") for j, ln in enumerate(lines))
    return out


def vector_entries(chunks: list[Chunk]) -> list[VectorEntry]:
    """One vector for each whole chunk, plus one per 項/款 line of multi-line chunks.

    The dense model mean-pools its tokens, so a long article's vector is diluted; a question
    usually matches one 項 or 款. Line vectors keep the article context (title, label) in front.
    """
    out: list[VectorEntry] = []
    for c in chunks:
        out.append(VectorEntry(c.chunk_id, c, _nfc(embedding_text(c))))
        lines = _passage_lines(c)
        if len(lines) > 1:
            head = " ".join(x for x in (c.title, c.label) if x)
            out.extend(VectorEntry(f"{c.chunk_id}:{j}", c, _nfc(f"{head}\n{ln}")) for j, ln in enumerate(lines))
    return out


def _passage_lines(c: Chunk) -> list[str]:
    """The 項/款 lines of a chunk long enough to stand as passages of their own."""
    return [ln for ln in c.text.split("\n") if len(ln.strip()) >= 8]


def _nfc(text: str) -> str:
    """Model input only (stored texts stay verbatim): fold CJK compatibility ideographs."""
    return unicodedata.normalize("NFC", text)
