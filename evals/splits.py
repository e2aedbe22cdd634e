"""Evaluation splits: ``dev`` (the legacy dev sets plus dev2, tuned on) and ``test`` (the frozen blind split,
never tuned on), run with one index and reported side by side.

A split is a list of sources. The ``legacy`` source is the dev files of :func:`evals.runner.run_suite`
(retrieval_dev, answers_dev, numeric_dev, multiturn_dev, drafting_dev). The other sources are folders in
the split layout (``evals/datasets/dev2/README.md``): ``questions_*.jsonl`` (searched for the retrieval
family and asked for the answers family), ``numeric.jsonl``, ``records.jsonl`` (asked as the item's
``role``) and ``conversations.jsonl``. Questions and conversations are asked as ``staff`` unless the item
names a role. The runner loads the items and never looks at them beyond scoring; "today" for these
splits is :data:`EVAL_TODAY` (the caller pins the assistant's clock to it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from evals.datasets_io import read_jsonl
from evals.judge import SKIPPED_MESSAGE
from evals.record_routing import record_routing
from evals.runner import (
    FAMILIES,
    Corpus,
    ItemResult,
    Progress,
    SuiteError,
    SuiteResult,
    aggregate_families,
    ask_safely,
    conversation_items,
    corpus_of,
    numeric_item,
    require_assistant,
    retrieval_items,
    run_suite,
    score_answer,
)

EVAL_TODAY = date(2026, 12, 1)  # the relative dates of dev2 and the test split (今年, 去年, 下一次) are as of this day
DEFAULT_ROLE = "staff"
SPLIT_FAMILIES: tuple[str, ...] = (*FAMILIES, "records")


@dataclass(frozen=True)
class Source:
    name: str  # "legacy" or the folder's own name (dev2, test)
    folder: str  # relative to the datasets directory ("." for the legacy files)
    required: bool = True


SPLITS: dict[str, tuple[Source, ...]] = {
    "dev": (Source("legacy", "."), Source("dev2", "dev2", required=False)),
    "test": (Source("test", "test"), Source("test", "test-conversations")),
}


def available_splits(datasets_dir: Path) -> list[str]:
    """The splits whose required folders exist under ``datasets_dir`` (a test fixture may hold only the
    legacy dev files)."""
    out = []
    for name, sources in SPLITS.items():
        if all((Path(datasets_dir) / s.folder).is_dir() for s in sources if s.required):
            out.append(name)
    return out


# --- split layout ---------------------------------------------------------------------------------------
def _rows(folder: Path, pattern: str, source: str) -> list[dict[str, Any]]:
    return [{**r, "source": source} for p in sorted(folder.glob(pattern)) for r in read_jsonl(p)]


def record_item(assistant: Any, r: Mapping[str, Any], get_text: Corpus) -> ItemResult:
    """Ask a records item as its role; passes when routed right and every key fact is stated."""
    denied = r.get("expect") == "denied"
    item = {**r, "refuse": denied, "gold": [], "key_facts": None if denied else r.get("key_facts")}
    asked = ask_safely(partial(assistant.ask, r["query"], role=r.get("role") or DEFAULT_ROLE))
    res = score_answer(item, asked, get_text, family="records")
    check = record_routing(r, asked.answer)
    res.metrics["routing"] = float(check.routed)
    res.details["record_tools"] = check.tools
    if check.missing_filters:
        res.details["filters_not_applied"] = check.missing_filters
    facts_ok = denied or not r.get("key_facts") or res.metrics.get("key_fact_coverage") == 1.0
    res.passed = asked.answer is not None and check.routed and facts_ok
    return res


def _timed(fam: str, timings: dict[str, float], fn: Callable[[], list[ItemResult]]) -> list[ItemResult]:
    t = time.perf_counter()
    out = fn()
    timings[fam] = round(timings.get(fam, 0.0) + time.perf_counter() - t, 2)
    return out


def _each(rows: Sequence[Mapping[str, Any]], fam: str, progress: Progress | None,
          fn: Callable[[Mapping[str, Any]], list[ItemResult]]) -> list[ItemResult]:
    out: list[ItemResult] = []
    for i, r in enumerate(rows, 1):
        out.extend(fn(r))
        if progress:
            progress(fam, i, len(rows))
    return out


def run_folder(container: Any, folder: Path, source: str, selected: set[str], get_text: Corpus,
               timings: dict[str, float], progress: Progress | None = None) -> list[ItemResult]:
    """Run the selected families over one split-layout folder."""
    questions = _rows(folder, "questions_*.jsonl", source)
    items: list[ItemResult] = []
    if "retrieval" in selected and questions:
        items += _timed("retrieval", timings, lambda: retrieval_items(container.retriever, questions, progress))
    if not selected - {"retrieval"}:
        return items
    assistant = require_assistant(container)
    staff = partial(assistant.ask, role=DEFAULT_ROLE)
    families: dict[str, tuple[list[dict[str, Any]], Callable[[Mapping[str, Any]], list[ItemResult]]]] = {
        "answers": (questions, lambda r: [score_answer(r, ask_safely(partial(staff, r["query"])), get_text,
                                                       family="answers")]),
        "numeric": (_rows(folder, "numeric.jsonl", source),
                    lambda r: [numeric_item(assistant, r, get_text, role=DEFAULT_ROLE)]),
        "records": (_rows(folder, "records.jsonl", source), lambda r: [record_item(assistant, r, get_text)]),
        "multiturn": (_rows(folder, "conversations.jsonl", source),
                      lambda r: conversation_items(assistant, r, get_text, role=DEFAULT_ROLE)),
    }
    for fam, (rows, fn) in families.items():
        if fam in selected and rows:
            items += _timed(fam, timings, partial(_each, rows, fam, progress, fn))
    return items


def _tagged(items: Iterable[ItemResult], source: str) -> list[ItemResult]:
    return [replace(i, tags={**i.tags, "source": source}) for i in items]


def run_split(container: Any, datasets_dir: Path, name: str, *, only: Iterable[str] | None = None,
              judge: Any | None = None, progress: Progress | None = None,
              get_text: Corpus | None = None) -> SuiteResult:
    """Run one split (all its sources) and aggregate it like a suite result; items carry ``source``."""
    if name not in SPLITS:
        raise SuiteError(f"未知的評估資料切分：{name}（可用：{', '.join(SPLITS)}）")
    selected = set(SPLIT_FAMILIES if only is None else only)
    unknown = selected - set(SPLIT_FAMILIES)
    if unknown:
        raise SuiteError(f"未知的評估項目：{', '.join(sorted(unknown))}（可用：{', '.join(SPLIT_FAMILIES)}）")
    t0 = time.perf_counter()
    if get_text is None:
        get_text = corpus_of(container) if selected - {"retrieval"} else Corpus(lambda t, n: None)
    items: list[ItemResult] = []
    timings: dict[str, float] = {}
    config: dict[str, Any] = {}
    judge_out: dict[str, Any] = {}
    for src in SPLITS[name]:
        folder = Path(datasets_dir) / src.folder
        if src.name == "legacy":
            legacy = run_suite(container, folder, only=selected & set(FAMILIES), judge=judge, progress=progress,
                               get_text=get_text)
            items += _tagged(legacy.items, "legacy")
            timings |= {k: v for k, v in legacy.timings_s.items() if k != "total"}
            config, judge_out = legacy.config, legacy.judge
        elif folder.is_dir():
            items += _tagged(run_folder(container, folder, src.name, selected, get_text, timings, progress), src.name)
        elif src.required:
            raise SuiteError(f"找不到評估資料夾：{folder}")
    timings["total"] = round(time.perf_counter() - t0, 2)
    config = {**config, "families": sorted(selected), "split": name,
              "sources": sorted({s.name for s in SPLITS[name]}), "today": EVAL_TODAY.isoformat()}
    return SuiteResult(items, aggregate_families(items), timings, judge_out or {"status": "skipped", "message": SKIPPED_MESSAGE}, config)


def subset(result: SuiteResult, source: str) -> SuiteResult:
    """The items of one source of a split (e.g. dev2 inside dev), re-aggregated; no extra run."""
    items = [i for i in result.items if i.tags.get("source") == source]
    return SuiteResult(items, aggregate_families(items), {}, result.judge, {**result.config, "sources": [source]})
