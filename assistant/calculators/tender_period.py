"""Minimum tender period (等標期) under 招標期限標準 and the earliest lawful 截止投標日.

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
from datetime import date, timedelta
from typing import Literal, get_args

from ._common import check_amount, check_category, check_date
from .articles import ArticleIndex
from .models import (
    TIER_LABEL_ZH,
    TIER_NAME_ZH,
    TIER_ORDER,
    CalculatorError,
    Category,
    Citation,
    Reduction,
    TenderPeriodDetails,
    TenderPeriodResult,
    TierCode,
)
from .thresholds import ThresholdTable
from .tier import procurement_tier

STD = "招標期限標準"

Method = Literal[
    "公開招標",
    "選擇性招標資格審查",
    "選擇性招標邀標",
    "限制性招標公開評選",
    "公開徵求(第22條第1項第11款)",
    "公開取得書面報價或企劃書(第49條)",
    "限制性招標(未經公開評選)",
    "分段開標後續階段邀標(第42條第2項)",
]
METHODS: tuple[str, ...] = get_args(Method)

Retender = Literal["取消或暫停後6個月內重行或續行招標", "流標廢標撤銷決標或解除契約後3個月內重行招標"]
RETENDERS: tuple[str, ...] = get_args(Retender)

# tier -> (minimum days, item number, verbatim item text)
_ART2_ITEMS: dict[TierCode, tuple[int, int, str]] = {
    "small": (7, 1, "一、未達公告金額之採購：七日。"),
    "below_announcement": (7, 1, "一、未達公告金額之採購：七日。"),
    "announcement": (14, 2, "二、公告金額以上未達查核金額之採購：十四日。"),
    "audit": (21, 3, "三、查核金額以上未達巨額之採購：二十一日。"),
    "large": (28, 4, "四、巨額之採購：二十八日。"),
}
_ART3_ITEMS: dict[TierCode, tuple[int, int, str]] = {
    "small": (7, 1, "一、未達公告金額之採購：七日。"),
    "below_announcement": (7, 1, "一、未達公告金額之採購：七日。"),
    "announcement": (10, 2, "二、公告金額以上未達巨額之採購：十日。"),
    "audit": (10, 2, "二、公告金額以上未達巨額之採購：十日。"),
    "large": (14, 3, "三、巨額之採購：十四日。"),
}
_ART10_ITEMS = {
    1: "一、依本法第二十一條以預先建立之合格廠商名單，邀請符合資格之廠商投標，於辦理廠商資格審查之文件中另有載明者。",
    2: "二、公營事業為商業性轉售或用於製造產品、提供服務以供轉售目的所為之採購，基於採購案件之特性或實際需要，有縮短等標期之必要者。",
    3: "三、採購原料、物料或農礦產品，其市場行情波動不定者。",
    4: "四、採購標的屬廠商於市場普遍銷售且招標及投標文件內容簡單者。",
}
_URGENT_METHODS = {"公開招標", "選擇性招標資格審查", "選擇性招標邀標", "限制性招標公開評選",
                   "公開徵求(第22條第1項第11款)"}
_START_LABEL = {"公開招標": "刊登政府採購公報日", "選擇性招標資格審查": "刊登政府採購公報日", "選擇性招標邀標": "邀標日",
                "分段開標後續階段邀標(第42條第2項)": "邀標日"}
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


def _step(name: str, article: str, allowed: int, floor: int, before: int) -> Reduction:
    applied = max(0, min(allowed, before - floor))
    return Reduction(name=name, article=article, days_allowed=allowed, floor=floor, days_before=before,
                     days_applied=applied, days_after=before - applied)


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
    given ``publication_date``, the earliest lawful 截止投標日 (Saturdays, Sundays and ``holidays`` are rest days; ``makeup_workdays`` are not)."""
    if method not in METHODS:
        raise CalculatorError(f"招標方式須為下列之一：{'、'.join(METHODS)}；收到：{method!r}")
    cat = check_category(category)
    day = check_date(on)
    if publication_date is not None:
        check_date(publication_date, "公告日")
    if retender is not None and retender not in RETENDERS:
        raise CalculatorError(f"重行招標情形須為下列之一：{'、'.join(RETENDERS)}；收到：{retender!r}")
    if article10_case is not None and article10_case not in _ART10_ITEMS:
        raise CalculatorError(f"第10條情形須為1至4款，收到：{article10_case!r}")
    articles = articles or ArticleIndex.load()
    q = articles.quote

    tier: TierCode
    tier_citations: list[Citation] = []
    if isinstance(amount_or_tier, str) and amount_or_tier in TIER_ORDER:
        tier = amount_or_tier  # type: ignore[assignment]
    elif isinstance(amount_or_tier, str) and amount_or_tier in _TIER_BY_NAME:
        tier = _TIER_BY_NAME[amount_or_tier]
    else:
        tier_result = procurement_tier(check_amount(amount_or_tier), cat, day, table=table, articles=articles)
        tier = tier_result.details.tier
        tier_citations = tier_result.citations[:1]
    tier_zh = TIER_LABEL_ZH[tier]
    below = tier in ("small", "below_announcement")
    cites: list[Citation] = []
    notes: list[str] = []
    reductions: list[Reduction] = []

    def finish(answer: str, base: int | None, base_rule: str, minimum: int | None,
               agency: bool) -> TenderPeriodResult:
        deadline = None
        counting: list[str] = []
        if publication_date is not None and minimum is not None:
            deadline, counting = earliest_deadline(
                publication_date, minimum, deadline_at_close_of_business=deadline_at_close_of_business,
                holidays=holidays, makeup_workdays=makeup_workdays)
            cites.append(q(STD, "11", "應將公告或邀標之當日算入"))
            cites.append(q(STD, "11", "以當日下班時間為其截止投標或收件時間者，始算一日；未達下班時間者，該日不算入"))
            cites.append(q(STD, "11", "以其休息日之次日代之"))
            start_label = _START_LABEL.get(method, "公告日")
            if method in ("公開招標", "選擇性招標邀標"):
                cites.append(q("政府採購法施行細則", "49-1", "其招標文件所標示之開標時間，為等標期屆滿當日或次一上班日。"))
                counting.append("開標時間為等標期屆滿當日或次一上班日（政府採購法施行細則第49條之1）。")
            answer += (f"；自{start_label} {publication_date.isoformat()} 起算，最早截止日為 {deadline.isoformat()}"
                       f"（{'下班時間截止' if deadline_at_close_of_business else '截止時間未達下班時間'}）")
        details = TenderPeriodDetails(
            method=method, tier=tier, tier_zh=tier_zh, base_days=base, base_rule=base_rule,
            reductions=reductions, minimum_days=minimum, agency_determined=agency,
            publication_date=publication_date, deadline_at_close_of_business=deadline_at_close_of_business,
            earliest_deadline=deadline, counting=counting)
        return TenderPeriodResult(answer_zh=answer, citations=tier_citations + cites, notes=notes,
                                  details=details)

    # --- periods the standard leaves to the agency or to treaties ------------------------------
    if treaty_procurement and method != "限制性招標(未經公開評選)":
        cites.append(q(STD, "2", "除本標準或我國締結之條約或協定另有規定者外"))
        cites.append(q(STD, "9", "機關辦理採購，除我國締結之條約或協定另有規定者外"))
        return finish("條約協定採購之等標期應依我國締結之條約或協定規定辦理，本計算不涵蓋，請查閱該條約協定",
                      None, "條約或協定另有規定者從其規定（招標期限標準第2條第2項、第9條、第10條）", None, True)
    if method == "限制性招標(未經公開評選)":
        cites.append(q(STD, "6", "機關辦理限制性招標，其未經公開評選或公開徵求程序者，等標期由機關視需要合理訂定之。"))
        return finish("限制性招標未經公開評選或公開徵求程序者，招標期限標準未定最少日數，由機關視需要合理訂定（第6條）",
                      None, "招標期限標準第6條：由機關視需要合理訂定", None, True)
    if article10_case is not None:
        cites.append(q(STD, "10", "經機關首長或其授權人員核准，其等標期得視案件之特性及實際需要合理訂定之"))
        cites.append(q(STD, "10", _ART10_ITEMS[article10_case]))
        return finish(f"屬招標期限標準第10條第{article10_case}款情形，經機關首長或其授權人員核准，"
                      "等標期得視案件特性及實際需要合理訂定，未定最少日數", None,
                      f"招標期限標準第10條第{article10_case}款：經核准後由機關合理訂定", None, True)

    # --- base minimum ----------------------------------------------------------------------------
    base: int
    if method in ("公開招標", "選擇性招標邀標", "限制性招標公開評選"):
        base, item_no, item = _ART2_ITEMS[tier]
        cites.append(q(STD, "2", "前項等標期，除本標準或我國締結之條約或協定另有規定者外，不得少於下列期限"))
        cites.append(q(STD, "2", item))
        base_rule = f"招標期限標準第2條第2項第{item_no}款"
        if method == "選擇性招標邀標":
            cites.append(q(STD, "3", "其自邀標日起至截止投標日止之等標期，準用前條第二項規定。"))
            base_rule += "（依第3條第3項準用）"
        elif method == "限制性招標公開評選":
            cites.append(q(STD, "4", "其自公告日起至截止收件日止之等標期，準用第二條規定。"))
            base_rule += "（依第4條第1項準用）"
    elif method == "選擇性招標資格審查":
        base, item_no, item = _ART3_ITEMS[tier]
        cites.append(q(STD, "3", "前項等標期，除本標準或我國締結之條約或協定另有規定者外，不得少於下列期限"))
        cites.append(q(STD, "3", item))
        base_rule = f"招標期限標準第3條第2項第{item_no}款"
    elif method == "公開徵求(第22條第1項第11款)":
        if second_or_later_solicitation:
            base = 5
            cites.append(q(STD, "4", "第二次以後公開徵求之期限，由機關視需要合理訂定之。但不得少於五日。"))
            base_rule = "招標期限標準第4條第2項後段（第二次以後公開徵求，不得少於5日）"
        else:
            base = 10
            cites.append(q(STD, "4", "其自公告日起至截止收件日止之等標期，應訂定十日以上之合理期限"))
            base_rule = "招標期限標準第4條第2項（10日以上）"
    elif method == "公開取得書面報價或企劃書(第49條)":
        base = 5
        cites.append(q(STD, "5", "其自公告日起至截止收件日止之等標期，應訂定五日以上之合理期限。"))
        base_rule = "招標期限標準第5條（5日以上）"
        if not below or tier == "small":
            notes.append("政府採購法第49條之公開取得書面報價或企劃書，適用於未達公告金額而逾公告金額十分之一之採購；"
                         f"本案屬{tier_zh}，請確認招標方式。")
    else:  # 分段開標後續階段邀標
        base = 7
        cites.append(q(STD, "2", "依本法第四十二條第二項規定辦理後續階段之邀標，其等標期由機關視需要合理訂定之。但不得少於七日。"))
        base_rule = "招標期限標準第2條第3項（不得少於7日）"
        notes.append("分段開標後續階段之邀標不再領標，本計算不適用第9條之縮短，以7日為下限。")

    current = base
    # --- 第9條 reductions, in item order ---------------------------------------------------------
    if method != "分段開標後續階段邀標(第42條第2項)":
        if public_inspection:
            r = _step("招標前辦理招標文件稿公開閱覽且內容未經重大改變，縮短5日", "招標期限標準第9條第1款", 5, 10, current)
            reductions.append(r)
            current = r.days_after
            cites.append(q(STD, "9", "於招標前將招標文件稿辦理公開閱覽且招標文件內容未經重大改變者，等標期得縮短五日。但縮短後不得少於十日。"))
        if electronic_download:
            r = _step("辦理電子領標並於招標公告敘明，縮短3日", "招標期限標準第9條第2款", 3, 5, current)
            reductions.append(r)
            current = r.days_after
            cites.append(q(STD, "9", "依本法第九十三條之一規定辦理電子領標並於招標公告敘明者，等標期得縮短三日。但縮短後不得少於五日。"))
        if electronic_bid:
            r = _step("辦理電子投標並於招標公告或招標文件敘明，縮短2日", "招標期限標準第9條第3款", 2, 5, current)
            reductions.append(r)
            current = r.days_after
            cites.append(q(STD, "9", "依本法第九十三條之一規定辦理電子投標並於招標公告或招標文件敘明者，等標期得縮短二日。但縮短後不得少於五日。"))
    # --- 第4條之1 urgent -------------------------------------------------------------------------
    if urgent:
        if below:
            notes.append("招標期限標準第4條之1之緊急縮短限於公告金額以上之採購，本案未達公告金額，不適用。")
        elif method not in _URGENT_METHODS:
            notes.append("招標期限標準第4條之1之緊急縮短限於依第2條至第4條所定期限，本招標方式不適用。")
        else:
            r = _step("因應緊急情事縮短（縮短後不得少於10日，併第9條縮短者亦同）", "招標期限標準第4條之1",
                      max(0, current - 10), 10, current)
            reductions.append(r)
            current = r.days_after
            cites.append(q(STD, "4-1", "因應緊急情事，依第二條至第四條所定期限辦理不符合實際需要者，等標期得予縮短。但縮短後不得少於十日；其併第九條規定情形縮短者，亦同。"))
    # --- 第8條 re-tendering ------------------------------------------------------------------------
    if retender is not None:
        floor = 3 if below else 7
        r = _step(f"{retender}且招標文件內容未經重大改變，依原定期限酌予縮短", "招標期限標準第8條",
                  max(0, current - floor), floor, current)
        reductions.append(r)
        current = r.days_after
        cites.append(q(STD, "8", "重行或續行招標之等標期，未達公告金額之採購不得少於三日，公告金額以上之採購不得少於七日。"))
        if retender.startswith("流標"):
            cites.append(q(STD, "8", "並於其後三個月內重行招標且招標文件內容未經重大改變者，準用前項之規定。"))
        notes.append("第8條之縮短係「考量取消或暫停前已公告或邀標之日數，依原定期限酌予縮短」，所列為法定下限。")
    if base_rule.startswith("招標期限標準第2條") or base_rule.startswith("招標期限標準第3條"):
        notes.append("第2條、第3條所定為最少日數；等標期應視案件性質與廠商準備及遞送文件所需時間合理訂定。")
    notes.append("招標文件於截止前變更或補充者，應視需要延長等標期（招標期限標準第7條）。")

    label = {"公開招標": "辦理公開招標", "選擇性招標資格審查": "辦理選擇性招標之資格審查",
             "選擇性招標邀標": "辦理選擇性招標邀標", "限制性招標公開評選": "辦理公開評選",
             "公開徵求(第22條第1項第11款)": "辦理公開徵求", "公開取得書面報價或企劃書(第49條)": "公開取得書面報價或企劃書",
             "分段開標後續階段邀標(第42條第2項)": "辦理分段開標後續階段邀標"}[method]
    answer = f"{tier_zh}{label}，等標期不得少於{base}日"
    if reductions:
        applied = [r for r in reductions if r.days_applied]
        if applied:
            answer += f"；依招標期限標準{'、'.join(r.article.replace('招標期限標準', '') for r in applied)}縮短後最少{current}日"
        else:
            answer += f"；所選縮短事由因下限規定無法再縮短，仍為{current}日"
    return finish(answer, base, base_rule, current, False)

