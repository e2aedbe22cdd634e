"""Shared fixtures. Tests block the network (loopback only) and use real components: a real index
(USE embedder, embedded Chroma, bm25s) over real shipped laws, a real SQLite records store."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def _guarded_connect(self: socket.socket, address: Any) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1")) or \
            self.family == getattr(socket, "AF_UNIX", None):
        return _real_connect(self, address)
    raise OSError(f"network access blocked in tests: {address!r}")


class _SharedUSE:
    """The real USE model loaded once per test session, and each distinct text embedded once.

    Many test modules index the same shipped laws into their own data folders; the registry's embedding
    cache lives in each folder, so without this every module would load the model (seconds) and embed
    the same passages again (minutes in total). The vectors are the model's own: USE embeds each text
    independently of its batch (checked: the largest difference is ~1e-7). Processes the tests start
    (``mishu serve``, the CLI) use the plain embedder."""

    model: Any = None
    vectors: dict[str, Any] = {}

    @classmethod
    def install(cls, mp: pytest.MonkeyPatch) -> None:
        import numpy as np

        from knowledge.embedders import USEEmbedder

        warm_up, embed = USEEmbedder.warm_up, USEEmbedder.embed_documents

        def shared_warm_up(self: USEEmbedder) -> None:
            if self._model is None and cls.model is not None:
                self._model = cls.model
            warm_up(self)
            cls.model = self._model

        def memo_embed(self: USEEmbedder, texts: list[str]) -> np.ndarray:
            missing = [t for t in dict.fromkeys(texts) if t not in cls.vectors]
            if missing:
                cls.vectors.update(zip(missing, embed(self, missing), strict=True))
            if not texts:
                return embed(self, [])
            return np.vstack([cls.vectors[t] for t in texts])

        mp.setattr(USEEmbedder, "warm_up", shared_warm_up)
        mp.setattr(USEEmbedder, "embed_documents", memo_embed)


@pytest.fixture(scope="session", autouse=True)
def _shared_use_model() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        _SharedUSE.install(mp)
        yield


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


# The fast lane, `python -m pytest -m fast` (README, "Tests"): unit tests of the parser, loaders, calculators,
# records and evaluation metrics, the store contracts on the embedded backends, and the bookkeeping tests that
# index with tests.fakes.HashingEmbedder (hashes, skips, swaps, crash safety). Not in it: anything that builds
# an index with the real embedder (ranking), starts a server, a browser or a load, and the slowest property
# tests. Entries are test modules, or "module::Class".
FAST_LANE = frozenset({
    "test_answerability", "test_calculators_articles", "test_calculators_guarantees",
    "test_calculators_tender_period", "test_calculators_thresholds", "test_calculators_tier",
    "test_conversation_store::TestConversationsSQLite", "test_core",
    "test_core_money", "test_core_refs", "test_drafting_eval_items", "test_drafting_gongwen", "test_env_example",
    "test_eval_datasets", "test_eval_report_model", "test_eval_suite_metrics", "test_eval_suite_report",
    "test_frozen_splits", "test_function_length",
    "test_loaders_files", "test_loaders_sources", "test_pipeline_incremental", "test_readme_layout",
    "test_records_import_edges", "test_records_importers", "test_records_service::TestRecordsSQLite",
    "test_structure_parser", "test_tables", "test_template_recovery", "test_templates_plans_dataset",
    "test_vectorstore_conformance::TestEmbeddedChroma", "test_vectorstore_conformance::TestExactDense",
})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = getattr(item, "module", None)
        cls = getattr(item, "cls", None)
        name = module.__name__.rsplit(".", 1)[-1] if module is not None else ""
        if name in FAST_LANE or (cls is not None and f"{name}::{cls.__name__}" in FAST_LANE):
            item.add_marker(pytest.mark.fast)


# In CI (.ci/run sets MISHU_REQUIRE_REAL_DBS=1 after starting PostgreSQL and a Chroma server), a test that
# would skip for want of them fails instead: no PostgreSQL or Chroma-server test is silently skipped there.
_REAL_DB_SKIPS = ("MISHU_TEST_PG_URL", "MISHU_TEST_CHROMA", "chroma CLI not installed")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome: Any = yield
    if os.environ.get("MISHU_REQUIRE_REAL_DBS") != "1":
        return
    rep = outcome.get_result()
    if rep.skipped and isinstance(rep.longrepr, tuple) and any(s in str(rep.longrepr[2]) for s in _REAL_DB_SKIPS):
        rep.outcome = "failed"
        rep.longrepr = f"skipped in CI, where the real databases are required: {rep.longrepr[2]}"
