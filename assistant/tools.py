"""The assistant's tools: typed methods of ``ToolBox``, each one definition (``assistant.tool_def.tool``):
the name is the method's, the description its docstring, the argument schema its signature.

The same tools serve both planners: the rule planner calls them directly, and the LLM agent sees
them as LangChain StructuredTools. Arguments are validated by their schema; a tool error becomes an
error *result* (fed back to the planner), never a crash. Results are typed (``assistant.tool_results``)
and render themselves. Only ``log_consultation`` writes, and it is never offered to a planner unless the
caller explicitly allows writes. No tool runs free-form SQL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, ValidationError

from assistant import calculators as calc
from assistant.calculators import ArticleIndex, ThresholdTable
from assistant.calculators.models import ThresholdKind
from assistant.calculators.tender_period import Method, Retender
from assistant.models import JSON, ToolCall, ToolResult
from assistant.record_filters import record_vocabulary
from assistant.threshold_answer import threshold_answer
from assistant.tool_def import ToolDef, tool, writing_tool
from assistant.tool_results import (
    Aeds,
    ArticleResult,
    Calculation,
    CaseFound,
    CaseList,
    ConsultationLogged,
    Drills,
    FailedEvents,
    FailedReport,
    Inspections,
    Retention,
    SafetyStatus,
    SearchResult,
    SeedTeachers,
    SuspendedVendors,
    VendorCases,
    VendorCheck,
)
from core.access import AccessLevel, allowed_levels
from core.dates import parse_date
from core.policy import TOOL_CAPABILITY, Capability, denial, tool_permitted
from core.vocab import Category, TierCode
from knowledge.base import KnowledgeBase
from knowledge.records import RecordsService
from knowledge.records.results import RecordCatalog
from knowledge.retrieval import HybridRetriever

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool


def _d(v: str | None, today: date) -> date:
    if not v:
        return today
    d = parse_date(v)
    return d or today


# argument types shared by several tools (description and bounds are part of the schema)
OnDay = Annotated[str | None, Field(description="查詢日期，預設今天")]
AsOf = Annotated[str | None, Field(description="以該日有效版本檢索，如 2024-05-01 或 113.05.01")]
CaseText = Annotated[str | None, Field(description="案名或案號的一部分")]
SuspensionStatus = Literal["停權中", "已解除", "尚未開始"]  # knowledge.records.vocab.SUSPENSION_STATUSES
VendorKey = Annotated[str, Field(description="廠商統一編號或名稱")]


class ToolBox:
    def __init__(self, kb: KnowledgeBase, retriever: HybridRetriever, records: RecordsService | None,
                 articles: ArticleIndex, today: Callable[[], date] = date.today,
                 allowed: set[AccessLevel] | None = None, thresholds: ThresholdTable | None = None,
                 role: str | None = None, catalog_cache: dict[str, tuple[float, RecordCatalog]] | None = None,
                 vocab_cache: dict[str | None, tuple[RecordCatalog | None, frozenset[str]]] | None = None):
        self.kb = kb
        self.retriever = retriever
        self.records = records
        self.articles = articles
        self.thresholds = thresholds  # None: the shipped table
        self.today = today
        self.allowed = allowed
        self.role = role  # None: a local operator, every tool (core.policy)
        self._catalog_cache = catalog_cache if catalog_cache is not None else {}
        self._vocab_cache = vocab_cache if vocab_cache is not None else {}  # role -> (catalog, record words)

    def with_access(self, allowed: set[AccessLevel] | None, role: str | None = None) -> ToolBox:
        return ToolBox(self.kb, self.retriever, self.records, self.articles, self.today, allowed, self.thresholds,
                       role, self._catalog_cache, self._vocab_cache)

    def for_role(self, role: str | None) -> ToolBox:
        """The tools ``role`` may use (core.policy), over the documents it may see (core.access)."""
        return self.with_access(allowed_levels(role), role)

    def record_catalog(self, max_age_s: float = 60.0) -> RecordCatalog | None:
        """The records' own values (units, vendors, places, kinds) for routing; refreshed every minute so
        an import shows up without a restart. None when no records store is configured or it fails."""
        if self.records is None:
            return None
        hit = self._catalog_cache.get("catalog")
        if hit is not None and time.monotonic() - hit[0] < max_age_s:
            return hit[1]
        try:
            cat = self.records.catalog()
        except Exception:  # a missing or empty records database routes nothing by value
            return None
        self._catalog_cache["catalog"] = (time.monotonic(), cat)
        return cat

    def record_vocabulary(self) -> frozenset[str]:
        """The record words this role may rely on when a typo is fixed (assistant.record_filters): those of
        the records its tools read; cached with the catalog."""
        cat = self.record_catalog()
        hit = self._vocab_cache.get(self.role)
        if hit is not None and hit[0] is cat:
            return hit[1]
        words = record_vocabulary(cat, lambda name: tool_permitted(self.role, name))
        self._vocab_cache[self.role] = (cat, words)
        return words

    def _store(self) -> RecordsService:
        if self.records is None:
            raise RuntimeError("紀錄資料庫未設定")
        return self.records

    def _on(self, v: str | None) -> date:
        return _d(v, self.today())

    # --- knowledge -----------------------------------------------------------------------------
    @tool
    def search_regulations(self, query: Annotated[str, Field(description="問題或關鍵字（繁體中文）")],
                           k: Annotated[int, Field(ge=1, le=20)] = 5, as_of: AsOf = None,
                           context: Annotated[str | None, Field(description="對話先前的關鍵詞（追問時使用）")] = None,
                           ) -> SearchResult:
        """在法規知識庫中混合檢索（語意＋詞彙），回傳最相關的條文與其修正日期。"""
        when = self._on(as_of) if as_of else None
        return SearchResult(self.retriever.search(query, k, as_of=when, allowed=self.allowed, context=context))

    @tool
    def get_article(self, title: Annotated[str, Field(description="法規全名，如 政府採購法")],
                    no: Annotated[str, Field(description="條號，如 22 或 22-1（第22條之1）；要點為點次")],
                    as_of: str | None = None) -> ArticleResult:
        """依法規名稱與條號取得條文全文（可指定日期取得當時有效版本）。"""
        a = self.kb.get_article(title, no, as_of=self._on(as_of) if as_of else None, allowed=self.allowed)
        if a is None:
            raise LookupError(f"知識庫中找不到 {title} 第 {no} 條（點）")
        return ArticleResult(a)

    # --- procurement records -------------------------------------------------------------------
    @tool
    def lookup_case(self, case_no: Annotated[str, Field(description="案號")]) -> CaseFound:
        """依案號查詢採購案件紀錄與其招標事件（含流標、廢標原因）。"""
        c = self._store().lookup_case(case_no)
        if c is None:
            raise LookupError(f"查無案號 {case_no}")
        return CaseFound(c)

    @tool
    def find_cases(self, text: CaseText = None, unit: str | None = None, category: Category | None = None,
                   status: str | None = None, method: str | None = None, date_from: str | None = None,
                   date_to: str | None = None, min_amount: Annotated[int | None, Field(ge=0)] = None,
                   max_amount: Annotated[int | None, Field(ge=0)] = None,
                   limit: Annotated[int, Field(ge=1, le=200)] = 20,
                   order_by: Annotated[Literal["announced", "award_amount"],
                                       Field(description="award_amount：決標金額由高到低")] = "announced",
                   ) -> CaseList:
        """依條件查詢採購案件（案名、單位、類別、狀態、招標方式、期間、金額）。"""
        rows = self._store().find_cases(text=text, unit=unit, category=category, status=status, method=method,
                                        date_from=date_from, date_to=date_to, min_amount=min_amount,
                                        max_amount=max_amount, limit=limit, order_by=order_by)
        return CaseList(rows, by_award=order_by == "award_amount")

    @tool
    def failed_tender_report(self, group_by: Literal["cause", "unit", "category", "month"] = "cause",
                             unit: str | None = None, date_from: str | None = None,
                             date_to: str | None = None) -> FailedReport:
        """流標／廢標統計：依原因、單位、類別或月份彙整件數與比率。"""
        return FailedReport(self._store().failed_tender_report(group_by=group_by, unit=unit, date_from=date_from,
                                                               date_to=date_to))

    @tool
    def vendor_suspension_check(self, tax_id_or_name: VendorKey, on: OnDay = None) -> VendorCheck:
        """查詢廠商是否在刊登政府採購公報（停權）期間。"""
        return VendorCheck(self._store().vendor_suspension_check(tax_id_or_name, self._on(on)))

    # --- calculators ---------------------------------------------------------------------------
    @tool
    def procurement_tier(self, amount: Annotated[int, Field(ge=0, description="採購金額（新臺幣元）")],
                         category: Category, on: str | None = None) -> Calculation:
        """依金額、類別與日期判斷採購級距（小額／未達公告金額／公告金額以上／查核金額以上／巨額），附條文依據。"""
        return Calculation(calc.procurement_tier(amount, category, self._on(on), table=self.thresholds,
                                                 articles=self.articles))

    @tool
    def procurement_threshold(
        self, kind: Annotated[ThresholdKind, Field(description="小額、公告金額、查核金額或巨額")],
        category: Annotated[Category | None, Field(description="工程、財物或勞務；不給則列出各類別")] = None,
        on: str | None = None,
    ) -> Calculation:
        """查詢採購金額門檻（小額、公告金額、查核金額、巨額）於某日適用的金額，附訂定門檻的條文。"""
        return Calculation(threshold_answer(kind, self._on(on), category, table=self.thresholds,
                                            articles=self.articles))

    @tool
    def procurement_amount(
        self, budget: Annotated[int, Field(ge=0, description="預算金額（新臺幣元）；租期不確定之租賃填 0")],
        optional_or_expansion: Annotated[int, Field(ge=0, description="預估選購或後續擴充金額")] = 0,
        monthly_rent_indefinite_term: Annotated[int | None, Field(ge=0, description="租期不確定時的每月租金")] = None,
    ) -> Calculation:
        """依政府採購法施行細則第6條計算採購金額（含後續擴充、租期不確定之租賃）。"""
        return Calculation(calc.procurement_amount(budget, optional_or_expansion=optional_or_expansion,
                                                   monthly_rent_indefinite_term=monthly_rent_indefinite_term,
                                                   articles=self.articles))

    @tool
    def tender_period(self, amount: Annotated[int | None, Field(ge=0, description="採購金額（新臺幣元）")] = None,
                      tier: Annotated[TierCode | None, Field(description="不知金額時可給級距代碼")] = None,
                      category: Category = "財物", method: Method = "公開招標", retender: Retender | None = None,
                      electronic_download: bool = False, electronic_bid: bool = False,
                      public_inspection: bool = False, urgent: bool = False,
                      publication_date: Annotated[str | None,
                                                  Field(description="公告日；給了就算出最早截止投標日")] = None,
                      on: str | None = None) -> Calculation:
        """依招標期限標準計算最少等標期與可縮短情形，附條文依據。"""
        basis = amount if amount is not None else tier
        if basis is None:
            raise ValueError("需要採購金額或級距才能計算等標期")
        return Calculation(calc.tender_period(
            basis, method, category, self._on(on), retender=retender, electronic_download=electronic_download,
            electronic_bid=electronic_bid, public_inspection=public_inspection, urgent=urgent,
            publication_date=parse_date(publication_date) if publication_date else None,
            table=self.thresholds, articles=self.articles))

    @tool
    def bid_bond_and_guarantees(self, budget: Annotated[int | None, Field(ge=0, description="預算金額（新臺幣元）")] = None,
                                estimated: Annotated[int | None, Field(ge=0, description="預估採購總額")] = None, *,
                                category: Category, negotiation: bool = False, on: str | None = None,
                                reductions: Annotated[list[Literal["押標金", "履約保證金"]] | None, Field(
                                    description="問到減收時，要列出減收上限金額的項目")] = None,
                                ) -> Calculation:
        """依押標金保證金暨其他擔保作業辦法計算押標金、履約保證金、保固保證金上限與免收情形（可列出減收上限）。"""
        r = calc.bid_bond_and_guarantees(budget, estimated, category, self._on(on), negotiation=negotiation,
                                         table=self.thresholds, articles=self.articles)
        extra = calc.reductions_zh(r, list(reductions)) if reductions else ""
        return Calculation(r.model_copy(update={"answer_zh": f"{r.answer_zh}；{extra}"}) if extra else r)

    # --- other records -------------------------------------------------------------------------
    @tool
    def retention_lookup(self, text_or_code: Annotated[str, Field(description="類目名稱或分類號")]) -> Retention:
        """查詢檔案保存年限區分表的類目與保存年限。"""
        return Retention(self._store().retention_lookup(text_or_code))

    @tool
    def find_seed_teachers(
        self, district: Annotated[str | None, Field(description="臺中市行政區，如 西屯區 或 西屯")] = None,
        expertise: Annotated[str | None, Field(description="專長的一部分，如 採購爭議處理")] = None,
    ) -> SeedTeachers:
        """依行政區及／或專長查詢臺中市採購種子教師名單。"""
        if not district and not expertise:
            raise ValueError("請提供行政區或專長")
        where = "、".join(v for v in (district, expertise) if v)
        return SeedTeachers(self._store().find_teachers(district, expertise), where=where)

    @tool
    def vendor_cases(self, tax_id_or_name: VendorKey) -> VendorCases:
        """查詢某廠商（統一編號或名稱）得標過的採購案，決標金額由高到低。"""
        return VendorCases(self._store().vendor_cases(tax_id_or_name), vendor=tax_id_or_name)

    @tool
    def failed_tender_events(self, unit: str | None = None, text: CaseText = None,
                             kind: Literal["流標", "廢標"] | None = None, date_from: str | None = None,
                             date_to: str | None = None) -> FailedEvents:
        """列出流標／廢標的每一次紀錄（案號、案名、日期、原因），可依單位、案名、期間篩選。"""
        rows = self._store().failed_tender_events(unit=unit, text=text, kind=kind, date_from=date_from,
                                                  date_to=date_to)
        return FailedEvents(rows, kind=kind)

    @tool
    def suspended_vendors(
        self, on: OnDay = None,
        status: Annotated[SuspensionStatus, Field(description="停權中（該日仍在期間內）、已解除（期間已結束）或尚未開始")]
        = "停權中",
    ) -> SuspendedVendors:
        """依停權狀態列出刊登政府採購公報（停權）的廠商：某日仍在停權中、已解除或尚未開始。"""
        day = self._on(on)
        return SuspendedVendors(self._store().suspended_vendors(day, status=status), on=on or day.isoformat(),
                                status=status)

    # --- building safety -----------------------------------------------------------------------
    @tool
    def find_aeds(
        self, floor: Annotated[str | None, Field(description="樓層，如 3F、B1")] = None,
        text: Annotated[str | None, Field(description="設置地點的一部分，如 文心樓、員工餐廳")] = None,
        expires_from: Annotated[str | None, Field(description="電極片或電池到期日之起")] = None,
        expires_to: Annotated[str | None, Field(description="電極片或電池到期日之迄")] = None,
        checked_before: Annotated[str | None, Field(description="最近一次檢查早於此日")] = None,
        problem_only: Annotated[bool, Field(description="只列有狀況（逾期、過期、即將到期）者")] = False,
        on: str | None = None,
    ) -> Aeds:
        """查詢市政大樓 AED：依樓層、地點、電極片／電池到期日、最近檢查日篩選，附各台狀況。"""
        return Aeds(self._store().find_aeds(floor=floor, text=text, expires_from=expires_from,
                                            expires_to=expires_to, checked_before=checked_before,
                                            problem_only=problem_only, on=self._on(on)))

    @tool
    def list_drills(self, date_from: str | None = None, date_to: str | None = None,
                    text: Annotated[str | None, Field(description="情境或檢討缺失的一部分")] = None) -> Drills:
        """查詢消防演練（滅火、通報及避難訓練）紀錄：日期、情境、人數、時數、檢討缺失。"""
        return Drills(self._store().list_drills(date_from=date_from, date_to=date_to, text=text))

    @tool
    def inspection_history(
        self, kind: Annotated[str | None, Field(description="檢查／申報種類的一部分，如 消防安全設備檢修申報")] = None,
        result: Literal["合格", "不合格"] | None = None, date_from: str | None = None, date_to: str | None = None,
    ) -> Inspections:
        """查詢設備檢查與申報紀錄（消防安全設備檢修申報、建築物公共安全檢查簽證申報、保養等）：日期、結果、下次期限。"""
        return Inspections(self._store().inspection_history(kind=kind, result=result, date_from=date_from,
                                                            date_to=date_to))

    @tool
    def building_safety_status(self, on: str | None = None) -> SafetyStatus:
        """市政大樓安全狀況：AED 檢查與耗材到期、消防演練、設備檢修申報。"""
        return SafetyStatus(self._store().building_safety_status(self._on(on)))

    @writing_tool
    def log_consultation(self, caller_agency: Annotated[str, Field(min_length=1)],
                         category: Annotated[str, Field(min_length=1)],
                         question: Annotated[str, Field(min_length=1)],
                         answer: Annotated[str, Field(min_length=1, description="回覆內容")],
                         citations: Annotated[list[dict[str, str]], Field(default_factory=list)],
                         follow_up: bool = False, follow_up_note: str | None = None,
                         handled_by: str = "採購諮詢專線") -> ConsultationLogged:
        """記錄一筆採購諮詢專線紀錄（寫入）。"""
        return ConsultationLogged(self._store().log_consultation(
            occurred_at=datetime.now(), caller_agency=caller_agency, category=category, question=question,
            answer=answer, citations=citations, follow_up=follow_up, follow_up_note=follow_up_note,
            handled_by=handled_by))

    # --- access ---------------------------------------------------------------------------------
    def specs(self, allow_writes: bool = False) -> list[ToolDef]:
        """The tools a planner may be offered: this role's (core.policy), without writes unless allowed."""
        return [s for s in TOOLS.values() if (allow_writes or not s.writes) and tool_permitted(self.role, s.name)]

    def call(self, name: str, args: dict[str, object], allow_writes: bool = False) -> ToolCall:
        """Validate and run one tool; errors come back inside the ToolCall (zh-TW message)."""
        spec = TOOLS.get(name)
        if spec is None:
            return ToolCall(name=name, args=args, error=f"沒有名為 {name} 的工具")
        if not tool_permitted(self.role, name):  # refused before anything is looked up
            return ToolCall(name=name, args=args, error=denial(self.role, TOOL_CAPABILITY.get(name, Capability.admin)),
                            denied=True)
        if spec.writes and not allow_writes:
            return ToolCall(name=name, args=args, error=f"{name} 會寫入資料，此處不允許")
        try:
            parsed = spec.args_schema.model_validate(args)
        except ValidationError as e:
            msgs = "；".join(f"{'.'.join(str(x) for x in err['loc'])}：{err['msg']}" for err in e.errors())
            return ToolCall(name=name, args=args, error=f"參數不正確：{msgs}")
        t0 = time.perf_counter()
        try:
            result: ToolResult = spec.run(self, parsed)
        except Exception as e:  # fed back to the planner as a result
            return ToolCall(name=name, args=parsed.model_dump(exclude_none=True), error=str(e) or type(e).__name__)
        return ToolCall(name=name, args=parsed.model_dump(exclude_none=True), result=result,
                        ms=round((time.perf_counter() - t0) * 1000, 1))

    def langchain_tools(self, allow_writes: bool = False) -> list[BaseTool]:
        """The same tools as LangChain StructuredTools (for the LLM agent), with the same schemas."""
        from langchain_core.tools import StructuredTool

        tools: list[BaseTool] = []
        for spec in self.specs(allow_writes):
            def run(_spec: ToolDef = spec, **kwargs: object) -> JSON:
                tc = self.call(_spec.name, kwargs, allow_writes=allow_writes)
                return {"error": tc.error} if tc.error or tc.result is None else tc.result.to_json()

            tools.append(StructuredTool.from_function(func=run, name=spec.name, description=spec.description,
                                                      args_schema=spec.args_schema))
        return tools


TOOLS: dict[str, ToolDef] = {d.name: d for d in vars(ToolBox).values() if isinstance(d, ToolDef)}
