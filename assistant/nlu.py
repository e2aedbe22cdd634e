"""Question understanding without an LLM: the facts a question states, extracted exactly.

Amounts (250萬, 新臺幣2,500,000元, 1.5億), procurement category (工程/財物/勞務 and everyday words
for them), dates (ISO and ROC), case numbers, article references, tender-method hints (電子領標,
公開閱覽, 緊急) and the intent the planner routes on.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from assistant.calculators import ThresholdTable, procurement_tier
from core.dates import parse_date
from core.money import parse_amount
from core.refs import parse_article_ref
from core.text import normalize_query
from core.vocab import Category, TierCode

# Chinese numerals as written in amounts, common and financial (大寫) forms: 三千五百元, 壹億伍仟萬元.
_CN_NUM = "一二三四五六七八九十百千兩零〇壹貳參叁肆伍陸柒捌玖拾佰仟"
_AMOUNT = re.compile(
    r"(?:新[臺台]幣|NT\$|NTD|\$)?\s*"
    r"(?:\d[\d,]*(?:\.\d+)?\s*(?:億|千萬|百萬|萬|千)(?:\s*\d[\d,]*(?:\.\d+)?\s*(?:千萬|百萬|萬|千|百|元))*\s*(?:元|塊)?"
    r"|\d[\d,]*(?:\.\d+)?\s*(?:元|塊)|\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*元?|\d{4,}\s*元"
    rf"|(?:[{_CN_NUM}]+(?:億|萬)+)+[{_CN_NUM}]*(?:元)?|[{_CN_NUM}]*[十百千拾佰仟][{_CN_NUM}]*元)"
)
_CATEGORY_WORDS: list[tuple[Category, re.Pattern[str]]] = [
    ("工程", re.compile(r"工程|營繕|修繕工程|裝修|整修|改善工程|新建|土木|建築")),
    ("勞務", re.compile(r"勞務|委託|服務|委外|顧問|規劃|設計|清潔|保全|維護|訓練|活動|研究|資訊服務|派遣")),
    # 政府採購法第7條第2項: 財物 are 物品、材料、設備、機具與其他動產 (a vehicle, not a 停車場 or 車站)
    ("財物", re.compile(r"財物|購買|採買|買|租賃|租|設備|物品|電腦|用品|車輛|車(?![場站道位庫])|器材|機具|家具")),
]
_CASE_NO = re.compile(r"(?:案號|標案編號|案件編號)[:：\s]*([A-Za-z0-9][A-Za-z0-9-]{3,30})|\b([A-Z]{1,4}-?\d{2,3}-[A-Z0-9-]*\d{2,5})\b",
                      re.IGNORECASE)
_DATE = re.compile(
    r"(?:民國|中華民國)?\s*\d{2,3}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|(?<!\d)\d{2,3}[./]\d{1,2}[./]\d{1,2}(?!\d)")

Intent = Literal["tier", "tender_period", "guarantee", "case", "failed_tenders", "vendor", "retention",
                 "building_safety", "draft", "seed_teacher", "regulation"]


# Tier phrases as the regulations write them. A phrase that names a range (「查核金額以上未達巨額」) is read
# as one phrase: the longest phrase found wins, so 「未達巨額」 never reads as 巨額.
_TIER_WORDS: list[tuple[TierCode, re.Pattern[str]]] = [
    ("announcement", re.compile(r"公告金額以上未達查核金額")),
    ("audit", re.compile(r"查核金額以上未達巨額")),
    ("below_announcement", re.compile(r"未達公告金額")),
    ("large", re.compile(r"巨額")),
    ("audit", re.compile(r"查核金額以上")),
    ("announcement", re.compile(r"公告金額以上")),
    ("small", re.compile(r"小額|公告金額十分之一以下")),
]


def tier_word(text: str) -> TierCode | None:
    """The tier a question names: the longest tier phrase in it (the first listed on a tie)."""
    best: tuple[int, int] | None = None  # (-length, table order)
    code: TierCode | None = None
    for order, (tier, pat) in enumerate(_TIER_WORDS):
        m = pat.search(text)
        if m and (best is None or (-len(m.group(0)), order) < best):
            best, code = (-len(m.group(0)), order), tier
    return code


_METHODS: list[tuple[str, re.Pattern[str]]] = [
    ("選擇性招標資格審查", re.compile(r"選擇性招標.*(?:資格(?:預先)?(?:預)?審|預審)|資格(?:預先)?審查.*選擇性")),
    ("公開取得書面報價或企劃書(第49條)", re.compile(r"(?:公開(?:徵求|取得)).*(?:書面)?報價|企劃書|第49條|四十九條")),
    ("公開徵求(第22條第1項第11款)", re.compile(r"公開徵求.*(?:房地產|勘選)|指定地區採購房地產")),
    ("限制性招標公開評選", re.compile(r"公開評選|(?:專業|技術|資訊|社會福利)服務.*評選")),
]
_RETENDER = re.compile(r"(?:流標|廢標|撤銷決標|解除契約).{0,12}(?:重新|重行|再)(?:招標|公告)|重新招標|重行招標")
_EXPANSION = re.compile(r"(?:後續擴充|選購|擴充)[^\d一二三四五六七八九十]{0,6}")
_MONTHLY_RENT = re.compile(r"(?:每月|月租金?|租金每月)")
# 施行細則第6條第6款「租期不確定者」, as staff say it: 租期還不確定, 沒有約定租期, 不定期
_INDEFINITE = re.compile(r"租期[還尚仍都也]?(?:不確定|未確定|沒確定|未定|沒定|不定)|(?:沒有|沒|未|無|不)(?:約定|訂定|確定|定)?租期"
                         r"|不定期")


@dataclass
class Understanding:
    text: str
    amounts: list[int] = field(default_factory=list)
    category: Category | None = None
    dates: list[date] = field(default_factory=list)
    case_numbers: list[str] = field(default_factory=list)
    refs: list[object] = field(default_factory=list)
    electronic_download: bool = False
    electronic_bid: bool = False
    public_inspection: bool = False
    urgent: bool = False
    tier_word: str | None = None
    method: str | None = None
    retender: bool = False
    expansion: int | None = None  # 後續擴充 / 選購 amount (施行細則第6條第3款)
    monthly_rent: int | None = None  # 租期不確定 monthly rent (施行細則第6條第6款)
    intents: list[str] = field(default_factory=list)
    # the conversation's last answer computed a figure and this turn only swaps what it is about
    # (「保固保證金呢？」 after the bid bond): the calculation frame is inherited
    calc_frame: bool = False

    @property
    def amount(self) -> int | None:
        return self.amounts[0] if self.amounts else None


def extract_amounts(text: str) -> list[int]:
    out: list[int] = []
    for m in _AMOUNT.finditer(text):
        raw = m.group(0).strip()
        if re.fullmatch(r"\d{2,3}", raw):
            continue
        try:
            value = parse_amount(raw.replace("塊", "元"))
        except ValueError:
            continue
        value += _colloquial_tail(raw, text[m.end():])
        if value > 0:
            out.append(value)
    return out


# 「2萬5」「1億2」「3千5」: one digit after the unit, with no unit of its own, is the next lower place
_NEXT_PLACE = {"億": 10_000_000, "萬": 1_000, "千": 100}
_TAIL = re.compile(r"\d(?![\d,.]|\s*(?:億|萬|千|百|元|塊|年|月|日|天|人|%|％|分|個|次|家|件|層|樓|小時))")


def _colloquial_tail(raw: str, rest: str) -> int:
    unit = raw[-1:]
    m = _TAIL.match(rest)
    return int(m.group(0)) * _NEXT_PLACE[unit] if unit in _NEXT_PLACE and m else 0


def extract_category(text: str) -> Category | None:
    for cat, _pat in _CATEGORY_WORDS:
        if re.search(rf"(?<![非不]){cat}", text):
            return cat
    for cat, pat in _CATEGORY_WORDS:
        if pat.search(text):
            return cat
    return None


def extract_dates(text: str) -> list[date]:
    out = []
    for m in _DATE.finditer(text):
        try:
            d = parse_date(m.group(0))
        except ValueError:
            continue
        if d is not None:
            out.append(d)
    return out


_INTENT_RULES: list[tuple[Intent, re.Pattern[str]]] = [
    ("draft", re.compile(r"(?:擬|起草|草擬|產生|寫|做|製作)(?:一[份個篇])?.{0,24}?(?:投標須知|招標公告|函(?!釋)|簽(?!約|名|收)|公文)|草稿")),
    ("tender_period", re.compile(r"等標期|公告(?:幾|多少|多久)|(?:幾|多少)天|截止投標|招標期限|多久才能開標")),
    ("guarantee", re.compile(r"押標金|保證金|履約保證|保固|差額保證|擔保")),
    ("tier", re.compile(r"級距|分級|哪一級|哪個級|什麼等級|屬於(?:哪|什麼)|公告金額|查核金額|巨額|小額|未達公告|採購金額")),
    ("failed_tenders", re.compile(r"(?:流標|廢標).*(?:統計|比率|率|原因分析|幾件|多少件|報表)|(?:統計|分析).*(?:流標|廢標)")),
    ("vendor", re.compile(r"停權|刊登.*公報|拒絕往來|統一編號|統編|廠商.*(?:可以投標|能不能投標|有沒有被)")),
    ("retention", re.compile(r"保存年限|保存多久|留多久|要存幾年|分類號")),
    ("building_safety", re.compile(r"(?i)AED.*(?:到期|檢查狀況|哪幾台|清單|逾期)|演練紀錄|上次演練|消防.*申報.*(?:到期|狀況)|大樓.*安全狀況")),
    ("seed_teacher", re.compile(r"種子教師")),
    ("case", re.compile(r"案號|這個案子|本案")),
]


# how a question asks which tier an amount falls in (「算不算查核金額以上」, 「屬於哪一級」)
_ASKS_TIER = re.compile(r"級距|分級|哪一級|哪個級|什麼等級|屬於|算不算|算是|是不是|是否(?:為|屬|達)|有沒有(?:達|超過)|門檻")


def asks_tier(u: Understanding) -> bool:
    """The tier itself is asked, not only named to describe the case (「公告金額以上的財物公開招標，等標期
    要抓幾天？」 asks a period; the tier it names supports the answer rather than leading it)."""
    if "tier" not in u.intents:
        return False
    return not set(u.intents) & {"tender_period", "guarantee"} or bool(_ASKS_TIER.search(u.text))


# how a question asks for a guarantee's figure (「押標金上限多少」, 「保證金要收幾成」, 「怎麼算」); without one,
# and without the case's amount in the question, 保證金 names a rule's subject (「保固保證金可以用履約保證金
#抵嗎？」), and the calculator does not fire on an amount inherited from earlier turns
_ASKS_FIGURE = re.compile(r"多少|幾|上限|最多|最高|最低|額度|計算|算|百分之|比例|成數")


def asks_guarantee_figure(u: Understanding) -> bool:
    """The guarantee calculator answers this question: it asks a figure, states the case's amount, or
    inherits the last turn's calculation (``calc_frame``)."""
    return "guarantee" in u.intents and (u.calc_frame or bool(_ASKS_FIGURE.search(u.text) or extract_amounts(u.text)))


