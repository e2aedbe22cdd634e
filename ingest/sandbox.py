"""Loaders and the structure parser in a child process with memory, CPU and wall-time limits.

Source files come from outside (uploads, shared folders), and a parser can be driven into huge memory or
time by a hostile file (a DOCX zip bomb, a PDF with a decompression loop). So file -> SourceDocument runs
in a child process, never in the caller (an API worker or the CLI):

    with SandboxedParser(ParseLimits(...)) as parser:
        docs = parser.parse(path)          # list[SourceDocument]; raises IngestError(path, reason_zh)

The child (``python -m ingest.sandbox``) sets RLIMIT_AS (address space) once and RLIMIT_CPU before each
file, then reads one JSON request per line on stdin and writes one JSON reply per line. The parent waits
at most ``wall_s`` for each reply. A file over a limit gets a zh-TW reason naming the limit, the child is
replaced, and the next file is parsed by a fresh child. One child serves a whole ingest run, so the start
cost (about a third of a second) is paid once per run, not per file.
"""

from __future__ import annotations

import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from ingest.models import IngestError, SourceDocument

START_TIMEOUT_S = 60.0  # starting the child (interpreter and imports), not counted in a file's wall time


@dataclass(frozen=True)
class ParseLimits:
    """Limits for parsing one file. ``max_bytes`` is the size limit of the file itself."""

    max_bytes: int = 50 * 1024 * 1024
    memory_mb: int = 2048
    cpu_s: int = 120
    wall_s: float = 180.0


class SandboxedParser:
    """Parses files in a child process under ``limits``; not shared between threads."""

    def __init__(self, limits: ParseLimits | None = None) -> None:
        self.limits = limits or ParseLimits()
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SandboxedParser:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def parse(self, path: Path) -> list[SourceDocument]:
        """Load and parse ``path`` in the child. Raises IngestError with a zh-TW reason."""
        proc = self._child(path)
        request = json.dumps({"path": os.path.abspath(path), "max_bytes": self.limits.max_bytes}) + "\n"
        try:
            assert proc.stdin is not None
            proc.stdin.write(request.encode("utf-8"))
            proc.stdin.flush()
        except BrokenPipeError:
            self._discard()
            raise IngestError(path, "解析程序無法啟動或已中止，請稍後再試") from None
        line = self._read_reply(proc, path)
        reply: dict[str, Any] = json.loads(line)
        if not reply.get("ok"):
            if reply.get("kind") == "memory":
                self._discard()
                raise IngestError(path, self._memory_reason())
            raise IngestError(path, str(reply.get("reason") or "無法解析"))
        return [SourceDocument.model_validate(d) for d in reply["docs"]]

    # --- the child ---------------------------------------------------------------------------------
    def _child(self, path: Path) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._discard()
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        lim = self.limits
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "ingest.sandbox", str(lim.memory_mb), str(lim.cpu_s)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=root,
            close_fds=True,
        )
        line = self._read_line(self._proc, path, START_TIMEOUT_S, "解析程序啟動逾時，請稍後再試")
        if json.loads(line).get("ready") is not True:
            self._discard()
            raise RuntimeError("unexpected first line from the parsing child")
        return self._proc

    def _discard(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()

    def _read_reply(self, proc: subprocess.Popen[bytes], path: Path) -> bytes:
        """One reply line, within the wall-time limit; a dead or silent child becomes an IngestError."""
        timeout = f"解析逾時：超過 {self.limits.wall_s:g} 秒仍未完成，已中止（檔案可能過大或格式異常）"
        return self._read_line(proc, path, self.limits.wall_s, timeout)

    def _read_line(
        self, proc: subprocess.Popen[bytes], path: Path, seconds: float, timeout_reason: str
    ) -> bytes:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + seconds
        buf = bytearray()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while not buf.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(timeout=left):
                    self._discard()
                    raise IngestError(path, timeout_reason)
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise IngestError(path, self._death_reason(proc))
                buf.extend(chunk)
        return bytes(buf)

    def _death_reason(self, proc: subprocess.Popen[bytes]) -> str:
        code = proc.wait()
        self._discard()
        if code == -signal.SIGXCPU or code == -signal.SIGKILL:
            return f"解析超過 CPU 時間上限（{self.limits.cpu_s} 秒），已中止（檔案可能過大或格式異常）"
        if code in (-signal.SIGSEGV, -signal.SIGABRT, 3):
            return self._memory_reason()
        return f"解析程序異常結束（代碼 {code}），檔案可能損毀或格式異常"

    def _memory_reason(self) -> str:
        return (
            f"解析超過記憶體上限（{self.limits.memory_mb} MB），已中止（檔案可能是壓縮炸彈、過大或格式異常）"
        )


# --- child side -------------------------------------------------------------------------------------------
def _set_cpu_budget(cpu_s: int) -> None:
    """Allow ``cpu_s`` more CPU seconds from now (RLIMIT_CPU counts the whole process life)."""
    use = resource.getrusage(resource.RUSAGE_SELF)
    used = int(use.ru_utime + use.ru_stime) + 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + cpu_s
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _handle(request: dict[str, Any]) -> dict[str, Any]:
    from ingest.loaders import load_path
    from ingest.structure import parse_structure

    path = Path(request["path"])
    try:
        docs = [parse_structure(ld) for ld in load_path(path, max_bytes=int(request["max_bytes"]))]
    except IngestError as e:
        return {"ok": False, "reason": e.reason}
    except MemoryError:
        return {"ok": False, "kind": "memory"}
    except RecursionError:
        return {"ok": False, "reason": "檔案結構巢狀過深，無法解析"}
    except Exception as e:  # a parser bug is reported for this file; the run goes on
        return {"ok": False, "reason": f"處理時發生錯誤：{type(e).__name__}: {e}"}
    return {"ok": True, "docs": [d.model_dump(mode="json") for d in docs]}


def _serve(memory_mb: int, cpu_s: int) -> int:
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints from a library go to stderr, never into the protocol
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import ingest.loaders
    import ingest.structure  # noqa: F401  (imported before "ready", so the start is not billed to a file)

    out.write(b'{"ready": true}\n')
    out.flush()
    for raw in sys.stdin.buffer:
        _set_cpu_budget(cpu_s)
        try:
            reply = _handle(json.loads(raw))
            data = json.dumps(reply, ensure_ascii=False).encode("utf-8")
        except MemoryError:
            reply, data = {"kind": "memory"}, b'{"ok": false, "kind": "memory"}'
        out.write(data + b"\n")
        out.flush()
        if reply.get("kind") == "memory":
            return 3  # a fresh child for the next file
    return 0


if __name__ == "__main__":
    sys.exit(_serve(int(sys.argv[1]), int(sys.argv[2])))
