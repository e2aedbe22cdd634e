"""The locks of the index folder (issue 10, the causes of the intermittent kill -9 failures):

- writing a lexical snapshot next to the registry keeps this process's SQLite locks: it once fsynced every
  file of the index folder, and closing those descriptors released the registry's POSIX locks, so another
  process's connection believed it was alone, checkpointed and deleted the WAL (or truncated the -shm) under
  the indexer, whose commit then went to an unlinked WAL (lost at kill -9) or died of SIGBUS;
- looking whether an ingest runs (the job status of the API) does not take the ingest lock, so it never makes
  an ingest starting at that instant fail with "another ingest is running";
- fault points: off by default, and an unknown name is an error.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from core.faults import NO_FAULTS, FaultPoints
from knowledge.indexer import _take_lock, ingest_running, lock_path
from knowledge.lexical import LexicalIndex, Tokenizer
from knowledge.registry import Registry


def _other_process_reads(db: Path) -> str:
    """A whole connection of another process (open, read, close) and what it read."""
    code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            "print(c.execute(\"SELECT value FROM state WHERE key='probe'\").fetchone()); c.close()")
    return subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_a_snapshot_saved_beside_the_registry_keeps_its_locks(tmp_path: Path) -> None:
    index = tmp_path / "index"
    reg = Registry(index / "registry.sqlite3")
    try:
        with reg.transaction() as c:
            c.execute("INSERT OR REPLACE INTO state VALUES ('probe', 'one')")
        LexicalIndex.build(["a", "b"], ["申請文件應於十日內送達", "逾期不予受理"], Tokenizer()).save(index)
        assert _other_process_reads(index / "registry.sqlite3") == "('one',)"
        # the other connection must have seen this process still using the file: the WAL stays
        assert (index / "registry.sqlite3-wal").exists() and (index / "registry.sqlite3-shm").exists()
        with reg.transaction() as c:
            c.execute("INSERT OR REPLACE INTO state VALUES ('probe', 'two')")
        # the commit is in the file others read (with the lost locks it went to a WAL already unlinked)
        assert _other_process_reads(index / "registry.sqlite3") == "('two',)"
    finally:
        reg.close()


def test_looking_whether_an_ingest_runs_never_takes_the_lock(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The look reads /proc/locks. (Taking the lock for an instant, as it did, collides with an ingest taking
    it at that instant about once in 50 tries when both loop: the job failed at stage 開始.)"""
    if not Path("/proc/locks").is_file():
        pytest.skip("no /proc/locks here (the look then tries the lock, which _take_lock's retry absorbs)")
    import knowledge.indexer as indexer

    lock_path(tmp_path).touch()
    with lock_path(tmp_path).open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with monkeypatch.context() as m:
            m.setattr(indexer.fcntl, "flock", lambda *a: pytest.fail("ingest_running took the lock"))
            assert ingest_running(tmp_path)
        fcntl.flock(fh, fcntl.LOCK_UN)
        with monkeypatch.context() as m:
            m.setattr(indexer.fcntl, "flock", lambda *a: pytest.fail("ingest_running took the lock"))
            assert not ingest_running(tmp_path)


def test_an_ingest_retries_a_lock_taken_for_an_instant(tmp_path: Path) -> None:
    lock_path(tmp_path).touch()
    with lock_path(tmp_path).open("a") as probe:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a look that holds it for 0.2 s
        timer = threading.Timer(0.2, fcntl.flock, (probe, fcntl.LOCK_UN))
        timer.start()
        with lock_path(tmp_path).open("w") as fh:
            _take_lock(fh)  # waits for it instead of failing
            fcntl.flock(fh, fcntl.LOCK_UN)
        timer.join()


def test_a_held_lock_is_running_and_refuses_a_second_ingest(tmp_path: Path) -> None:
    lock_path(tmp_path).touch()
    with lock_path(tmp_path).open("w") as fh:
        _take_lock(fh)
        assert ingest_running(tmp_path)
        with lock_path(tmp_path).open("a") as other, pytest.raises(RuntimeError, match="另一個索引作業正在執行"):
            _take_lock(other)
        fcntl.flock(fh, fcntl.LOCK_UN)
    assert not ingest_running(tmp_path)


def test_fault_points_are_off_by_default_and_checked(tmp_path: Path) -> None:
    from mishu.settings import Settings

    assert Settings(data_dir=tmp_path).faults == NO_FAULTS
    NO_FAULTS.reach("ingest.committed")  # returns at once
    assert Settings(data_dir=tmp_path, fault_pause="ingest.locked,ingest.committed").faults.names == {
        "ingest.locked", "ingest.committed"}
    with pytest.raises(ValueError, match="unknown fault point"):
        Settings(data_dir=tmp_path, fault_pause="ingest.comitted")
    FaultPoints(frozenset({"ingest.locked"}), seconds=0.01).reach("ingest.locked")
