"""Procurement amount tier (小額 / 未達公告金額 / 公告金額以上 / 查核金額以上 / 巨額).

Boundary semantics, from the texts:
- 小額: 公告金額十分之一「以下」 (中央機關未達公告金額採購招標辦法第5條; 政府採購法第47條第3項「不得逾」).
- 未達公告金額: 「逾」公告金額十分之一 and 「未達」公告金額 (政府採購法第49條; 同辦法第2條).
- 公告金額「以上」 includes the amount itself (政府採購法第13條、第19條); 「未達」 excludes it.
- 查核金額「以上」 (政府採購法第12條); 巨額 = 「採購金額在下列金額以上者」 (投標廠商資格與特殊或巨額
  採購認定標準第8條).
The amount is the 採購金額 determined before tendering (政府採購法施行細則第6條).
"""

from __future__ import annotations

from datetime import date

from core.money import format_twd, short_twd
from core.vocab import Category, TierCode

from ._common import check_amount, check_category, check_date
from .articles import ArticleIndex
from .models import (
    TIER_LABEL_ZH,
    TIER_NAME_ZH,
    AmountDetails,
    AmountResult,
    CalculatorError,
    QuotedCitation,
    TierDetails,
    TierResult,
)
from .thresholds import ThresholdEntry, ThresholdTable

ACT = "政府採購法"
RULES = "政府採購法施行細則"
BELOW_RULES = "中央機關未達公告金額採購招標辦法"
LARGE_STD = "投標廠商資格與特殊或巨額採購認定標準"
_LARGE_ITEM = {"工程": "一、工程採購，為新台幣二億元。", "財物": "二、財物採購，為新台幣一億元。",
               "勞務": "三、勞務採購，為新台幣二千萬元。"}


def classify(amount: int, small: int, announcement: int, audit: int, large: int) -> TierCode:
    """Pure boundary logic; all arguments in NT$ whole dollars."""
    if amount >= large:
        return "large"
    if amount >= audit:
        return "audit"
    if amount >= announcement:
        return "announcement"
    if amount > small:
        return "below_announcement"
    return "small"


def tier_citations(tier: TierCode, category: Category, articles: ArticleIndex) -> list[QuotedCitation]:
    q = articles.quote
    out = [q(RULES, "6", "依採購金額於招標前認定之")]
    if tier == "small":
        out += [q(BELOW_RULES, "5", "公告金額十分之一以下採購之招標，得不經公告程序，逕洽廠商採購"),
                q(ACT, "47", "但均不得逾公告金額十分之一")]
    elif tier == "below_announcement":
        out += [q(ACT, "49", "未達公告金額之採購，其金額逾公告金額十分之一者"),
                q(BELOW_RULES, "2", "未達公告金額採購之招標，其金額逾公告金額十分之一者")]
    elif tier == "announcement":
        out += [q(ACT, "13", "機關辦理公告金額以上採購之開標、比價、議價、決標及驗收"),
                q(ACT, "19", "機關辦理公告金額以上之採購，除依第二十條及第二十二條辦理者外，應公開招標。")]
    elif tier == "audit":
        out += [q(ACT, "12", "機關辦理查核金額以上採購之開標、比價、議價、決標及驗收時"),
                q(ACT, "12", "查核金額由主管機關定之。")]
    else:
        out += [q(LARGE_STD, "8", "採購金額在下列金額以上者，為巨額採購"),
                q(LARGE_STD, "8", _LARGE_ITEM[category])]
    return out


def procurement_tier(amount: int | str, category: Category, on: date, *,
                     table: ThresholdTable | None = None,
                     articles: ArticleIndex | None = None) -> TierResult:
    """Tier of a procurement of ``amount`` NT$ (int, or text such as "250萬元") on date ``on``."""
    value = check_amount(amount)
    cat = check_category(category)
    day = check_date(on)
    table = table or ThresholdTable.load()
    articles = articles or ArticleIndex.load()
    ents: dict[str, ThresholdEntry] = {k: table.get(k, cat, day) for k in ("小額", "公告金額", "查核金額", "巨額")}
    tier = classify(value, ents["小額"].amount, ents["公告金額"].amount, ents["查核金額"].amount,
                    ents["巨額"].amount)
    tier_zh = TIER_LABEL_ZH[tier]
    ann, audit = ents["公告金額"].amount, ents["查核金額"].amount
    answer = (f"新臺幣{short_twd(value)}之{cat}採購屬「{tier_zh}」"
              f"（{day.isoformat()}適用：公告金額{short_twd(ann)}、{cat}查核金額{short_twd(audit)}、"
              f"{cat}巨額{short_twd(ents['巨額'].amount)}、小額{short_twd(ents['小額'].amount)}以下）")
    notes = ["「以上」「以下」連同本數計算，「未達」「逾」不含本數；金額恰等於公告金額者屬公告金額以上。",
             "採購金額依政府採購法施行細則第6條計算（含選購、後續擴充等預估金額），於招標前認定。"]
    if tier == "small":
        notes.append("小額採購亦屬未達公告金額之採購（例如招標期限標準第2條第2項第1款之七日）。")
    if tier in ("small", "below_announcement"):
        notes.append("依政府採購法第47條第3項，小額採購金額在地方由直轄市政府定之（不得逾公告金額十分之一），"
                     "地方未定者比照中央；本計算採中央規定，臺中市如另有規定應以其為準。")
    details = TierDetails(amount=value, amount_display=format_twd(value), category=cat, on=day, tier=tier,
                          tier_name=TIER_NAME_ZH[tier],
                          tier_zh=tier_zh, below_announcement=tier in ("small", "below_announcement"),
                          thresholds=[e.used() for e in ents.values()])
    return TierResult(answer_zh=answer, citations=tier_citations(tier, cat, articles), notes=notes,
                      details=details)


def procurement_amount(budget: int | str, *, optional_or_expansion: int | str = 0,
                       monthly_rent_indefinite_term: int | str | None = None,
                       articles: ArticleIndex | None = None) -> AmountResult:
    """採購金額 per 政府採購法施行細則第6條: ``budget`` plus 選購或後續擴充 (第3款); a lease of
    indefinite term counts 48 months of rent (第6款) and replaces ``budget`` (pass budget=0)."""
    articles = articles or ArticleIndex.load()
    q = articles.quote
    base = check_amount(budget, "預算金額")
    extra = check_amount(optional_or_expansion, "選購或後續擴充金額")
    components: list[tuple[str, int]] = []
    cites = [q(RULES, "6", "依採購金額於招標前認定之")]
    if monthly_rent_indefinite_term is not None:
        rent = check_amount(monthly_rent_indefinite_term, "每月租金", allow_zero=False)
        if base:
            raise CalculatorError("租期不確定者以每月租金之48倍認定採購金額，請勿同時提供預算金額")
        components.append(("每月租金×48（租期不確定）", rent * 48))
        cites.append(q(RULES, "6", "六、租期不確定者，以每月租金之四十八倍認定之。"))
    else:
        components.append(("預算金額", base))
    if extra:
        components.append(("預估選購或後續擴充金額", extra))
        cites.append(q(RULES, "6", "三、招標文件含有選購或後續擴充項目者，應將預估選購或擴充項目所需金額計入。"))
    total = sum(v for _, v in components)
    parts = "＋".join(f"{name}{short_twd(v)}" for name, v in components)
    answer = f"採購金額為{format_twd(total)}（{parts}）"
    return AmountResult(answer_zh=answer, citations=cites,
                        details=AmountDetails(components=components, amount=total,
                                              amount_display=format_twd(total)))
