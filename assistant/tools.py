"""The assistant's tools: plain typed functions with pydantic argument schemas.

The same tools serve both planners: the rule planner calls them directly, and the LLM agent sees
them as LangChain StructuredTools. Arguments are validated by their schema; a tool error becomes an
error *result* (fed back to the planner), never a crash. Only ``log_consultation`` writes, and it is
never offered to a planner unless the caller explicitly allows writes. No tool runs free-form SQL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from assistant.calculators import (
    ArticleIndex,
    bid_bond_and_guarantees,
    procurement_amount,
    procurement_tier,
    tender_period,
)
from assistant.calculators.tender_period import Method, Retender
from assistant.models import ToolCall
from ingest.models import AccessLevel
from ingest.zh import parse_date
from knowledge.base import KnowledgeBase
from knowledge.records import RecordsService
from knowledge.retrieval import HybridRetriever

Category = Literal["工程", "財物", "勞務"]


def _d(v: str | None, today: date) -> date:
    if not v:
        return today
    d = parse_date(v)
    return d or today


# --- argument schemas ----------------------------------------------------------------------------
class SearchArgs(BaseModel):
    query: str = Field(description="問題或關鍵字（繁體中文）")
    k: int = Field(default=5, ge=1, le=20)
    as_of: str | None = Field(default=None, description="以該日有效版本檢索，如 2024-05-01 或 113.05.01")
    context: str | None = Field(default=None, description="對話先前的關鍵詞（追問時使用）")


class ArticleArgs(BaseModel):
    title: str = Field(description="法規全名，如 政府採購法")
    no: str = Field(description="條號，如 22 或 22-1（第22條之1）；要點為點次")
    as_of: str | None = None


class CaseArgs(BaseModel):
    case_no: str = Field(description="案號")


class FindCasesArgs(BaseModel):
    text: str | None = Field(default=None, description="案名或案號的一部分")
    unit: str | None = None
    category: Category | None = None
    status: str | None = None
    method: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    min_amount: int | None = Field(default=None, ge=0)
    max_amount: int | None = Field(default=None, ge=0)
    limit: int = Field(default=20, ge=1, le=200)


class FailedReportArgs(BaseModel):
    group_by: Literal["cause", "unit", "category", "month"] = "cause"
    unit: str | None = None
    date_from: str | None = None
    date_to: str | None = None


class VendorArgs(BaseModel):
    tax_id_or_name: str = Field(description="廠商統一編號或名稱")
    on: str | None = Field(default=None, description="查詢日期，預設今天")


class TierArgs(BaseModel):
    amount: int = Field(ge=0, description="採購金額（新臺幣元）")
    category: Category
    on: str | None = None


class AmountArgs(BaseModel):
    budget: int = Field(ge=0, description="預算金額（新臺幣元）；租期不確定之租賃填 0")
    optional_or_expansion: int = Field(default=0, ge=0, description="預估選購或後續擴充金額")
    monthly_rent_indefinite_term: int | None = Field(default=None, ge=0, description="租期不確定時的每月租金")


TierCode = Literal["small", "below_announcement", "announcement", "audit", "large"]


class TenderPeriodArgs(BaseModel):
    amount: int | None = Field(default=None, ge=0, description="採購金額（新臺幣元）")
    tier: TierCode | None = Field(default=None, description="不知金額時可給級距代碼")
    category: Category = "財物"
    method: Method = "公開招標"
    retender: Retender | None = None
    electronic_download: bool = False
    electronic_bid: bool = False
    public_inspection: bool = False
    urgent: bool = False
    publication_date: str | None = Field(default=None, description="公告日；給了就算出最早截止投標日")
    on: str | None = None


class GuaranteeArgs(BaseModel):
    budget: int | None = Field(default=None, ge=0, description="預算金額（新臺幣元）")
    estimated: int | None = Field(default=None, ge=0, description="預估採購總額")
    category: Category
    negotiation: bool = False
    on: str | None = None


class RetentionArgs(BaseModel):
    text_or_code: str = Field(description="類目名稱或分類號")


class SeedTeacherArgs(BaseModel):
    district: str = Field(description="臺中市行政區，如 西屯區 或 西屯")


class SafetyArgs(BaseModel):
    on: str | None = None


class ConsultationArgs(BaseModel):
    caller_agency: str = Field(min_length=1)
    category: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1, description="回覆內容")
    citations: list[dict[str, str]] = Field(default_factory=list)
    follow_up: bool = False
    follow_up_note: str | None = None
    handled_by: str = "採購諮詢專線"


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    args_schema: type[BaseModel]
    fn: Callable[..., Any]
    writes: bool = False


def _dump(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, list):
        return [_dump(x) for x in obj]
    return obj


class ToolBox:
    def __init__(self, kb: KnowledgeBase, retriever: HybridRetriever, records: RecordsService | None,
                 articles: ArticleIndex, today: Callable[[], date] = date.today,
                 allowed: set[AccessLevel] | None = None):
        self.kb = kb
        self.retriever = retriever
        self.records = records
        self.articles = articles
        self.today = today
        self.allowed = allowed
        self._specs = {s.name: s for s in self._build()}

    def with_access(self, allowed: set[AccessLevel] | None) -> ToolBox:
        return ToolBox(self.kb, self.retriever, self.records, self.articles, self.today, allowed)

    # --- the tools -----------------------------------------------------------------------------
    def _build(self) -> list[ToolSpec]:
        t = self.today

        def search_regulations(query: str, k: int = 5, as_of: str | None = None, context: str | None = None) -> Any:
            hits = self.retriever.search(query, k, as_of=_d(as_of, t()) if as_of else None, allowed=self.allowed,
                                         context=context)
            return [h.model_dump(include={"title", "no", "label", "score", "text", "amended", "chapter", "domain",
                                          "matched", "partial"}) for h in hits]

        def get_article(title: str, no: str, as_of: str | None = None) -> Any:
            a = self.kb.get_article(title, no, as_of=_d(as_of, t()) if as_of else None, allowed=self.allowed)
            if a is None:
                raise LookupError(f"知識庫中找不到 {title} 第 {no} 條（點）")
            return a.model_dump(mode="json", include={"title", "no", "label", "chapter", "text", "amended",
                                                      "effective", "version", "partial", "is_current"})

        def records() -> RecordsService:
            if self.records is None:
                raise RuntimeError("紀錄資料庫未設定")
            return self.records

        def lookup_case(case_no: str) -> Any:
            c = records().lookup_case(case_no)
            if c is None:
                raise LookupError(f"查無案號 {case_no}")
            return c

        def find_cases(**kw: Any) -> Any:
            return records().find_cases(**kw)

        def failed_tender_report(**kw: Any) -> Any:
            return records().failed_tender_report(**kw)

        def vendor_suspension_check(tax_id_or_name: str, on: str | None = None) -> Any:
            return records().vendor_suspension_check(tax_id_or_name, _d(on, t()))

        def tier(amount: int, category: str, on: str | None = None) -> Any:
            return procurement_tier(amount, category, _d(on, t()), articles=self.articles)  # type: ignore[arg-type]

        def amount_calc(budget: int, optional_or_expansion: int = 0,
                        monthly_rent_indefinite_term: int | None = None) -> Any:
            return procurement_amount(budget, optional_or_expansion=optional_or_expansion,
                                      monthly_rent_indefinite_term=monthly_rent_indefinite_term, articles=self.articles)

        def period(category: str = "財物", amount: int | None = None, tier: str | None = None,
                   method: str = "公開招標", retender: str | None = None, electronic_download: bool = False,
                   electronic_bid: bool = False, public_inspection: bool = False, urgent: bool = False,
                   publication_date: str | None = None, on: str | None = None) -> Any:
            basis = amount if amount is not None else tier
            if basis is None:
                raise ValueError("需要採購金額或級距才能計算等標期")
            return tender_period(basis, method, category, _d(on, t()),  # type: ignore[arg-type]
                                 retender=retender,  # type: ignore[arg-type]
                                 electronic_download=electronic_download, electronic_bid=electronic_bid,
                                 public_inspection=public_inspection, urgent=urgent,
                                 publication_date=parse_date(publication_date) if publication_date else None,
                                 articles=self.articles)

        def guarantees(category: str, budget: int | None = None, estimated: int | None = None,
                       negotiation: bool = False, on: str | None = None) -> Any:
            return bid_bond_and_guarantees(budget, estimated, category, _d(on, t()),  # type: ignore[arg-type]
                                           negotiation=negotiation, articles=self.articles)

        def retention_lookup(text_or_code: str) -> Any:
            return records().retention_lookup(text_or_code)

        def find_seed_teachers(district: str) -> Any:
            return records().find_seed_teachers(district)

        def building_safety_status(on: str | None = None) -> Any:
            return records().building_safety_status(_d(on, t()))

        def log_consultation(**kw: Any) -> Any:
            from datetime import datetime

            return records().log_consultation(occurred_at=datetime.now(), **kw)

        return [
            ToolSpec("search_regulations", "在法規知識庫中混合檢索（語意＋詞彙），回傳最相關的條文與其修正日期。",
                     SearchArgs, search_regulations),
            ToolSpec("get_article", "依法規名稱與條號取得條文全文（可指定日期取得當時有效版本）。", ArticleArgs, get_article),
            ToolSpec("lookup_case", "依案號查詢採購案件紀錄與其招標事件（含流標、廢標原因）。", CaseArgs, lookup_case),
            ToolSpec("find_cases", "依條件查詢採購案件（案名、單位、類別、狀態、招標方式、期間、金額）。", FindCasesArgs,
                     find_cases),
            ToolSpec("failed_tender_report", "流標／廢標統計：依原因、單位、類別或月份彙整件數與比率。", FailedReportArgs,
                     failed_tender_report),
            ToolSpec("vendor_suspension_check", "查詢廠商是否在刊登政府採購公報（停權）期間。", VendorArgs,
                     vendor_suspension_check),
            ToolSpec("procurement_tier", "依金額、類別與日期判斷採購級距（小額／未達公告金額／公告金額以上／查核金額以上／巨額），附條文依據。",
                     TierArgs, tier),
            ToolSpec("procurement_amount", "依政府採購法施行細則第6條計算採購金額（含後續擴充、租期不確定之租賃）。",
                     AmountArgs, amount_calc),
            ToolSpec("tender_period", "依招標期限標準計算最少等標期與可縮短情形，附條文依據。", TenderPeriodArgs, period),
            ToolSpec("bid_bond_and_guarantees", "依押標金保證金暨其他擔保作業辦法計算押標金、履約保證金、保固保證金上限與免收情形。",
                     GuaranteeArgs, guarantees),
            ToolSpec("retention_lookup", "查詢檔案保存年限區分表的類目與保存年限。", RetentionArgs, retention_lookup),
            ToolSpec("find_seed_teachers", "查詢臺中市某行政區的採購種子教師名單。", SeedTeacherArgs, find_seed_teachers),
            ToolSpec("building_safety_status", "市政大樓安全狀況：AED 檢查與耗材到期、消防演練、設備檢修申報。", SafetyArgs,
                     building_safety_status),
            ToolSpec("log_consultation", "記錄一筆採購諮詢專線紀錄（寫入）。", ConsultationArgs, log_consultation,
                     writes=True),
        ]

    # --- access ---------------------------------------------------------------------------------
    def specs(self, allow_writes: bool = False) -> list[ToolSpec]:
        return [s for s in self._specs.values() if allow_writes or not s.writes]

    def call(self, name: str, args: dict[str, Any], allow_writes: bool = False) -> ToolCall:
        """Validate and run one tool; errors come back inside the ToolCall (zh-TW message)."""
        spec = self._specs.get(name)
        if spec is None:
            return ToolCall(name=name, args=args, error=f"沒有名為 {name} 的工具")
        if spec.writes and not allow_writes:
            return ToolCall(name=name, args=args, error=f"{name} 會寫入資料，此處不允許")
        try:
            parsed = spec.args_schema.model_validate(args)
        except ValidationError as e:
            msgs = "；".join(f"{'.'.join(str(x) for x in err['loc'])}：{err['msg']}" for err in e.errors())
            return ToolCall(name=name, args=args, error=f"參數不正確：{msgs}")
        t0 = time.perf_counter()
        try:
            result = spec.fn(**parsed.model_dump(exclude_none=False))
        except Exception as e:  # fed back to the planner as a result
            return ToolCall(name=name, args=parsed.model_dump(exclude_none=True), error=str(e) or type(e).__name__)
        return ToolCall(name=name, args=parsed.model_dump(exclude_none=True), result=_dump(result),
                        ms=round((time.perf_counter() - t0) * 1000, 1))

    def langchain_tools(self, allow_writes: bool = False) -> list[Any]:
        """The same tools as LangChain StructuredTools (for the LLM agent)."""
        from langchain_core.tools import StructuredTool

        tools = []
        for spec in self.specs(allow_writes):
            def run(_spec: ToolSpec = spec, **kwargs: Any) -> Any:
                tc = self.call(_spec.name, kwargs, allow_writes=allow_writes)
                return {"error": tc.error} if tc.error else tc.result

            tools.append(StructuredTool.from_function(func=run, name=spec.name, description=spec.description,
                                                      args_schema=spec.args_schema))
        return tools
