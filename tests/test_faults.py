"""Faults (issue 10 item 3): kill -9 and a sick disk, with real processes and real stores.

- kill -9 of `mishu ingest` at four points of a re-index (holding the lock, embedding, building the lexical
  snapshot, just after the registry commit): the index then answers one version, never a mix (registry
  sections, lexical and dense search): the old one before the commit, the new one after it; and the next
  ingest finishes the job and collects the garbage;
- kill -9 of `mishu serve` during an API re-index: on restart the job is failed (not "running"), a new one is
  accepted, and the index answers one version;

The run is made to stop at each kill point (a fault point, ``core.faults``, named in ``MISHU_FAULT_PAUSE``), and
the test kills it once the point's state shows on disk: a fast run cannot finish before the kill. Requests to a
service open a new connection each (a kept-alive one may belong to a killed worker).
- kill -9 of `mishu serve` during consultation and feedback writes (two rounds): every write acknowledged
  with a 2xx is in the database after restart, and the files pass SQLite's integrity check;
- kill -9 of one worker of `mishu serve --workers 2` while requests are in flight: the other worker keeps
  answering and the supervisor starts a new worker;
- a full disk (a size-limited tmpfs mounted here when mounting is allowed) and a read-only data directory (a
  read-only bind mount, or ``chmod -w`` for a non-root user): clear zh-TW errors, nothing corrupted.

The mechanisms that need privileges say so when they skip; in CI (root in a container) they run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from knowledge.indexer import ingest_running

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "fault-admin-key-000000000000"
STAFF = "fault-staff-key-000000000000"
HOTLINE = "fault-hotline-key-0000000000"
KEYS = f"{ADMIN}:admin,{STAFF}:staff,{HOTLINE}:hotline"
N_DOCS, N_ARTICLES = 30, 4
OLD, NEW = "版本甲", "版本乙"
QUERY = "申請文件應於幾日內送達秘書處"

pytestmark = [pytest.mark.slow, pytest.mark.faults, pytest.mark.timeout(900)]


# --- the corpus: N_DOCS small rules, each article marked with its version -------------------------------------
def write_corpus(src: Path, version: str) -> None:
    src.mkdir(parents=True, exist_ok=True)
    shift = 0 if version == OLD else 100  # new text (and new embeddings) in every article
    for i in range(N_DOCS):
        arts = "\n\n".join(
            f"### 第 {j} 條\n\n市府第{i}號作業要點第{j}條規定：{version}，申請文件應於{j + i + shift}日內"
            f"送達秘書處第{i}科，逾期不予受理。" for j in range(1, N_ARTICLES + 1))
        (src / f"rule{i:02d}.md").write_text(
            f"---\ndoc_id: rule-{i}\ntitle: 市府第{i}號作業要點\ndomain: plan\nversion: 2026-01-01\n"
            f"access_level: public\n---\n\n# 市府第{i}號作業要點\n\n{arts}\n", encoding="utf-8")


def child_env(data: Path, src: Path, pause: str = "") -> dict[str, str]:
    """``pause``: a fault point (core.faults.POINTS) where a re-index of the child stops until it is killed."""
    return dict(os.environ, MISHU_DATA_DIR=str(data), MISHU_SOURCES=str(src), MISHU_API_KEYS=KEYS,
                OMP_NUM_THREADS="1", MISHU_EMBED_THREADS="1", PYTHONUNBUFFERED="1", MISHU_FAULT_PAUSE=pause)


def mishu(data: Path, src: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mishu.cli", "--data-dir", str(data), *args], cwd=ROOT,
                          env=child_env(data, src), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(data dir indexed at the old version, its source folder); copied by each test, never changed."""
    root = tmp_path_factory.mktemp("faults")
    src, data = root / "src", root / "data"
    write_corpus(src, OLD)
    r = mishu(data, src, "ingest", str(src))
    assert r.returncode == 0, r.stderr[-2000:]
    return data, src


def copy_base(base: tuple[Path, Path], dest: Path, version: str = OLD) -> tuple[Path, Path]:
    """A copy of the indexed data dir, and the source folder (the one the index names: documents are known
    by their path) holding ``version``. Tests run one after the other, so they can share that folder."""
    data, src = base
    shutil.copytree(data, dest / "data")
    write_corpus(src, version)
    return dest / "data", src


