"""The one drafting service (assistant.drafting.service) the CLI, API, chat and pages call: real records
(SQLite with the 範例 data), the real template and calculators, real .docx files in a real folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.calculators import ArticleIndex
from assistant.drafting import CaseInputError, TenderDraft
from assistant.drafting.service import (
    CaseNotFoundError,
    DraftingError,
    DraftingService,
    DraftRequest,
    detect_kind,
)
from assistant.drafting.store import DraftStore
from assistant.models import ToolCall
from assistant.nlu import understand
from assistant.tool_results import CaseFound
from core.money import format_twd
from knowledge.records import RecordsService, init_db, load_sample
from knowledge.records.results import CaseDetail

BASE = {"名稱": "（範例）公務用影印機採購", "機關": "臺中市政府秘書處", "單位": "事務科", "類別": "財物",
        "預算金額": 4_800_000, "招標方式": "公開招標", "決標原則": "最低標"}


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> RecordsService:
    engine = init_db(f"sqlite:///{tmp_path_factory.mktemp('records') / 'records.sqlite'}")
    assert all(r.ok for r in load_sample(engine))
    return RecordsService(engine)


@pytest.fixture(scope="module")
def articles() -> ArticleIndex:
    return ArticleIndex.load()


@pytest.fixture()
def service(records: RecordsService, articles: ArticleIndex, tmp_path: Path) -> DraftingService:
    return DraftingService(records, articles, DraftStore(tmp_path / "drafts"))


@pytest.fixture(scope="module")
def case(records: RecordsService) -> CaseDetail:
    found = records.find_cases(category="財物", method="公開招標", limit=1)
    detail = records.lookup_case(found[0].case_no)
    assert detail is not None and detail.budget
    return detail


class RecordsToolbox:
    """The one tool the chat path calls, answered from the same records store (an honest stand-in for
    assistant.tools.ToolBox, which needs the whole index)."""

    def __init__(self, records: RecordsService):
        self.records = records

    def call(self, name: str, args: dict[str, Any], allow_writes: bool = False) -> ToolCall:
        assert name == "lookup_case"
        found = self.records.lookup_case(args["case_no"])
        if found is None:
            return ToolCall(name=name, args=args, error=f"查無案號 {args['case_no']}")
        return ToolCall(name=name, args=args, result=CaseFound(found))


def test_tender_notice_is_an_alias_of_tender_instructions(service: DraftingService) -> None:
    a = service.draft(DraftRequest("tender_notice", case=BASE))
    b = service.draft(DraftRequest("tender_instructions", case=BASE))
    assert isinstance(a, TenderDraft) and a.kind == b.kind == "tender_instructions"
    assert a.markdown == b.markdown
    with pytest.raises(DraftingError, match="不支援的草稿類型"):
        service.draft(DraftRequest("poem"))


def test_case_number_brings_the_record_and_given_fields_go_over_it(service: DraftingService,
                                                                   case: CaseDetail) -> None:
    plain = service.draft(DraftRequest("tender_instructions", case_no=case.case_no))
    assert f"案號：{case.case_no}" in plain.markdown and format_twd(case.budget or 0) in plain.markdown
    assert "開標地點" in plain.missing_fields
    given = service.draft(DraftRequest("tender_instructions", case_no=case.case_no, case={"預算金額": 3_000_000},
                                       fields={"開標地點": "本府秘書處採購室"}))
    assert "本府秘書處採購室" in given.markdown and "開標地點" not in given.missing_fields
    assert "預算金額：新臺幣3,000,000元" in given.markdown
    with pytest.raises(CaseNotFoundError, match="NO-SUCH"):
        service.draft(DraftRequest("tender_instructions", case_no="NO-SUCH"))
    with pytest.raises(CaseInputError, match="火星欄位"):
        service.draft(DraftRequest("tender_instructions", case={"火星欄位": 1}))


def test_letter_from_a_case_names_the_record_agency(service: DraftingService, case: CaseDetail) -> None:
    letter = service.draft(DraftRequest("letter", case_no=case.case_no, subject="請派員協助開標作業",
                                        recipient="臺中市政府消防局"))
    assert letter.kind == "letter" and case.agency in letter.markdown and "請派員協助開標作業" in letter.markdown


def test_stored_draft_has_an_id_and_an_owner_only_once_set(service: DraftingService) -> None:
    draft, draft_id, path = service.draft_and_store(DraftRequest("memo", fields={"主旨": "擬辦理AED年度檢查"}))
    store = service.store
    assert path.is_file() and path.read_bytes()[:2] == b"PK" and store.docx(draft_id) == path
    assert store.id_of(path) == draft_id and store.id_of(path.with_name("x.docx")) is None
    assert store.owner(draft_id) is None  # not served until an edge names its owner
    store.set_owner(draft_id, {"key_id": "k1", "role": "staff"})
    assert store.owner(draft_id) == {"key_id": "k1", "role": "staff"}
    assert store.docx("../" + draft_id) is None and store.owner("../etc") is None
    assert "擬辦理AED年度檢查" in draft.markdown


def test_chat_request_uses_the_record_of_the_named_case(service: DraftingService, records: RecordsService,
                                                        case: CaseDetail) -> None:
    u = understand(f"幫我擬案號 {case.case_no} 的投標須知，預算300萬元")
    assert detect_kind(u.text) == "tender_instructions" and u.amount == 3_000_000
    a = service.chat(u.text, u, RecordsToolbox(records))
    assert a.draft is not None and a.draft.kind == "tender_instructions" and a.draft.docx_path
    assert [t.name for t in a.tool_calls][:1] == ["lookup_case"]
    assert format_twd(case.budget or 0) in a.draft.markdown  # the record decides, not the question's amount
    assert Path(a.draft.docx_path).parent == service.store.folder
    # without a case the question's amount and category fill the draft
    u2 = understand("幫我擬一份勞務採購的投標須知，預算250萬元")
    a2 = service.chat(u2.text, u2, RecordsToolbox(records))
    assert a2.draft is not None and "新臺幣2,500,000元" in a2.draft.markdown and "勞務" in a2.draft.markdown
