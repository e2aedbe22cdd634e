"""Controlled vocabularies of the records store (zh-TW values as they appear in records)."""

from __future__ import annotations

# 採購性質 (工程, 財物, 勞務): core.vocab.CATEGORIES

METHODS: tuple[str, ...] = (
    "公開招標", "選擇性招標", "限制性招標", "公開取得報價單", "公開取得企劃書", "小額採購", "共同供應契約",
)

AWARD_BASES: tuple[str, ...] = ("最低標", "最有利標", "準用最有利標", "取最有利標精神", "複數決標")

STATUSES: tuple[str, ...] = ("籌備中", "招標中", "已決標", "流標", "廢標", "履約中", "已結案")

EVENT_KINDS: tuple[str, ...] = ("公告", "開標", "流標", "廢標", "決標", "撤銷決標", "重新招標")
FAILED_KINDS: tuple[str, ...] = ("流標", "廢標")
"""Event kinds counted as a failed tender round in ``RecordsService.failed_tender_report``."""

# 刊登政府採購公報（停權）期間 relative to a day: start_on <= day <= end_on is 停權中, end_on < day 已解除
# (the period is over), day < start_on 尚未開始 (published, not yet in force).
SUSPENSION_STATUSES: tuple[str, ...] = ("停權中", "已解除", "尚未開始")

CONSULTATION_CATEGORIES: tuple[str, ...] = ("招標", "決標", "履約", "驗收", "爭議", "其他")

TAICHUNG_DISTRICTS: tuple[str, ...] = (
    "中區", "東區", "南區", "西區", "北區", "西屯區", "南屯區", "北屯區", "豐原區", "東勢區", "大甲區", "清水區",
    "沙鹿區", "梧棲區", "后里區", "神岡區", "潭子區", "大雅區", "新社區", "石岡區", "外埔區", "大安區", "烏日區",
    "大肚區", "龍井區", "霧峰區", "太平區", "大里區", "和平區",
)

# 政府採購法第101條第1項各款 (short labels; full text in knowledge/sources/procurement/procurement-act.json).
ARTICLE_101_ITEMS: dict[int, str] = {
    1: "容許他人借用本人名義或證件參加投標",
    2: "借用或冒用他人名義或證件投標",
    3: "擅自減省工料，情節重大",
    4: "以虛偽不實之文件投標、訂約或履約，情節重大",
    5: "受停業處分期間仍參加投標",
    6: "犯第87條至第92條之罪，經第一審為有罪判決",
    7: "得標後無正當理由而不訂約",
    8: "查驗或驗收不合格，情節重大",
    9: "驗收後不履行保固責任，情節重大",
    10: "因可歸責於廠商之事由，致延誤履約期限，情節重大",
    11: "違反第65條規定轉包",
    12: "因可歸責於廠商之事由，致解除或終止契約，情節重大",
    13: "破產程序中之廠商",
    14: "歧視性別、原住民、身心障礙或弱勢團體人士，情節重大",
    15: "對採購有關人員行求、期約或交付不正利益",
}


def normalize_district(text: str) -> str:
    """'西屯' / '西屯區' / '臺中市西屯區' -> '西屯區'; raises ValueError (zh-TW) for anything else."""
    t = text.strip().replace("台中", "臺中")
    for prefix in ("臺中市", "臺中"):
        if t.startswith(prefix):
            t = t[len(prefix):]
    if t in TAICHUNG_DISTRICTS:
        return t
    if t + "區" in TAICHUNG_DISTRICTS:
        return t + "區"
    raise ValueError(f"「{text}」不是臺中市的行政區（共29區，例如：西屯區、豐原區、和平區）")