# --- what the index answers ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def embedder() -> Any:
    """One real embedder shared by the in-process checks (loading it per check would dominate the run)."""
    from knowledge.embedders import make_embedder
    from mishu.settings import Settings

    s = Settings()
    return make_embedder(s.embedder, s.embedder_model_path, threads=1, batch=s.embed_batch)


def container(data: Path, embedder: Any) -> Any:
    from mishu.app import Container
    from mishu.settings import Settings

    c = Container(Settings(data_dir=data))
    c.__dict__["embedder"] = embedder  # the cached_property slot: the same real model, loaded once
    return c


def versions_answered(data: Path, embedder: Any) -> set[str]:
    """The versions the index holds and answers with: registry sections, lexical-only and dense-only search.
    A consistent index gives one version everywhere and every document and article present. (The embedded
    default searches the vectors of the registry's embedding cache, not Chroma's, so Chroma is checked after the
    next run, which repairs it.)"""
    from knowledge.retrieval import HybridRetriever, RetrievalConfig

    c = container(data, embedder)
    try:
        sections = [s for secs in c.registry.all_sections().values() for s in secs]
        docs = {d.title for d in c.registry.documents()}
        assert len(docs) == N_DOCS, f"documents in the registry: {len(docs)}"
        found = {v for s in sections for v in (OLD, NEW) if v in s.text}
        for cfg in (RetrievalConfig(dense=False, rerank=False), RetrievalConfig(lexical=False, rerank=False)):
            hits = HybridRetriever(c.kb, cfg).search(QUERY, 10)
            assert len(hits) == 10, hits
            found |= {v for h in hits for v in (OLD, NEW) if v in h.text}
        return found
    finally:
        c.registry.close()


