"""Honest test doubles for what cannot run here: a remote chat model.

``ScriptedChatModel`` is a real LangChain chat model whose replies come from a queue (plain text or
AIMessages carrying tool calls) and which records every call it receives (messages and bound tools). It
streams too: a text reply is written ``chunk_chars`` characters at a time, each piece recorded in
``written`` as it is produced, and ``pause_s`` makes every call take that long (a slow model).

``ScriptedOpenAIServer`` is an OpenAI-compatible chat-completions endpoint on 127.0.0.1 answering from a
script (JSON, or server-sent chunks when the request asks to stream), optionally after a delay; the real
``ChatOpenAI`` client talks to it over HTTP.

``HashingEmbedder`` is a small deterministic embedder behind the ``Embedder`` interface for bookkeeping tests
(content hashes, skips, swaps, jobs, crash safety) where ranking is not under test: it embeds in microseconds
and loads no model. Wherever ranking matters, tests use the real USE embedder.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from hashlib import blake2b
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

if TYPE_CHECKING:
    from mishu.app import Container
    from mishu.settings import Settings


class HashingEmbedder:
    """Character unigrams and bigrams hashed (blake2b, stable across processes) into ``dim`` signed
    buckets, L2-normalised: texts that share characters get similar vectors, the same text always the
    same vector. ``embedded`` counts the texts it was asked to embed (documents and queries)."""

    name = "hashing-64"
    dim = 64

    def __init__(self) -> None:
        self.embedded = 0

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for gram in [*text, *(text[i:i + 2] for i in range(len(text) - 1))]:
            h = int.from_bytes(blake2b(gram.encode("utf-8"), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = float(np.linalg.norm(v))
        if norm == 0.0:  # no characters (or they cancelled out): a fixed unit vector, never NaN similarities
            v[0], norm = 1.0, 1.0
        return v / norm

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.embedded += len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        self.embedded += 1
        return self._vector(text)


def hashing_container(settings: Settings) -> Container:
    """A Container whose dense embedder is a ``HashingEmbedder`` (set before any component uses it)."""
    from mishu.app import Container

    c = Container(settings)
    c.embedder = HashingEmbedder()
    return c


class ScriptedChatModel(BaseChatModel):
    replies: list[Any] = Field(default_factory=list)  # AIMessage or str, consumed in order
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    bound_tools: list[str] = Field(default_factory=list)
    chunk_chars: int = 4
    written: list[str] = Field(default_factory=list)  # streamed pieces, in the order they were produced
    pause_s: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        self.bound_tools = [getattr(t, "name", str(t)) for t in tools]
        return self

    def _next(self, messages: list[BaseMessage]) -> AIMessage:
        self.calls.append(list(messages))
        if not self.replies:
            raise RuntimeError("ScriptedChatModel has no more scripted replies")
        if self.pause_s:
            time.sleep(self.pause_s)
        reply = self.replies.pop(0)
        return AIMessage(content=reply) if isinstance(reply, str) else reply

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._next(messages))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: Any = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        msg = self._next(messages)
        if msg.tool_calls:
            chunks = [tool_call_chunk(name=t["name"], args=json.dumps(t["args"], ensure_ascii=False), id=t["id"],
                                      index=i) for i, t in enumerate(msg.tool_calls)]
            yield ChatGenerationChunk(message=AIMessageChunk(content=str(msg.content), tool_call_chunks=chunks))
            return
        text = str(msg.content)
        for i in range(0, len(text), self.chunk_chars):
            piece = text[i:i + self.chunk_chars]
            self.written.append(piece)
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


def tool_call(name: str, args: dict[str, Any], call_id: str = "call-1") -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": call_id, "type": "tool_call"}])


class ScriptedOpenAIServer:
    """``/v1/chat/completions`` on 127.0.0.1 from a list of reply texts, each after ``delay_s``.

    Use as a context manager; ``base_url`` is what ``MISHU_LLM_BASE_URL`` would hold, ``requests`` the
    request bodies received."""

    def __init__(self, replies: list[str], delay_s: float = 0.0, chunk_chars: int = 4, chunk_delay_s: float = 0.0):
        self.replies = list(replies)
        self.delay_s = delay_s
        self.chunk_chars = chunk_chars
        self.chunk_delay_s = chunk_delay_s  # a model that writes at a human-visible pace
        self.finished_at = 0.0  # time.monotonic() when the last reply was written out
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                server.requests.append(body)
                text = server.replies.pop(0) if server.replies else ""
                time.sleep(server.delay_s)
                try:
                    if body.get("stream"):
                        self._stream(text, body.get("model", "scripted"))
                    else:
                        self._json(text, body.get("model", "scripted"))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout)

            def _json(self, text: str, model: str) -> None:
                out = json.dumps({"id": "c1", "object": "chat.completion", "created": 0, "model": model,
                                  "choices": [{"index": 0, "finish_reason": "stop",
                                               "message": {"role": "assistant", "content": text}}],
                                  "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
                server.finished_at = time.monotonic()

            def _stream(self, text: str, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = [text[i:i + server.chunk_chars] for i in range(0, len(text), server.chunk_chars)]
                for i, piece in enumerate([*pieces, None]):
                    delta = {"content": piece} if piece is not None else {}
                    if i == 0:
                        delta["role"] = "assistant"
                    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": model,
                             "choices": [{"index": 0, "delta": delta,
                                          "finish_reason": None if piece is not None else "stop"}]}
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(server.chunk_delay_s)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                server.finished_at = time.monotonic()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> ScriptedOpenAIServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
