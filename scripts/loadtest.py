"""Bounded load test of the mishu API on 127.0.0.1 (issue 10, item 2).

N client threads send requests for D seconds, each picking 70% ask, 20% search, 5% stream (SSE) and 5%
consultation logging, then stop by themselves. The report gives p50/p95/p99 (overall and per kind),
throughput, every error (non-2xx status, exception, or an SSE ``error`` event), and checks that every
consultation the server acknowledged (201) is stored (read back through the API afterwards).

    # start `mishu serve --workers 2` on a throw-away data dir, run 20 clients x 60 s, stop the server:
    python scripts/loadtest.py --spawn --workers 2 --clients 20 --seconds 60
    # against a server that runs already (keys of a staff and of a hotline/admin caller):
    python scripts/loadtest.py --url http://127.0.0.1:8765 --staff-key ... --hotline-key ...

Only loopback URLs are accepted. Exit code 0 when there is no error and every acknowledged consultation is
stored, 1 otherwise. ``--json`` prints the report as JSON. Questions come from the dev set
(evals/datasets/answers_dev.jsonl), never from the blind test split.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "evals" / "datasets" / "answers_dev.jsonl"
MIX = (("ask", 70), ("search", 20), ("stream", 5), ("consult", 5))
SEARCHES = ("押標金上限", "等標期", "檔案保存年限", "履約保證金", "異議 期限", "AED 設置", "決標公告", "驗收")


@dataclass
class Result:
    kind: str
    seconds: float
    ok: bool
    error: str | None = None
    consultation_ref: str | None = None


@dataclass
class Run:
    results: list[Result] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, r: Result) -> None:
        with self.lock:
            self.results.append(r)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))
    return s[k]


def questions() -> list[str]:
    out = []
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(json.loads(line)["query"])
    return out


def _check_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        raise SystemExit(f"loadtest: only loopback URLs are allowed, not {url!r}")


def _one(
    client: httpx.Client, kind: str, rnd: random.Random, qs: list[str], keys: dict[str, str], marker: str
) -> Result:
    staff = {"Authorization": f"Bearer {keys['staff']}"}
    t0 = time.perf_counter()
    try:
        if kind == "ask":
            r = client.post("/v1/ask", json={"question": rnd.choice(qs)}, headers=staff)
        elif kind == "search":
            r = client.get("/v1/search", params={"q": rnd.choice(SEARCHES), "k": 10}, headers=staff)
        elif kind == "stream":
            return _stream(client, rnd.choice(qs), staff, t0)
        else:
            body = {
                "caller_agency": "臺中市政府建設局",
                "category": "招標",
                "question": f"{marker} {rnd.choice(qs)}",
                "answer": "負載測試紀錄",
                "citations": [{"title": "招標期限標準", "no": "2"}],
            }
            r = client.post(
                "/v1/consultations", json=body, headers={"Authorization": f"Bearer {keys['hotline']}"}
            )
        dt = time.perf_counter() - t0
        if r.status_code >= 300:
            return Result(kind, dt, False, f"HTTP {r.status_code}: {r.text[:200]}")
        ref = str(r.json()["ref"]) if kind == "consult" else None
        return Result(kind, dt, True, consultation_ref=ref)
    except Exception as exc:  # a failed request is a result, not a crash of the client
        return Result(kind, time.perf_counter() - t0, False, f"{type(exc).__name__}: {exc}")


def _stream(client: httpx.Client, question: str, headers: dict[str, str], t0: float) -> Result:
    events: list[str] = []
    with client.stream("POST", "/v1/ask/stream", json={"question": question}, headers=headers) as r:
        if r.status_code >= 300:
            r.read()
            return Result("stream", time.perf_counter() - t0, False, f"HTTP {r.status_code}: {r.text[:200]}")
        for line in r.iter_lines():
            if line.startswith("event: "):
                events.append(line[7:].strip())
    dt = time.perf_counter() - t0
    if "error" in events or not events or events[-1] != "done" or "answer" not in events:
        return Result("stream", dt, False, f"SSE events {events[-5:]}")
    return Result("stream", dt, True)


def client_loop(
    base: str, keys: dict[str, str], seed: int, until: float, run: Run, qs: list[str], marker: str
) -> None:
    rnd = random.Random(seed)
    kinds = [k for k, w in MIX for _ in range(w)]
    with httpx.Client(base_url=base, timeout=60.0) as client:
        while time.monotonic() < until:
            run.add(_one(client, rnd.choice(kinds), rnd, qs, keys, marker))


def stored_consultations(base: str, keys: dict[str, str], acked: set[str]) -> set[str]:
    """Which of the acknowledged refs the server has stored (its CSV export of every consultation)."""
    if not acked:
        return set()
    with httpx.Client(base_url=base, timeout=120.0) as client:
        r = client.get("/v1/consultations/export.csv", headers={"Authorization": f"Bearer {keys['hotline']}"})
        r.raise_for_status()
        refs = {line.split(",", 1)[0].lstrip("\ufeff") for line in r.text.splitlines()}
        return acked & refs


def summarize(run: Run, seconds: float, stored: set[str], clients: int) -> dict[str, Any]:
    res = run.results
    lat = [r.seconds for r in res]
    by_kind: dict[str, Any] = {}
    for kind, _ in MIX:
        ks = [r for r in res if r.kind == kind]
        by_kind[kind] = {
            "n": len(ks),
            "errors": sum(not r.ok for r in ks),
            "p50_ms": round(percentile([r.seconds for r in ks], 50) * 1000, 1),
            "p95_ms": round(percentile([r.seconds for r in ks], 95) * 1000, 1),
        }
    acked = {r.consultation_ref for r in res if r.consultation_ref is not None}
    errors: dict[str, int] = {}
    for r in res:
        if not r.ok:
            key = f"{r.kind}: {r.error}"[:160]
            errors[key] = errors.get(key, 0) + 1
    return {
        "clients": clients,
        "seconds": round(seconds, 1),
        "requests": len(res),
        "throughput_rps": round(len(res) / seconds, 2) if seconds else 0.0,
        "p50_ms": round(percentile(lat, 50) * 1000, 1),
        "p95_ms": round(percentile(lat, 95) * 1000, 1),
        "p99_ms": round(percentile(lat, 99) * 1000, 1),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "by_kind": by_kind,
        "consultations_acknowledged": len(acked),
        "consultations_missing": sorted(acked - stored),
    }


def run_load(base: str, keys: dict[str, str], clients: int, seconds: float, seed: int = 7) -> dict[str, Any]:
    _check_loopback(base)
    qs = questions()
    marker = f"[load-{secrets.token_hex(4)}]"
    run = Run()
    t0 = time.monotonic()
    until = t0 + seconds
    threads = [
        threading.Thread(target=client_loop, args=(base, keys, seed + i, until, run, qs, marker), daemon=True)
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    elapsed = time.monotonic() - t0
    acked = {r.consultation_ref for r in run.results if r.consultation_ref is not None}
    return summarize(run, elapsed, stored_consultations(base, keys, acked), clients)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"mishu serve exited with {proc.returncode}")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"mishu serve did not answer /healthz within {timeout:.0f} s")


@contextmanager
def spawned_server(
    workers: int, data_dir: Path | None, sources: str | None, log_path: Path | None = None
) -> Iterator[tuple[str, dict[str, str]]]:
    """``mishu serve --workers N`` on a free loopback port, with fresh keys; stopped (SIGTERM, then SIGKILL)."""
    keys = {
        "staff": "load-staff-" + secrets.token_hex(12),
        "hotline": "load-hotline-" + secrets.token_hex(12),
    }
    tmp = None
    if data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="mishu-load-")
        data_dir = Path(tmp.name)
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = dict(
        os.environ,
        MISHU_DATA_DIR=str(data_dir),
        MISHU_API_KEYS=f"{keys['staff']}:staff,{keys['hotline']}:hotline",
    )
    if sources:
        env["MISHU_SOURCES"] = sources
    log = open(log_path or data_dir / "serve.log", "ab")  # noqa: SIM115 - closed below
    cmd = [
        sys.executable,
        "-m",
        "mishu.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, timeout=600)
        yield base, keys
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
        if tmp is not None:
            tmp.cleanup()


def format_report(rep: dict[str, Any]) -> str:
    lines = [
        f"{rep['clients']} clients x {rep['seconds']} s: {rep['requests']} requests, "
        f"{rep['throughput_rps']} req/s, p50 {rep['p50_ms']} ms, p95 {rep['p95_ms']} ms, p99 {rep['p99_ms']} ms, "
        f"errors {rep['errors']}",
        f"consultations acknowledged {rep['consultations_acknowledged']}, "
        f"missing {len(rep['consultations_missing'])}",
    ]
    for kind, k in rep["by_kind"].items():
        lines.append(
            f"  {kind:7s} n={k['n']:5d} errors={k['errors']:3d} p50={k['p50_ms']} ms p95={k['p95_ms']} ms"
        )
    for e, n in rep["error_kinds"].items():
        lines.append(f"  error x{n}: {e}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", help="base URL of a running server (loopback only)")
    p.add_argument("--staff-key", default=os.environ.get("MISHU_LOAD_STAFF_KEY"))
    p.add_argument("--hotline-key", default=os.environ.get("MISHU_LOAD_HOTLINE_KEY"))
    p.add_argument("--spawn", action="store_true", help="start `mishu serve` for the run and stop it after")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--data-dir", type=Path, help="with --spawn: data dir to reuse (index built once)")
    p.add_argument("--sources", help="with --spawn: MISHU_SOURCES for a first index")
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of traffic before measuring")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    if a.spawn:
        with spawned_server(a.workers, a.data_dir, a.sources) as (base, keys):
            if a.warmup > 0:
                run_load(base, keys, min(a.clients, 4), a.warmup)
            rep = run_load(base, keys, a.clients, a.seconds)
    else:
        if not (a.url and a.staff_key and a.hotline_key):
            p.error("give --spawn, or --url with --staff-key and --hotline-key")
        keys = {"staff": a.staff_key, "hotline": a.hotline_key}
        rep = run_load(a.url, keys, a.clients, a.seconds)
    print(json.dumps(rep, ensure_ascii=False, indent=2) if a.json else format_report(rep))
    return 0 if rep["errors"] == 0 and not rep["consultations_missing"] else 1


if __name__ == "__main__":
    sys.exit(main())
