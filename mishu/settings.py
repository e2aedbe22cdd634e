"""One typed settings object for the whole product.

Every value can come from the environment with the ``MISHU_`` prefix (``MISHU_DATA_DIR``,
``MISHU_LLM_BASE_URL``, ...) or from a ``.env`` file. Deep code never reads the environment:
it receives a ``Settings`` (or the parts it needs) from the composition root.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_SOURCES = PROJECT_ROOT / "knowledge" / "sources"

Role = Literal["staff", "hotline", "admin"]
ROLES: tuple[Role, ...] = ("staff", "hotline", "admin")


def default_data_dir() -> Path:
    return Path.home() / ".mishu"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MISHU_", env_file=".env", extra="ignore")

    # --- storage -------------------------------------------------------------------------------
    data_dir: Path = Field(default_factory=default_data_dir, description="Index, records and logs live here.")
    sources: Annotated[list[Path], NoDecode] = Field(default_factory=lambda: [SHIPPED_SOURCES],
                                                     description="Folders/files ingested by default (comma-separated in the environment).")
    chroma_host: str | None = Field(default=None, description="Chroma server host; embedded when unset.")
    chroma_port: int = 8000
    collection: str = "mishu_chunks"
    records_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite in data_dir when unset.")
    audit_url: str | None = Field(default=None, description="SQLAlchemy URL for the audit log; records_url when unset.")

    # --- embedding -----------------------------------------------------------------------------
    embedder: Literal["use-multilingual", "sentence-transformers"] = "use-multilingual"
    embedder_model_path: Path | None = Field(default=None, description="On-disk sentence-transformers model.")
    embed_threads: int = 2
    embed_batch: int = 64

    # --- ingest --------------------------------------------------------------------------------
    max_file_mb: float = 50.0
    chunk_max_tokens: int = 600

    # --- retrieval -----------------------------------------------------------------------------
    retrieval_k: int = 10
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    rerank: bool = True
    lexical: bool = True
    dense: bool = True

    # --- LLM (optional; OpenAI-compatible endpoint) -------------------------------------------
    llm_base_url: str | None = None
    llm_model: str = "taide"
    llm_api_key: str = "not-needed"
    llm_max_steps: int = 6
    llm_timeout_s: float = 120.0

    # --- service -------------------------------------------------------------------------------
    api_keys: str = Field(default="", description='"key1:staff,key2:hotline,key3:admin"')
    api_host: str = "127.0.0.1"
    api_port: int = 8765
    ui_port: int = 8501

    @field_validator("sources", mode="before")
    @classmethod
    def _split_sources(cls, v: object) -> object:
        if isinstance(v, str):
            return [Path(p) for p in v.split(",") if p.strip()]
        return v

    # --- derived paths -------------------------------------------------------------------------
    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def chroma_dir(self) -> Path:
        return self.index_dir / "chroma"

    @property
    def registry_path(self) -> Path:
        return self.index_dir / "registry.sqlite3"

    @property
    def records_db_url(self) -> str:
        return self.records_url or f"sqlite:///{self.data_dir / 'records.sqlite3'}"

    @property
    def audit_db_url(self) -> str:
        return self.audit_url or self.records_db_url

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url)

    def api_key_roles(self) -> dict[str, Role]:
        """Parse ``api_keys``; a malformed entry is an error, not silently dropped."""
        out: dict[str, Role] = {}
        for part in (p.strip() for p in self.api_keys.split(",")):
            if not part:
                continue
            key, sep, role = part.rpartition(":")
            if not sep or not key or role not in ROLES:
                raise ValueError(f"MISHU_API_KEYS entry {part!r} must be KEY:ROLE with ROLE in {ROLES}")
            out[key] = role  # type: ignore[assignment]
        return out