# --- killing an ingest at chosen points ------------------------------------------------------------------------
def _count(db: Path, sql: str) -> int:
    """A read of the live file (a plain connection: a read-only one cannot open a WAL file whose -shm is gone)."""
    try:
        conn = sqlite3.connect(db, timeout=5)
        try:
            return int(conn.execute(sql).fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return -1


def _generation(db: Path) -> int:
    return _count(db, "SELECT COALESCE(MAX(CAST(value AS INTEGER)), 0) FROM state WHERE key='generation'")


def lock_held(path: Path) -> bool:
    """Whether some process holds a flock on ``path``, read from /proc/locks (probing with flock would race
    the ingest for the lock)."""
    try:
        ino = path.stat().st_ino
        return any(" FLOCK " in f" {line} " and line.split()[5].endswith(f":{ino}")
                   for line in Path("/proc/locks").read_text().splitlines() if len(line.split()) > 5)
    except OSError:
        return False


def _settled(read: Callable[[], int]) -> int:
    """A starting count for a kill point. ``_count`` answers -1 on a transient SQLite error; a -1 start would
    make "after the commit" (generation > start) fire before the run commits anything."""
    end = time.monotonic() + 30
    while (value := read()) < 0:
        assert time.monotonic() < end, "could not read the registry before the run"
        time.sleep(0.05)
    return value


# kill point -> (the fault point where the run stops for it, the version the index must answer after the kill)
KILL_POINTS = {
    "holding the lock": ("ingest.locked", OLD),
    "embedding": ("ingest.embedded", OLD),
    "building the lexical snapshot": ("ingest.lexical_written", OLD),
    "after the commit": ("ingest.committed", NEW),
}


def kill_points(data: Path) -> dict[str, Callable[[], bool]]:
    """What shows, on disk, that the run is at each kill point (the run stops there: ``KILL_POINTS``)."""
    index = data / "index"
    db = index / "registry.sqlite3"
    cached0 = _settled(lambda: _count(db, "SELECT COUNT(*) FROM embed_cache"))
    gen0 = _settled(lambda: _generation(db))
    return {
        "holding the lock": lambda: lock_held(index / "ingest.lock"),
        "embedding": lambda: _count(db, "SELECT COUNT(*) FROM embed_cache") > cached0,
        "building the lexical snapshot": lambda: any(index.glob("lexical-*.tmp")),
        "after the commit": lambda: _generation(db) > gen0,
    }


def kill_when(proc: subprocess.Popen[Any], ready: Callable[[], bool], timeout: float = 300) -> bool:
    """kill -9 ``proc`` as soon as ``ready()``; False when it exited first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        if ready():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            return True
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    raise AssertionError("the kill point was never reached")


def test_kill9_of_ingest_leaves_one_version_and_the_next_run_finishes(base: tuple[Path, Path], tmp_path: Path,
                                                                       embedder: Any) -> None:
    last: tuple[Path, Path] | None = None
    for n, (name, (pause, expected)) in enumerate(KILL_POINTS.items()):
        data, src = copy_base(base, tmp_path / f"run{n}", NEW)
        point = kill_points(data)[name]
        log = (tmp_path / f"ingest{n}.log").open("w")
        proc = subprocess.Popen([sys.executable, "-m", "mishu.cli", "--data-dir", str(data), "ingest", str(src)],
                                cwd=ROOT, env=child_env(data, src, pause), stdout=log, stderr=subprocess.STDOUT)
        landed = kill_when(proc, point)  # the run waits at the point: a kill there is not a race
        log.close()
        assert landed, f"{name}: the ingest ended ({proc.returncode}) before the kill point\n" + \
            (tmp_path / f"ingest{n}.log").read_text(errors="replace")[-2000:]
        try:
            got = versions_answered(data, embedder)
        except AssertionError as e:
            raise AssertionError(f"killed {name}: {e}") from e
        assert got in ({OLD}, {NEW}), f"killed {name}: the index answers {got}"
        assert got == {expected}, f"killed {name}: the index answers {got}"  # before the commit old, after it new
        assert not ingest_running(data / "index")
        last = data, src
    assert last is not None
    data, src = last  # the next run finishes the job and collects what the killed one left
    r = mishu(data, src, "ingest", str(src))
    assert r.returncode == 0, r.stderr[-2000:]
    assert versions_answered(data, embedder) == {NEW}
    c = container(data, embedder)
    try:
        assert c.store.ids() == c.registry.chunk_ids()  # no orphan vectors, none missing
    finally:
        c.registry.close()
    assert not list((data / "index").glob("lexical-*.tmp"))


# --- a service in a child process --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """`mishu serve` in its own process group; ``kill9`` kills the server process only."""

    def __init__(self, data: Path, src: Path, workers: int = 1, port: int | None = None, pause: str = "") -> None:
        self.data, self.src, self.workers = data, src, workers
        self.port = port or free_port()
        self.log = (data.parent / f"serve-{self.port}-{time.monotonic_ns()}.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mishu.cli", "--data-dir", str(data), "serve", "--port", str(self.port),
             "--workers", str(workers)],
            cwd=ROOT, env=child_env(data, src, pause), stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        # a new connection for every request: a kept-alive one may belong to a worker these tests kill (or
        # one the server is closing as idle), and the assertions are about the service, not about a socket
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=120,
                                 limits=httpx.Limits(max_keepalive_connections=0))
        self.wait_ready()

    def wait_ready(self, timeout: float = 300) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            assert self.proc.poll() is None, self.output()
            try:
                up = self.http.get("/healthz").status_code == 200
                if up and (self.workers == 1 or len(self.workers_pids()) >= self.workers):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("service did not start:\n" + self.output())

    def workers_pids(self) -> list[int]:
        """The worker processes of the server when it runs several: its children started by multiprocessing's
        spawn (not its resource tracker)."""
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        out = []
        for pid in (int(p) for p in text.split()):
            try:
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    out.append(pid)
            except OSError:
                continue
        return out

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-3000:]

    def get(self, path: str, who: str = ADMIN, **kw: Any) -> httpx.Response:
        return self.http.get(path, headers={"Authorization": f"Bearer {who}"}, **kw)

    def post(self, path: str, who: str = ADMIN, **kw: Any) -> httpx.Response:
        return self.http.post(path, headers={"Authorization": f"Bearer {who}"}, **kw)

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.close()

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # workers and any child left behind
        if self.proc.poll() is None:
            self.proc.wait(timeout=30)
        self.http.close()
        self.log.close()


@pytest.fixture
def services() -> Iterator[list[Service]]:
    started: list[Service] = []
    yield started
    for s in started:
        s.close()


def search_versions(svc: Service) -> set[str]:
    r = svc.get("/v1/search", params={"q": QUERY, "k": 10})
    assert r.status_code == 200, r.text
    return {v for h in r.json() for v in (OLD, NEW) if v in h["text"]}


def test_kill9_of_the_service_during_an_api_reindex(base: tuple[Path, Path], tmp_path: Path,
                                                    services: list[Service]) -> None:
    data, src = copy_base(base, tmp_path)
    svc = Service(data, src, pause="ingest.embedded")  # the job stops mid-embedding until killed
    services.append(svc)
    assert search_versions(svc) == {OLD}
    write_corpus(src, NEW)
    r = svc.post("/v1/admin/ingest")
    assert r.status_code == 202, r.text
    jid = r.json()["id"]
    db = data / "index" / "registry.sqlite3"
    cached0 = _count(db, "SELECT COUNT(*) FROM embed_cache")
    end = time.monotonic() + 300
    while _count(db, "SELECT COUNT(*) FROM embed_cache") <= cached0:  # embedding the new text
        assert time.monotonic() < end and svc.proc.poll() is None
        time.sleep(0.005)
    svc.kill9()
    state = sqlite3.connect(data / "audit.sqlite3").execute(
        "SELECT state FROM api_ingest_jobs WHERE id=?", (jid,)).fetchone()[0]
    assert state == "running"  # the kill landed mid-run

    svc = Service(data, src)  # restart
    services.append(svc)
    job = svc.get(f"/v1/admin/ingest/{jid}").json()
    assert job["state"] == "failed" and "中斷" in job["error"], job  # at once, not after a grace period
    assert all(j["state"] != "running" for j in svc.get("/v1/admin/ingest").json())
    assert search_versions(svc) == {OLD}  # the previous version, whole
    r = svc.post("/v1/admin/ingest")  # not 409: the dead job holds nothing
    assert r.status_code == 202, r.text
    jid2 = r.json()["id"]
    end = time.monotonic() + 300
    while (job := svc.get(f"/v1/admin/ingest/{jid2}").json())["state"] in ("queued", "running"):
        assert time.monotonic() < end
        time.sleep(0.2)
    assert job["state"] == "done", job
    assert search_versions(svc) == {NEW}


# --- acknowledged writes survive kill -9 -------------------------------------------------------------------------
class Writer(threading.Thread):
    """Posts consultations or feedback until stopped or the server is gone; keeps what was acknowledged."""

    def __init__(self, port: int, kind: str, tag: str) -> None:
        super().__init__(daemon=True)
        self.port, self.kind, self.tag = port, kind, tag
        self.acked: list[tuple[str, str]] = []  # (id or ref, question)
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60) as http:
            n = 0
            while not self.stop.is_set():
                n += 1
                q = f"{self.tag}-{self.kind}-{n} 押標金可以用支票繳納嗎？"
                if self.kind == "consultation":
                    path, who = "/v1/consultations", HOTLINE
                    body: dict[str, Any] = {"caller_agency": "臺中市政府建設局", "category": "招標", "question": q,
                                            "answer": "可以，依押標金保證金暨其他擔保作業辦法第7條。"}
                else:
                    path, who = "/v1/feedback", STAFF
                    body = {"question": q, "answer": "可以。", "thumbs": "up", "comment": "清楚"}
                try:
                    r = http.post(path, json=body, headers={"Authorization": f"Bearer {who}"})
                except httpx.TransportError:
                    return  # the server died; this request was never acknowledged
                if r.status_code // 100 == 2:
                    out = r.json()
                    self.acked.append((str(out.get("ref") or out.get("id")), q))


def integrity_ok(db: Path) -> bool:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_kill9_during_writes_keeps_every_acknowledged_write(base: tuple[Path, Path], tmp_path: Path,
                                                            services: list[Service]) -> None:
    data, src = copy_base(base, tmp_path)
    writers: list[Writer] = []
    for rnd in range(2):
        svc = Service(data, src)
        services.append(svc)
        batch = [Writer(svc.port, kind, f"r{rnd}w{i}") for i in range(2) for kind in ("consultation", "feedback")]
        for w in batch:
            w.start()
        end = time.monotonic() + 120
        while sum(len(w.acked) for w in batch) < 40 and time.monotonic() < end:
            time.sleep(0.02)
        svc.kill9()  # requests in flight
        for w in batch:
            w.stop.set()
            w.join(timeout=60)
        writers += batch
    svc = Service(data, src)  # restart: what the API says it holds
    services.append(svc)
    consultations = {c["ref"]: c["question"] for c in svc.get("/v1/consultations", HOTLINE,
                                                               params={"limit": 1000}).json()}
    feedback = {str(f["id"]): f["question"] for f in svc.get("/v1/feedback", params={"limit": 1000}).json()}
    acked = 0
    for w in writers:
        held = consultations if w.kind == "consultation" else feedback
        for ident, q in w.acked:
            assert held.get(ident) == q, f"acknowledged {w.kind} {ident} is missing after kill -9"
            acked += 1
    assert acked >= 80
    svc.close()
    for db in ("records.sqlite3", "audit.sqlite3"):
        assert integrity_ok(data / db), db


# --- kill -9 of one worker ---------------------------------------------------------------------------------------
def test_kill9_of_one_worker_the_service_keeps_answering(base: tuple[Path, Path], tmp_path: Path,
                                                         services: list[Service]) -> None:
    data, src = copy_base(base, tmp_path)
    svc = Service(data, src, workers=2)
    services.append(svc)
    end = time.monotonic() + 300
    while len(svc.workers_pids()) < 2:
        assert time.monotonic() < end, svc.output()
        time.sleep(0.2)
    results: list[int | str] = []

    def ask() -> None:
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{svc.port}", timeout=120) as http:
                r = http.post("/v1/ask", json={"question": "市府第3號作業要點規定申請文件應於幾日內送達？"},
                              headers={"Authorization": f"Bearer {STAFF}"})
                results.append(r.status_code)
        except httpx.TransportError as e:
            results.append(type(e).__name__)

    askers = [threading.Thread(target=ask) for _ in range(6)]
    for t in askers:
        t.start()
    time.sleep(0.5)  # requests in flight on both workers
    victim = svc.workers_pids()[0]
    os.kill(victim, signal.SIGKILL)
    for t in askers:
        t.join(timeout=180)
    assert len(results) == 6 and all(r in (200, "RemoteProtocolError", "ReadError") for r in results), results
    for _ in range(10):  # the surviving worker answers at once
        assert svc.get("/v1/search", STAFF, params={"q": QUERY, "k": 3}).status_code == 200
    end = time.monotonic() + 180
    while not (len(pids := svc.workers_pids()) == 2 and victim not in pids):
        assert time.monotonic() < end, f"no replacement worker: {pids}\n{svc.output()}"
        time.sleep(0.5)
    ok = 0
    for _ in range(20):  # both workers (the new one included) answer
        r = svc.post("/v1/ask", STAFF, json={"question": "市府第5號作業要點第2條規定幾日內送達？"})
        ok += r.status_code == 200
    assert ok == 20


# --- a full disk and a read-only data directory ------------------------------------------------------------------
def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 24 MB tmpfs: a disk that really fills up (ENOSPC), not a simulation."""
    fs = tmp_path / "fs"
    fs.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", str(fs)):
        pytest.skip("cannot mount a size-limited tmpfs here (needs root with CAP_SYS_ADMIN)")
    yield fs
    subprocess.run(["umount", "-l", str(fs)], capture_output=True)


def fill(fs: Path) -> Path:
    """Write a filler file until the file system refuses (ENOSPC)."""
    filler = fs / "filler"
    with filler.open("wb", buffering=0) as fh:
        for size in (1 << 20, 1 << 12):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError as e:
                assert e.errno == 28, e  # ENOSPC
    return filler


def zh(message: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in message)


def app_client(data: Path, embedder: Any) -> Any:
    from fastapi.testclient import TestClient

    from mishu.api.app import create_app
    from mishu.app import Container
    from mishu.settings import Settings

    c = Container(Settings(data_dir=data, api_keys=KEYS))
    c.__dict__["embedder"] = embedder
    return TestClient(create_app(container=c), raise_server_exceptions=False), c


def consultation(n: int, long: bool = False) -> dict[str, Any]:
    return {"caller_agency": "臺中市政府建設局", "category": "招標", "question": f"第{n}通：押標金可以用支票嗎？",
            "answer": ("可以，依押標金保證金暨其他擔保作業辦法第7條。" * (300 if long else 1))[:8000]}


def test_full_disk_gives_a_clear_error_and_corrupts_nothing(base: tuple[Path, Path], tmp_path: Path,
                                                            small_fs: Path, embedder: Any) -> None:
    data, src = copy_base(base, small_fs, NEW)  # the sources hold the new version; the index the old one
    client, c = app_client(data, embedder)
    acked: list[str] = []
    with client:
        h = {"Authorization": f"Bearer {HOTLINE}"}
        for n in range(3):
            r = client.post("/v1/consultations", json=consultation(n), headers=h)
            assert r.status_code == 201, r.text
            acked.append(r.json()["ref"])
        filler = fill(small_fs)
        refused = None
        for n in range(3, 400):  # the WAL's spare room goes first, then the writes are refused
            r = client.post("/v1/consultations", json=consultation(n, long=True), headers=h)
            if r.status_code == 201:
                acked.append(r.json()["ref"])
                continue
            refused = r
            break
        assert refused is not None, "the full disk never refused a write"
        assert refused.status_code == 507, refused.text
        err = refused.json()["error"]
        assert err["code"] == "storage_full" and "磁碟空間不足" in err["message"] and zh(err["message"])
        r = client.post("/v1/feedback", json={"question": "押標金？", "answer": "可以。", "thumbs": "up"},
                        headers={"Authorization": f"Bearer {STAFF}"})
        assert r.status_code in (201, 507), r.text  # its file may still have room in its WAL
        assert client.get("/v1/search", params={"q": QUERY}, headers=h).status_code == 200  # reads still work

        ingest = mishu(data, src, "ingest", str(src))  # a re-index on the full disk
        assert ingest.returncode == 2, (ingest.returncode, ingest.stderr[-2000:])
        assert "磁碟空間不足" in ingest.stderr and "Traceback" not in ingest.stderr, ingest.stderr[-2000:]

        filler.unlink()  # space again: the same service writes again, without a restart
        r = client.post("/v1/consultations", json=consultation(999), headers=h)
        assert r.status_code == 201, r.text
        acked.append(r.json()["ref"])
    c.records_engine.dispose()
    for db in ("records.sqlite3", "audit.sqlite3", "index/registry.sqlite3"):
        assert integrity_ok(data / db), db
    held = {x.ref for x in container(data, embedder).records.list_consultations(limit=1000)}
    assert set(acked) <= held  # every acknowledged write is there
    assert versions_answered(data, embedder) == {OLD}  # the failed re-index left the index as it was
    assert mishu(data, src, "ingest", str(src)).returncode == 0
    assert versions_answered(data, embedder) == {NEW}


def _tree_digest(folder: Path) -> dict[str, str]:
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_read_only_data_dir_gives_a_clear_error_and_changes_nothing(base: tuple[Path, Path],
                                                                    tmp_path: Path) -> None:
    data, src = copy_base(base, tmp_path, NEW)
    before = _tree_digest(data)
    if os.geteuid() != 0:
        mechanism = "chmod -w"
        subprocess.run(["chmod", "-R", "a-w", str(data)], check=True)
    elif _mount("--bind", str(data), str(data)):
        mechanism = "read-only bind mount"
        assert _mount("-o", "remount,bind,ro", str(data), str(data))
    else:
        pytest.skip("root without CAP_SYS_ADMIN: neither chmod (root ignores it) nor a read-only mount works")
    try:
        for args in (("ingest", str(src)), ("serve", "--port", str(free_port()))):
            r = mishu(data, src, *args, timeout=300)
            assert r.returncode == 2, (mechanism, args, r.returncode, r.stderr[-2000:])
            assert "資料目錄無法寫入" in r.stderr and str(data) in r.stderr and "Traceback" not in r.stderr, r.stderr
    finally:
        if mechanism == "chmod -w":
            subprocess.run(["chmod", "-R", "u+w", str(data)], check=True)
        else:
            subprocess.run(["umount", str(data)], check=True)
    assert _tree_digest(data) == before  # nothing written, nothing half-written


# --- the job liveness rules on their own ---------------------------------------------------------------------------
def test_a_job_whose_worker_died_is_failed_at_once_and_a_live_one_is_not(tmp_path: Path) -> None:
    from datetime import timedelta

    from sqlalchemy import create_engine, text, update
    from sqlalchemy.orm import Session

    from mishu.api.app import create_tables
    from mishu.api.db import make_api_engine, utcnow
    from mishu.api.jobs import DEAD_REASON, IngestJobRow, IngestJobs, _proc_stat, this_worker, worker_alive

    url = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    old = create_engine(url)  # a table made before jobs named their worker
    with old.begin() as conn:
        conn.execute(text("CREATE TABLE api_ingest_jobs (id VARCHAR(32) PRIMARY KEY, created_at DATETIME, "
                          "updated_at DATETIME, requested_by VARCHAR(24), state VARCHAR(12), stage VARCHAR(40), "
                          "done INTEGER, total INTEGER, paths JSON, uploaded JSON, report JSON, summary TEXT, "
                          "error TEXT)"))
    old.dispose()
    engine = make_api_engine(url)
    create_tables(engine)  # adds the worker column
    lock = {"held": False}
    jobs = IngestJobs(engine, running=lambda: lock["held"])

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    stat = _proc_stat(child.pid)
    assert stat is not None
    child_worker = f"{socket.gethostname()}:{child.pid}:{stat[1]}"
    assert worker_alive(child_worker) is True and worker_alive(this_worker()) is True
    assert worker_alive("elsewhere:1:1") is None and worker_alive(None) is None

    dead, live, foreign, stale = (jobs.create("k", [tmp_path]) for _ in range(4))
    with Session(engine) as s, s.begin():
        s.execute(update(IngestJobRow).values(state="running"))
        s.execute(update(IngestJobRow).where(IngestJobRow.id == dead).values(worker=child_worker))
        s.execute(update(IngestJobRow).where(IngestJobRow.id.in_((foreign, stale))).values(worker="elsewhere:1:1"))
        s.execute(update(IngestJobRow).where(IngestJobRow.id == stale)
                  .values(updated_at=utcnow() - timedelta(minutes=1)))
    lock["held"] = True  # another ingest holds the lock: only a provably dead worker's job is failed
    assert jobs.reap() == 0
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert worker_alive(child_worker) is False
    assert jobs.reap() == 1
    job = jobs.get(dead)
    assert job is not None and job["state"] == "failed" and job["error"] == DEAD_REASON
    lock["held"] = False  # lock free: a job that has not moved for the grace period is dead too
    states = {j["id"]: j["state"] for j in jobs.recent()}
    assert states == {dead: "failed", live: "running", foreign: "running", stale: "failed"}


def test_the_next_ingest_puts_back_vectors_the_store_lost(base: tuple[Path, Path], tmp_path: Path,
                                                          embedder: Any) -> None:
    """Seen once in the kill runs above: right after a kill -9 that followed the registry commit, embedded
    Chroma lacked vectors of committed chunks. The next run restores them from the embedding cache."""
    data, src = copy_base(base, tmp_path)
    c = container(data, embedder)
    try:
        lost = sorted(c.registry.chunk_ids())[::3]
        c.store.delete(lost)
        assert not set(lost) & c.store.ids()
        report = c.indexer.ingest([src])  # nothing changed in the sources
        assert report.chunks_embedded == 0 and not report.failed
        assert c.store.ids() == c.registry.chunk_ids()
    finally:
        c.registry.close()
