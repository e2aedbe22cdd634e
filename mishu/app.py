"""Composition root: the one place that turns Settings into wired components."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

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
    def retriever(self) -> HybridRetriever:
        from assistant.nlu import amount_tier_expander

        return HybridRetriever(self.kb, self.retrieval_config(), expanders=[amount_tier_expander()])
