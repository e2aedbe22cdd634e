"""The write side of the knowledge base: incremental, crash-safe (re)indexing of ingest's output.

Ingest turns a file into documents and chunks (ingest.loaders -> ingest.structure -> ingest.chunking); the
Indexer decides which files to (re)ingest, embeds, and commits chunks, vectors and the BM25 snapshot.
knowledge/base.py is the read side.

Order of a run (see knowledge/registry.py for why it is safe):
1. discover source files; hash each file; files whose hash the registry already has are skipped
   without being parsed or embedded;
2. load -> parse -> chunk the changed files (a bad file is reported by name and skipped);
3. embed only chunk texts missing from the embedding cache, add the new vectors to the store
   (new chunk ids: ids carry the document's content hash, so they never collide with live ones);
4. build a new immutable lexical snapshot over the final chunk set;
5. ONE registry transaction swaps documents/sections/chunks and the snapshot pointer;
6. only then old vectors are deleted; the old snapshot is retired (deleted by a later run once its grace
   period is over, so a reader that read the old pointer can still load it).
A crash or Ctrl-C before step 5 leaves the previous index fully usable; leftovers are collected by
the next run.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from core.faults import NO_FAULTS, FaultPoints
from ingest.chunking import chunk_document, embedding_text
from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.models import Chunk, IngestError, SourceDocument
from ingest.sandbox import ParseLimits, SandboxedParser
from ingest.sources import file_of_key, fingerprint, source_key
from knowledge.claims import Claims
from knowledge.embedders import Embedder
from knowledge.lexical import (
    Tokenizer,
    build_for_chunks,
    passage_lines,
    prune_snapshots,
    retire_snapshot,
)
from knowledge.registry import DocumentRecord, DocumentWrite, Registry
from knowledge.vectorstore import VectorEntry, VectorStore

log = logging.getLogger(__name__)

IGNORED_NAMES = {"README.md", "SOURCES.md", "LICENSE", ".DS_Store"}

# Bump when loaders/parser/chunker output changes: every file is then re-parsed (embeddings still
# come from the cache when a chunk's text is unchanged).
PIPELINE_VERSION = "2026-12-02.1"  # .1: text nobody sees dropped from PDF/DOCX; BM25 audiences


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
    notes: list[str] = field(default_factory=list)  # per file: text left out because nobody sees it (F-15)
    chunks_total: int = 0
    chunks_embedded: int = 0
    chunks_from_cache: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "added": self.added, "updated": self.updated, "unchanged": len(self.unchanged),
            "removed": self.removed, "failed": [f.__dict__ for f in self.failed], "notes": self.notes,
            "chunks_total": self.chunks_total, "chunks_embedded": self.chunks_embedded,
            "chunks_from_cache": self.chunks_from_cache, "seconds": round(self.seconds, 3),
        }

    def summary_zh(self) -> str:
        s = (f"新增 {len(self.added)}、更新 {len(self.updated)}、未變更 {len(self.unchanged)}、"
             f"移除 {len(self.removed)}、失敗 {len(self.failed)} 份文件；"
             f"片段共 {self.chunks_total}（新嵌入 {self.chunks_embedded}，快取 {self.chunks_from_cache}），"
             f"耗時 {self.seconds:.1f} 秒")
        if self.notes:
            s += f"；{len(self.notes)} 份文件略過看不見的文字（見 notes）"
        return s


ProgressFn = Callable[[str, int, int], None]  # (stage, done, total)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_file_of = file_of_key


@dataclass
class _Plan:
    """Step 1: the discovered files and what the registry already holds for them."""

    files: list[tuple[Path, Path]]  # (root, file)
    roots: set[str]
    known: list[DocumentRecord]
    stale_pipeline: bool  # the registry was built by another PIPELINE_VERSION: re-parse every file
    known_by_file: dict[str, list[str]] = field(default_factory=dict)  # file -> its documents' keys
    known_hash: dict[str, str] = field(default_factory=dict)  # file -> fingerprint


@dataclass
class ChangeSet:
    """Steps 2-3: what a run changes in the registry."""

    stale_pipeline: bool
    writes: list[DocumentWrite] = field(default_factory=list)
    replaced_keys: set[str] = field(default_factory=set)  # keys of changed files before this run
    removed: list[str] = field(default_factory=list)  # keys of sources that no longer exist
    dropped: list[str] = field(default_factory=list)  # keys a changed file no longer produces

    @property
    def empty(self) -> bool:
        return not self.writes and not self.removed and not self.dropped and not self.stale_pipeline


class Indexer:
    def __init__(self, registry: Registry, store: VectorStore, embedder: Embedder, tokenizer: Tokenizer,
                 lexical_dir: Path, *, max_bytes: int, chunk_max_tokens: int = 600,
                 parse_limits: ParseLimits | None = None, faults: FaultPoints = NO_FAULTS):
        """``faults``: where a run stops for a kill -9 test (``core.faults``; none by default)."""
        self.registry = registry
        self.faults = faults
        self.store = store
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.lexical_dir = lexical_dir
        self.max_bytes = max_bytes
        self.chunk_max_tokens = chunk_max_tokens
        base = parse_limits or ParseLimits()
        self.parse_limits = ParseLimits(max_bytes=max_bytes, memory_mb=base.memory_mb, cpu_s=base.cpu_s,
                                        wall_s=base.wall_s)

    # --- discovery -----------------------------------------------------------------------------
    @staticmethod
    def discover(paths: list[Path]) -> tuple[list[tuple[Path, Path]], list[FileFailure]]:
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
        with lock_path(self.lexical_dir).open("w") as fh:
            _take_lock(fh)
            try:
                self.faults.reach("ingest.locked")
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # --- the run -------------------------------------------------------------------------------
    def ingest(self, paths: list[Path], progress: ProgressFn | None = None, prune: bool = True) -> IngestReport:
        with self._lock(), SandboxedParser(self.parse_limits) as parser:
            return self._ingest(paths, progress, prune, parser)

    def _ingest(self, paths: list[Path], progress: ProgressFn | None, prune: bool,
                parser: SandboxedParser) -> IngestReport:
        """The run as its steps: plan -> prepare -> embed -> commit -> clean (module docstring, 1-6)."""
        t0 = time.time()
        report = IngestReport()
        self._collect_garbage()
        plan = self._plan(paths, report)
        changes = self._prepare(plan, parser, report, progress)
        self._removals(plan, changes, report, prune)
        if changes.empty:
            report.chunks_total = len(self.registry.chunk_ids())
            report.seconds = time.time() - t0
            return report
        new_chunks = [c for w in changes.writes for c in w.chunks]
        self._embed_and_add(new_chunks, report, progress)
        final, snap = self._build_snapshot(changes, new_chunks, progress)
        report.chunks_total = len(final)
        report.seconds = time.time() - t0
        # a file the registry holds that fails under a new pipeline keeps its old chunks; the pipeline
        # version is then not recorded, so the next run parses it again instead of skipping it as unchanged
        retry = plan.stale_pipeline and any(f.path in plan.known_hash for f in report.failed)
        old_ids, old_snap = self._commit(changes, snap, report, None if retry else PIPELINE_VERSION)
        self.faults.reach("ingest.committed")
        try:
            self._clean(old_ids, final, old_snap, snap)
        except Exception as e:  # the swap is committed: leftovers are collected by the next run
            log.warning("cleaning up after the index swap failed: %s", e)
            report.notes.append(f"索引已更新；清除舊資料時發生錯誤（{type(e).__name__}），下次索引時會再清除")
        report.seconds = time.time() - t0
        return report

    # --- 1. plan: what the registry already has for the discovered files -----------------------
    def _plan(self, paths: list[Path], report: IngestReport) -> _Plan:
        files, failures = self.discover(paths)
        report.failed.extend(failures)
        known = self.registry.documents()
        # a root that is missing now (an unmounted share, a typo) is reported by discover() and prunes
        # nothing: its documents stay until the root is back or is left out of the sources
        plan = _Plan(files=files, roots={str(p.resolve()) for p in paths if p.exists()}, known=known,
                     stale_pipeline=self.registry.get_state("pipeline_version") != PIPELINE_VERSION)
        for d in known:
            plan.known_by_file.setdefault(_file_of(d.source_path), []).append(d.source_path)
            plan.known_hash[_file_of(d.source_path)] = d.file_hash
        return plan

    # --- 2. prepare: load -> parse -> chunk the changed files --------------------------------------
    def _prepare(self, plan: _Plan, parser: SandboxedParser, report: IngestReport,
                 progress: ProgressFn | None) -> ChangeSet:
        changes = ChangeSet(stale_pipeline=plan.stale_pipeline)
        claims = Claims.of(plan.known)
        for i, (root, f) in enumerate(plan.files):
            if progress:
                progress("讀取", i, len(plan.files))
            file_writes = self._prepare_file(plan, parser, root, f, claims, report)
            if file_writes is None:
                continue
            for w in file_writes:
                claims.take(w.doc.doc_id, w.doc.version, w.doc.title, str(root), str(f))
            old_keys = set(plan.known_by_file.get(str(f), []))
            changes.writes.extend(file_writes)
            changes.replaced_keys |= old_keys
            (report.updated if old_keys else report.added).append(str(f))
        return changes

    def _prepare_file(self, plan: _Plan, parser: SandboxedParser, root: Path, f: Path, claims: Claims,
                      report: IngestReport) -> list[DocumentWrite] | None:
        """The writes of one file, or None when it is unchanged or failed (recorded in ``report``)."""
        try:
            size = f.stat().st_size
            fh = fingerprint(f, file_sha256(f))
        except OSError as e:
            report.failed.append(FileFailure(str(f), f"無法讀取檔案：{e.strerror or e}"))
            return None
        if plan.known_hash.get(str(f)) == fh and not plan.stale_pipeline:
            report.unchanged.append(str(f))
            return None
        try:
            docs = parser.parse(f)
            if not docs or not any(s.text.strip() for d in docs for s in d.sections):
                raise IngestError(f, "沒有可索引的內容")
            writes = self._file_writes(docs, root, f, fh, size, claims)
            report.notes.extend(f"{f}：{d.hidden_note}" for d in docs if d.hidden_note)
            return writes
        except IngestError as e:
            report.failed.append(FileFailure(str(f), e.reason))
            return None

    @staticmethod
    def _removals(plan: _Plan, changes: ChangeSet, report: IngestReport, prune: bool) -> None:
        """Documents to drop: sources gone from the given roots, and keys a changed file no longer yields."""
        if prune:  # sources under the given roots (or given files) that no longer exist
            changes.removed = [d.source_path for d in plan.known
                               if d.root in plan.roots and not Path(_file_of(d.source_path)).exists()]
        new_keys = {w.doc.source_path for w in changes.writes}
        changes.dropped = [k for k in changes.replaced_keys if k not in new_keys]
        report.removed = sorted({_file_of(k) for k in changes.removed})

    # --- 4. the lexical snapshot over the final chunk set --------------------------------------------
    def _build_snapshot(self, changes: ChangeSet, new_chunks: list[Chunk],
                        progress: ProgressFn | None) -> tuple[list[Chunk], str]:
        gone = set(changes.removed) | changes.replaced_keys
        final: list[Chunk] = [c for c in self.registry.chunks() if c.source_file not in gone]
        final.extend(new_chunks)
        if progress:
            progress("詞彙索引", 0, 1)
        lex = build_for_chunks(final, self.tokenizer)  # with one index per role's visible levels (F-05)
        return final, lex.save(self.lexical_dir, written=lambda: self.faults.reach("ingest.lexical_written"))

    # --- 5. commit: the atomic swap ----------------------------------------------------------------
    def _commit(self, changes: ChangeSet, snap: str, report: IngestReport,
                pipeline_version: str | None) -> tuple[set[str], str | None]:
        """Swap in the run; returns the chunk ids and snapshot it replaced."""
        old_ids = set(self.registry.chunk_ids())
        old_snap = self.registry.get_state("lexical_snapshot")
        self.registry.commit_run(changes.writes, [*changes.removed, *changes.dropped], snap, report.to_dict(),
                                 pipeline_version=pipeline_version)
        return old_ids, old_snap

    # --- 6. clean: vectors and snapshots nothing refers to any more -----------------------------------
    def _clean(self, old_ids: set[str], final: list[Chunk], old_snap: str | None, snap: str) -> None:
        live = {c.chunk_id for c in final}
        self.store.delete(sorted(old_ids - live))
        retire_snapshot(self.lexical_dir, old_snap)
        prune_snapshots(self.lexical_dir, {snap})

    def _file_writes(self, docs: list[SourceDocument], root: Path, f: Path, fh: str, size: int,
                     claims: Claims) -> list[DocumentWrite]:
        """The writes of one parsed file; IngestError when a document's identity belongs to another file."""
        multi = len(docs) > 1
        out: list[DocumentWrite] = []
        for doc in docs:
            reason = claims.conflict(doc, str(root), str(f))
            if reason:
                raise IngestError(f, reason)
            doc = doc.model_copy(update={"source_path": source_key(f, doc.doc_id, multi)})
            chunks = chunk_document(doc, self.chunk_max_tokens)
            out.append(DocumentWrite(doc=doc, root=str(root), file_hash=fh, file_size=size, chunks=chunks))
        return out

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
            self.faults.reach("ingest.embedded")
        if progress:
            progress("嵌入", len(missing), len(missing))
        import numpy as np

        matrix = np.vstack([cached[h] for h in hashes])
        self.store.add(entries, matrix)

    def _collect_garbage(self) -> None:
        """Drop vectors that no committed chunk refers to (left by an interrupted run), and put back the
        vectors of committed chunks the store lacks (a run killed right after its commit, before the store
        had its writes on disk): from the embedding cache, so nothing is embedded again."""
        live = self.registry.chunk_ids()
        stored = self.store.ids()
        orphans = sorted(stored - live)
        if orphans:
            self.store.delete(orphans)
        if live - stored:
            self._embed_and_add([c for c in self.registry.chunks() if c.chunk_id not in stored], IngestReport(), None)
        snap = self.registry.get_state("lexical_snapshot")
        prune_snapshots(self.lexical_dir, {snap} if snap else set())


