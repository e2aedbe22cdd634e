"""Composition root: the one place that turns Settings into wired components.

Components are built on first use (the assistant, records and LLM modules are imported only then); the
property types name them through ``TYPE_CHECKING`` imports.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from ingest.sandbox import ParseLimits
from knowledge.base import KnowledgeBase
from knowledge.embedders import Embedder, make_embedder
from knowledge.indexer import Indexer, IngestReport, ProgressFn
from knowledge.lexical import Tokenizer
from knowledge.registry import Registry
from knowledge.retrieval import HybridRetriever, RetrievalConfig
from knowledge.uploads import UploadService
from knowledge.vectorstore import ChromaStore
from mishu.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from assistant.calculators import ArticleIndex, ThresholdTable
    from assistant.conversations import ConversationStore
    from assistant.drafting.service import DraftingService
    from assistant.llm_agent import LLMAgent
    from assistant.service import Assistant
    from assistant.tools import ToolBox
    from knowledge.records import RecordsService

# chromadb must never phone home; set before chromadb is imported anywhere.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@dataclass
class Container:
    settings: Settings

    @cached_property
    def embedder(self) -> Embedder:
        s = self.settings
        return make_embedder(s.embedder, s.embedder_model_path, threads=s.embed_threads, batch=s.embed_batch)

    @cached_property
    def registry(self) -> Registry:
        return Registry(self.settings.registry_path)

    @cached_property
    def store(self) -> ChromaStore:
        s = self.settings
        return ChromaStore(self.embedder, s.collection, path=s.chroma_dir, host=s.chroma_host, port=s.chroma_port)

    @cached_property
    def tokenizer(self) -> Tokenizer:
        return Tokenizer()

    @cached_property
    def kb(self) -> KnowledgeBase:
        # embedded Chroma: exact dense search over the view's vectors (knowledge.dense, F-06)
        return KnowledgeBase(self.registry, self.store, self.embedder, self.tokenizer, self.settings.index_dir,
                             exact_dense=not self.settings.chroma_host)

    @cached_property
    def indexer(self) -> Indexer:
        s = self.settings
        return Indexer(self.registry, self.store, self.embedder, self.tokenizer, s.index_dir,
                       max_bytes=int(s.max_file_mb * 1024 * 1024), chunk_max_tokens=s.chunk_max_tokens,
                       parse_limits=self.parse_limits, faults=s.faults)

    @cached_property
    def uploads(self) -> UploadService:
        return UploadService(self.settings.data_dir / "uploads", self.registry, self.parse_limits)

    @property
    def parse_limits(self) -> ParseLimits:
        s = self.settings
        return ParseLimits(max_bytes=int(s.max_file_mb * 1024 * 1024), memory_mb=s.parse_memory_mb,
                           cpu_s=s.parse_cpu_s, wall_s=s.parse_timeout_s)

    def ensure_ready(self, *, progress: ProgressFn | None = None,
                     announce: Callable[[], None] | None = None) -> IngestReport | None:
        """Index the configured sources when the index is empty (first use on a fresh machine); ``announce``
        is called just before. Returns the ingest report, or None when there already was an index."""
        if not self.kb.is_empty():
            return None
        if announce is not None:
            announce()
        return self.indexer.ingest(list(self.settings.sources), progress=progress)

    def retrieval_config(self) -> RetrievalConfig:
        s = self.settings
        return RetrievalConfig(k=s.retrieval_k, rrf_k=s.rrf_k, dense=s.dense, lexical=s.lexical, rerank=s.rerank,
                               dense_weight=s.dense_weight, lexical_weight=s.lexical_weight)

    @cached_property
    def records_engine(self) -> Engine:
        from knowledge.records import init_db

        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return init_db(self.settings.records_db_url)

    @cached_property
    def records(self) -> RecordsService:
        from knowledge.records import RecordsService

        return RecordsService(self.records_engine)

    def ensure_sample_records(self) -> bool:
        """Load the 範例 dataset into an empty records store; True when it loaded."""
        from knowledge.records import load_sample

        if any(self.records.table_counts().values()):
            return False
        reports = load_sample(self.records_engine)
        bad = [r for r in reports if not r.ok]
        if bad:
            raise RuntimeError("範例資料匯入失敗：" + "；".join(r.summary_zh() for r in bad))
        return True

    @cached_property
    def articles(self) -> ArticleIndex:
        from assistant.calculators import ArticleIndex

        return ArticleIndex.load(self.settings.laws_dir)

    @cached_property
    def thresholds(self) -> ThresholdTable:
        from assistant.calculators import ThresholdTable

        return ThresholdTable.load(self.settings.thresholds_path)

    @cached_property
    def toolbox(self) -> ToolBox:
        from assistant.tools import ToolBox

        fixed = self.settings.today
        today: Callable[[], date] = date.today if fixed is None else (lambda: fixed)
        return ToolBox(self.kb, self.retriever, self.records, self.articles, today=today, thresholds=self.thresholds)

    @cached_property
    def conversations(self) -> ConversationStore:
        from assistant.conversations import ConversationStore
        from knowledge.records import make_engine

        # same database as the records; on SQLite its own engine with synchronous=NORMAL (chat turns are
        # written after the answer; see knowledge.sqlite_files)
        url = self.settings.records_db_url
        return ConversationStore(make_engine(url, synchronous="NORMAL") if url.startswith("sqlite")
                                 else self.records_engine)

    @cached_property
    def llm_agent(self) -> LLMAgent | None:
        if not self.settings.llm_enabled:
            return None
        from assistant.llm_agent import LLMAgent, LLMLimits, make_chat_model

        s = self.settings
        limits = LLMLimits(deadline_s=s.llm_deadline_s, max_steps=s.llm_max_steps, max_tool_calls=s.llm_max_tool_calls,
                           max_concurrency=s.llm_max_concurrency, queue_wait_s=s.llm_queue_wait_s)
        return LLMAgent(make_chat_model(s), self.kb, limits=limits)

    @cached_property
    def assistant(self) -> Assistant:
        from assistant.composer import Composer
        from assistant.service import Assistant

        return Assistant(self.toolbox, Composer(self.kb), self.conversations, llm_agent=self.llm_agent,
                         drafter=self.drafting)

    @cached_property
    def drafting(self) -> DraftingService:
        """The one drafting service of the CLI, the API, the chat and the pages."""
        from assistant.drafting.service import DraftingService
        from assistant.drafting.store import DraftStore

        return DraftingService(self.records, self.articles, DraftStore(self.settings.data_dir / "drafts"),
                               template_path=self.settings.template_path, thresholds=self.thresholds)

    @cached_property
    def retriever(self) -> HybridRetriever:
        from assistant.nlu import amount_tier_expander

        return HybridRetriever(self.kb, self.retrieval_config(), expanders=[amount_tier_expander(thresholds=self.thresholds)])