def _amount_after(pattern: re.Pattern[str], text: str) -> int | None:
    m = pattern.search(text)
    if not m:
        return None
    found = extract_amounts(text[m.end():m.end() + 20])
    return found[0] if found else None


def understand(question: str, vocabulary: Collection[str] = frozenset()) -> Understanding:
    """The facts ``question`` states. Known typos are fixed only against the corpus ``vocabulary``
    (knowledge.thesaurus.correct_typos); without one the question is taken as typed."""
    from knowledge.thesaurus import correct_typos

    q = correct_typos(normalize_query(question), vocabulary)
    u = Understanding(text=q)
    u.amounts = extract_amounts(q)
    u.expansion = _amount_after(_EXPANSION, q)
    if _INDEFINITE.search(q):
        u.monthly_rent = _amount_after(_MONTHLY_RENT, q)
    if u.expansion is not None and u.amounts and u.amounts[0] == u.expansion and len(u.amounts) > 1:
        u.amounts = [u.amounts[1], *u.amounts[2:]]
    u.tier_word = tier_word(q)
    u.method = next((m for m, pat in _METHODS if pat.search(q)), None)
    u.retender = bool(_RETENDER.search(q))
    u.category = extract_category(q)
    u.dates = extract_dates(q)
    u.case_numbers = [(m.group(1) or m.group(2)).upper() for m in _CASE_NO.finditer(q)
                      if re.search(r"\d", m.group(1) or m.group(2))]
    u.refs = list(parse_article_ref(q))
    u.electronic_download = bool(re.search(r"電子領標", q))
    u.electronic_bid = bool(re.search(r"電子投標", q))
    u.public_inspection = bool(re.search(r"公開閱覽", q))
    u.urgent = bool(re.search(r"緊急|急件", q))
    for intent, pat in _INTENT_RULES:
        if pat.search(q):
            u.intents.append(intent)
    if u.case_numbers and "case" not in u.intents:
        u.intents.append("case")
    u.intents.append("regulation")
    return u


def amount_tier_expander(on: date | None = None, thresholds: ThresholdTable | None = None):
    """Retrieval expander: an amount in the question -> the statutory name of its tier, which is
    what the regulations say instead of numbers (「公告金額以上未達查核金額」)."""

    def expand(query: str) -> str:
        amounts = extract_amounts(query)
        if not amounts:
            return ""
        cat = extract_category(query) or "財物"
        try:
            r = procurement_tier(amounts[0], cat, on or date.today(), table=thresholds)
        except ValueError:
            return ""
        name = r.details.tier_name
        extra = {"小額": "小額採購 公告金額十分之一以下 未達公告金額",
                 "未達公告金額": "未達公告金額 逾公告金額十分之一"}.get(name, name)
        return f"{extra} 採購"

    return expand