LOCK_WAIT_S = 1.0  # how long a run retries a taken lock before it says another run holds it


def lock_path(index_dir: Path) -> Path:
    return index_dir / "ingest.lock"


def _take_lock(fh: IO[str]) -> None:
    """The exclusive flock on the open lock file; RuntimeError (zh-TW) when another run holds it. A taken lock
    is retried for ``LOCK_WAIT_S``: a look that takes the lock for an instant (``ingest_running`` where
    /proc/locks cannot be read) must not fail a run that starts at that moment."""
    end = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError as e:
            if time.monotonic() >= end:
                raise RuntimeError("另一個索引作業正在執行，請稍後再試") from e
        time.sleep(0.05)


def ingest_running(index_dir: Path) -> bool:
    """True while some process (this one included) holds the ingest lock. The kernel releases a flock when
    its holder dies, kill -9 included, so a crashed ingest never looks like a running one.

    Read from /proc/locks, without touching the lock: a look that took the lock itself (as this did before)
    made a run starting at that instant fail with "another ingest is running" (issue 10: an API re-index
    failed at stage 開始 while the job's status was being polled). Where /proc/locks cannot be read, the
    lock is tried for an instant, which ``_take_lock``'s short retry absorbs."""
    path = lock_path(index_dir)
    try:
        ino = path.stat().st_ino
    except FileNotFoundError:
        return False
    held = _flock_held(ino)
    if held is not None:
        return held
    with path.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def _flock_held(ino: int) -> bool | None:
    """Whether /proc/locks lists a granted flock on inode ``ino``; None when /proc/locks cannot be read.
    Lines look like ``12: FLOCK  ADVISORY  WRITE 4242 fe:00:2146412 0 EOF`` (a waiter's has ``->``);
    the inode is matched on its own (an overlay file system reports another device number than stat)."""
    try:
        text = Path("/proc/locks").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5].rsplit(":", 1)[-1] == str(ino):
            return True
    return False


def vector_entries(chunks: list[Chunk]) -> list[VectorEntry]:
    """One vector for each whole chunk, plus one per 項/款 line of multi-line chunks.

    The dense model mean-pools its tokens, so a long article's vector is diluted; a question
    usually matches one 項 or 款. Line vectors keep the article context (title, label) in front.
    """
    out: list[VectorEntry] = []
    for c in chunks:
        out.append(VectorEntry(c.chunk_id, c, _nfc(embedding_text(c))))
        lines = passage_lines(c)
        if len(lines) > 1:
            head = " ".join(x for x in (c.title, c.label) if x)
            out.extend(VectorEntry(f"{c.chunk_id}:{j}", c, _nfc(f"{head}\n{ln}")) for j, ln in enumerate(lines))
    return out


def _nfc(text: str) -> str:
    """Model input only (stored texts stay verbatim): fold CJK compatibility ideographs."""
    return unicodedata.normalize("NFC", text)
