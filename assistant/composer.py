"""Compose the extractive answer: direct answer from tools, verbatim quotes with citations, related
articles — or a plain refusal that says whom to ask when the evidence does not support an answer."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from assistant.answer_type import answer_types
from assistant.answerability import FEATURES, ask_core, floor_passed, local_cues, named_laws
from assistant.answerability import model as answerability_model
from assistant.evidence import amended_zh, best_lines, cite, content_terms, label_for, with_items
from assistant.models import Answer, AnswerCitation, ToolCall
from assistant.record_answers import RECORD_TOOLS, missing_named
from core.access import AccessLevel
from core.citation import article_lines
from core.text import normalize_query
from knowledge.base import Article, KnowledgeBase
from knowledge.lexical import LexicalIndex
from knowledge.lexicon import abbreviation_of, domain_terms, is_subsequence, latin_words, question_bigrams
from knowledge.thesaurus import RULES

DISCLAIMER = "※ 以上為知識庫條文原文摘錄與依條文計算之結果，個案適用仍請承辦人判斷；必要時請洽主管機關釋示。"

WHOM = {
    "procurement": "本府採購諮詢專線或秘書處採購業務承辦單位（必要時洽行政院公共工程委員會）",
    "archives": "秘書處文書檔案管理單位（必要時洽國家發展委員會檔案管理局）",
    "emergency": "市政大樓事務管理單位或臺中市政府消防局",
    None: "秘書處相關業務承辦單位",
}


@dataclass
class EvidenceConfig:
    max_articles: int = 3
    related: int = 5


CORE_WORDS = ("採購", "廠商", "招標", "投標", "開標", "決標", "標案", "標單", "標價", "底價", "押標", "保證金", "履約", "驗收", "檔案", "公文",
              "消防", "防火", "滅火", "避難", "災害", "防災", "AED", "aed", "印信", "關防")


def _domain_signal(text: str, titles: list[str]) -> bool:
    if any(w in text for w in CORE_WORDS):
        return True
    if any(t in text for t in titles):
        return True
    if any(r.pattern.search(text) for r in RULES):
        return True
    return any(term in text for term in domain_terms() if len(term) >= 2)





_DOC_NAME = re.compile(r"([\u4e00-\u9fff]{2,24}?(?:作業手冊|手冊|契約範本|範本|作業要點|要點|作業規定|規範|須知))")
_CURRENT = re.compile(r"現行|最新|目前(?:的)?版本|新版")
_DEFERRAL = re.compile(r"如附(?:表|件)|附表[一二三四五六七八九十\d]")
# what a question asks for <-> what a line defers to an annex; a deferral only counts when they match
_ASK_KINDS = [
    (re.compile(r"幾次|多久|一年|每年|幾月|頻率|期限|何時"), re.compile(r"頻率|期限|期間|時間|日期")),
    (re.compile(r"多少錢|收多少|費用|幾元|多少元|收費|收錢"), re.compile(r"費|金額|價")),
    (re.compile(r"顏色|樣式|格式|尺寸|規格|多高|多大"), re.compile(r"規格|樣式|格式|尺寸|位置|高度")),
]
_QUANTITY = re.compile(r"每[一二三四五六七八九十兩半\d]+[年月日週次]|[一二三四五六七八九十百\d]+(?:日|年|個月|次|小時|公分|元)")
_INTERPRETATION = re.compile(r"函釋|解釋函|解釋令|釋示|最新(?:的)?函")


def unsupported_reason(query: str, titles: list[str], hits: list[dict[str, Any]],
                       quotes: list[str]) -> str | None:
    """Why the knowledge base cannot support an answer even though the question is in scope."""
    for m in _DOC_NAME.finditer(query):
        name = re.sub(r"^(?:請問|那個|這個|依|依照|根據|照)", "", m.group(1))
        if len(name) < 3:
            continue
        owners = [t for t in titles if is_subsequence(name, t)]
        if not owners:
            return f"知識庫未收錄「{name}」的內容"
        if _CURRENT.search(query) and all(("歷史" in t or "節錄" in t) for t in owners):
            return f"知識庫只有「{name}」的歷史版本節錄，沒有現行版本"
    if _CURRENT.search(query) and hits and hits[0].get("partial"):
        return "知識庫只有相關文件的節錄或歷史版本，沒有現行版本"
    if _INTERPRETATION.search(query):
        return "知識庫未收錄主管機關的函釋（只收錄法規條文與少量節錄）"
    grams = question_bigrams(query)
    asked = [want for ask, want in _ASK_KINDS if ask.search(query)]
    for quote in quotes:
        if not _DEFERRAL.search(quote) or _QUANTITY.search(quote):
            continue
        if sum(1 for g in grams if g in quote) >= 3 and any(want.search(quote) for want in asked):
            return f"相關條文將細節規定於附表（「{quote}」），知識庫未收錄附表內容"
    return None


def synonyms(term: str) -> list[str]:
    out: list[str] = []
    for r in RULES:
        if r.pattern.search(term):
            out.extend(x for x in r.terms.split() if len(x) >= 2 and x not in ("日內", "期限", "上限", "百分之"))
    return out


def guess_domain(hits: list[dict[str, Any]]) -> str | None:
    return hits[0].get("domain") if hits else None


def direct_lines(calls: list[ToolCall]) -> list[str]:
    """One-line answers from the tools that computed or looked something up (each result renders itself,
    assistant.tool_results)."""
    out: list[str] = []
    for tc in calls:
        line = tc.result.text_zh() if tc.error is None and tc.result is not None else None
        if line and line not in out:
            out.append(line)
    return out


def tool_citations(calls: list[ToolCall]) -> list[AnswerCitation]:
    cites: list[AnswerCitation] = []
    seen: set[tuple[str, str, str]] = set()
    for tc in calls:
        if tc.error or tc.result is None:
            continue
        for c in tc.result.cited():
            key = (c.title, c.no, c.quote)
            if key in seen:
                continue
            seen.add(key)
            # record look-ups cite the rule without a quote; the composer quotes the best line
            cites.append(c)
    return cites


@dataclass
class Evidence:
    terms: list[str]
    weights: dict[str, float]
    articles: list[Article]
    supports: list[float]
    titles: list[str]
    in_domain: bool
    kind: str  # the answer type asked (assistant.answer_type)
    features: dict[str, float]


@dataclass
class Refusal:
    """The judge's verdict when the answer must be a refusal."""

    in_domain: bool
    reason: str | None = None


