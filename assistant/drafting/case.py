"""The procurement case a 投標須知 draft is built from.

``CaseInput`` holds the record fields the drafting needs; every field is optional, because a draft is
useful early (dr-007: 預算還沒核定) and whatever is missing is shown as 【待補：…】, never guessed.
Build it from a records-store case (``from_record``) or from a plain dict with Chinese or English keys
(``from_dict``); dates may be ISO or ROC text (``core.dates.parse_date``), amounts ints or text (250萬元).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from core.dates import parse_date
from core.money import parse_amount
from core.text import to_halfwidth
from core.vocab import Category

if TYPE_CHECKING:
    from knowledge.records.results import CaseDetail

Method = Literal["公開招標", "選擇性招標", "限制性招標", "公開取得書面報價", "小額採購", "共同供應契約"]
AwardBasis = Literal["最低標", "評分及格最低標", "最有利標", "準用最有利標", "取最有利標精神", "最高標", "複數決標"]
RestrictedMode = Literal["公開評選", "比價", "議價"]
BondWaiver = Literal["勞務採購", "未達公告金額之工程、財物採購", "以議價方式辦理", "市場交易慣例或採購案特性"]
GoodsNature = Literal["購買", "租賃", "定製", "兼具兩種以上性質"]

METHOD_ALIASES: dict[str, str] = {
    "公開取得報價單": "公開取得書面報價", "公開取得企劃書": "公開取得書面報價", "公開取得書面報價或企劃書": "公開取得書面報價",
    "公開取得報價": "公開取得書面報價", "公開取得": "公開取得書面報價", "第49條": "公開取得書面報價",
    "限制性招標(比價)": "限制性招標", "限制性招標(議價)": "限制性招標", "限制性招標（比價）": "限制性招標",
    "限制性招標（議價）": "限制性招標",
}
WAIVER_ALIASES: dict[str, str] = {
    "勞務": "勞務採購", "未達公告金額": "未達公告金額之工程、財物採購", "議價": "以議價方式辦理",
    "市場交易慣例": "市場交易慣例或採購案特性", "採購案特性": "市場交易慣例或採購案特性",
}

# Chinese keys (record fields as users and the eval set write them) -> attribute names.
ZH_KEYS: dict[str, str] = {
    "案號": "case_no", "採購案號": "case_no", "名稱": "name", "標案名稱": "name", "案名": "name", "機關": "agency",
    "機關名稱": "agency", "招標機關": "agency", "單位": "unit", "承辦單位": "unit", "上級機關": "superior_agency",
    "上級機關名稱": "superior_agency", "類別": "category", "採購性質": "category", "採購標的": "category",
    "財物性質": "goods_nature", "預算金額": "budget", "採購金額": "procurement_amount", "預計金額": "estimated_amount",
    "招標方式": "method", "限制性招標方式": "restricted_mode", "限制性招標依據款次": "restricted_item",
    "選擇性招標依據款次": "selective_items", "決標原則": "award_basis", "是否電子領標": "electronic_download",
    "電子領標": "electronic_download", "是否電子投標": "electronic_bid", "電子投標": "electronic_bid",
    "公開閱覽": "public_inspection", "招標文件公開閱覽": "public_inspection", "押標金金額": "bid_bond",
    "押標金": "bid_bond", "無押標金理由": "bid_bond_waiver", "履約保證金": "performance_bond",
    "履約保證金金額": "performance_bond", "無履約保證金理由": "performance_bond_waiver", "公告日": "announced_on",
    "公告日期": "announced_on", "等標期": "tender_days", "截止投標日": "deadline", "截止投標日期": "deadline",
    "截止收件日期": "deadline", "截止投標時間": "deadline_time", "開標時間": "opening_at", "開標日期": "opening_at",
    "開標地點": "opening_place", "收件地點": "submission_place", "聯絡人": "contact", "聯絡電話": "phone",
    "採購金額級距": "stated_tier",
}


class CaseInputError(ValueError):
    """Bad case data; the message is zh-TW and names the field."""


def _bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text in ("是", "有", "Y", "y", "yes", "true", "True", "1", "電子"):
        return True
    if text in ("否", "無", "N", "n", "no", "false", "False", "0"):
        return False
    raise ValueError(f"須為「是」或「否」，收到 {value!r}")


def _amount(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"須為金額，收到 {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"金額不得為負數，收到 {value:,}")
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return parse_amount(value)
    raise ValueError(f"須為金額（新臺幣元），收到 {value!r}")


class CaseInput(BaseModel):
    """Record fields of one procurement case (all optional; missing ones become 待補 in a draft)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_no: str | None = None
    name: str | None = None
    agency: str | None = None
    unit: str | None = None
    superior_agency: str | None = None
    category: Category | None = None
    goods_nature: list[GoodsNature] = []
    budget: int | None = None
    procurement_amount: int | None = None
    """採購金額 (政府採購法施行細則第6條, incl. 後續擴充); the tier is judged on it, else on 預算金額."""
    estimated_amount: int | None = None
    method: Method | None = None
    restricted_mode: RestrictedMode | None = None
    restricted_item: int | None = None
    """款 of 政府採購法第22條第1項 that allows 限制性招標."""
    selective_items: list[int] = []
    """款 of 政府採購法第20條 that allow 選擇性招標."""
    award_basis: AwardBasis | None = None
    electronic_download: bool | None = None
    electronic_bid: bool | None = None
    public_inspection: bool | None = None
    bid_bond: int | None = None
    bid_bond_waiver: BondWaiver | None = None
    performance_bond: int | None = None
    performance_bond_waiver: BondWaiver | None = None
    announced_on: date | None = None
    tender_days: int | None = None
    deadline: date | None = None
    deadline_time: time | None = None
    opening_at: datetime | None = None
    opening_place: str | None = None
    submission_place: str | None = None
    contact: str | None = None
    phone: str | None = None
    stated_tier: str | None = None
    """採購金額級距 as written in the record, checked against the computed tier."""
    sample: bool = False

    # --- normalisation ----------------------------------------------------------------------------
    @field_validator("case_no", "name", "agency", "unit", "superior_agency", "opening_place",
                     "submission_place", "contact", "phone", "stated_tier", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = v.strip()
            return v or None
        return v

    @field_validator("budget", "procurement_amount", "estimated_amount", "bid_bond", "performance_bond",
                     mode="before")
    @classmethod
    def _amounts(cls, v: Any) -> int | None:
        return _amount(v)

    @field_validator("electronic_download", "electronic_bid", "public_inspection", "sample", mode="before")
    @classmethod
    def _bools(cls, v: Any) -> bool | None:
        return _bool(v)

    @field_validator("method", mode="before")
    @classmethod
    def _method(cls, v: Any) -> Any:
        if isinstance(v, str):
            t = to_halfwidth(v).strip().replace(" ", "")
            return METHOD_ALIASES.get(t, t) or None
        return v

    @field_validator("bid_bond_waiver", "performance_bond_waiver", mode="before")
    @classmethod
    def _waiver(cls, v: Any) -> Any:
        if isinstance(v, str):
            t = v.strip()
            return WAIVER_ALIASES.get(t, t) or None
        return v

    @field_validator("goods_nature", "selective_items", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        if v is None or v == "":
            return []
        if isinstance(v, str | int):
            return [p for p in str(v).replace("、", ",").replace("，", ",").split(",") if p.strip()] \
                if isinstance(v, str) else [v]
        return v

    @field_validator("announced_on", "deadline", mode="before")
    @classmethod
    def _dates(cls, v: Any) -> Any:
        if isinstance(v, datetime):
            return v.date()
        if isinstance(v, str):
            return parse_date(v)
        return v

    @field_validator("opening_at", mode="before")
    @classmethod
    def _datetime(cls, v: Any) -> Any:
        if isinstance(v, str):
            text = to_halfwidth(v).strip()
            if not text:
                return None
            head, _, clock = text.replace("T", " ").partition(" ")
            day = parse_date(head)
            if day is None:
                return None
            if clock:
                hh, _, mm = clock.partition(":")
                return datetime(day.year, day.month, day.day, int(hh), int(mm or 0))
            return datetime(day.year, day.month, day.day)
        if isinstance(v, date) and not isinstance(v, datetime):
            return datetime(v.year, v.month, v.day)
        return v

    # --- derived ----------------------------------------------------------------------------------
    @property
    def tier_amount(self) -> int | None:
        """The amount the tier is judged on: 採購金額, else 預算金額."""
        return self.procurement_amount if self.procurement_amount is not None else self.budget

    @property
    def effective_tender_days(self) -> int | None:
        """等標期 as given, or counted from 公告日 to 截止投標日 (招標期限標準第11條, both days counted)."""
        if self.tender_days is not None:
            return self.tender_days
        if self.announced_on and self.deadline:
            return (self.deadline - self.announced_on).days + 1
        return None

    # --- constructors -----------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseInput:
        """Build from a dict with Chinese (案號, 名稱, 預算金額 …) or attribute keys; unknown keys are an error."""
        values: dict[str, Any] = {}
        unknown: list[str] = []
        for key, value in data.items():
            attr = ZH_KEYS.get(key, key)
            if attr not in cls.model_fields:
                unknown.append(key)
                continue
            values[attr] = value
        if unknown:
            raise CaseInputError(f"無法辨識的案件欄位：{'、'.join(unknown)}")
        try:
            return cls(**values)
        except ValidationError as exc:
            raise CaseInputError(_validation_zh(exc)) from None
        except ValueError as exc:
            raise CaseInputError(str(exc)) from None

    @classmethod
    def from_record(cls, case: CaseDetail) -> CaseInput:
        """Build from a records-store case (``RecordsService.lookup_case``)."""
        announced = next((e.event_on for e in case.events if e.kind == "公告"), None) or case.announced_on
        opening = case.opened_on
        return cls.from_dict({
            "case_no": case.case_no, "name": case.name, "agency": case.agency, "unit": case.unit,
            "category": case.category, "budget": case.budget, "procurement_amount": case.amount,
            "method": case.method,
            "award_basis": case.award_basis if case.award_basis in _AWARD_VALUES else None,
            "announced_on": announced,
            "opening_at": opening,
            "sample": case.sample,
        })


_AWARD_VALUES = ("最低標", "評分及格最低標", "最有利標", "準用最有利標", "取最有利標精神", "最高標", "複數決標")

_FIELD_ZH = {v: k for k, v in reversed(list(ZH_KEYS.items()))}


def _validation_zh(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "?"
        name = _FIELD_ZH.get(field, field)
        msg = err.get("msg", "")
        if err.get("type") == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            msg = f"不在允許值內（{expected}），收到 {err.get('input')!r}"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        parts.append(f"{name}：{msg}")
    return "案件資料有誤：" + "；".join(parts)
