"""The evaluation report (``report.json`` of ``mishu eval``) as one typed model shared by evals, the API
(GET /v1/admin/eval-report) and the knowledge-admin page.

Schema 2 (``mishu eval all``) holds one block per split (dev, dev2, test) under ``splits``, each with its
headline metrics and its metric families; schema 1 (one split, the older single-split report) is read as
a report with that one split. Fields the pages do not use (items, comparison, config…) are kept as they
are, so a report read and written back loses nothing.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class GateOutcome(BaseModel):
    passed: bool
    failures: list[str] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)  # headline metrics not run this time


class SplitReport(BaseModel):
    """One split's results: headline metrics (``table.metric`` -> value) and the metric families
    (``retrieval`` -> {"overall": {...}, "by_domain": {...}})."""

    model_config = ConfigDict(extra="allow")

    headline: dict[str, float | None] = Field(default_factory=dict)
    families: dict[str, dict[str, Any]] = Field(default_factory=dict)


class EvalReport(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    version: int = Field(alias="schema", ge=1, le=2)
    environment: dict[str, Any] = Field(default_factory=dict)
    splits: dict[str, SplitReport] = Field(min_length=1)
    tolerances: dict[str, float] = Field(default_factory=dict)
    gate: GateOutcome | None = None
    elapsed_s: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _single_split(cls, data: Any) -> Any:
        """Schema 1: the split's headline and families sit at the top; read them as its one split."""
        if not isinstance(data, dict) or "splits" in data or data.get("schema") != 1:
            return data
        split = str((data.get("config") or {}).get("split") or "dev")
        block = {k: v for k, v in data.items() if k not in ("schema", "environment", "tolerances", "gate",
                                                            "elapsed_s", "comparison")}
        return {k: v for k, v in data.items() if k in ("schema", "environment", "tolerances", "gate",
                                                         "elapsed_s")} | {"splits": {split: block}}

    def headline_table(self) -> dict[str, dict[str, float | None]]:
        """Headline metric -> {split: value}, for the side-by-side view (metrics in first-seen order)."""
        out: dict[str, dict[str, float | None]] = {}
        for name, block in self.splits.items():
            for metric, value in block.headline.items():
                out.setdefault(metric, {})[name] = value
        return out