@dataclass
class Cited:
    """The citations to render, the articles they quote, and whether a record tool answered."""

    cites: list[AnswerCitation]
    used: list[Article]
    from_records: bool


def _exact_first(hits: list[dict[str, Any]]) -> bool:
    """The first hit is an exact article look-up (「採購法第22條」)."""
    return any("exact" in (h.get("matched") or []) for h in hits[:1])


class Composer:
    def __init__(self, kb: KnowledgeBase, config: EvidenceConfig | None = None):
        self.kb = kb
        self.config = config or EvidenceConfig()

    def vocabulary_ratio(self, query: str, allowed: set[AccessLevel] | None = None) -> float:
        """Share of the question's CJK bigrams that occur anywhere in the documents the caller may see:
        questions about the weather or a birthday card use words the regulations never use."""
        grams = question_bigrams(query)
        lex = self.kb.lexical_for(allowed)  # its df counts only the caller's documents (review F-05)
        if not grams or lex is None:
            return 0.0
        return sum(1 for g in grams if lex.df.get("#" + g, 0) > 0) / len(grams)

    def support_bigrams(self, query: str, article: Article) -> float:
        """Share of the question's CJK bigrams (minus generic question words) and Latin abbreviations (AED,
        which count as one unit each, case-insensitively) in the article, with thesaurus synonyms of the
        question's words added as alternatives."""
        grams = question_bigrams(query)
        latin = latin_words(query)
        if not grams and not latin:
            return 0.0
        hay = unicodedata.normalize("NFC", article.title + article.label + article.text)
        present = [x for x in synonyms(query) if x in hay]
        found = sum(1 for g in grams if g in hay or any(g in x for x in present))
        found += sum(1 for w in latin if w in hay.casefold())
        return found / (len(grams) + len(latin))

    @staticmethod
    def _cover(terms: list[str], weights: dict[str, float], article: Article) -> float:
        """idf-weighted share of ``terms`` that the article (title and text) contains: its rare words count most."""
        total = sum(weights.values())
        if not terms or total <= 0:
            return 0.0
        hay = unicodedata.normalize("NFC", article.title + article.text)
        return sum(weights[t] for t in terms if t in hay) / total

    def evidence(self, question: str, query: str, hits: list[dict[str, Any]], allowed: Any = None,
                 as_of: Any = None, all_features: bool = False) -> Evidence:
        """The articles found, their support, and the answerability features (assistant.answerability):
        those the shipped model weighs (and ``support``, the floor's), or every one with ``all_features``
        (the fit script). A feature of weight 0 cannot change an answer, so an ask does not compute it."""
        terms = content_terms(self.kb.tokenizer(query))
        lex = self.kb.lexical_for(allowed)  # idf over the caller's documents only (review F-05)
        weights = {t: (lex.idf(t) if lex is not None and lex.n_docs else 1.0) for t in terms}
        articles: list[Article] = []
        for h in hits:
            a = self.kb.get_article(h["title"], h["no"], as_of=as_of, allowed=allowed)
            if a is not None and not a.deleted:
                articles.append(a)
        supports = [self.support_bigrams(query, a) for a in articles]
        titles = self.kb.titles(allowed)  # oracles see only the caller's documents (review F-05)
        vocab = self.vocabulary_ratio(query, allowed)
        in_domain = _domain_signal(query, titles) or vocab >= 0.5
        kind = answer_types().classify(normalize_query(question))
        ev = Evidence(terms, weights, articles, supports, titles, in_domain, kind, {})
        wanted = set(FEATURES) if all_features else {"support", *answerability_model().used}
        inputs = _FeatureInputs(self, question, query, hits, ev, lex, vocab)
        ev.features = {f: inputs.feature(f) for f in FEATURES if f in wanted}
        return ev

    def compose(self, question: str, query: str, calls: list[ToolCall], hits: list[dict[str, Any]],
                allowed: Any = None, as_of: Any = None) -> Answer:
        """Judge (answer or refuse), collect the citations, render."""
        ev = self.evidence(question, query, hits, allowed, as_of)
        direct = direct_lines(calls)
        verdict = self.judge(query, calls, hits, ev, bool(direct))
        if verdict is not None:
            return self.refusal(question, hits, calls, verdict.in_domain, reason=verdict.reason)
        cited = self.collect_citations(calls, hits, ev, bool(direct), allowed, as_of)
        return self.render(direct, cited, calls, hits, allowed, as_of)

    def judge(self, query: str, calls: list[ToolCall], hits: list[dict[str, Any]], ev: Evidence,
              computed: bool) -> Refusal | None:
        """Why the answer must be a refusal, or None when the evidence (or a tool's result) supports one."""
        exact = _exact_first(hits)
        # answerable from evidence (a logistic regression calibrated on dev), not from word lists
        # (the in-domain minimum-support floor, answerability.floor_passed, stays under the model)
        strong = exact or (floor_passed(ev.in_domain, ev.features) and answerability_model().answerable(ev.features))
        denied = [tc for tc in calls if tc.denied]  # the role may not see these records (core.policy)
        if denied and not computed:
            return Refusal(True, str(denied[0].error))
        missing = missing_named(calls)
        computed_elsewhere = any(tc.error is None and tc.name not in RECORD_TOOLS and direct_lines([tc]) for tc in calls)
        if missing and not computed_elsewhere:
            return Refusal(True, missing)
        if not computed and not strong:
            return Refusal(ev.in_domain)
        if not computed and not exact:
            quotes = [ln.text for a in ev.articles[:5] for ln in article_lines(a.text) if _DEFERRAL.search(ln.text)]
            reason = unsupported_reason(query, ev.titles, hits, quotes)
            if reason:
                return Refusal(ev.in_domain, reason)
        return None

    def collect_citations(self, calls: list[ToolCall], hits: list[dict[str, Any]], ev: Evidence, computed: bool,
                          allowed: Any, as_of: Any) -> Cited:
        """The tools' cited rules (quoted), then exact look-ups, then the best supported articles found."""
        cites = self._tool_citations(calls, ev, allowed, as_of)
        used: list[Article] = []
        for c in cites:
            art = self.kb.get_article(c.title, c.no, as_of=as_of, allowed=allowed)
            if art is not None:
                line = next((ln for ln in article_lines(art.text) if c.quote in ln.text), None)
                c.label = c.label or label_for(art, line)
                c.paragraph, c.item = (line.paragraph, line.item) if line else (None, None)
                if art not in used:
                    used.append(art)
        tool_articles = len(used)
        from_records = any(tc.name in RECORD_TOOLS and direct_lines([tc]) for tc in calls)
        articles, supports = ev.articles, ev.supports
        exact_articles = [a for a, h in zip(articles, hits, strict=False) if "exact" in (h.get("matched") or [])]
        if exact_articles:
            for a in exact_articles[: self.config.max_articles]:
                used.append(a)
                cites.append(cite(a, None))
            articles, supports = [], []
        # when a tool computed the answer, its cited rules are the evidence; add at most one more article
        # a record answer quotes only the rules its tool cites (no articles that merely share words)
        limit = tool_articles if from_records else tool_articles + 1 if computed else self.config.max_articles
        self._add_found(cites, used, articles, supports, limit, ev)
        return Cited(cites, used, from_records)

    def _tool_citations(self, calls: list[ToolCall], ev: Evidence, allowed: Any, as_of: Any) -> list[AnswerCitation]:
        """The rules the tools cite; a rule cited without a quote gets its best line, or is dropped."""
        cites = tool_citations(calls)
        for c in [c for c in cites if not c.quote]:
            art = self.kb.get_article(c.title, c.no, as_of=as_of, allowed=allowed)
            lines = best_lines(art, ev.terms, ev.weights, max_lines=1, kind=ev.kind) if art is not None else []
            if art is None or not lines:
                cites.remove(c)
                continue
            c.quote = lines[-1].text.strip()
            c.amended = c.amended or (art.amended.isoformat() if art.amended else None)
        return cites

    def _add_found(self, cites: list[AnswerCitation], used: list[Article], articles: list[Article],
                   supports: list[float], limit: int, ev: Evidence) -> None:
        """Quote the best lines of the found articles that are well supported, up to ``limit`` articles."""
        top = supports[0] if supports else 0.0
        for a, s in zip(articles, supports, strict=True):
            if len(used) >= limit:
                break
            if any(u.title == a.title and u.no == a.no for u in used):
                continue
            if used and s < max(0.5 * top, 0.34):
                continue
            used.append(a)
            for ln in with_items(a, best_lines(a, ev.terms, ev.weights, kind=ev.kind)):
                c = cite(a, ln)
                if not any(x.title == c.title and x.no == c.no and (x.quote in c.quote or c.quote in x.quote)
                           for x in cites):
                    cites.append(c)

    def render(self, direct: list[str], cited: Cited, calls: list[ToolCall], hits: list[dict[str, Any]],
               allowed: Any, as_of: Any) -> Answer:
        """The answer text: 【直接答案】, 【條文依據】 with the quotes, 【相關條文】, the disclaimer."""
        parts: list[str] = []
        if direct:
            parts.append("【直接答案】")
            parts.extend(f"・{d}" for d in direct)
            parts.append("")
        if cited.cites:
            parts.append("【條文依據】")
            for i, c in enumerate(cited.cites, 1):
                parts.extend(self._citation_lines(i, c, cited.used, allowed, as_of))
            parts.append("")
        cited_keys = {(c.title, c.no) for c in cited.cites}
        related = [h for h in hits if (h["title"], h["no"]) not in cited_keys][
            : 0 if cited.from_records else self.config.related]
        if related:
            parts.append("【相關條文】" + "、".join(f"{h['title']}{h['label']}" for h in related))
            parts.append("")
        parts.append(DISCLAIMER)
        return Answer(answer="\n".join(parts).strip(), refused=False, mode="extractive", citations=cited.cites,
                      tool_calls=calls, related=[{"title": h["title"], "no": h["no"], "label": h["label"]}
                                                 for h in related])

    def _citation_lines(self, i: int, c: AnswerCitation, used: list[Article], allowed: Any, as_of: Any) -> list[str]:
        art = next((a for a in used if a.title == c.title and a.no == c.no), None)
        if art is None:
            art = self.kb.get_article(c.title, c.no, as_of=as_of, allowed=allowed)
        when = amended_zh(art) if art else (f"{c.amended} 修正" if c.amended else "")
        note = "（節錄文件，內容不完整）" if art and art.partial else ""
        note += "（範例文件，非正式規定）" if c.sample else ""
        return [f"{i}. {c.label or (c.title + c.no)}（{when}）{note}", f"   「{c.quote}」"]

    def refusal(self, question: str, hits: list[dict[str, Any]], calls: list[ToolCall], in_domain: bool,
                reason: str | None = None) -> Answer:
        domain = guess_domain(hits) if in_domain else None
        whom = WHOM.get(domain, WHOM[None])
        if in_domain:
            text = ((f"{reason}，" if reason else "知識庫中找不到足以回答這個問題的條文或紀錄，")
                    + f"為避免誤導，mishu 不提供推測的答案。建議洽詢：{whom}。")
            near = [f"{h['title']}{h['label']}" for h in hits[:3]]
            if near:
                text += "\n可能相關但不足以回答的條文：" + "、".join(near) + "（請自行查閱判斷）。"
        else:
            text = ("這個問題不在 mishu 的知識範圍內（政府採購、檔案及公文管理、市政大樓消防與防災）。"
                    f"mishu 不回答範圍外的問題；如屬公務，請洽{whom}。")
        return Answer(answer=text, refused=True, mode="extractive", citations=[], tool_calls=calls)


