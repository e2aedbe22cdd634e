"""Benchmark: cold ingest of the shipped corpus, re-ingest with no change, warm search latency.

Run: ``mishu bench`` (the CLI builds the components on a fresh temporary data directory unless --work-dir is
given, and calls :func:`benchmark`).

Wall-clock times depend on what else runs. On the 2-core machine shared with other jobs (load average 6-9),
the cold ingest took 152-404 s where it takes about 35 s idle; the embedder's two BLAS threads make it worse
(a thread waiting for a descheduled partner spins: that whole `mishu bench` run used 194 s of CPU, while a
one-thread cold ingest under the same load used 61 s). So the report gives, next to the cold ingest's wall
time, the CPU time this process spent (all its threads), their ratio, and the load average before and after;
``contended`` is true when other processes already kept every core busy before the run, or the ingest got
less than half a core on average (it is CPU-bound): such a wall time measures the machine, not the program.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import time
from pathlib import Path
from typing import Any

from evals.datasets_io import dataset_path
from knowledge.base import KnowledgeBase
from knowledge.indexer import Indexer
from knowledge.retrieval import HybridRetriever

DEFAULT_QUERIES = [
    "公告金額以上採購的等標期", "押標金上限", "限制性招標的條件", "檔案保存年限", "AED 設置場所",
    "消防防護計畫內容", "採購法第22條", "細則第6條", "檔案法§17", "流標後重新招標",
]


def _percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    if not s:
        return 0.0
    idx = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[idx]


def _cpu_s() -> float:
    """CPU seconds (user + system) this process has used, every thread included."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def benchmark(indexer: Indexer, retriever: HybridRetriever, kb: KnowledgeBase, sources: list[Path],
              queries: int = 200) -> dict[str, Any]:
    """Cold ingest of ``sources`` into an empty index, re-ingest with no change, then ``queries`` warm
    searches (the dev questions, else a fixed list). The composition root gives a fresh index."""
    load_before = os.getloadavg()
    t, cpu = time.perf_counter(), _cpu_s()
    cold = indexer.ingest(sources)
    cold_s, cold_cpu_s = time.perf_counter() - t, _cpu_s() - cpu
    load_after = os.getloadavg()
    t = time.perf_counter()
    warm = indexer.ingest(sources)
    reingest_s = time.perf_counter() - t

    qs = DEFAULT_QUERIES
    path = dataset_path("retrieval_dev.jsonl")
    if path.exists():
        qs = [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    retriever.search("暖機", 5)
    lat: list[float] = []
    for i in range(queries):
        q = qs[i % len(qs)]
        t = time.perf_counter()
        retriever.search(q, 10)
        lat.append((time.perf_counter() - t) * 1000)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "documents": len(kb.documents()),
        "chunks": cold.chunks_total,
        "cold_ingest_s": round(cold_s, 2),
        "cold_ingest_cpu_s": round(cold_cpu_s, 2),
        "load_avg_before": round(load_before[0], 2),
        "load_avg_after_cold": round(load_after[0], 2),
        "cpus": os.cpu_count(),
        "cold_ingest_cpu_per_wall": round(cold_cpu_s / cold_s, 2) if cold_s else None,
        "contended": load_before[0] >= (os.cpu_count() or 1) or cold_cpu_s < 0.5 * cold_s,
        "reingest_nochange_s": round(reingest_s, 3),
        "reingest_unchanged_files": len(warm.unchanged),
        "search_queries": queries,
        "search_ms_p50": round(statistics.median(lat), 1),
        "search_ms_p95": round(_percentile(lat, 95), 1),
        "search_ms_p99": round(_percentile(lat, 99), 1),
        "max_rss_mb": round(rss_mb, 1),
        "failed_files": [f.__dict__ for f in cold.failed],
    }
