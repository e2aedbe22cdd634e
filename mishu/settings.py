"""One typed settings object for the whole product.

Every value can come from the environment with the ``MISHU_`` prefix (``MISHU_DATA_DIR``,
``MISHU_LLM_BASE_URL``, ...) or from a ``.env`` file. Deep code never reads the environment:
it receives a ``Settings`` (or the parts it needs) from the composition root.
"""

from __future__ import annotations

import ipaddress
from datetime import date
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.access import ROLES, Role
from core.faults import FaultPoints
from evals.datasets_io import BASELINE_DIR, DATASETS_DIR
from knowledge.shipped import SHIPPED_SOURCES, TENDER_TEMPLATE_PATH, THRESHOLDS_PATH

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the checkout (the launcher runs the pages from it)

API_KEY_MIN_CHARS = 24


def default_data_dir() -> Path:
    return Path.home() / ".mishu"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MISHU_", env_file=".env", extra="ignore")

    # --- storage -------------------------------------------------------------------------------
    data_dir: Path = Field(default_factory=default_data_dir, description="Index, records and logs live here.")
    sources: Annotated[list[Path], NoDecode] = Field(default_factory=lambda: [SHIPPED_SOURCES],
                                                     description="Folders/files ingested by default (comma-separated in the environment).")
    chroma_host: str | None = Field(default=None, description="Chroma server host; embedded when unset.")
    chroma_port: int = Field(default=8000, description="Chroma server port (with chroma_host).")
    collection: str = Field(default="mishu_chunks", description="Chroma collection that holds the chunk embeddings.")
    records_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite in data_dir when unset.")
    audit_url: str | None = Field(default=None, description="SQLAlchemy URL for the audit log (and the API's "
                                  "feedback and ingest-job tables); its own SQLite file in data_dir when unset.")
    audit_retention_days: int = Field(default=180, ge=1, description="Audit rows older than this are deleted "
                                      "(at start and then hourly by each API worker).")
    conversation_retention_days: int = Field(default=90, ge=1, description="Conversations (with their turns) idle "
                                             "for longer than this, and drafts (.docx) older than this, are deleted "
                                             "(at start and then hourly by each API worker).")
    audit_questions: bool = Field(default=True, description="false: the audit keeps a SHA-256 prefix of each asked "
                                  "question instead of its text, and no query strings (search terms, tax ids).")

    # --- data files (default: the shipped ones) -------------------------------------------------
    laws_dir: Path = Field(default=SHIPPED_SOURCES,
                           description="Law JSON files the calculators and drafts quote verbatim (searched recursively).")
    thresholds_path: Path = Field(default=THRESHOLDS_PATH, description="Dated procurement amount thresholds (JSON).")
    today: date | None = Field(default=None, description="Fixed \"today\" for record questions (今年、上一次) and "
                                                       "calculators, e.g. for evaluation; default the clock.")
    template_path: Path = Field(default=TENDER_TEMPLATE_PATH, description="The 投標須知範本 (recovered template JSON).")

    # --- embedding -----------------------------------------------------------------------------
    embedder: Literal["use-multilingual", "sentence-transformers"] = Field(
        default="use-multilingual",
        description="Dense embedder: the packaged USE multilingual model, or a sentence-transformers model on disk.")
    embedder_model_path: Path | None = Field(default=None, description="On-disk sentence-transformers model.")
    embed_threads: int = Field(default=2, description="CPU threads the embedder may use.")
    embed_batch: int = Field(default=64, description="Passages embedded per batch while indexing.")

    # --- ingest --------------------------------------------------------------------------------
    max_file_mb: float = Field(default=50.0, description="Largest source file accepted for ingest or upload (MB).")
    chunk_max_tokens: int = Field(default=600, description="Longest chunk (tiktoken tokens); longer articles split at 項/款 lines.")
    parse_memory_mb: int = Field(default=2048, ge=256, description="Address-space limit of the parsing child process (MB).")
    parse_cpu_s: int = Field(default=120, ge=1, description="CPU-time limit for parsing one source file (s).")
    parse_timeout_s: float = Field(default=180.0, gt=0, description="Wall-time limit for parsing one source file (s).")
    fault_pause: str = Field(default="", description="Tests only (tests/test_faults.py): fault points, comma-separated "
                             "(core.faults.POINTS), where a re-index stops for fault_pause_s seconds so that a kill -9 "
                             "lands exactly there. Leave empty.")
    fault_pause_s: float = Field(default=600.0, gt=0, description="How long a process waits at a fault point (s).")

    # --- retrieval -----------------------------------------------------------------------------
    retrieval_k: int = Field(default=10, description="Articles returned by a search.")
    rrf_k: int = Field(default=60, description="Reciprocal-rank-fusion constant of the hybrid search.")
    dense_weight: float = Field(default=1.0, description="Weight of the dense ranking in the fusion.")
    lexical_weight: float = Field(default=1.0, description="Weight of the jieba/BM25 ranking in the fusion.")
    rerank: bool = Field(default=True, description="Re-rank the fused articles with article- and line-level evidence.")
    lexical: bool = Field(default=True, description="Use the lexical (jieba + BM25) search.")
    dense: bool = Field(default=True, description="Use the dense (embedding) search.")

    # --- LLM (optional; OpenAI-compatible endpoint) -------------------------------------------
    llm_base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server, TAIDE); extractive mode when unset.")
    llm_model: str = Field(default="taide", description="Model name sent to the LLM endpoint.")
    llm_api_key: str = Field(default="not-needed", description="API key of the LLM endpoint, if it needs one.")
    llm_max_steps: int = Field(default=6, ge=1, le=20, description="Most model calls (tool-calling steps) per LLM answer.")
    llm_max_tool_calls: int = Field(default=12, ge=0, le=50, description="Most tool calls per LLM answer.")
    llm_timeout_s: float = Field(default=60.0, gt=0, description="Timeout of one LLM call (seconds); never past the "
                                 "question's deadline.")
    llm_deadline_s: float = Field(default=90.0, gt=0, description="Deadline of a whole LLM-mode question, every call "
                                  "included (seconds); past it the request stops with a zh-TW error (504).")
    llm_max_concurrency: int = Field(default=2, ge=1, le=64, description="LLM-mode questions running at once per "
                                     "process; more wait llm_queue_wait_s, then are turned away (503).")
    llm_queue_wait_s: float = Field(default=2.0, ge=0, description="How long a question waits for a free LLM slot "
                                    "(seconds).")

    # --- evaluation ----------------------------------------------------------------------------
    datasets_dir: Path = Field(default=DATASETS_DIR, description="Evaluation datasets read by `mishu eval`.")
    baseline_dir: Path = Field(default=BASELINE_DIR,
                               description="The committed evaluation baseline (report.json) the gate compares with.")

    # --- service -------------------------------------------------------------------------------
    api_keys: str = Field(default="", description='"<key of 24+ characters>:staff,<key>:hotline,<key>:admin"')
    key_secret: str | None = Field(default=None, description="Server secret for the keyed hashes of API keys; "
                                   "a random one kept in data_dir/api-key-secret when unset.")
    api_host: str = Field(default="127.0.0.1", description="Host the API listens on (loopback by default).")
    api_port: int = Field(default=8765, description="Port of the API.")
    ui_port: int = Field(default=8501, description="Port of the Streamlit pages.")
    tls_cert_file: Path | None = Field(default=None, description="TLS certificate (PEM) for the API and the pages; "
                                       "with tls_key_file, `mishu up` serves both over HTTPS.")
    tls_key_file: Path | None = Field(default=None, description="Private key (PEM) of tls_cert_file.")
    behind_proxy: bool = Field(default=False, description="A fronting proxy (TLS, access control) is configured: "
                               "`mishu up` may then listen on a non-loopback host without TLS of its own.")

    @field_validator("sources", mode="before")
    @classmethod
    def _split_sources(cls, v: object) -> object:
        if isinstance(v, str):
            return [Path(p) for p in v.split(",") if p.strip()]
        return v

    @field_validator("fault_pause")
    @classmethod
    def _known_fault_points(cls, v: str) -> str:
        FaultPoints.parse(v)  # an unknown name is an error, not a point that never stops
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
    def faults(self) -> FaultPoints:
        return FaultPoints.parse(self.fault_pause, self.fault_pause_s)

    @property
    def users_file(self) -> Path:
        """The pages' login accounts (``core.accounts``)."""
        return self.data_dir / "users.json"

    @property
    def records_db_url(self) -> str:
        return self.records_url or f"sqlite:///{self.data_dir / 'records.sqlite3'}"

    @property
    def audit_db_url(self) -> str:
        return self.audit_url or f"sqlite:///{self.data_dir / 'audit.sqlite3'}"

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url)

    def llm_endpoint_warning(self) -> str | None:
        """A zh-TW warning when LLM mode would send questions and passages off this machine or its private
        network, or in clear text beyond loopback (review F-28); None when local or LLM mode is off."""
        if not self.llm_base_url:
            return None
        url = urlsplit(self.llm_base_url)
        host = (url.hostname or "").lower()
        try:
            ip = ipaddress.ip_address(host)
            loopback, private = ip.is_loopback, ip.is_private
        except ValueError:
            loopback, private = host == "localhost", host.endswith((".local", ".internal", ".lan"))
        if loopback:
            return None
        if not private:
            return (f"警告：LLM 模式會把問題、條文與紀錄資料送到 {host}，它不是本機或內部網路位址；"
                    "mishu 預設離線運作，請確認這是經核准的服務。")
        if url.scheme != "https":
            return f"警告：LLM 端點 {host} 未使用 TLS（https），問題與條文會以明文傳輸。"
        return None

    def api_key_roles(self) -> dict[str, Role]:
        """Parse ``api_keys``; a malformed, short or repeated entry is an error, not silently dropped. The
        message names the entry by its position, never by the key."""
        out: dict[str, Role] = {}
        for n, part in enumerate((p.strip() for p in self.api_keys.split(",") if p.strip()), 1):
            key, sep, role = part.rpartition(":")
            if not sep or not key or role not in ROLES:
                raise ValueError(f"MISHU_API_KEYS 第 {n} 項格式應為 金鑰:角色（角色為 {'、'.join(ROLES)}）／"
                                 f"entry {n} must be KEY:ROLE with ROLE in {ROLES}")
            if len(key) < API_KEY_MIN_CHARS:
                raise ValueError(f"MISHU_API_KEYS 第 {n} 項的金鑰只有 {len(key)} 個字元，至少要 {API_KEY_MIN_CHARS} 個"
                                 f"（可用 python -c \"import secrets; print(secrets.token_urlsafe(24))\" 產生）／"
                                 f"entry {n}: the key has {len(key)} characters, at least {API_KEY_MIN_CHARS} are required")
            if key in out:
                raise ValueError(f"MISHU_API_KEYS 第 {n} 項的金鑰重複出現／entry {n}: the key is listed twice")
            out[key] = role
        return out


def env_example() -> str:
    """The text of ``.env.example``: every setting with its description, type and default, commented out.

    Generated from ``Settings`` so it cannot drift; ``scripts/gen_env_example.py`` writes it and a test
    checks that the committed file is current and that every setting has a description.
    """
    lines = [
        "# mishu settings. Generated by scripts/gen_env_example.py from mishu/settings.py: do not edit by hand.",
        "# Every value is optional; the defaults shown run the embedded offline default.",
        "# Copy to .env (read from the working directory) or set as environment variables.",
    ]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        lines += ["", f"# {field.description or ''}", f"# MISHU_{name.upper()}={_shown(default)}"]
    return "\n".join(lines) + "\n"


def _shown(value: object) -> str:
    """A default as it would be written in the environment; paths in the checkout relative to it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(_shown(v) for v in value)
    if isinstance(value, Path):
        if value.is_relative_to(PROJECT_ROOT):
            return str(value.relative_to(PROJECT_ROOT))
        if value.is_relative_to(Path.home()):
            return "~/" + str(value.relative_to(Path.home()))
    return str(value)
