"""Deterministic generator of the 範例 (sample) records dataset.

    python -m knowledge.records.sample OUT_DIR

Everything here is invented for demonstration and tests: case names start with 「（範例）」, vendor names
start with 「範例」, people are masked fictional names with example.org contacts, and every table carries
``sample = 是``. 統一編號 are synthetic numbers that merely pass the checksum (not looked up). Unit names
are illustrative, not the Secretariat's official organisation chart. The cause taxonomy (causes.csv) is
the project's reference vocabulary, not sample data.

The output is a pure function of ``SEED`` and ``REFERENCE_DATE`` (no clock, no environment), so the
committed files under knowledge/data/sample_records/ are reproduced byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from .service import add_months
from .taxid import complete_tax_id
from .vocab import TAICHUNG_DISTRICTS

SEED = 20261127
REFERENCE_DATE = date(2026, 11, 20)
"""「Today」 of the sample world: no event is dated after it."""
START_DATE = date(2022, 1, 3)
AGENCY = "臺中市政府秘書處"
UNITS = ("綜合企劃科", "文書科", "事務科", "採購管理科", "出納科", "公共關係科")

SAMPLE_FILES: tuple[tuple[str, str], ...] = (
    ("causes", "causes.csv"), ("vendors", "vendors.csv"), ("suspensions", "suspensions.csv"),
    ("cases", "cases.csv"), ("events", "events.csv"), ("consultations", "consultations.json"),
    ("seed_teachers", "seed_teachers.csv"), ("aeds", "aeds.csv"), ("drills", "drills.csv"),
    ("inspections", "inspections.csv"), ("retention", "retention.csv"),
)
"""(table, file name) in import order."""

YES, NO = "是", "否"

# --- cause taxonomy (reference data) -------------------------------------------------------------
CAUSES: tuple[tuple[str, str, str, str, str], ...] = (
    ("NO_BID", "無廠商投標", "流標", "政府採購法第48條第1項", "截止投標時無任何廠商投標"),
    ("UNDER_3", "投標廠商未達三家", "流標", "政府採購法第48條第1項；政府採購法施行細則第55條",
     "公開招標第一次開標未滿三家合格廠商投標；第二次招標得不受三家限制（第48條第2項）"),
    ("NQ_QUAL", "無合格標（資格不符）", "無合格標", "政府採購法第50條第1項",
     "投標廠商資格文件不符招標文件規定"),
    ("NQ_SPEC", "無合格標（規格不符）", "無合格標", "政府採購法第50條第1項",
     "投標標的規格不符招標文件規定"),
    ("OVER_BASE", "超過底價無法減價", "價格", "政府採購法第53條", "最低標價超過底價，減價及比減價格後仍超過底價"),
    ("NO_REDUCE", "廠商均不願減價", "價格", "政府採購法第53條", "合格廠商均不同意減價或比減價格"),
    ("BUDGET", "預算不足", "機關因素", "", "標價超過預算數額或預算未獲支應"),
    ("NEED_CHANGE", "需求變更", "機關因素", "政府採購法第48條第1項第7款", "採購計畫變更或取消採購"),
    ("DOC_DEFECT", "招標文件疏漏", "機關因素", "政府採購法第48條第1項第1款", "招標文件須變更或補充"),
    ("PROTEST", "異議或申訴成立", "爭議", "政府採購法第48條第1項第3款至第5款；第75條；第76條",
     "廠商異議或申訴有理由，機關依法另為處置"),
    ("OTHER", "其他", "其他", "", "其他或原因不明"),
)
_FLOW_CAUSES = (("NO_BID", 30), ("UNDER_3", 70))
_VOID_CAUSES = (("NQ_QUAL", 16), ("NQ_SPEC", 14), ("OVER_BASE", 22), ("NO_REDUCE", 10), ("BUDGET", 8),
                ("NEED_CHANGE", 8), ("DOC_DEFECT", 10), ("PROTEST", 6), ("OTHER", 6))

_ITEMS: dict[str, tuple[str, ...]] = {
    "工程": ("市政大樓空調系統改善工程", "辦公廳舍廁所整修工程", "屋頂防水隔熱改善工程", "地下停車場照明改善工程",
            "消防設備更新工程", "電梯汰換工程", "檔案庫房溫濕度控制改善工程", "無障礙設施改善工程"),
    "財物": ("公務用個人電腦採購", "多功能事務機採購", "辦公桌椅採購", "AED設備採購", "會議室視訊設備採購",
            "公文用紙及文具採購", "檔案庫房除濕機採購", "公務車輛採購", "不斷電系統採購", "密集式檔案架採購"),
    "勞務": ("市政大樓清潔維護勞務", "駐衛保全服務", "公文交換運送服務", "檔案數位化掃描服務", "市政活動委託規劃執行",
            "機電設備維護保養", "採購人員教育訓練委託辦理", "植栽維護勞務", "電梯保養服務", "消防安全設備檢修申報委託",
            "檔案清查及裝訂勞務", "公務車輛租賃"),
}
# (share, min, max) of 採購金額 tiers in NT$: 小額(<=15萬), 未達公告, 公告~1千萬, 1千萬~查核, 查核以上
_TIERS = ((30, 20_000, 150_000), (40, 150_001, 1_499_999), (20, 1_500_000, 9_999_999),
          (8, 10_000_000, 49_999_999), (2, 50_000_000, 120_000_000))

_VENDOR_WORDS = ("晨光", "青松", "大樹", "星河", "雲海", "藍鵲", "山嵐", "竹林", "白鷺", "楓葉", "松鼠", "海風",
                 "月影", "石橋", "清泉", "麥田", "燈塔", "紙鶴", "木棉", "飛魚")
_VENDOR_TRADES = (("資訊", "財物"), ("營造", "工程"), ("清潔", "勞務"), ("保全", "勞務"), ("文具", "財物"),
                  ("機電", "工程"), ("印刷", "勞務"), ("顧問", "勞務"), ("科技", "財物"), ("水電", "工程"))

_SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高"
_GIVEN = "志明淑芬家豪雅婷俊傑怡君建宏佩珊宗翰美玲文彬惠如冠宇秀英"
_EXPERTISE = ("招標文件撰擬", "最有利標評選", "底價訂定", "履約管理", "驗收實務", "採購爭議處理", "共同供應契約",
              "工程採購", "勞務採購", "政府電子採購網操作", "小額採購", "限制性招標")


@dataclass
class _Data:
    vendors: list[dict[str, Any]] = field(default_factory=list)
    suspensions: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    consultations: list[dict[str, Any]] = field(default_factory=list)
    teachers: list[dict[str, Any]] = field(default_factory=list)
    aeds: list[dict[str, Any]] = field(default_factory=list)
    drills: list[dict[str, Any]] = field(default_factory=list)
    inspections: list[dict[str, Any]] = field(default_factory=list)
    retention: list[dict[str, Any]] = field(default_factory=list)


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _workday(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def _iso(d: date | None) -> str:
    return d.isoformat() if d else ""


# --- vendors --------------------------------------------------------------------------------------
def _vendors(rng: random.Random, data: _Data) -> None:
    used: set[str] = set()
    for i in range(60):
        word = _VENDOR_WORDS[i % len(_VENDOR_WORDS)]
        trade, _cat = _VENDOR_TRADES[(i * 7 + i // len(_VENDOR_WORDS)) % len(_VENDOR_TRADES)]
        form = "股份有限公司" if i % 3 == 0 else "有限公司"
        while True:
            tax_id = complete_tax_id(f"{rng.randint(0, 9_999_999):07d}")
            if tax_id not in used:
                used.add(tax_id)
                break
        data.vendors.append({"tax_id": tax_id, "name": f"範例{word}{trade}{form}", "sample": YES})
    # suspensions: 第101條 ground -> period of 第103條第1項
    grounds = ((7, 50), (8, 15), (10, 20), (12, 15), (4, 6), (2, 4), (13, 3))
    for n, v in enumerate(rng.sample(data.vendors, 14)):
        item = int(_pick(rng, [(str(g), w) for g, w in grounds]))
        if item in (1, 2, 3, 4, 5, 15):
            months = 36
        elif item in (13, 14):
            months = 12
        else:
            months = rng.choice((3, 6, 12))
        # half of them start recently enough to still be active on REFERENCE_DATE
        if n % 2 == 0:
            start = _day(rng, REFERENCE_DATE - timedelta(days=min(months * 30 - 10, 300)), REFERENCE_DATE)
        else:
            start = _day(rng, date(2022, 2, 1), REFERENCE_DATE - timedelta(days=months * 31 + 5))
        end = add_months(start, months) - timedelta(days=1)
        data.suspensions.append({"tax_id": v["tax_id"], "start_on": _iso(start), "end_on": _iso(end),
                                 "ground_item": item, "case_ref": f"範例公報第{start.year - 1911}-{n + 1:03d}號",
                                 "note": "範例資料"})


# --- cases and tender events -----------------------------------------------------------------------
def _tier_amount(rng: random.Random) -> int:
    share, lo, hi = rng.choices(_TIERS, weights=[t[0] for t in _TIERS])[0]
    step = 1_000 if hi < 1_500_000 else 10_000
    return max(lo, (rng.randint(lo, hi) // step) * step)


def _method(rng: random.Random, amount: int, category: str) -> str:
    if amount <= 150_000:
        return "共同供應契約" if category == "財物" and rng.random() < 0.15 else "小額採購"
    if amount < 1_500_000:
        r = rng.random()
        if r < 0.12:
            return "限制性招標"
        return "公開取得企劃書" if category == "勞務" and r < 0.35 else "公開取得報價單"
    if category == "財物" and rng.random() < 0.08:
        return "共同供應契約"
    r = rng.random()
    return "限制性招標" if r < 0.12 else "選擇性招標" if r < 0.17 else "公開招標"


def _award_basis(rng: random.Random, method: str, category: str, amount: int) -> str:
    if method in ("小額採購", "共同供應契約"):
        return "最低標"
    if category == "勞務" and (method == "公開取得企劃書" or rng.random() < 0.55):
        return "準用最有利標" if amount < 1_500_000 else "最有利標"
    return "最低標"


def _tender_days(amount: int, method: str) -> int:
    # 等標期 floors of 招標期限標準第2條/第5條, plus some margin
    if method in ("公開取得報價單", "公開取得企劃書"):
        return 7
    if amount < 1_500_000:
        return 10
    if amount < 50_000_000:
        return 14
    return 21


def _cases(rng: random.Random, data: _Data) -> None:
    seq: dict[int, int] = {}
    days = (REFERENCE_DATE - START_DATE).days
    announce_dates = sorted(_workday(START_DATE + timedelta(days=rng.randint(0, days - 5))) for _ in range(392))
    plans = [None] * 8  # 籌備中: not yet announced
    for announced in [*announce_dates, *plans]:
        category = rng.choices(("財物", "勞務", "工程"), weights=(40, 45, 15))[0]
        amount = _tier_amount(rng)
        if category == "工程" and amount < 150_000:
            amount *= 4
        method = _method(rng, amount, category)
        basis = _award_basis(rng, method, category, amount)
        unit = rng.choice(UNITS)
        ref = announced or REFERENCE_DATE
        roc = ref.year - 1911
        seq[roc] = seq.get(roc, 0) + 1
        case_no = f"{roc}S{seq[roc]:04d}"
        name = f"（範例）{roc}年度{rng.choice(_ITEMS[category])}"
        budget = amount if rng.random() < 0.7 else (amount * rng.randint(101, 110) // 100) // 1000 * 1000
        case: dict[str, Any] = {
            "case_no": case_no, "name": name, "agency": AGENCY, "unit": unit, "category": category,
            "budget": budget, "amount": amount, "method": method, "award_basis": basis, "status": "籌備中",
            "announced_on": "", "opened_on": "", "awarded_on": "", "award_amount": "", "vendor_tax_id": "",
            "sample": YES,
        }
        if announced is not None:
            _simulate(rng, case, announced, data)
        data.cases.append(case)


def _simulate(rng: random.Random, case: dict[str, Any], announced: date, data: _Data) -> None:
    amount, method = case["amount"], case["method"]
    ev = data.events
    no = case["case_no"]
    case["announced_on"] = _iso(announced)
    if method in ("小額採購", "共同供應契約"):
        awarded = min(announced + timedelta(days=rng.randint(1, 10)), REFERENCE_DATE)
        _award(rng, case, awarded, data)
        return
    tender_days = _tender_days(amount, method)
    posted = announced
    for round_no in range(1, 4):
        opened = _workday(posted + timedelta(days=tender_days + rng.randint(0, 7)))
        note = f"第{round_no}次招標" if round_no > 1 else ""
        if method == "限制性招標":
            note = "邀請廠商比價或議價" + (f"（{note}）" if note else "")
        ev.append({"case_no": no, "event_on": _iso(posted), "kind": "公告" if round_no == 1 else "重新招標",
                   "cause_code": "", "note": note})
        if opened > REFERENCE_DATE:
            case["status"] = "招標中"
            return
        case["opened_on"] = _iso(opened)
        ev.append({"case_no": no, "event_on": _iso(opened), "kind": "開標", "cause_code": "", "note": ""})
        p_fail = {1: 0.17, 2: 0.10, 3: 0.05}[round_no] if method in ("公開招標", "選擇性招標") else 0.06
        if rng.random() >= p_fail:
            awarded = opened if case["award_basis"] == "最低標" else _workday(opened + timedelta(days=rng.randint(3, 14)))
            if awarded > REFERENCE_DATE:
                case["status"] = "招標中"
                return
            ev.append({"case_no": no, "event_on": _iso(awarded), "kind": "決標", "cause_code": "", "note": ""})
            _award(rng, case, awarded, data)
            return
        flow = method in ("公開招標", "選擇性招標") and rng.random() < 0.55
        if flow:
            cause = _pick(rng, _FLOW_CAUSES) if round_no == 1 else "NO_BID"
            kind, failed_on = "流標", opened
        else:
            cause = _pick(rng, _VOID_CAUSES)
            kind = "廢標"
            failed_on = min(_workday(opened + timedelta(days=rng.randint(0, 5))), REFERENCE_DATE)
        ev.append({"case_no": no, "event_on": _iso(failed_on), "kind": kind, "cause_code": cause,
                   "note": f"第{round_no}次招標{kind}"})
        give_up = cause == "NEED_CHANGE" or round_no == 3 or rng.random() < 0.1
        repost = _workday(failed_on + timedelta(days=rng.randint(7, 21)))
        if give_up or repost > REFERENCE_DATE:
            case["status"] = kind
            return
        posted = repost


def _award(rng: random.Random, case: dict[str, Any], awarded: date, data: _Data) -> None:
    amount = case["amount"]
    ratio = rng.randint(80, 99) if case["award_basis"] == "最低標" else rng.randint(90, 100)
    case["awarded_on"] = _iso(awarded)
    case["award_amount"] = max(1, amount * ratio // 100 // 100 * 100)
    case["vendor_tax_id"] = rng.choice(data.vendors)["tax_id"]
    age = (REFERENCE_DATE - awarded).days
    duration = 30 if amount <= 150_000 else rng.choice((90, 180, 365))
    case["status"] = "已決標" if age < 14 else "履約中" if age < duration else "已結案"


# --- hotline consultations -----------------------------------------------------------------------
_QA: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    ("招標", "第一次公開招標因投標廠商未達三家流標，第二次招標還需要三家嗎？",
     "第一次開標因未滿三家而流標者，第二次招標之等標期間得予縮短，並得不受三家廠商之限制。",
     (("政府採購法", "48"),)),
    ("招標", "未達公告金額但逾公告金額十分之一的採購，要怎麼辦理？",
     "除有第22條第1項各款情形外，應公開取得三家以上廠商之書面報價或企劃書。", (("政府採購法", "49"),)),
    ("招標", "公告金額以上未達查核金額的公開招標，等標期最少幾天？",
     "依招標期限標準第2條，公告金額以上未達查核金額之採購，等標期不得少於十四日；有第9條情形者得縮短。",
     (("招標期限標準", "2"), ("招標期限標準", "9"))),
    ("招標", "押標金可以收多少？", "押標金以不逾預算金額或預估採購總額之百分之五為原則（或標價之百分之五），且不得逾新臺幣五千萬元。",
     (("押標金保證金暨其他擔保作業辦法", "9"),)),
    ("招標", "公開招標無廠商投標，可以改用限制性招標嗎？",
     "公開招標結果無廠商投標或無合格標，且原定招標內容及條件未經重大改變者，得採限制性招標。",
     (("政府採購法", "22"),)),
    ("招標", "同一需求可以拆成幾案分別採購嗎？", "不得意圖規避本法之適用，分批辦理公告金額以上之採購；有分批必要並經上級機關核准者，應依總金額核計採購金額。",
     (("政府採購法", "14"),)),
    ("決標", "最低標價超過底價時怎麼處理？",
     "得洽最低標廠商減價一次；減價結果仍超過底價時，得由所有合格廠商重新比減價格，比減價格不得逾三次。",
     (("政府採購法", "53"),)),
    ("決標", "最低標總標價偏低顯不合理怎麼辦？",
     "得限期通知該廠商提出說明或擔保；未於期限內提出合理說明或擔保者，得不決標予該廠商，並以次低標廠商為最低標廠商。",
     (("政府採購法", "58"),)),
    ("決標", "最有利標要怎麼評定？", "應依招標文件所規定之評審標準，就技術、品質、功能、商業條款或價格等項目作序位或計數之綜合評選。",
     (("政府採購法", "56"),)),
    ("決標", "決標結果需要公告嗎？", "公告金額以上採購，除有特殊情形外，應於決標後一定期間內將決標結果刊登政府採購公報並書面通知各投標廠商；無法決標者亦同。",
     (("政府採購法", "61"),)),
    ("決標", "投標文件有明顯打字錯誤，可以讓廠商更正嗎？", "與標價無關之明顯打字或書寫錯誤，機關得允許廠商更正。",
     (("政府採購法施行細則", "60"),)),
    ("履約", "得標廠商可以把工作交給別的廠商做嗎？",
     "不得轉包（將應自行履行之全部或主要部分由其他廠商代為履行）；分包則可，分包契約報備於機關。",
     (("政府採購法", "65"), ("政府採購法", "67"))),
    ("履約", "契約範本一定要用嗎？", "各類採購契約以採用主管機關訂定之範本為原則。", (("政府採購法", "63"),)),
    ("驗收", "承辦採購的同仁可以當主驗人嗎？", "機關承辦採購單位之人員不得為所辦採購之主驗人或樣品及材料之檢驗人。",
     (("政府採購法", "71"),)),
    ("驗收", "驗收結果與契約不符怎麼辦？", "應通知廠商限期改善、拆除、重作、退貨或換貨；符合條件者得就其他部分辦理驗收並支付部分價金。",
     (("政府採購法", "72"),)),
    ("爭議", "廠商對招標文件有意見，異議期限怎麼算？",
     "對招標文件規定提出異議者，為自公告或邀標之次日起等標期之四分之一，尾數不足一日以一日計，但不得少於十日。",
     (("政府採購法", "75"),)),
    ("爭議", "廠商不服異議處理結果可以向哪裡申訴？",
     "公告金額以上採購，得於收受異議處理結果次日起十五日內，向直轄市政府所設之採購申訴審議委員會申訴。",
     (("政府採購法", "76"),)),
    ("爭議", "履約爭議談不攏有什麼方式？", "得向採購申訴審議委員會申請調解，或向仲裁機構提付仲裁。",
     (("政府採購法", "85-1"),)),
    ("爭議", "廠商得標後不訂約，要刊登公報嗎？",
     "得標後無正當理由而不訂約屬第101條第1項第7款，機關應通知廠商並給予陳述意見機會；刊登期間依第103條第1項第3款。",
     (("政府採購法", "101"), ("政府採購法", "103"))),
    ("爭議", "廠商收到刊登公報通知後可以異議嗎？", "得於接獲通知之次日起二十日內以書面向該機關提出異議。",
     (("政府採購法", "102"),)),
    ("其他", "採購文件要保存多久？", "依採購文件保存作業準則第5條，例如未達巨額之採購自驗收之日起三年；流標或廢標者自流標或廢標之日起三年。",
     (("採購文件保存作業準則", "5"),)),
    ("其他", "承辦人的親屬來投標，需要迴避嗎？", "機關人員對於與採購有關之事項，涉及本人、配偶、二親等以內親屬或共同生活家屬之利益時，應行迴避。",
     (("政府採購法", "15"),)),
)
_CALLERS = ("區公所", "國民中學", "國民小學", "衛生所", "戶政事務所", "地政事務所", "市立圖書館分館")
_HANDLERS = ("範例承辦甲", "範例承辦乙", "範例承辦丙", "範例承辦丁")


def _consultations(rng: random.Random, data: _Data) -> None:
    start = date(2025, 9, 1)
    days = (REFERENCE_DATE - start).days
    stamps = []
    for _ in range(300):
        d = _workday(start + timedelta(days=rng.randint(0, days)))
        if d > REFERENCE_DATE:
            d = REFERENCE_DATE
        stamps.append(datetime.combine(d, time(rng.randint(8, 16), rng.choice((0, 10, 20, 30, 40, 50)))))
    stamps.sort()
    per_day: dict[date, int] = {}
    for ts in stamps:
        cat, q, a, cites = rng.choice(_QA)
        per_day[ts.date()] = per_day.get(ts.date(), 0) + 1
        follow = rng.random() < 0.12
        district = rng.choice(TAICHUNG_DISTRICTS)
        caller = rng.choice(_CALLERS)
        agency = f"（範例）{district}{caller}" if caller == "區公所" else f"（範例）{district}某{caller}"
        data.consultations.append({
            "ref": f"Q{ts:%Y%m%d}-{per_day[ts.date()]:03d}",
            "occurred_at": ts.strftime("%Y-%m-%d %H:%M"),
            "caller_agency": agency, "category": cat, "question": q, "answer": a,
            "citations": [{"title": t, "no": n} for t, n in cites],
            "follow_up": follow,
            "follow_up_note": "（範例）待確認個案事實後回電" if follow else None,
            "handled_by": rng.choice(_HANDLERS), "sample": True,
        })


# --- seed teachers, building safety, retention ---------------------------------------------------
def _teachers(rng: random.Random, data: _Data) -> None:
    n = 0
    for district in TAICHUNG_DISTRICTS:
        for _ in range(rng.choice((1, 2, 2, 3))):
            n += 1
            name = f"{rng.choice(_SURNAMES)}○{rng.choice(_GIVEN)}（範例）"
            agency = f"臺中市{district}公所" if rng.random() < 0.6 else f"（範例）{district}某國民中學"
            data.teachers.append({"name": name, "agency": agency, "district": district,
                                  "expertise": "、".join(rng.sample(_EXPERTISE, 2)),
                                  "contact": f"seed{n:03d}@example.org", "sample": YES})


_AED_SPOTS = (("惠中樓", "1F", "服務台旁"), ("惠中樓", "3F", "電梯廳"), ("惠中樓", "6F", "電梯廳"),
              ("惠中樓", "9F", "茶水間旁"), ("惠中樓", "B1", "停車場管理室"), ("文心樓", "1F", "大廳詢問處"),
              ("文心樓", "4F", "會議室走廊"), ("文心樓", "8F", "電梯廳"), ("文心樓", "11F", "電梯廳"),
              ("文心樓", "B2", "機房值班室"), ("市政會議中心", "1F", "入口"), ("員工餐廳", "B1", "出入口"))


def _aeds(rng: random.Random, data: _Data) -> None:
    for i, (bldg, floor, spot) in enumerate(_AED_SPOTS, start=1):
        last_check = REFERENCE_DATE - timedelta(days=rng.randint(10, 170))
        result = "正常"
        if i in (4, 10):  # check overdue
            last_check = REFERENCE_DATE - timedelta(days=rng.randint(200, 260))
        pads = REFERENCE_DATE + timedelta(days=rng.randint(60, 700))
        battery = REFERENCE_DATE + timedelta(days=rng.randint(90, 1200))
        if i == 7:
            pads = REFERENCE_DATE - timedelta(days=12)  # expired pads
            result = "電極片過期，已申請更換"
        if i == 2:
            battery = REFERENCE_DATE + timedelta(days=18)  # expiring soon
        data.aeds.append({"serial": f"SAMPLE-AED-{i:03d}", "location": f"（範例）{bldg}{floor}{spot}", "floor": floor,
                          "pads_expiry": _iso(pads), "battery_expiry": _iso(battery),
                          "last_check_on": _iso(last_check), "last_check_result": result, "sample": YES})


def _drills(rng: random.Random, data: _Data) -> None:
    scenarios = ("辦公室火災初期滅火及避難引導", "地下停車場車輛火災", "地震後火災及全棟疏散", "廚房油鍋火災",
                 "機房電氣火災及通報")
    for year in range(2022, 2027):
        for month in (4, 10):
            held = _workday(date(year, month, rng.randint(5, 25)))
            if held > REFERENCE_DATE:
                continue
            minutes = 240 if not (year == 2026 and month == 10) else 180  # last one too short to count
            data.drills.append({"held_on": _iso(held), "scenario": f"（範例）{rng.choice(scenarios)}",
                                "participants": rng.randint(60, 220), "duration_minutes": minutes,
                                "findings": rng.choice(("通報流程順暢", "部分樓層廣播不清楚，已請機電廠商檢修",
                                                        "避難引導班人員不足，已補充編組", "滅火器取用時間偏長")),
                                "sample": YES})


_INSPECTIONS = (("消防安全設備檢修申報", 12, "（範例）合格消防設備師事務所"),
                ("建築物公共安全檢查簽證申報", 24, "（範例）專業檢查機構"),
                ("昇降設備安全檢查", 12, "（範例）昇降設備檢查機構"),
                ("高低壓電氣設備定期檢驗", 12, "（範例）電氣技術顧問公司"),
                ("飲用水設備水質檢驗", 3, "（範例）環境檢驗公司"),
                ("緊急發電機定期保養", 6, "（範例）機電維護廠商"))


def _inspections(rng: random.Random, data: _Data) -> None:
    for kind, months, who in _INSPECTIONS:
        d = _workday(date(2022, rng.randint(1, 3), rng.randint(1, 28)))
        while True:
            nxt = add_months(d, months)
            data.inspections.append(_insp(kind, d, who, nxt, rng))
            if nxt > REFERENCE_DATE:
                break
            if kind == "飲用水設備水質檢驗" and add_months(nxt, months) > REFERENCE_DATE:
                break  # the sample's last water test was missed: overdue since nxt
            d = _workday(nxt - timedelta(days=rng.randint(0, 10)))


def _insp(kind: str, d: date, who: str, nxt: date, rng: random.Random) -> dict[str, Any]:
    result = "合格" if rng.random() < 0.9 else "不合格，已限期改善"
    return {"kind": kind, "inspected_on": _iso(d), "inspector": who, "result": result,
            "next_due_on": _iso(nxt), "note": "範例資料", "sample": YES}


_RETENTION: tuple[tuple[str, str, str, str], ...] = (
    # procurement documents: 採購文件保存作業準則第5條、第6條 (periods from the date stated there)
    ("S01.01", "未達巨額採購之招標、決標、契約及驗收文件", "3", "採購文件保存作業準則第5條第1項第1款（自驗收之日起算）"),
    ("S01.02", "巨額採購之招標、決標、契約及驗收文件", "5", "採購文件保存作業準則第5條第1項第2款（自驗收之日起算）"),
    ("S01.03", "終止或解除契約之採購文件", "5", "採購文件保存作業準則第5條第1項第3款（自終止或解除契約之日起算）"),
    ("S01.04", "流標或廢標之採購文件", "3", "採購文件保存作業準則第5條第1項第4款（自流標或廢標之日起算）"),
    ("S01.05", "取消採購之採購文件", "3", "採購文件保存作業準則第5條第1項第5款（自取消採購之日起算）"),
    ("S01.06", "未得標廠商之投標文件", "3", "採購文件保存作業準則第5條第1項第8款（自決標之日起算）"),
    ("S01.07", "採購爭議之審議判斷書、調解書、仲裁判斷書", "10", "採購文件保存作業準則第6條（自收受送達之日起算）"),
    ("S01.08", "與標的設計、結構或安全有關之採購文件", "永久", "採購文件保存作業準則第5條第1項第7款（至標的報廢後一年；範例以永久列示）"),
    ("S01.09", "採購諮詢專線紀錄", "5", ""),
    ("S01.10", "採購種子教師培訓及名冊", "5", ""),
    ("S01.11", "廠商停權（刊登政府採購公報）通知及異議處理", "10", ""),
    ("S01.12", "共同供應契約訂購紀錄", "3", ""),
    ("S01.13", "小額採購核銷文件", "3", ""),
    ("S01.14", "採購稽核及督導報告", "10", ""),
    # records management
    ("S02.01", "機關組織法規之制（訂）定、修正及解釋", "永久", "機關檔案保存年限及銷毀辦法第3條第2款"),
    ("S02.02", "機關組織沿革及職掌演變", "永久", "機關檔案保存年限及銷毀辦法第3條第3款"),
    ("S02.03", "重要制度、決策及中長程計畫", "永久", "機關檔案保存年限及銷毀辦法第3條第1款"),
    ("S02.04", "檔案保存年限區分表之訂定及修正", "永久", "機關檔案保存年限及銷毀辦法第5條、第6條"),
    ("S02.05", "檔案銷毀目錄及核准銷毀文件", "永久", "機關檔案保存年限及銷毀辦法第8條"),
    ("S02.06", "檔案移轉及交接紀錄", "30", ""),
    ("S02.07", "檔案應用申請案件", "5", ""),
    ("S02.08", "公文收發及交換紀錄", "3", ""),
    ("S02.09", "一般行政簽辦及例行函轉", "1", ""),
    ("S02.10", "檔案庫房溫濕度及安全管理紀錄", "3", ""),
    ("S02.11", "電子檔案轉置及儲存紀錄", "10", ""),
    ("S02.12", "機密檔案解密審查紀錄", "永久", ""),
    # general affairs and building management
    ("S03.01", "市政大樓財產及房地產權文件", "永久", "機關檔案保存年限及銷毀辦法第3條第6款"),
    ("S03.02", "建築物公共安全檢查簽證申報文件", "10", ""),
    ("S03.03", "消防安全設備檢修申報文件", "5", ""),
    ("S03.04", "消防防護計畫及自衛消防編組", "5", ""),
    ("S03.05", "消防演練（滅火、通報及避難訓練）紀錄", "3", ""),
    ("S03.06", "AED設置、檢查及使用紀錄", "3", "公共場所必要緊急救護設備管理辦法第7條（檢查紀錄至少保存二年）"),
    ("S03.07", "昇降設備及電氣設備檢查紀錄", "5", ""),
    ("S03.08", "公務車輛管理及保養紀錄", "3", ""),
    ("S03.09", "辦公廳舍修繕紀錄", "10", ""),
    ("S03.10", "災害應變及復原紀錄", "永久", "機關檔案保存年限及銷毀辦法第3條第10款（重大或代表性個案）"),
    # cashier / planning
    ("S04.01", "出納管理及保管品登記", "10", ""),
    ("S04.02", "年度施政計畫及成果報告", "永久", "機關檔案保存年限及銷毀辦法第3條第4款"),
    ("S04.03", "媒體新聞稿及輿情處理", "3", ""),
    ("S04.04", "為民服務及陳情案件", "5", ""),
)


def _retention(data: _Data) -> None:
    for code, title, keep, basis in _RETENTION:
        data.retention.append({"class_code": code, "title": f"（範例）{title}", "retention": keep,
                               "legal_basis": basis, "note": "範例資料，非正式檔案保存年限區分表", "sample": YES})


# --- output --------------------------------------------------------------------------------------
def generate(seed: int = SEED) -> _Data:
    """Build the whole sample world in memory (deterministic for a given seed)."""
    data = _Data()
    _vendors(random.Random(seed), data)
    _cases(random.Random(seed + 1), data)
    _consultations(random.Random(seed + 2), data)
    _teachers(random.Random(seed + 3), data)
    _aeds(random.Random(seed + 4), data)
    _drills(random.Random(seed + 5), data)
    _inspections(random.Random(seed + 6), data)
    _retention(data)
    return data


def _csv_text(rows: Sequence[dict[str, Any]], fields: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(fields)
    for r in rows:
        w.writerow(["" if r.get(f) is None else r.get(f) for f in fields])
    return buf.getvalue()


def render(data: _Data) -> dict[str, str]:
    """File name -> exact file content."""
    causes = [{"code": c, "label": lab, "group": g, "legal_basis": b, "note": n} for c, lab, g, b, n in CAUSES]
    files = {
        "causes.csv": _csv_text(causes, ("code", "label", "group", "legal_basis", "note")),
        "vendors.csv": _csv_text(data.vendors, ("tax_id", "name", "sample")),
        "suspensions.csv": _csv_text(data.suspensions, ("tax_id", "start_on", "end_on", "ground_item", "case_ref",
                                                         "note")),
        "cases.csv": _csv_text(data.cases, ("case_no", "name", "agency", "unit", "category", "budget", "amount",
                                            "method", "award_basis", "status", "announced_on", "opened_on",
                                            "awarded_on", "award_amount", "vendor_tax_id", "sample")),
        "events.csv": _csv_text(data.events, ("case_no", "event_on", "kind", "cause_code", "note")),
        "consultations.json": json.dumps(
            {"table": "consultations", "sample": True,
             "note": "範例資料：採購諮詢專線紀錄均為虛構，僅供展示與測試。",
             "records": data.consultations}, ensure_ascii=False, indent=1) + "\n",
        "seed_teachers.csv": _csv_text(data.teachers, ("name", "agency", "district", "expertise", "contact", "sample")),
        "aeds.csv": _csv_text(data.aeds, ("serial", "location", "floor", "pads_expiry", "battery_expiry",
                                          "last_check_on", "last_check_result", "sample")),
        "drills.csv": _csv_text(data.drills, ("held_on", "scenario", "participants", "duration_minutes", "findings",
                                              "sample")),
        "inspections.csv": _csv_text(data.inspections, ("kind", "inspected_on", "inspector", "result", "next_due_on",
                                                        "note", "sample")),
        "retention.csv": _csv_text(data.retention, ("class_code", "title", "retention", "legal_basis", "note",
                                                    "sample")),
    }
    files["README.md"] = _readme(data)
    return files


def _readme(data: _Data) -> str:
    sizes = {"vendors": len(data.vendors), "suspensions": len(data.suspensions), "cases": len(data.cases),
             "events": len(data.events), "consultations": len(data.consultations), "seed_teachers": len(data.teachers),
             "aeds": len(data.aeds), "drills": len(data.drills), "inspections": len(data.inspections),
             "retention": len(data.retention), "causes": len(CAUSES)}
    lines = [
        "# 範例紀錄資料（sample records）",
        "",
        "本資料夾所有資料均為**範例**，由 `python -m knowledge.records.sample knowledge/data/sample_records`",
        f"以固定亂數種子（{SEED}）產生，基準日 {REFERENCE_DATE.isoformat()}，不得視為真實紀錄。",
        "",
        "- 案名以「（範例）」開頭；廠商名稱以「範例」開頭；人員為遮蔽之虛構姓名，聯絡方式為 example.org。",
        "- 統一編號為僅符合檢查碼規則之合成號碼，未比對實際登記資料。",
        "- 單位名稱僅為示意，非秘書處正式組織。檔案保存年限區分表為示意，非正式區分表。",
        "- causes.csv 為流標／廢標原因分類（參考詞彙，非範例資料）。",
        "",
        "| table | file | rows |",
        "|---|---|---|",
    ]
    for table, fname in SAMPLE_FILES:
        lines.append(f"| {table} | {fname} | {sizes[table]} |")
    return "\n".join(lines) + "\n"


def write_sample(out_dir: Path, seed: int = SEED) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in render(generate(seed)).items():
        path = out_dir / name
        path.write_bytes(content.encode("utf-8"))
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("用法：python -m knowledge.records.sample OUT_DIR", file=sys.stderr)
        return 2
    paths = write_sample(Path(args[0]))
    print(f"已寫入 {len(paths)} 個範例檔案至 {args[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
