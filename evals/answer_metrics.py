"""Answer-quality metrics: pure functions over dataset items and answer objects (docs/DESIGN.md dicts).

An *answer* here is the docs/DESIGN.md answer object as a plain dict (``Answer.contract()`` or the JSON the
API returns): ``answer``, ``refused``, ``mode``, ``citations[{title,no,quote,...}]``,
``tool_calls[{name,args,result}]``, ``draft``.

How each metric is measured
---------------------------
* **Citation precision / recall** — the set of cited ``(title, no)`` keys against the item's gold keys.
  precision = |cited ∩ gold| / |cited| (0 when an answerable item cites nothing),
  recall = |cited ∩ gold| / |gold|. Not defined for must-refuse items (gold is empty).
* **Key-fact coverage** — fraction of the item's ``key_facts`` found verbatim (whitespace ignored) in
  the answer text or in one of its citation quotes; a fact given as a list of forms counts when any one
  form is found.
* **Gold among the first 3 citations** — 1 when one of the item's gold articles is among the first three
  distinct articles the answer cites (in citation order), else 0.
* **Faithfulness, quotes** — every citation ``quote`` must be a verbatim substring of the cited article
  (whitespace ignored, so a quote that spans two 項 still matches). The article text comes from a
  ``get_article_text(title, no)`` callable; an article that does not exist fails the check.
* **Faithfulness, sentence support** (meant for LLM-mode answers, also reported for extractive ones) —
  the answer is split into sentences at 。！？； and line breaks; each sentence is reduced to CJK
  characters, letters and digits and turned into its set of character bigrams. A sentence is
  *supported* when, for at least one support text, |bigrams(sentence) ∩ bigrams(support)| /
  |bigrams(sentence)| >= ``threshold`` (0.5 by default). Support texts are the citation quotes, the
  full texts of the cited articles (with their titles) and the ``answer_zh`` of calculator results
  (exact computations). Citation references are not claims, so before scoring each sentence loses
  【…】 headings, list numbers, the titles of the cited laws, article labels (第9條第2項, 第22條之1)
  and amendment dates (（民國108年11月18日修正）); notices that start with ※ are not scored either.
  Sentences left with fewer than ``MIN_BIGRAMS`` bigrams (a bare reference, "如下：") are not scored.
  The score of an answer is supported / scored sentences.
* **Refusal** — positive class = the item must be refused. precision, recall, F1 over items; the
  false-refusal rate is refused answerable items / answerable items.
* **Numeric exact match** — each key of the item's ``expected`` dict is read from the matching tool
  call result (see :data:`NUMERIC_KEYS`) and compared with ``==``; an expected key without an
  extractor is a failure and is listed.
* **Drafting field completeness** — a required field counts when its label appears in the draft
  markdown (filled or followed by 待補) or it is listed in ``draft.missing_fields``.
* **Latency** — p50 / p95 (nearest-rank) of per-question wall time in milliseconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.calculators.models import TIER_NAME_ZH

Key = tuple[str, str]
ArticleText = Callable[[str, str], "str | None"]

SENTENCE_SPLIT = re.compile(r"[。！？；!?;\n]+")
_KEEP = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Za-z0-9]")
_WS = re.compile(r"\s+")
MIN_BIGRAMS = 3
DEFAULT_SUPPORT_THRESHOLD = 0.5


def squash(text: str) -> str:
    """Text without any whitespace (law texts wrap lines between 項 and 款)."""
    return _WS.sub("", text or "")


def gold_keys(items: Iterable[Mapping[str, Any]]) -> list[Key]:
    return [(str(x["title"]), str(x["no"])) for x in items]


def cited_keys(answer: Mapping[str, Any]) -> list[Key]:
    out: list[Key] = []
    for c in answer.get("citations") or []:
        k = (str(c["title"]), str(c["no"]))
        if k not in out:
            out.append(k)
    return out


# --- citations --------------------------------------------------------------------------------------
def citation_scores(gold: Sequence[Key], answer: Mapping[str, Any]) -> dict[str, float]:
    """Precision and recall of the cited keys against ``gold`` (answerable items only)."""
    if not gold:
        raise ValueError("citation_scores needs gold citations (not defined for must-refuse items)")
    cited = set(cited_keys(answer))
    hits = len(cited & set(gold))
    return {
        "citation_precision": hits / len(cited) if cited else 0.0,
        "citation_recall": hits / len(set(gold)),
    }


# --- key facts --------------------------------------------------------------------------------------
KeyFact = str | Sequence[str]  # one fact, or its accepted forms (「14日」「十四日」「14天」)


def _fact_label(fact: KeyFact) -> str:
    return fact if isinstance(fact, str) else "／".join(str(f) for f in fact)


def key_fact_coverage(key_facts: Sequence[KeyFact], answer: Mapping[str, Any]) -> tuple[float, list[str]]:
    """(fraction of key facts found verbatim in the answer text or a quote, the missing facts). A fact given
    as a list of forms counts when any one form is found."""
    if not key_facts:
        return 1.0, []
    hay = [squash(answer.get("answer") or "")] + [squash(c.get("quote") or "")
                                                   for c in answer.get("citations") or []]

    def found(fact: KeyFact) -> bool:
        forms = [fact] if isinstance(fact, str) else list(fact)
        return any(squash(str(f)) and squash(str(f)) in h for f in forms for h in hay)

    missing = [_fact_label(f) for f in key_facts if not found(f)]
    return (len(key_facts) - len(missing)) / len(key_facts), missing


def gold_in_first_citations(gold: Sequence[Key], answer: Mapping[str, Any], n: int = 3) -> float:
    """1.0 when one of the gold articles is among the first ``n`` distinct articles the answer cites."""
    return 1.0 if set(cited_keys(answer)[:n]) & set(gold) else 0.0


# --- faithfulness: quotes -----------------------------------------------------------------------------
@dataclass
class QuoteCheck:
    total: int = 0
    verbatim: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.verbatim / self.total if self.total else None


def quote_faithfulness(answer: Mapping[str, Any], get_article_text: ArticleText) -> QuoteCheck:
    """Every citation quote must be verbatim (whitespace ignored) in the article it cites."""
    check = QuoteCheck()
    for c in answer.get("citations") or []:
        title, no, quote = str(c["title"]), str(c["no"]), str(c.get("quote") or "")
        check.total += 1
        text = get_article_text(title, no)
        if text is None:
            check.failures.append({"title": title, "no": no, "quote": quote, "reason": "條文不存在"})
        elif not squash(quote):
            check.failures.append({"title": title, "no": no, "quote": quote, "reason": "引文是空的"})
        elif squash(quote) not in squash(text):
            check.failures.append({"title": title, "no": no, "quote": quote, "reason": "引文不在條文中"})
        else:
            check.verbatim += 1
    return check


# --- faithfulness: sentence support ------------------------------------------------------------------
def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_SPLIT.split(text or "") if s.strip()]


def char_bigrams(text: str) -> set[str]:
    chars = "".join(_KEEP.findall(text or ""))
    return {chars[i:i + 2] for i in range(len(chars) - 1)}


@dataclass
class SupportCheck:
    scored: int = 0
    supported: int = 0
    unsupported: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.supported / self.scored if self.scored else None


def support_texts(answer: Mapping[str, Any], get_article_text: ArticleText | None = None) -> list[str]:
    """Quotes, cited article texts and calculator ``answer_zh`` lines."""
    out: list[str] = []
    for c in answer.get("citations") or []:
        if c.get("quote"):
            out.append(str(c["quote"]))
        if get_article_text is not None:
            text = get_article_text(str(c["title"]), str(c["no"]))
            if text:
                out.append(text)
    for t in answer.get("tool_calls") or []:
        result = t.get("result")
        if isinstance(result, Mapping) and isinstance(result.get("answer_zh"), str):
            out.append(result["answer_zh"])
    return out


_HEADING = re.compile(r"【[^】]*】")
_LIST_NO = re.compile(r"^\s*(?:\d+|[一二三四五六七八九十]+)[.、．)）]\s*")
_ARTICLE_LABEL = re.compile(r"第[0-9０-９一二三四五六七八九十百千零〇]+[條點項款目](?:之[0-9一二三四五六七八九十]+)?")
_AMENDED = re.compile(r"[（(](?:民國)?[^（）()]{0,20}(?:修正|公布|發布|訂定|施行)[^（）()]{0,6}[）)]")


def claim_text(sentence: str, titles: Iterable[str] = ()) -> str:
    """The part of a sentence that makes a claim: without headings, list numbers, law titles, article
    labels and amendment dates (those are references to the cited article, not statements)."""
    s = _LIST_NO.sub("", _HEADING.sub("", sentence))
    for t in sorted(set(titles), key=len, reverse=True):
        if t:
            s = s.replace(t, " ")
    return _AMENDED.sub(" ", _ARTICLE_LABEL.sub(" ", s))


def sentence_support(answer_text: str, supports: Sequence[str],
                     threshold: float = DEFAULT_SUPPORT_THRESHOLD, titles: Iterable[str] = ()) -> SupportCheck:
    """Share of claim sentences whose character bigrams overlap some support text by >= ``threshold``.
    ``titles`` are the cited law titles (stripped from sentences with the article labels)."""
    check = SupportCheck()
    support_sets = [char_bigrams(s) for s in supports]
    titles = list(titles)
    for sentence in split_sentences(answer_text):
        if sentence.lstrip().startswith("※"):
            continue
        grams = char_bigrams(claim_text(sentence, titles))
        if len(grams) < MIN_BIGRAMS:
            continue
        check.scored += 1
        best = max((len(grams & s) / len(grams) for s in support_sets), default=0.0)
        if best >= threshold:
            check.supported += 1
        else:
            check.unsupported.append(sentence.strip())
    return check


# --- refusal ------------------------------------------------------------------------------------------
def refusal_scores(pairs: Iterable[tuple[bool, bool]]) -> dict[str, float]:
    """``pairs`` = (must_refuse, refused). Positive class = must refuse."""
    tp = fp = fn = tn = 0
    for must, did in pairs:
        if must and did:
            tp += 1
        elif must:
            fn += 1
        elif did:
            fp += 1
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "refusal_precision": precision, "refusal_recall": recall, "refusal_f1": f1,
        "false_refusal_rate": fp / (fp + tn) if fp + tn else 0.0,
        "n_must_refuse": tp + fn, "n_answerable": fp + tn,
    }


# --- numeric exact match -------------------------------------------------------------------------------
def _details(result: Any) -> Mapping[str, Any]:
    if isinstance(result, Mapping) and isinstance(result.get("details"), Mapping):
        return result["details"]
    return {}


def _guarantee(result: Any, kind: str) -> Mapping[str, Any] | None:
    for item in _details(result).get("items") or []:
        if isinstance(item, Mapping) and item.get("kind") == kind:
            return item
    return None


def _reduction_cap(result: Any, name_part: str) -> Any:
    bond = _guarantee(result, "押標金")
    for r in (bond or {}).get("possible_reductions") or []:
        if name_part in str(r.get("name", "")):
            return r.get("max_amount")
    return None


def _tier_name(result: Any) -> Any:
    d = _details(result)
    if d.get("tier_name"):
        return d["tier_name"]
    code = d.get("tier")
    return TIER_NAME_ZH.get(code) if isinstance(code, str) else None  # type: ignore[call-overload]


def _cap(kind: str) -> Callable[[Any], Any]:
    return lambda r: (_guarantee(r, kind) or {}).get("cap_fixed_amount")


_BOND_REQ = lambda r: (_guarantee(r, "押標金") or {}).get("requirement")  # noqa: E731

# expected key -> [(tool name, extractor over tool_calls[].result)], in order of preference.
NUMERIC_KEYS: dict[str, list[tuple[str, Callable[[Any], Any]]]] = {
    "tier": [("procurement_tier", _tier_name), ("tender_period", _tier_name),
             ("bid_bond_and_guarantees", _tier_name)],
    "amount": [("procurement_tier", lambda r: _details(r).get("amount")),
               ("procurement_amount", lambda r: _details(r).get("amount"))],
    "min_days": [("tender_period", lambda r: _details(r).get("minimum_days"))],
    "bid_bond_cap": [("bid_bond_and_guarantees", _cap("押標金"))],
    "performance_bond_cap": [("bid_bond_and_guarantees", _cap("履約保證金"))],
    "warranty_bond_cap": [("bid_bond_and_guarantees", _cap("保固保證金"))],
    "e_tender_reduction_cap": [("bid_bond_and_guarantees", lambda r: _reduction_cap(r, "電子投標"))],
    "good_vendor_reduction_cap": [("bid_bond_and_guarantees", lambda r: _reduction_cap(r, "優良廠商"))],
    # 政府採購法第30條第1項第1款 (勞務: 以免收為原則) / 第2款 (未達公告金額工程、財物: 得免收)
    "exempt_by_default": [("bid_bond_and_guarantees", lambda r: None if _BOND_REQ(r) is None
                           else _BOND_REQ(r) == "以免收取為原則")],
    "exempt_allowed": [("bid_bond_and_guarantees", lambda r: None if _BOND_REQ(r) is None
                        else _BOND_REQ(r) in ("得免收取", "以免收取為原則"))],
}


@dataclass
class NumericCheck:
    expected: dict[str, Any]
    got: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # keys that did not match
    unknown_keys: list[str] = field(default_factory=list)

    @property
    def exact_match(self) -> float:
        return 0.0 if self.failures or not self.expected else 1.0

    @property
    def field_accuracy(self) -> float:
        return (len(self.expected) - len(self.failures)) / len(self.expected) if self.expected else 0.0


def extract_value(key: str, tool_calls: Sequence[Mapping[str, Any]]) -> Any:
    """The value of ``key`` from the latest matching tool call, trying tools in preference order."""
    for tool, fn in NUMERIC_KEYS[key]:
        for call in reversed(tool_calls):
            if call.get("name") == tool:
                value = fn(call.get("result"))
                if value is not None:
                    return value
    return None


def numeric_exact_match(expected: Mapping[str, Any], answer: Mapping[str, Any]) -> NumericCheck:
    check = NumericCheck(dict(expected))
    calls = list(answer.get("tool_calls") or [])
    for key, want in expected.items():
        if key not in NUMERIC_KEYS:
            check.unknown_keys.append(key)
            check.failures.append(key)
            continue
        got = extract_value(key, calls)
        check.got[key] = got
        if got != want or type(got) is not type(want):
            check.failures.append(key)
    return check


def stated_forms(key: str, value: Any) -> list[str] | None:
    """The written forms of an expected numeric value that count as stating it in the answer text
    (None: a value text cannot state, such as a yes/no flag)."""
    from core.money import short_twd
    from core.numerals import int_to_cn

    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if key.endswith("days"):
            cn = int_to_cn(value)
            return [f"{value}日", f"{value}天", f"{cn}日", f"{cn}天"]
        forms = [f"{value:,}", str(value)]
        if value and value % 1_000 == 0:
            forms.append(f"{value / 10_000:,g}萬")
        if value >= 10_000:  # the 萬/億 form the answers write: 12萬5,000元, 1億2,345萬6,789元
            forms.append(short_twd(value).removesuffix("元"))
        return forms
    return [str(value)]


def numeric_stated(expected: Mapping[str, Any], answer_text: str) -> tuple[float | None, list[str]]:
    """(share of the checkable expected values stated in the answer text, the keys not stated);
    None when no expected value is checkable in text."""
    flat = squash(answer_text)
    checked, missing = 0, []
    for key, value in expected.items():
        forms = stated_forms(key, value)
        if forms is None:
            continue
        checked += 1
        if not any(squash(f) in flat for f in forms):
            missing.append(key)
    return ((checked - len(missing)) / checked if checked else None), missing


# --- drafting -----------------------------------------------------------------------------------------

def _field_lines(markdown: str, label: str) -> list[str]:
    return [line for line in markdown.splitlines() if label in line]


@dataclass
class DraftCheck:
    required: list[str]
    present: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    expected_missing: list[str] = field(default_factory=list)
    missing_not_flagged: list[str] = field(default_factory=list)
    values_checked: int = 0
    values_wrong: list[str] = field(default_factory=list)

    @property
    def completeness(self) -> float:
        return len(self.present) / len(self.required) if self.required else 1.0

    @property
    def missing_flagged(self) -> float | None:
        if not self.expected_missing:
            return None
        return 1 - len(self.missing_not_flagged) / len(self.expected_missing)

    @property
    def expected_values(self) -> float | None:
        if not self.values_checked:
            return None
        return 1 - len(self.values_wrong) / self.values_checked


def _keep(text: str) -> str:
    return "".join(_KEEP.findall(text or ""))


def _value_stated(key: str, value: Any, markdown: str) -> bool | None:
    """Whether the draft states ``value``; None when the value cannot be checked in text."""
    from core.numerals import int_to_cn

    if isinstance(value, bool):
        if key == "public_reading_required":
            return ("公開閱覽" in markdown) == value
        return None
    flat = squash(markdown)
    if isinstance(value, int):
        if key.endswith("days"):
            forms = [f"{value}日", f"{value}天", f"{int_to_cn(value)}日"]
        else:
            forms = [f"{value:,}", str(value)]
            if value % 10_000 == 0:
                forms.append(f"{value // 10_000:,}萬")
        return any(f in flat for f in forms)
    return _keep(str(value)) in _keep(markdown)


def drafting_completeness(item: Mapping[str, Any], draft: Mapping[str, Any] | None) -> DraftCheck:
    """Required fields present (filled or 待補), expected missing fields flagged, expected values stated."""
    check = DraftCheck(required=list(item.get("required_fields") or []))
    expected = dict(item.get("expected") or {})
    check.expected_missing = list(expected.pop("missing_fields", []) or [])
    md = str((draft or {}).get("markdown") or "")
    listed = set((draft or {}).get("missing_fields") or [])
    for f in check.required:
        (check.present if (f in md or f in listed) else check.absent).append(f)
    for f in check.expected_missing:
        flagged = f in listed or any("待補" in line for line in _field_lines(md, f))
        if not flagged:
            check.missing_not_flagged.append(f)
    for key, value in expected.items():
        stated = _value_stated(key, value, md)
        if stated is None:
            continue
        check.values_checked += 1
        if not stated:
            check.values_wrong.append(key)
    return check


# --- latency and aggregation ---------------------------------------------------------------------------
def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); 0.0 for no values."""
    s = sorted(values)
    if not s:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(s)))
    return s[min(rank, len(s)) - 1]


def latency_summary(values_ms: Sequence[float]) -> dict[str, float]:
    return {"latency_p50_ms": round(percentile(values_ms, 50), 1),
            "latency_p95_ms": round(percentile(values_ms, 95), 1), "n": len(values_ms)}


def mean_metrics(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Mean of every numeric metric (bools count as 0/1) over the rows that define it."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for r in rows:
        for k, v in r.items():
            if v is None or not isinstance(v, int | float):
                continue
            sums[k] = sums.get(k, 0.0) + float(v)
            counts[k] = counts.get(k, 0) + 1
    return {k: round(sums[k] / counts[k], 4) for k in sums}
