"""Minimum tender period (等標期) under 招標期限標準 and the earliest lawful 截止投標日.

The figures, floors, labels and quotes are the rule table assistant/data/tender_period_rules.json
(tender_rules.py, checked at load); this module applies it in named steps: the periods outside the
minimums, the base minimum, the 第9條 reductions, 第4條之1, 第8條, then the deadline count of 第11條.

Rule decisions (article references are to 招標期限標準 unless stated):
- Base minimums: 第2條第2項 (公開招標 7/14/21/28 by tier); 第3條第2項 (選擇性招標資格審查 7/10/14);
  第3條第3項 and 第4條第1項 apply 第2條 to 選擇性招標邀標 and 公開評選; 第2條第3項 分段開標後續階段邀標
  >= 7; 第4條第2項 公開徵求 >= 10 (second and later >= 5); 第5條 第49條公開取得 >= 5.
- 第6條 (限制性招標未經公開評選) and 第10條 cases are set by the agency: no number is computed.
- 第9條 reductions are applied in the order of its items (公開閱覽 -5 floor 10, 電子領標 -3 floor 5,
  電子投標 -2 floor 5). Each floor bounds the period right after that reduction; a reduction never
  lengthens the period. Item order applies the highest floor first, which yields the shortest lawful
  period (applying 電子領標 first would make the 公開閱覽 reduction unusable).
- 第4條之1 urgent shortening (公告金額以上, periods under 第2條至第4條): not less than 10 days, also when
  combined with 第9條; it cannot undo a 第9條 result that is already below 10.
- 第8條 re-tendering (documents not materially changed): the agency shortens 「酌予」 considering the days
  already announced; the floor (未達公告金額 3, 公告金額以上 7) is reported as the minimum.
- Treaty procurement: 第2條、第3條、第9條、第10條 yield to 條約或協定; not computed here.
- Counting (第11條): the announcement/invitation day counts; the deadline day counts only when the
  deadline is the close of business that day; a deadline falling on a rest day moves to the next day that
  is not a rest day; rest days inside the period count.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta

from core.vocab import TIER_ORDER, Category, TierCode

from ._common import check_amount, check_category, check_date
from .articles import ArticleIndex
from .models import (
    TIER_LABEL_ZH,
    TIER_NAME_ZH,
    CalculatorError,
    QuotedCitation,
    Reduction,
    TenderPeriodDetails,
    TenderPeriodResult,
)
from .rule_tables import Quote
from .tender_rules import (
    METHODS,
    RETENDERS,
    Method,
    MethodRule,
    Retender,
    TenderPeriodRules,
    load_tender_rules,
)
from .thresholds import ThresholdTable
from .tier import procurement_tier

__all__ = ["METHODS", "RETENDERS", "Method", "Retender", "earliest_deadline", "is_rest_day", "tender_period"]

_TIER_BY_NAME: dict[str, TierCode] = {name: code for code, name in TIER_NAME_ZH.items()}


def is_rest_day(d: date, holidays: Collection[date], makeup_workdays: Collection[date]) -> bool:
    """Saturday/Sunday (unless a make-up workday) or a listed holiday / rest day."""
    if d in holidays:
        return True
    return d.weekday() >= 5 and d not in makeup_workdays


def earliest_deadline(start: date, days: int, *, deadline_at_close_of_business: bool = True,
                      holidays: Collection[date] = frozenset(),
                      makeup_workdays: Collection[date] = frozenset()) -> tuple[date, list[str]]:
    """Earliest 截止投標日 for a period of ``days`` counted from ``start`` (招標期限標準第11條)."""
    if days < 1:
        raise CalculatorError(f"等標期日數須為正整數，收到 {days}")
    steps = [f"公告（或邀標）當日 {start.isoformat()} 算入第1日（第11條第1項）。"]
    if deadline_at_close_of_business:
        d = start + timedelta(days=days - 1)
        steps.append(f"截止時間為下班時間，截止日算入，第{days}日為 {d.isoformat()}（第11條第2項）。")
    else:
        d = start + timedelta(days=days)
        steps.append(f"截止時間未達下班時間，截止日不算入，須在第{days}日 "
                     f"{(d - timedelta(days=1)).isoformat()} 之次日 {d.isoformat()} 截止（第11條第2項）。")
    rests_inside = [start + timedelta(days=i) for i in range((d - start).days)
                    if is_rest_day(start + timedelta(days=i), holidays, makeup_workdays)]
    if rests_inside:
        steps.append(f"期間中之休息日照算（第11條第5項），共 {len(rests_inside)} 日。")
    moved_from = d
    while is_rest_day(d, holidays, makeup_workdays):
        d += timedelta(days=1)
    if d != moved_from:
        steps.append(f"{moved_from.isoformat()} 為休息日，以其休息日之次日 {d.isoformat()} 代之（第11條第3項）。")
    return d, steps


@dataclass(frozen=True)
class PeriodOptions:
    """The facts of a case that shorten the period or take it out of the standard's minimums."""

    electronic_download: bool = False
    electronic_bid: bool = False
    public_inspection: bool = False
    urgent: bool = False
    retender: Retender | None = None
    second_or_later_solicitation: bool = False
    article10_case: int | None = None
    treaty_procurement: bool = False

    def reduction_asked(self, flag: str) -> bool:
        return {"public_inspection": self.public_inspection, "electronic_download": self.electronic_download,
                "electronic_bid": self.electronic_bid}[flag]


