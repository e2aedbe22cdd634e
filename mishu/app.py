"""Composition root: the one place that turns Settings into wired components."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ingest.pipeline import Indexer
from knowledge.base import KnowledgeBase
from knowledge.embedders import Embedder, make_embedder
from knowledge.lexical import Tokenizer
from knowledge.registry import Registry
from knowledge.retrieval import HybridRetriever, RetrievalConfig
from knowledge.vectorstore import ChromaStore
from mishu.settings import Settings

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
        return KnowledgeBase(self.registry, self.store, self.embedder, self.tokenizer, self.settings.index_dir)

    @cached_property
    def indexer(self) -> Indexer:
        s = self.settings
        return Indexer(self.registry, self.store, self.embedder, self.tokenizer, s.index_dir,
                       max_bytes=int(s.max_file_mb * 1024 * 1024), chunk_max_tokens=s.chunk_max_tokens)

    def retrieval_config(self) -> RetrievalConfig:
        s = self.settings
        return RetrievalConfig(k=s.retrieval_k, rrf_k=s.rrf_k, dense=s.dense, lexical=s.lexical, rerank=s.rerank,
                               dense_weight=s.dense_weight, lexical_weight=s.lexical_weight)

    @cached_property
    def records_engine(self) -> Any:
        from knowledge.records import init_db

        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return init_db(self.settings.records_db_url)

    @cached_property
    def records(self) -> Any:
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
    def articles(self) -> Any:
        from assistant.calculators import ArticleIndex

        return ArticleIndex.load()

    @cached_property
    def toolbox(self) -> Any:
        from assistant.tools import ToolBox

        return ToolBox(self.kb, self.retriever, self.records, self.articles)

    @cached_property
    def conversations(self) -> Any:
        from assistant.conversations import ConversationStore

        return ConversationStore(self.records_engine)

    @cached_property
    def llm_agent(self) -> Any:
        if not self.settings.llm_enabled:
            return None
        from assistant.llm_agent import LLMAgent, make_chat_model

        return LLMAgent(make_chat_model(self.settings), self.kb, max_steps=self.settings.llm_max_steps)

    @cached_property
    def assistant(self) -> Any:
        from assistant.composer import Composer
        from assistant.service import Assistant

        return Assistant(self.toolbox, Composer(self.kb), self.conversations, llm_agent=self.llm_agent,
                         drafter=self._drafter())

    def _drafter(self) -> Any:
        try:
            from assistant.drafting.service import make_drafter
        except ImportError:
            return None
        return make_drafter(self)

    @cached_property
    def retriever(self) -> HybridRetriever:
        from assistant.nlu import amount_tier_expander

        return HybridRetriever(self.kb, self.retrieval_config(), expanders=[amount_tier_expander()])
