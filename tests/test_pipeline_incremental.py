"""Incremental, safe re-indexing (content hashes, skips, swaps, crash safety) on a real index: embedded Chroma,
bm25s, SQLite, with the small deterministic ``HashingEmbedder`` (ranking is not under test here)."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from mishu.app import Container
from mishu.settings import Settings
from tests.fakes import hashing_container

SRC = Path(__file__).resolve().parent.parent / "knowledge" / "sources"


def _law(src: Path, dst: Path, **changes: object) -> Path:
    d = json.loads(src.read_text(encoding="utf-8"))
    d.update(changes)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    return dst


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "sources"
    _law(SRC / "procurement" / "tender-period-standards.json", root / "procurement" / "tender-period-standards.json")
    _law(SRC / "archives" / "archives-access-fee-standards.json", root / "archives" / "fees.json")
    return root


def _container(tmp_path: Path, root: Path) -> Container:
    return hashing_container(Settings(data_dir=tmp_path / "data", sources=[root]))


def test_unchanged_skipped_changed_replaced_removed(tmp_path: Path, corpus: Path) -> None:
    c = _container(tmp_path, corpus)
    first = c.indexer.ingest([corpus])
    assert len(first.added) == 2 and not first.failed
    assert first.chunks_embedded > 0

    again = c.indexer.ingest([corpus])
    assert len(again.unchanged) == 2 and again.chunks_embedded == 0 and not again.added

    # change one article: only that document is re-parsed; only the new text is embedded
    path = corpus / "procurement" / "tender-period-standards.json"
    d = json.loads(path.read_text(encoding="utf-8"))
    d["articles"][0]["text"] = "本標準依政府採購法第二十八條規定訂定之。（測試修正：沙漏條款）"
    path.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    changed = c.indexer.ingest([corpus])
    assert changed.updated == [str(path.resolve())]
    assert 0 < changed.chunks_embedded <= 3  # the changed article (whole + lines), not the whole law
    art = c.kb.get_article("招標期限標準", "1")
    assert art is not None and "沙漏條款" in art.text
    hits = c.retriever.search("沙漏條款", 3)
    assert hits[0].title == "招標期限標準" and hits[0].no == "1"
    # registry and vector store agree (old generation's vectors are gone)
    assert c.store.ids() == c.registry.chunk_ids()

    (corpus / "archives" / "fees.json").unlink()
    removed = c.indexer.ingest([corpus])
    assert removed.removed == [str((corpus / "archives" / "fees.json").resolve())]
    assert all(h.title != "檔案閱覽抄錄複製收費標準" for h in c.retriever.search("檔案閱覽收費", 10))
    assert c.store.ids() == c.registry.chunk_ids()


def test_older_version_queryable_by_date(tmp_path: Path, corpus: Path) -> None:
    old = _law(SRC / "procurement" / "tender-period-standards.json", corpus / "old" / "tps-2001.json",
               last_amended="2001-01-01")
    d = json.loads(old.read_text(encoding="utf-8"))
    d["articles"][1]["text"] = d["articles"][1]["text"].replace("十四日", "十日")
    old.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    c = _container(tmp_path, corpus)
    rep = c.indexer.ingest([corpus])
    assert not rep.failed
    now = c.kb.get_article("招標期限標準", "2")
    then = c.kb.get_article("招標期限標準", "2", as_of=date(2005, 1, 1))
    assert now is not None and then is not None
    assert "十四日" in now.text and now.amended == date(2009, 8, 31)
    assert "十日" in then.text and then.amended == date(2001, 1, 1) and not then.is_current
    hits = c.retriever.search("招標期限標準第2條", 3, as_of=date(2005, 1, 1))
    assert hits[0].amended == "2001-01-01"
    assert c.retriever.search("招標期限標準第2條", 3)[0].amended == "2009-08-31"


def test_bad_files_reported_rest_indexed(tmp_path: Path, corpus: Path) -> None:
    (corpus / "procurement" / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (corpus / "procurement" / "empty.md").write_text("", encoding="utf-8")
    (corpus / "procurement" / "bad.json").write_text("{not json", encoding="utf-8")
    c = _container(tmp_path, corpus)
    rep = c.indexer.ingest([corpus])
    reasons = {Path(f.path).name: f.reason for f in rep.failed}
    assert set(reasons) == {"broken.pdf", "empty.md", "bad.json"}
    assert "PDF" in reasons["broken.pdf"] and "空" in reasons["empty.md"] and "JSON" in reasons["bad.json"]
    assert len(rep.added) == 2
    missing = c.indexer.ingest([tmp_path / "nope"])
    assert missing.failed and "找不到" in missing.failed[0].reason


def test_interrupted_ingest_keeps_previous_index(tmp_path: Path, corpus: Path) -> None:
    c = _container(tmp_path, corpus)
    c.indexer.ingest([corpus])
    before = c.kb.get_article("招標期限標準", "1")
    path = corpus / "procurement" / "tender-period-standards.json"
    d = json.loads(path.read_text(encoding="utf-8"))
    d["articles"][0]["text"] = "中斷測試的新條文內容（不應出現）。"
    path.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")

    def interrupt(stage: str, done: int, total: int) -> None:
        if stage == "詞彙索引":  # after new vectors were written, before the registry swap
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        c.indexer.ingest([corpus], progress=interrupt)
    # readers still see the previous, complete state
    after = c.kb.get_article("招標期限標準", "1")
    assert after is not None and before is not None and after.text == before.text
    assert all("中斷測試" not in h.text for h in c.retriever.search("中斷測試的新條文內容", 5))
    # the orphaned vectors exist now, and the next run collects them and applies the change
    assert c.store.ids() - c.registry.chunk_ids()
    rep = c.indexer.ingest([corpus])
    assert rep.updated and c.store.ids() == c.registry.chunk_ids()
    article = c.kb.get_article("招標期限標準", "1")
    assert article is not None and "中斷測試" in article.text


def test_restricted_document_hidden_from_roles_without_access(tmp_path: Path, corpus: Path) -> None:
    (corpus / "plans").mkdir()
    (corpus / "plans" / "secret.md").write_text(
        "---\ndoc_id: drill-secret\ntitle: 市政大樓安全維護密件（測試）\ndomain: plan\naccess_level: restricted\n---\n"
        "# 市政大樓安全維護密件（測試）\n## 壹、通行管制\n### 一、夜間巡查\n夜間巡查路線以琥珀色識別證通行。\n",
        encoding="utf-8")
    c = _container(tmp_path, corpus)
    c.indexer.ingest([corpus])
    from core.access import allowed_levels

    hotline = c.retriever.search("琥珀色識別證", 5, allowed=allowed_levels("hotline"))
    staff = c.retriever.search("琥珀色識別證", 5, allowed=allowed_levels("staff"))
    assert all("密件" not in h.title for h in hotline)
    assert staff and "密件" in staff[0].title
    assert c.kb.get_article(staff[0].title, staff[0].no, allowed=allowed_levels("hotline")) is None
    shutil.rmtree(corpus / "plans")


# --- review section 3, gaps listed beside F-29 ------------------------------------------------------------------
def test_a_missing_source_root_prunes_nothing(tmp_path: Path, corpus: Path) -> None:
    """An unmounted share in MISHU_SOURCES used to make every document under it look deleted."""
    extra = tmp_path / "share"
    _law(SRC / "archives" / "archives-act.json", extra / "archives" / "archives-act.json")
    c = _container(tmp_path, corpus)
    assert len(c.indexer.ingest([corpus, extra]).added) == 3
    extra.rename(tmp_path / "share-unmounted")
    gone = c.indexer.ingest([corpus, extra])
    assert any("找不到" in f.reason for f in gone.failed) and gone.removed == []
    assert c.kb.get_article("檔案法", "1") is not None
    (tmp_path / "share-unmounted").rename(extra)
    back = c.indexer.ingest([corpus, extra])
    assert len(back.unchanged) == 3 and not back.added and not back.removed


def test_a_cleanup_failure_after_the_swap_is_a_note_not_a_failed_run(tmp_path: Path, corpus: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    c = _container(tmp_path, corpus)
    c.indexer.ingest([corpus])
    path = corpus / "procurement" / "tender-period-standards.json"
    d = json.loads(path.read_text(encoding="utf-8"))
    d["articles"][0]["text"] = "本標準依政府採購法第二十八條規定訂定之。（清理失敗測試）"
    path.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")

    def fail(ids: list[str]) -> None:
        raise OSError("disk went away")

    monkeypatch.setattr(c.store, "delete", fail)
    rep = c.indexer.ingest([corpus])  # no exception: the swap was committed
    assert rep.updated and any("清除舊資料" in n for n in rep.notes)
    art = c.kb.get_article("招標期限標準", "1")
    assert art is not None and "清理失敗測試" in art.text
    monkeypatch.undo()
    assert c.store.ids() - c.registry.chunk_ids()  # the old vectors are still there ...
    c.indexer.ingest([corpus])
    assert c.store.ids() == c.registry.chunk_ids()  # ... and the next run collects them


def test_a_file_failing_under_a_new_pipeline_is_retried(tmp_path: Path, corpus: Path) -> None:
    """After a PIPELINE_VERSION change, a file that now fails kept its old chunks and was never parsed again
    (its hash was known and the new version was recorded). Now the version is recorded only once it parses."""
    from ingest.sandbox import ParseLimits
    from knowledge.indexer import PIPELINE_VERSION

    c = _container(tmp_path, corpus)
    c.indexer.ingest([corpus])
    with c.registry.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO state VALUES ('pipeline_version', 'an-older-pipeline')")
    limits = c.indexer.parse_limits
    c.indexer.parse_limits = ParseLimits(max_bytes=6000, memory_mb=limits.memory_mb, cpu_s=limits.cpu_s,
                                         wall_s=limits.wall_s)  # the larger law now fails to parse
    first = c.indexer.ingest([corpus])
    assert len(first.failed) == 1 and c.kb.get_article("招標期限標準", "1") is not None  # old chunks kept
    assert c.registry.get_state("pipeline_version") == "an-older-pipeline"
    c.indexer.parse_limits = limits
    second = c.indexer.ingest([corpus])
    assert not second.failed and str((corpus / "procurement" / "tender-period-standards.json").resolve()) in (
        second.updated + second.added)
    assert c.registry.get_state("pipeline_version") == PIPELINE_VERSION
    assert len(c.indexer.ingest([corpus]).unchanged) == 2
