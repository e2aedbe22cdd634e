"""The committed 範例 dataset: byte-identical regeneration, clean import, realistic shape."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from knowledge.records import SAMPLE_DIR, RecordsService, init_db, load_sample, make_engine
from knowledge.records.models import Base
from knowledge.records.sample import REFERENCE_DATE, SAMPLE_FILES, generate, main, render
from knowledge.records.taxid import is_valid_tax_id
from knowledge.records.vocab import TAICHUNG_DISTRICTS


def test_generator_reproduces_committed_files_byte_for_byte(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 0
    committed = sorted(p.name for p in SAMPLE_DIR.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == committed
    for name in committed:
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), name


def test_generator_depends_on_seed() -> None:
    assert render(generate(1))["cases.csv"] != render(generate(2))["cases.csv"]
    assert render(generate(1)) == render(generate(1))


@pytest.fixture(scope="module")
def sample_svc(tmp_path_factory: pytest.TempPathFactory):
    engine = init_db(f"sqlite:///{tmp_path_factory.mktemp('sample') / 'rec.sqlite3'}")
    reports = load_sample(engine)
    assert all(r.ok for r in reports), [r.summary_zh() for r in reports if not r.ok]
    svc = RecordsService(engine)
    yield svc
    svc.close()
    engine.dispose()


def test_sample_sizes_and_labels(sample_svc: RecordsService) -> None:
    counts = sample_svc.table_counts()
    assert counts["cases"] == 400 and counts["vendors"] == 60 and counts["consultations"] == 300
    assert counts["retention"] == 40 and counts["causes"] == 11
    assert counts["suspensions"] >= 10 and counts["aeds"] >= 10 and counts["drills"] >= 8
    cases = sample_svc.find_cases(limit=500)
    assert len(cases) == 400
    assert all(c.name.startswith("（範例）") and c.sample for c in cases)
    assert {c.announced_on.year for c in cases if c.announced_on} == {2022, 2023, 2024, 2025, 2026}
    assert all(c.vendor_name is None or c.vendor_name.startswith("範例") for c in cases)
    # amounts span the tiers around 公告金額 (150萬) and 查核金額 (5000萬)
    amounts = [c.amount for c in cases]
    assert min(amounts) <= 150_000 and max(amounts) >= 50_000_000
    assert 0.3 < sum(a < 1_500_000 for a in amounts) / len(amounts) < 0.85
    doc = json.loads((SAMPLE_DIR / "consultations.json").read_text(encoding="utf-8"))
    assert doc["sample"] is True and "範例" in doc["note"]
    assert "範例" in (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")


def test_sample_failed_tender_rate_is_realistic(sample_svc: RecordsService) -> None:
    rep = sample_svc.failed_tender_report("cause")
    assert rep.rate is not None and 0.10 <= rep.rate <= 0.20
    assert {r.key for r in rep.rows} >= {"NO_BID", "UNDER_3"}
    assert sum(r.failed for r in rep.rows) == rep.failed


def test_sample_vendors_suspensions_and_teachers(sample_svc: RecordsService) -> None:
    rows = [line.split(",") for line in (SAMPLE_DIR / "vendors.csv").read_text(encoding="utf-8").splitlines()[1:]]
    assert all(is_valid_tax_id(r[0]) for r in rows)
    statuses = [sample_svc.vendor_suspension_check(r[0], on=REFERENCE_DATE).suspended for r in rows]
    assert 3 <= sum(statuses) <= 10  # some active, others expired or never suspended
    for district in TAICHUNG_DISTRICTS:
        assert sample_svc.find_seed_teachers(district), district


def test_sample_building_safety_has_findings(sample_svc: RecordsService) -> None:
    st = sample_svc.building_safety_status(on=REFERENCE_DATE)
    assert any(a.check_overdue for a in st.aeds) and any(a.pads_expired for a in st.aeds)
    assert st.inspections_overdue >= 1
    assert st.last_drill is not None and not st.last_drill.qualifies  # last drill shorter than 4 hours
    assert sample_svc.building_safety_status(on=date(2026, 6, 1)).drill_rule_met


def test_load_sample_twice_needs_upsert(tmp_path: Path) -> None:
    engine = init_db(f"sqlite:///{tmp_path / 'rec.sqlite3'}")
    assert all(r.ok for r in load_sample(engine))
    again = load_sample(engine)
    assert not again[-1].ok and "upsert" in again[-1].errors[0].reason
    upsert = load_sample(engine, mode="upsert")
    assert all(r.ok and r.inserted == 0 for r in upsert)
    assert len(upsert) == len(SAMPLE_FILES)
    engine.dispose()


PG_URL = os.environ.get("MISHU_TEST_PG_URL")


@pytest.mark.live
@pytest.mark.skipif(not PG_URL, reason="set MISHU_TEST_PG_URL (a disposable PostgreSQL database) to run")
def test_sample_answers_are_identical_on_postgresql(sample_svc: RecordsService) -> None:
    engine = make_engine(str(PG_URL))
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    try:
        assert all(r.ok for r in load_sample(engine))
        pg = RecordsService(engine)

        def answers(svc: RecordsService) -> list[object]:
            return [
                *(svc.failed_tender_report(g).model_dump() for g in ("cause", "unit", "category", "month")),
                [c.model_dump() for c in svc.find_cases(limit=500)],
                [c.model_dump() for c in svc.find_cases(text="採購", status="已結案", min_amount="150萬")],
                svc.building_safety_status(REFERENCE_DATE).model_dump(),
                [c.model_dump() for c in svc.list_consultations(category="爭議")],
                svc.export_consultations_csv(),
                svc.vendor_suspension_check("範例", on=REFERENCE_DATE).model_dump(),
                [r.model_dump() for r in svc.retention_lookup("S0")],
                svc.table_counts(),
            ]

        assert answers(pg) == answers(sample_svc)
        pg.close()
    finally:
        Base.metadata.drop_all(engine)
        engine.dispose()