class _FeatureInputs:
    """The answerability features of one question (assistant.answerability.FEATURES), each computed when
    asked for, with what several of them share (the best lines of the top three articles, the asking part)
    computed once."""

    def __init__(self, composer: Composer, question: str, query: str, hits: list[dict[str, Any]], ev: Evidence,
                 lex: LexicalIndex | None, vocab: float):
        self.composer, self.question, self.query, self.hits = composer, question, query, hits
        self.ev, self.lex, self.vocab = ev, lex, vocab
        self.types = answer_types()
        self.top = ev.articles[:3]

    @cached_property
    def lines(self) -> list[str]:
        ev = self.ev
        return [ln.text for a in self.top for ln in best_lines(a, ev.terms, ev.weights, kind=ev.kind)]

    @cached_property
    def carried(self) -> bool:
        return any(self.types.carries(self.ev.kind, t) for t in self.lines)

    @cached_property
    def specific(self) -> bool:
        return self.types.is_specific(self.ev.kind)

    @cached_property
    def core(self) -> str:
        return ask_core(self.query)

    @cached_property
    def asked(self) -> str:
        return normalize_query(self.question)

    def _focus(self) -> float:
        ev = self.ev
        rare = sorted(ev.terms, key=lambda t: -ev.weights.get(t, 1.0))[:3]
        text = "".join(a.title + a.text for a in self.top).lower()  # the tokenizer lower-cases (AED -> aed)
        return sum(1 for t in rare if t in text) / len(rare) if rare else 0.0

    def _other_law(self) -> bool:
        titles = self.ev.titles
        return any(not abbreviation_of(n, titles) and not any(n in t for t in titles)
                   for n in named_laws(normalize_query(self.question)))

    def _value_missing(self) -> bool:
        kind, types = self.ev.kind, self.types
        return types.wants_value(kind) and not any(
            types.holds_value(kind, t)
            for t in [*self.lines, *(ln.text for a in self.top[:1] for ln in article_lines(a.text))])

    def _core_cover(self) -> float:
        lex = self.lex
        core_terms = [t for t in content_terms(self.composer.kb.tokenizer(self.core)) if len(t) >= 2]
        core_w = {t: (lex.idf(t) if lex is not None and lex.n_docs else 1.0) for t in core_terms}
        return max((self.composer._cover(core_terms, core_w, a) for a in self.top), default=0.0)

    def feature(self, name: str) -> float:
        hits = self.hits
        compute: dict[str, Callable[[], float | bool]] = {
            "support": lambda: max(self.ev.supports[:3], default=0.0),
            "vocab": lambda: self.vocab,
            "domain": lambda: self.ev.in_domain,
            "carried": lambda: self.carried,
            "specific": lambda: self.specific,
            "specific_carried": lambda: self.specific and self.carried,
            "focus": self._focus,
            "other_law": self._other_law,
            "top_score": lambda: min(1.0, float(hits[0].get("score") or 0.0) * 15) if hits else 0.0,
            "core_support": lambda: max((self.composer.support_bigrams(self.core, a) for a in self.top),
                                        default=0.0),
            "value_missing": self._value_missing,
            "core_cover": self._core_cover,
            "local": lambda: self.specific and local_cues().points_here(self.asked),
            "directory": lambda: local_cues().asks_directory(self.asked),
        }
        return float(compute[name]())
