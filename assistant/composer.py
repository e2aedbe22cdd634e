"""Compose the extractive answer: direct answer from tools, verbatim quotes with citations, related
articles — or a plain refusal that says whom to ask when the evidence does not support an answer."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from assistant.evidence import (
    amended_zh,
    article_lines,
    best_lines,
    cite,
    content_terms,
    label_for,
)
from assistant.models import Answer, AnswerCitation, ToolCall
from knowledge.base import Article, KnowledgeBase
from knowledge.lexicon import KNOWN_GAPS, domain_terms, is_subsequence, question_bigrams
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
    min_support: float = 0.1  # share of the question's CJK bigrams found in one of the top articles
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
    """One-line answers from the tools that computed or looked something up."""
    out: list[str] = []
    for tc in calls:
        if tc.error or tc.name in ("search_regulations", "get_article"):
            continue
        if tc.name == "retention_lookup" and not tc.result:
            continue
        r = tc.result
        if isinstance(r, dict) and r.get("answer_zh"):
            line = r["answer_zh"]
            if line not in out:
                out.append(line)
            continue
        text = _format_record(tc.name, r)
        if text:
            out.append(text)
    return out


def _format_record(name: str, r: Any) -> str | None:
    if name == "lookup_case" and isinstance(r, dict):
        parts = [f"案號 {r.get('case_no')}「{r.get('name')}」", f"類別：{r.get('category')}",
                 f"招標方式：{r.get('method')}", f"狀態：{r.get('status')}"]
        if r.get("budget") is not None:
            parts.append(f"預算金額：新臺幣{r['budget']:,}元")
        ev = [f"{e.get('event_on')} {e.get('kind')}" + (f"（{e.get('cause_label')}）" if e.get("cause_label") else "")
              for e in r.get("events") or []]
        if ev:
            parts.append("歷程：" + "；".join(ev))
        return "，".join(parts)
    if name == "failed_tender_report" and isinstance(r, dict):
        period = f"{r.get('date_from') or '最早'}至{r.get('date_to') or '最近'}"
        rate = r.get("rate")
        head = (f"{period}流標／廢標 {r.get('failed')} 次，占已完成之招標 {r.get('rounds')} 次"
                + (f"的 {rate:.1%}" if isinstance(rate, float) else "") + "（範例資料）")
        by = {"cause": "原因", "unit": "單位", "category": "類別", "month": "月份"}.get(r.get("group_by", ""), "")
        body = "；".join(f"{x.get('label')} {x.get('failed')} 次"
                        + (f"（失敗率 {x['rate']:.1%}）" if isinstance(x.get("rate"), float) and by != "原因" else "")
                        + (f"（占 {x['share']:.1%}）" if isinstance(x.get("share"), float) and by == "原因" else "")
                        for x in (r.get("rows") or [])[:12])
        return head + (f"\n  依{by}：{body}" if body else "")
    if name == "vendor_suspension_check" and isinstance(r, dict):
        if not r.get("found"):
            return f"查無廠商「{r.get('query')}」的紀錄（範例資料庫）。"
        lines = []
        for v in r.get("vendors") or []:
            if v.get("suspended"):
                act = v["active_suspensions"][0]
                lines.append(f"{v['name']}（統編 {v['tax_id']}）於 {r.get('on')} 仍在刊登政府採購公報期間："
                             f"{act['start_on']} 至 {act['end_on']}，事由：{act['ground_label']}（{act['legal_basis']}）")
            else:
                past = len(v.get("past_suspensions") or [])
                lines.append(f"{v['name']}（統編 {v['tax_id']}）於 {r.get('on')} 無停權紀錄"
                             + (f"（曾有 {past} 次已屆滿之停權）" if past else ""))
        return "；".join(lines)
    if name == "retention_lookup" and isinstance(r, list):
        if not r:
            return "檔案保存年限區分表（範例資料）中查無相符的類目。"
        return "；".join(f"{x.get('class_code')} {x.get('title')}：保存年限 {x.get('retention')}"
                        + (f"（依據：{x['legal_basis']}）" if x.get("legal_basis") else "") for x in r[:8])
    if name == "find_seed_teachers" and isinstance(r, list):
        if not r:
            return "該行政區目前沒有登錄的採購種子教師（範例資料）。"
        return "採購種子教師（範例資料）：" + "；".join(
            f"{x['name']}（{x['agency']}，專長：{x['expertise']}，聯絡：{x['contact']}）" for x in r[:10])
    if name == "building_safety_status" and isinstance(r, dict):
        bits = [f"截至 {r.get('on')}：AED 有狀況 {r.get('aeds_with_issues')} 台"]
        issues = [f"{a['location']}（{a['floor']}）：{'、'.join(a['issues'])}" for a in r.get("aeds") or []
                  if a.get("issues")]
        if issues:
            bits.append("；".join(issues[:6]))
        bits.append("消防演練規定" + ("已符合" if r.get("drill_rule_met") else "未符合")
                    + (f"，下次應於 {r['drill_next_due']} 前辦理" if r.get("drill_next_due") else ""))
        bits.append(f"設備檢修申報逾期 {r.get('inspections_overdue')} 項、即將到期 {r.get('inspections_due_soon')} 項（範例資料）")
        return "；".join(bits)
    if isinstance(r, dict) and r.get("summary_zh"):
        return str(r["summary_zh"])
    return None


def tool_citations(calls: list[ToolCall]) -> list[AnswerCitation]:
    cites: list[AnswerCitation] = []
    seen: set[tuple[str, str, str]] = set()
    for tc in calls:
        if tc.error or not isinstance(tc.result, dict):
            continue
        for c in tc.result.get("citations") or []:
            key = (c["title"], c["no"], c.get("quote") or "")
            if key in seen:
                continue
            seen.add(key)
            # record look-ups cite the rule without a quote; the composer quotes the best line
            cites.append(AnswerCitation(title=c["title"], no=c["no"], quote=c.get("quote") or "",
                                        amended=c.get("amended"), label=c.get("label")))
    return cites


class Composer:
    def __init__(self, kb: KnowledgeBase, config: EvidenceConfig | None = None):
        self.kb = kb
        self.config = config or EvidenceConfig()
        self._corpus = ""
        self._corpus_gen: int | None = None

    def unknown_words(self, query: str, terms: list[str]) -> str | None:
        """A specific word of the question that the knowledge base never uses (速別, 停班停課, 電子報價單)
        means the corpus cannot be about it; known typos are corrected by the thesaurus first."""
        text = self._corpus_text()
        for word, reason in KNOWN_GAPS.items():
            if word in query and word not in text:
                return reason
        return None

    def _corpus_text(self) -> str:
        view = self.kb.view()
        if self._corpus_gen != view.generation:
            self._corpus = unicodedata.normalize("NFC", "\n".join(
                f"{c.title}\n{c.text}" for c in view.chunks.values()))
            self._corpus_gen = view.generation
        return self._corpus

    def vocabulary_ratio(self, query: str) -> float:
        """Share of the question's CJK bigrams that occur anywhere in the knowledge base: questions
        about the weather or a birthday card use words the regulations never use."""
        grams = question_bigrams(query)
        lex = self.kb.view().lexical
        if not grams or lex is None:
            return 0.0
        return sum(1 for g in grams if lex.df.get("#" + g, 0) > 0) / len(grams)

    def support_bigrams(self, query: str, article: Article) -> float:
        """Share of the question's CJK bigrams (minus generic question words) in the article, with
        thesaurus synonyms of the question's words added as alternatives."""
        grams = question_bigrams(query)
        if not grams:
            return 0.0
        hay = unicodedata.normalize("NFC", article.title + article.label + article.text)
        present = [x for x in synonyms(query) if x in hay]
        return sum(1 for g in grams if g in hay or any(g in x for x in present)) / len(grams)

    def compose(self, question: str, query: str, calls: list[ToolCall], hits: list[dict[str, Any]],
                allowed: Any = None, as_of: Any = None) -> Answer:
        tokens = self.kb.tokenizer(query)
        terms = content_terms(tokens)
        lex = self.kb.view().lexical
        weights = {t: (lex.idf(t) if lex is not None and lex.n_docs else 1.0) for t in terms}
        direct = direct_lines(calls)
        computed = bool(direct)

        articles: list[Article] = []
        for h in hits:
            a = self.kb.get_article(h["title"], h["no"], as_of=as_of, allowed=allowed)
            if a is not None and not a.deleted:
                articles.append(a)
        supports = [self.support_bigrams(query, a) for a in articles]
        best = max(supports[:3], default=0.0)
        in_domain = _domain_signal(query, self.kb.titles()) or self.vocabulary_ratio(query) >= 0.5
        exact = any("exact" in (h.get("matched") or []) for h in hits[:1])
        strong = exact or (in_domain and best >= self.config.min_support)

        missing_case = [tc for tc in calls if tc.name == "lookup_case" and tc.error]
        if missing_case and not computed:
            return self.refusal(question, hits, calls, True, reason=f"{missing_case[0].error}（紀錄資料庫）")
        if not computed and not strong:
            return self.refusal(question, hits, calls, in_domain)
        if not computed and not exact:
            quotes = [ln.text for a in articles[:5] for ln in article_lines(a.text) if _DEFERRAL.search(ln.text)]
            reason = unsupported_reason(query, self.kb.titles(), hits, quotes) or self.unknown_words(query, terms)
            if reason:
                return self.refusal(question, hits, calls, in_domain, reason=reason)

        cites = tool_citations(calls)
        used: list[Article] = []
        unquoted = [c for c in cites if not c.quote]
        for c in unquoted:
            art = self.kb.get_article(c.title, c.no, as_of=as_of, allowed=allowed)
            lines = best_lines(art, terms, weights, max_lines=1) if art is not None else []
            if art is None or not lines:
                cites.remove(c)
                continue
            c.quote = lines[-1].text.strip()
            c.amended = c.amended or (art.amended.isoformat() if art.amended else None)
        for c in cites:
            art = self.kb.get_article(c.title, c.no, as_of=as_of, allowed=allowed)
            if art is not None:
                line = next((ln for ln in article_lines(art.text) if c.quote in ln.text), None)
                c.label = c.label or label_for(art, line)
                c.paragraph, c.item = (line.paragraph, line.item) if line else (None, None)
                if art not in used:
                    used.append(art)
        tool_articles = len(used)
        exact_articles = [a for a, h in zip(articles, hits, strict=False) if "exact" in (h.get("matched") or [])]
        if exact_articles:
            for a in exact_articles[: self.config.max_articles]:
                used.append(a)
                cites.append(cite(a, None))
            articles, supports = [], []
        top = supports[0] if supports else 0.0
        # when a tool computed the answer, its cited rules are the evidence; add at most one more article
        limit = tool_articles + 1 if computed else self.config.max_articles
        for a, s in zip(articles, supports, strict=True):
            if len(used) >= limit:
                break
            if any(u.title == a.title and u.no == a.no for u in used):
                continue
            if used and s < max(0.5 * top, 0.34):
                continue
            used.append(a)
            for ln in best_lines(a, terms, weights):
                c = cite(a, ln)
                if not any(x.title == c.title and x.no == c.no and (x.quote in c.quote or c.quote in x.quote)
                           for x in cites):
                    cites.append(c)

        parts: list[str] = []
        if direct:
            parts.append("【直接答案】")
            parts.extend(f"・{d}" for d in direct)
            parts.append("")
        if cites:
            parts.append("【條文依據】")
            for i, c in enumerate(cites, 1):
                art = next((a for a in used if a.title == c.title and a.no == c.no), None)
                if art is None:
                    art = self.kb.get_article(c.title, c.no, as_of=as_of, allowed=allowed)
                when = amended_zh(art) if art else (f"{c.amended} 修正" if c.amended else "")
                note = "（節錄文件，內容不完整）" if art and art.partial else ""
                note += "（範例文件，非正式規定）" if c.sample else ""
                parts.append(f"{i}. {c.label or (c.title + c.no)}（{when}）{note}")
                parts.append(f"   「{c.quote}」")
            parts.append("")
        cited_keys = {(c.title, c.no) for c in cites}
        related = [h for h in hits if (h["title"], h["no"]) not in cited_keys][: self.config.related]
        if related:
            parts.append("【相關條文】" + "、".join(f"{h['title']}{h['label']}" for h in related))
            parts.append("")
        parts.append(DISCLAIMER)
        return Answer(answer="\n".join(parts).strip(), refused=False, mode="extractive", citations=cites,
                      tool_calls=calls, related=[{"title": h["title"], "no": h["no"], "label": h["label"]}
                                                 for h in related])

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