@dataclass(frozen=True)
class DeadlineOptions:
    """How the earliest 截止投標日 is counted (招標期限標準第11條)."""

    publication_date: date | None = None
    holidays: Collection[date] = frozenset()
    makeup_workdays: Collection[date] = frozenset()
    deadline_at_close_of_business: bool = True


@dataclass(frozen=True)
class _Outcome:
    answer: str
    base: int | None
    base_rule: str
    minimum: int | None
    agency: bool


@dataclass
class _Period:
    """The period being worked out for one method and tier: its citations, notes and reductions."""

    rules: TenderPeriodRules
    rule: MethodRule
    tier: TierCode
    articles: ArticleIndex
    cites: list[QuotedCitation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reductions: list[Reduction] = field(default_factory=list)
    current: int = 0

    @property
    def below(self) -> bool:
        return self.tier in ("small", "below_announcement")

    @property
    def tier_zh(self) -> str:
        return TIER_LABEL_ZH[self.tier]

    def cite(self, *quotes: Quote) -> None:
        self.cites.extend(q.cite(self.articles, self.rules.law) for q in quotes)

    def shorten(self, name: str, article: str, allowed: int, floor: int) -> None:
        before = self.current
        applied = max(0, min(allowed, before - floor))
        self.reductions.append(Reduction(name=name, article=article, days_allowed=allowed, floor=floor,
                                         days_before=before, days_applied=applied, days_after=before - applied))
        self.current = before - applied


def tender_period(
    amount_or_tier: int | str,
    method: Method,
    category: Category,
    on: date,
    *,
    electronic_download: bool = False,
    electronic_bid: bool = False,
    public_inspection: bool = False,
    urgent: bool = False,
    retender: Retender | None = None,
    second_or_later_solicitation: bool = False,
    article10_case: int | None = None,
    treaty_procurement: bool = False,
    publication_date: date | None = None,
    holidays: Collection[date] = frozenset(),
    makeup_workdays: Collection[date] = frozenset(),
    deadline_at_close_of_business: bool = True,
    table: ThresholdTable | None = None,
    articles: ArticleIndex | None = None,
) -> TenderPeriodResult:
    """Minimum 等標期 for ``method`` and the tier of ``amount_or_tier`` (NT$ amount, amount text, a tier
    code such as "announcement" or a tier name such as "公告金額以上未達查核金額"); ``category`` and ``on``
    (the date the tier is judged) matter only for amounts. Returns the minimum with reductions and,
    given ``publication_date``, the earliest lawful 截止投標日 (Saturdays, Sundays and ``holidays`` are
    rest days; ``makeup_workdays`` are not)."""
    opts = PeriodOptions(electronic_download, electronic_bid, public_inspection, urgent, retender,
                         second_or_later_solicitation, article10_case, treaty_procurement)
    counting = DeadlineOptions(publication_date, holidays, makeup_workdays, deadline_at_close_of_business)
    articles = articles or ArticleIndex.load()
    rules = load_tender_rules(articles)
    cat, day = _check_inputs(rules, method, category, on, opts, counting)
    tier, tier_cites = _resolve_tier(amount_or_tier, cat, day, table, articles)
    period = _Period(rules, rules.method(method), tier, articles)
    outcome = _outside_minimums(period, opts) or _minimum_period(period, opts)
    return _result(period, outcome, tier_cites, counting)


def _check_inputs(rules: TenderPeriodRules, method: str, category: object, on: object, opts: PeriodOptions,
                  counting: DeadlineOptions) -> tuple[Category, date]:
    if method not in METHODS:
        raise CalculatorError(f"招標方式須為下列之一：{'、'.join(METHODS)}；收到：{method!r}")
    cat = check_category(category)
    day = check_date(on)
    if counting.publication_date is not None:
        check_date(counting.publication_date, "公告日")
    if opts.retender is not None and opts.retender not in RETENDERS:
        raise CalculatorError(f"重行招標情形須為下列之一：{'、'.join(RETENDERS)}；收到：{opts.retender!r}")
    items = rules.article10.items
    if opts.article10_case is not None and opts.article10_case not in items:
        raise CalculatorError(f"第10條情形須為{min(items)}至{max(items)}款，收到：{opts.article10_case!r}")
    return cat, day


def _resolve_tier(amount_or_tier: int | str, category: Category, on: date, table: ThresholdTable | None,
                  articles: ArticleIndex) -> tuple[TierCode, list[QuotedCitation]]:
    """The tier named, or the tier of the amount with the citation that decides it."""
    if isinstance(amount_or_tier, str) and amount_or_tier in TIER_ORDER:
        return amount_or_tier, []
    if isinstance(amount_or_tier, str) and amount_or_tier in _TIER_BY_NAME:
        return _TIER_BY_NAME[amount_or_tier], []
    result = procurement_tier(check_amount(amount_or_tier), category, on, table=table, articles=articles)
    return result.details.tier, result.citations[:1]


def _outside_minimums(period: _Period, opts: PeriodOptions) -> _Outcome | None:
    """Periods the standard leaves to a treaty (第2條、第9條、第10條), to the agency (第6條) or to the
    agency head (第10條): no number is computed."""
    rules, rule = period.rules, period.rule
    if opts.treaty_procurement and rule.agency is None:
        period.cite(*rules.treaty.quotes)
        return _Outcome(rules.treaty.answer, None, rules.treaty.rule, None, True)
    if rule.agency is not None:
        period.cite(*rule.agency.quotes)
        return _Outcome(rule.agency.answer, None, rule.agency.rule, None, True)
    if opts.article10_case is not None:
        art10, n = rules.article10, opts.article10_case
        period.cite(art10.intro, Quote(no=art10.intro.no, text=art10.items[n]))
        return _Outcome(f"屬{art10.source}第{n}款情形，經機關首長或其授權人員核准，"
                        "等標期得視案件特性及實際需要合理訂定，未定最少日數", None,
                        f"{art10.source}第{n}款：經核准後由機關合理訂定", None, True)
    return None


def _minimum_period(period: _Period, opts: PeriodOptions) -> _Outcome:
    """The base minimum, shortened by 第9條, 第4條之1 and 第8條 in that order."""
    base, base_rule = _base_minimum(period, opts.second_or_later_solicitation)
    period.current = base
    if period.rule.article9:
        _apply_article9(period, opts)
    if opts.urgent:
        _apply_urgent(period)
    if opts.retender is not None:
        _apply_retender(period, opts.retender)
    if period.rule.minimum_only_note:
        period.notes.append(period.rules.minimum_only_note)
    period.notes.append(period.rules.closing_note)
    return _Outcome(_minimum_answer(period, base), base, base_rule, period.current, False)


def _base_minimum(period: _Period, second_or_later: bool) -> tuple[int, str]:
    rule = period.rule
    base = period.rules.base_of(rule, second_or_later)
    if base.table is not None:
        table = period.rules.tier_tables[base.table]
        item = table.tiers[period.tier]
        period.cite(table.intro, Quote(no=table.intro.no, text=item.quote))
        days, label = item.days, f"{table.source}第{item.item}款"
    else:
        days, label = base.days or 0, base.rule or ""
    period.cite(*base.quotes)
    if rule.tiers is not None and rule.tiers_note and period.tier not in rule.tiers:
        period.notes.append(rule.tiers_note.format(tier_zh=period.tier_zh))
    period.notes.extend(rule.notes)
    return days, label + base.rule_suffix


def _apply_article9(period: _Period, opts: PeriodOptions) -> None:
    """第9條 reductions in item order; each floor bounds the period right after that reduction."""
    for r in period.rules.article9:
        if opts.reduction_asked(r.when):
            period.shorten(r.name, r.source, r.days, r.floor)
            period.cite(r.quote)


def _apply_urgent(period: _Period) -> None:
    """第4條之1: 公告金額以上 and a method under 第2條至第4條; never below its floor."""
    urgent = period.rules.urgent
    if period.below:
        period.notes.append(urgent.below_note)
    elif not period.rule.urgent:
        period.notes.append(urgent.method_note)
    else:
        period.shorten(urgent.name, urgent.source, max(0, period.current - urgent.floor), urgent.floor)
        period.cite(urgent.quote)


def _apply_retender(period: _Period, case: Retender) -> None:
    """第8條: the floor by tier is reported as the minimum."""
    rt = period.rules.retender
    floor = rt.floor_below_announcement if period.below else rt.floor_announcement
    period.shorten(rt.name.format(case=case), rt.source, max(0, period.current - floor), floor)
    period.cite(rt.quote, *rt.cases[case])
    period.notes.append(rt.note)


def _minimum_answer(period: _Period, base: int) -> str:
    answer = f"{period.tier_zh}{period.rule.label}，等標期不得少於{base}日"
    if not period.reductions:
        return answer
    applied = [r for r in period.reductions if r.days_applied]
    if not applied:
        return answer + f"；所選縮短事由因下限規定無法再縮短，仍為{period.current}日"
    law = period.rules.law
    return answer + (f"；依{law}{'、'.join(r.article.replace(law, '') for r in applied)}"
                     f"縮短後最少{period.current}日")


def _result(period: _Period, outcome: _Outcome, tier_cites: list[QuotedCitation],
            counting: DeadlineOptions) -> TenderPeriodResult:
    """The result, with the earliest deadline when a publication date is given."""
    answer, deadline = outcome.answer, None
    steps: list[str] = []
    pub = counting.publication_date
    if pub is not None and outcome.minimum is not None:
        deadline, steps = earliest_deadline(
            pub, outcome.minimum, deadline_at_close_of_business=counting.deadline_at_close_of_business,
            holidays=counting.holidays, makeup_workdays=counting.makeup_workdays)
        rule_11 = period.rules.counting
        period.cite(*rule_11.quotes)
        if period.rule.opening_time:
            period.cite(rule_11.opening_time_quote)
            steps.append(rule_11.opening_time_step)
        close = "下班時間截止" if counting.deadline_at_close_of_business else "截止時間未達下班時間"
        answer += (f"；自{period.rule.start_label} {pub.isoformat()} 起算，最早截止日為 {deadline.isoformat()}"
                   f"（{close}）")
    details = TenderPeriodDetails(
        method=period.rule.method, tier=period.tier, tier_zh=period.tier_zh, base_days=outcome.base,
        base_rule=outcome.base_rule, reductions=period.reductions, minimum_days=outcome.minimum,
        agency_determined=outcome.agency, publication_date=pub,
        deadline_at_close_of_business=counting.deadline_at_close_of_business, earliest_deadline=deadline,
        counting=steps)
    return TenderPeriodResult(answer_zh=answer, citations=tier_cites + period.cites, notes=period.notes,
                              details=details)
