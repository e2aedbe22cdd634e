"""Shared fixtures. Tests block the network (loopback only) and use real components: a real index
(USE embedder, embedded Chroma, bm25s) over real shipped laws, a real SQLite records store."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SOURCES = Path(__file__).resolve().parent.parent / "knowledge" / "sources"
SMALL_SET = [
    SOURCES / "procurement" / "procurement-act.json",
    SOURCES / "procurement" / "procurement-act-enforcement-rules.json",
    SOURCES / "procurement" / "tender-period-standards.json",
    SOURCES / "procurement" / "bid-bond-guarantee-rules.json",
    SOURCES / "procurement" / "central-below-threshold-tendering-rules.json",
    SOURCES / "procurement" / "tenderer-qualification-standards.json",
    SOURCES / "archives" / "archives-act.json",
    SOURCES / "archives" / "records-retention-and-destruction-rules.json",
    SOURCES / "emergency" / "public-place-emergency-equipment-rules.json",
]

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1")) or \
            self.family == getattr(socket, "AF_UNIX", None):
        return _real_connect(self, address)  # type: ignore[arg-type]
    raise OSError(f"network access blocked in tests: {address!r}")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(scope="session")
def small_container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A Container over a real index of a few shipped laws, with the 範例 records loaded."""
    from mishu.app import Container
    from mishu.settings import Settings

    data = tmp_path_factory.mktemp("mishu-small")
    c = Container(Settings(data_dir=data, sources=SMALL_SET))
    report = c.indexer.ingest(list(SMALL_SET))
    assert not report.failed, report.failed
    c.ensure_sample_records()
    yield c
