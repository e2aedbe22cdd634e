"""Runs the evaluation families against a wired ``Container`` and keeps every per-item result.

Families (``only`` selects a subset):
- ``retrieval``  — ``retriever.search`` on retrieval_dev.jsonl + retrieval_templates_plans.jsonl: hit@1/3/5/10,
  MRR@10, nDCG@10 (evals.metrics); answerable items only.
- ``answers``    — ``assistant.ask`` on answers_dev.jsonl: citations, key facts, faithfulness, refusal.
- ``numeric``    — ``assistant.ask`` on numeric_dev.jsonl: exact match of tool results.
- ``multiturn``  — the turns of each conversation asked in order within one conversation; each turn is
  scored like an answers item (id ``mt-001#2`` = second turn).
- ``drafting``   — ``assistant.draft(kind, case=..., request=...)`` (plus ``subject``/``purpose``/``recipient``
  of letters and memos when its signature takes them) when the assistant has it and the item has a ``case``,
  else ``assistant.ask(request)``: field completeness of the draft.
- ``refusal``    — ``assistant.ask`` on every retrieval_dev.jsonl question (answerable and must-refuse), so
  refusal precision/recall and the false-refusal rate rest on 228 more questions.

Refusal and faithfulness aggregates are computed over every asked item of answers, numeric, multiturn and
refusal. Metric definitions: :mod:`evals.answer_metrics`.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from evals import answer_metrics as am
from evals.datasets_io import read_jsonl
from evals.metrics import Key, aggregate, keys, retrieval_item_scores
from evals.split_metrics import split_tables

FAMILIES: tuple[str, ...] = ("retrieval", "answers", "numeric", "multiturn", "drafting", "refusal")
ASKED_FAMILIES: tuple[str, ...] = ("answers", "numeric", "multiturn", "refusal", "records")
RETRIEVAL_FILES = ("retrieval_dev.jsonl", "retrieval_templates_plans.jsonl")
RETRIEVAL_K = 10

Progress = Callable[[str, int, int], None]


class SuiteError(RuntimeError):
    """The suite cannot run (missing dataset, missing assistant). Message is zh-TW."""


@dataclass
class ItemResult:
    id: str
    family: str
    domain: str
    passed: bool
    metrics: dict[str, float | None] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)  # style, refuse_kind, kind, record, source, role


@dataclass
class SuiteResult:
    items: list[ItemResult]
    families: dict[str, dict[str, Any]]
    timings_s: dict[str, float]
    judge: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"families": self.families, "timings_s": self.timings_s, "judge": self.judge,
                "config": self.config, "items": [asdict(i) for i in self.items]}


# --- article texts ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Corpus:
    """Article texts for faithfulness checks; callable as ``get_article_text(title, no)``.
    ``titles`` are all law/document titles known to the index (stripped from sentences before scoring)."""

    get_text: am.ArticleText
    titles: tuple[str, ...] = ()

    def __call__(self, title: str, no: str) -> str | None:
        return self.get_text(title, no)


def corpus_of(container: Any) -> Corpus:
    """Texts from the shipped law JSON (exact) and, for anything else in the index (templates, plans,
    user documents), the joined chunk texts of the version in force."""
    from assistant.calculators.articles import ArticleIndex, QuoteNotFoundError

    laws = getattr(container, "articles", None) or ArticleIndex.load()
    view = container.kb.view()
    parts: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for c in view.chunks.values():
        if view.current_versions.get(c.doc_id) == c.version:
            parts.setdefault((c.title, c.no), []).append((c.part, c.text))
    joined = {k: "\n".join(t for _, t in sorted(v)) for k, v in parts.items()}

    def get_article_text(title: str, no: str) -> str | None:
        try:
            return laws.text(title, no)
        except QuoteNotFoundError:
            return joined.get((title, no))

    titles = {t for t, _ in parts} | set(laws.laws)
    return Corpus(get_article_text, tuple(sorted(titles)))


# --- helpers --------------------------------------------------------------------------------------------
def _load(datasets_dir: Path, name: str, required: bool = True) -> list[dict[str, Any]]:
    path = datasets_dir / name
    if not path.exists():
        if required:
            raise SuiteError(f"找不到評估資料集：{path}")
        return []
    return read_jsonl(path)


def _answer_dict(obj: Any) -> dict[str, Any]:
    """Answer model -> docs/DESIGN.md dict (plus latency and conversation id when known)."""
    if hasattr(obj, "contract"):
        out = dict(obj.contract())
        out["conversation_id"] = getattr(obj, "conversation_id", None)
        out["latency_ms"] = getattr(obj, "latency_ms", None)
        return out
    if hasattr(obj, "markdown"):  # a bare draft (assistant.models.Draft or a drafting result)
        draft = {"kind": getattr(obj, "kind", None), "markdown": obj.markdown,
                 "missing_fields": list(getattr(obj, "missing_fields", []) or [])}
        return {"answer": "", "refused": False, "mode": "extractive", "citations": [], "tool_calls": [],
                "draft": draft}
    if isinstance(obj, Mapping):
        return dict(obj)
    raise SuiteError(f"助理回傳了無法辨識的物件：{type(obj).__name__}")


def require_assistant(container: Any) -> Any:
    try:
        assistant = container.assistant
    except AttributeError:
        assistant = None
    if assistant is None or not hasattr(assistant, "ask"):
        raise SuiteError("Container 沒有 assistant（或 assistant 沒有 ask 方法），無法評估回答；"
                         "請先完成助理模組，或以 only={'retrieval'} 只跑檢索評估。")
    return assistant


@dataclass
class Asked:
    answer: dict[str, Any] | None
    latency_ms: float
    error: str | None = None


def ask_safely(fn: Callable[[], Any]) -> Asked:
    t = time.perf_counter()
    try:
        ans = _answer_dict(fn())
    except SuiteError:
        raise
    except Exception as e:  # one failing question must not stop the suite; it is recorded as failed
        return Asked(None, (time.perf_counter() - t) * 1000, f"{type(e).__name__}: {e}")
    wall = (time.perf_counter() - t) * 1000
    return Asked(ans, float(ans.get("latency_ms") or wall))


def _answer_excerpt(ans: Mapping[str, Any] | None) -> dict[str, Any]:
    if ans is None:
        return {}
    return {"answer": str(ans.get("answer") or "")[:300], "mode": ans.get("mode"),
            "cited": [f"{t}#{n}" for t, n in am.cited_keys(ans)],
            "tools": [str(t.get("name")) for t in ans.get("tool_calls") or []]}


def score_answer(item: Mapping[str, Any], asked: Asked, get_text: Corpus,
                 *, family: str, item_id: str | None = None,
                 support_threshold: float = am.DEFAULT_SUPPORT_THRESHOLD) -> ItemResult:
    """Score one asked question like an answers item (citations, key facts, faithfulness, refusal)."""
    iid = item_id or str(item["id"])
    must_refuse = bool(item.get("refuse", False))
    domain = str(item.get("domain", "?"))
    m: dict[str, float | None] = {"latency_ms": round(asked.latency_ms, 1), "must_refuse": float(must_refuse)}
    tags = item_tags(item)
    gold = keys(item.get("gold") or [])
    if asked.answer is None:
        return ItemResult(iid, family, domain, False, m | crash_metrics(item, must_refuse, gold),
                          {"error": asked.error}, tags)
    ans = asked.answer
    refused = bool(ans.get("refused"))
    m["refused"] = float(refused)
    m["llm_mode"] = float(ans.get("mode") == "llm")
    details: dict[str, Any] = _answer_excerpt(ans)
    ok = refused == must_refuse
    if not must_refuse and gold:
        m.update(am.citation_scores(gold, ans))
        m["gold_top3"] = am.gold_in_first_citations(gold, ans, 3)
        ok = ok and (m["citation_recall"] or 0.0) > 0
    if not must_refuse and item.get("key_facts"):
        cov, missing = am.key_fact_coverage(item["key_facts"], ans)
        m["key_fact_coverage"] = cov
        ok = ok and not missing
        if missing:
            details["missing_key_facts"] = missing
    quotes = am.quote_faithfulness(ans, get_text)
    m["quotes_total"], m["quotes_verbatim"], m["quote_verbatim"] = quotes.total, quotes.verbatim, quotes.rate
    if quotes.failures:
        details["quote_failures"] = quotes.failures
        ok = False
    if not refused:
        support = am.sentence_support(str(ans.get("answer") or ""), am.support_texts(ans, get_text),
                                      support_threshold, titles=[*get_text.titles, *(t for t, _ in am.cited_keys(ans))])
        m["sentence_support"] = support.rate
        if support.unsupported:
            details["unsupported_sentences"] = support.unsupported[:5]
    return ItemResult(iid, family, domain, ok, m, details, tags)


TAG_FIELDS = ("style", "refuse_kind", "kind", "record", "role", "answer_type", "source")


def item_tags(item: Mapping[str, Any]) -> dict[str, str]:
    """The dataset labels an item is broken down by (style, refuse_kind, conversation kind, record kind…)."""
    return {k: str(item[k]) for k in TAG_FIELDS if item.get(k) is not None}


def crash_metrics(item: Mapping[str, Any], must_refuse: bool, gold: Sequence[Key]) -> dict[str, float | None]:
    """A question that crashed fails every metric it would have fed: the refusal decision is wrong either
    way (a must-refuse item counts as answered, an answerable one as refused), citations, gold-in-top-3,
    key facts and sentence support are 0."""
    m: dict[str, float | None] = {"refused": float(not must_refuse), "crashed": 1.0}
    if not must_refuse:
        if gold:
            m.update({"citation_precision": 0.0, "citation_recall": 0.0, "gold_top3": 0.0})
        if item.get("key_facts"):
            m["key_fact_coverage"] = 0.0
        m["sentence_support"] = 0.0
    return m


# --- retrieval ranking ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ranked:
    """One question searched: its dataset row, the ranked citation keys (best first) and the search time."""

    row: Mapping[str, Any]
    ranked: list[Key]
    ms: float
    error: str | None = None


def rank_rows(retriever: Any, rows: Iterable[Mapping[str, Any]], k: int,
              progress: Callable[[int], None] | None = None, *, tolerate: bool = False) -> Iterator[Ranked]:
    """Search each row's ``query`` (or ``question``) and yield its top-``k`` (title, no) keys. With
    ``tolerate`` a search that raises yields an empty ranking and its error (scored as a miss)."""
    for i, r in enumerate(rows, 1):
        t = time.perf_counter()
        try:
            ranked = [(h.title, h.no) for h in retriever.search(r.get("query") or r["question"], k)]
            error = None
        except Exception as e:
            if not tolerate:
                raise
            ranked, error = [], f"{type(e).__name__}: {e}"
        ms = (time.perf_counter() - t) * 1000
        yield Ranked(r, ranked, ms, error)
        if progress:
            progress(i)


def retrieval_summary(ranked: Iterable[Ranked], k: int) -> dict[str, dict[str, float]]:
    """Ranking metrics (evals.metrics) over the rows that carry ``gold`` and are not must-refuse:
    ``{"overall": ..., <domain>: ...}``; empty when no row has gold."""
    scores: list[dict[str, float]] = []
    by_domain: dict[str, list[dict[str, float]]] = {}
    for r in ranked:
        gold = r.row.get("gold")
        if gold and not r.row.get("refuse"):
            s = retrieval_item_scores(r.ranked, keys(gold), k)
            scores.append(s)
            by_domain.setdefault(r.row.get("domain", "?"), []).append(s)
    if not scores:
        return {}
    return {"overall": aggregate(scores)} | {d: aggregate(v) for d, v in sorted(by_domain.items())}


# --- families ---------------------------------------------------------------------------------------------
def retrieval_items(retriever: Any, rows: Sequence[Mapping[str, Any]],
                    progress: Progress | None = None) -> list[ItemResult]:
    """Search the answerable rows with gold; a search that raises is a miss (hit 0, MRR 0)."""
    rows = [r for r in rows if r.get("gold") and not r.get("refuse")]
    out: list[ItemResult] = []
    step = (lambda i: progress("retrieval", i, len(rows))) if progress else None
    for item in rank_rows(retriever, rows, RETRIEVAL_K, step, tolerate=True):
        r, ranked = item.row, item.ranked
        scores: dict[str, float | None] = dict(retrieval_item_scores(ranked, keys(r["gold"]), RETRIEVAL_K))
        scores["latency_ms"] = round(item.ms, 1)
        rank = next((n for n, k in enumerate(ranked, 1) if k == keys(r["gold"])[0]), None)
        details: dict[str, Any] = {"gold_rank": rank, "top3": [f"{a}#{b}" for a, b in ranked[:3]]}
        if item.error:
            details["error"] = item.error
            scores["crashed"] = 1.0
        out.append(ItemResult(str(r["id"]), "retrieval", str(r.get("domain", "?")), scores["hit@5"] == 1.0,
                              scores, details, item_tags(r)))
    return out


def run_retrieval(container: Any, datasets_dir: Path, progress: Progress | None = None) -> list[ItemResult]:
    rows = [r for name in RETRIEVAL_FILES for r in _load(datasets_dir, name, required=name == RETRIEVAL_FILES[0])]
    return retrieval_items(container.retriever, rows, progress)


def run_answers(container: Any, datasets_dir: Path, get_text: Corpus,
                progress: Progress | None = None, *, name: str = "answers_dev.jsonl",
                family: str = "answers", judge: Any | None = None) -> list[ItemResult]:
    """Ask every item; with a ``judge`` (evals.judge.LLMJudge) also add the LLM-judged metrics
    ``llm_faithfulness`` and ``llm_answer_relevancy`` to each answered, non-refused item."""
    assistant = require_assistant(container)
    rows = _load(datasets_dir, name)
    out = []
    for i, r in enumerate(rows, 1):
        asked = ask_safely(partial(assistant.ask, r["query"]))
        res = score_answer(r, asked, get_text, family=family)
        if judge is not None and asked.answer is not None and not asked.answer.get("refused"):
            judged = judge.judge(r["query"], asked.answer, am.support_texts(asked.answer, get_text))
            res.metrics.update(judged.metrics)
            if judged.errors:
                res.details["judge_errors"] = judged.errors
        out.append(res)
        if progress:
            progress(family, i, len(rows))
    return out


def _asker(assistant: Any, role: str | None) -> Callable[..., Any]:
    """``assistant.ask`` bound to a role (None: no role restriction, the legacy dev families)."""
    return assistant.ask if role is None else partial(assistant.ask, role=role)


def numeric_item(assistant: Any, r: Mapping[str, Any], get_text: Corpus, role: str | None = None) -> ItemResult:
    """Ask a numeric item; exact = the expected values in the answer's calculator results, stated = the
    checkable values also written in the answer text."""
    asked = ask_safely(partial(_asker(assistant, role), r["query"]))
    res = score_answer({**r, "key_facts": None}, asked, get_text, family="numeric")
    check = am.numeric_exact_match(r["expected"], asked.answer or {})
    res.metrics["exact_match"] = check.exact_match
    res.metrics["field_accuracy"] = check.field_accuracy
    stated, not_stated = am.numeric_stated(r["expected"], str((asked.answer or {}).get("answer") or ""))
    res.metrics["stated"] = None if stated is None else float(stated == 1.0)
    res.details.update({"expected": check.expected, "got": check.got})
    if not_stated:
        res.details["values_not_stated"] = not_stated
    if check.unknown_keys:
        res.details["unknown_expected_keys"] = check.unknown_keys
    # a numeric item passes on the exact values; citations and quotes are reported separately
    res.passed = asked.answer is not None and check.exact_match == 1.0 and not res.details.get("quote_failures")
    return res


def run_numeric(container: Any, datasets_dir: Path, get_text: Corpus,
                progress: Progress | None = None) -> list[ItemResult]:
    assistant = require_assistant(container)
    rows = _load(datasets_dir, "numeric_dev.jsonl")
    out = []
    for i, r in enumerate(rows, 1):
        out.append(numeric_item(assistant, r, get_text))
        if progress:
            progress("numeric", i, len(rows))
    return out


def conversation_items(assistant: Any, conv: Mapping[str, Any], get_text: Corpus,
                       role: str | None = None) -> list[ItemResult]:
    """Ask the turns of one conversation in order within one conversation (id ``<conv>#<n>``). A turn is
    right (metric ``turn_right``) when it did not crash, one of its gold articles is among the first 3
    citations (when it has gold) and all its key facts are stated."""
    ask = _asker(assistant, role)
    conv_id: str | None = None
    out = []
    for n, turn in enumerate(conv["turns"], 1):
        asked = ask_safely(partial(ask, turn["query"], conversation_id=conv_id))
        if asked.answer is not None:
            conv_id = asked.answer.get("conversation_id") or conv_id
        item = {**turn, "id": f"{conv['id']}#{n}", "domain": conv.get("domain"),
                "refuse": turn.get("refuse", conv.get("refuse", False)), "kind": conv.get("kind") or "legacy",
                "source": conv.get("source")}
        res = score_answer(item, asked, get_text, family="multiturn")
        res.metrics["turn"] = float(n)
        gold_ok = not item.get("gold") or res.metrics.get("gold_top3") == 1.0
        facts_ok = not item.get("key_facts") or res.metrics.get("key_fact_coverage") == 1.0
        res.metrics["turn_right"] = float(asked.answer is not None and gold_ok and facts_ok)
        out.append(res)
    return out


def run_multiturn(container: Any, datasets_dir: Path, get_text: Corpus,
                  progress: Progress | None = None) -> list[ItemResult]:
    assistant = require_assistant(container)
    rows = _load(datasets_dir, "multiturn_dev.jsonl")
    out = []
    for i, conv in enumerate(rows, 1):
        out.extend(conversation_items(assistant, conv, get_text))
        if progress:
            progress("multiturn", i, len(rows))
    return out


def _accepted_kwargs(fn: Callable[..., Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``kwargs`` that ``fn`` accepts (all of them when it takes ``**kwargs``)."""
    params = inspect.signature(fn).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return kwargs
    names = {p.name for p in params}
    return {k: v for k, v in kwargs.items() if k in names}


def run_drafting(container: Any, datasets_dir: Path, progress: Progress | None = None) -> list[ItemResult]:
    assistant = require_assistant(container)
    rows = _load(datasets_dir, "drafting_dev.jsonl")
    out = []
    for i, r in enumerate(rows, 1):
        request = r.get("request") or r["query"]
        if r.get("case") and hasattr(assistant, "draft"):
            extra = _accepted_kwargs(assistant.draft, {k: r[k] for k in ("subject", "purpose", "recipient") if r.get(k)})
            asked = ask_safely(partial(assistant.draft, r["kind"], case=r["case"], request=request, **extra))
            via = "draft"
        else:
            asked = ask_safely(partial(assistant.ask, request))
            via = "ask"
        m: dict[str, float | None] = {"latency_ms": round(asked.latency_ms, 1)}
        details: dict[str, Any] = {"via": via}
        draft = (asked.answer or {}).get("draft")
        if asked.answer is None:
            details["error"] = asked.error
        check = am.drafting_completeness(r, draft)
        m["has_draft"] = float(bool(draft))
        m["field_completeness"] = check.completeness
        m["missing_flagged"] = check.missing_flagged
        m["expected_values"] = check.expected_values
        if check.absent:
            details["absent_fields"] = check.absent
        if check.missing_not_flagged:
            details["missing_not_flagged"] = check.missing_not_flagged
        if check.values_wrong:
            details["values_not_stated"] = check.values_wrong
        passed = bool(draft) and not check.absent and not check.missing_not_flagged
        out.append(ItemResult(str(r["id"]), "drafting", str(r.get("kind", "?")), passed, m, details))
        if progress:
            progress("drafting", i, len(rows))
    return out


def run_refusal(container: Any, datasets_dir: Path, get_text: Corpus,
                progress: Progress | None = None) -> list[ItemResult]:
    return run_answers(container, datasets_dir, get_text, progress, name="retrieval_dev.jsonl", family="refusal")


# --- aggregation --------------------------------------------------------------------------------------------
def _by_domain(items: Sequence[ItemResult], fn: Callable[[Sequence[ItemResult]], dict[str, Any]]) -> dict[str, Any]:
    groups: dict[str, list[ItemResult]] = {}
    for it in items:
        groups.setdefault(it.domain, []).append(it)
    return {"overall": fn(items), "by_domain": {d: fn(v) for d, v in sorted(groups.items())}}


def _latencies(items: Iterable[ItemResult]) -> list[float]:
    return [float(v) for i in items if (v := i.metrics.get("latency_ms")) is not None]


def _family_stats(items: Sequence[ItemResult]) -> dict[str, Any]:
    drop = {"must_refuse", "turn", "quotes_total", "quotes_verbatim", "latency_ms"}
    out: dict[str, Any] = {k: v for k, v in am.mean_metrics([i.metrics for i in items]).items() if k not in drop}
    out.update({k: v for k, v in am.latency_summary(_latencies(items)).items() if k != "n"})
    out["pass_rate"] = round(sum(i.passed for i in items) / len(items), 4) if items else 0.0
    out["n"] = len(items)
    return out


def _refusal_stats(items: Sequence[ItemResult]) -> dict[str, Any]:
    pairs = [(bool(i.metrics.get("must_refuse")), bool(i.metrics.get("refused"))) for i in items]
    s = am.refusal_scores(pairs)
    return {"precision": round(s["refusal_precision"], 4), "recall": round(s["refusal_recall"], 4),
            "f1": round(s["refusal_f1"], 4), "false_refusal_rate": round(s["false_refusal_rate"], 4),
            "n_must_refuse": s["n_must_refuse"], "n_answerable": s["n_answerable"], "n": len(items)}


def _faithfulness_stats(items: Sequence[ItemResult]) -> dict[str, Any]:
    total = sum(int(i.metrics.get("quotes_total") or 0) for i in items)
    ok = sum(int(i.metrics.get("quotes_verbatim") or 0) for i in items)
    sup = [i.metrics["sentence_support"] for i in items if i.metrics.get("sentence_support") is not None]
    sup_llm = [i.metrics["sentence_support"] for i in items
               if i.metrics.get("sentence_support") is not None and i.metrics.get("llm_mode")]
    return {
        "quote_verbatim": round(ok / total, 4) if total else 1.0, "quotes": total,
        "sentence_support": round(sum(x or 0.0 for x in sup) / len(sup), 4) if sup else None,
        "sentence_support_llm": round(sum(x or 0.0 for x in sup_llm) / len(sup_llm), 4) if sup_llm else None,
        "answers_scored": len(sup), "llm_answers_scored": len(sup_llm),
    }


def aggregate_families(items: Sequence[ItemResult]) -> dict[str, dict[str, Any]]:
    by_family: dict[str, list[ItemResult]] = {}
    for it in items:
        by_family.setdefault(it.family, []).append(it)
    # the refusal family's own stats are "refusal_questions"; "refusal" is the classification over all asks
    out: dict[str, dict[str, Any]] = {("refusal_questions" if f == "refusal" else f): _by_domain(v, _family_stats)
                                      for f, v in by_family.items() if f != "records"}
    out |= split_tables(items)
    if "multiturn" in by_family:
        convs: dict[str, bool] = {}
        for it in by_family["multiturn"]:
            cid = it.id.split("#")[0]
            convs[cid] = convs.get(cid, True) and it.passed
        out["multiturn"]["overall"]["conversation_pass_rate"] = round(sum(convs.values()) / len(convs), 4)
    asked = [i for i in items if i.family in ASKED_FAMILIES]
    if asked:
        out["refusal"] = _by_domain(asked, _refusal_stats)
        out["faithfulness"] = _by_domain(asked, _faithfulness_stats)
        # latency of assistant calls; "by_domain" holds one row per family here
        out["latency"] = {"overall": am.latency_summary(_latencies(i for i in items if i.family != "retrieval")),
                          "by_domain": {f: am.latency_summary(_latencies(v))
                                        for f, v in by_family.items() if f != "retrieval"}}
    return out


# --- entry --------------------------------------------------------------------------------------------------
def run_suite(container: Any, datasets_dir: Path, *, only: Iterable[str] | None = None,
              judge: Any | None = None, progress: Progress | None = None,
              get_text: Corpus | None = None) -> SuiteResult:
    """Run the selected families (all by default) and aggregate per domain and overall.

    ``judge`` is an :class:`evals.judge.LLMJudge` (optional LLM-judged metrics over answers items)."""
    from evals.judge import SKIPPED_MESSAGE

    selected = set(FAMILIES if only is None else only)
    unknown = selected - set(FAMILIES)
    if unknown:
        raise SuiteError(f"未知的評估項目：{', '.join(sorted(unknown))}（可用：{', '.join(FAMILIES)}）")
    datasets_dir = Path(datasets_dir)
    if selected - {"retrieval"}:
        require_assistant(container)
    timings: dict[str, float] = {}
    items: list[ItemResult] = []
    t0 = time.perf_counter()
    if get_text is None:
        get_text = corpus_of(container) if selected - {"retrieval"} else Corpus(lambda t, n: None)
    runners: dict[str, Callable[[], list[ItemResult]]] = {
        "retrieval": lambda: run_retrieval(container, datasets_dir, progress),
        "answers": lambda: run_answers(container, datasets_dir, get_text, progress,
                                       judge=judge),
        "numeric": lambda: run_numeric(container, datasets_dir, get_text, progress),
        "multiturn": lambda: run_multiturn(container, datasets_dir, get_text, progress),
        "drafting": lambda: run_drafting(container, datasets_dir, progress),
        "refusal": lambda: run_refusal(container, datasets_dir, get_text, progress),
    }
    for fam in FAMILIES:
        if fam in selected:
            t = time.perf_counter()
            items.extend(runners[fam]())
            timings[fam] = round(time.perf_counter() - t, 2)
    judge_out: dict[str, Any] = {"status": "skipped", "message": SKIPPED_MESSAGE}
    if judge is not None and "answers" in selected:
        judge_out = judge.summary([i for i in items if i.family == "answers"])
    timings["total"] = round(time.perf_counter() - t0, 2)
    cfg = getattr(getattr(container, "retriever", None), "config", None)
    config = {"families": sorted(selected), "retrieval_k": RETRIEVAL_K,
              "sentence_support_threshold": am.DEFAULT_SUPPORT_THRESHOLD,
              "retrieval_config": asdict(cfg) if cfg is not None else None}
    return SuiteResult(items, aggregate_families(items), timings, judge_out, config)
