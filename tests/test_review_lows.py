"""Review findings F-20 (CSV formula injection), F-21 (drafting 500s and server paths), F-24 (stream ignored
as_of): each test runs the review's reproduction against the real app over a small real index."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

SOURCES = Path(__file__).resolve().parent.parent / "knowledge" / "sources"
SUBSET = [
    SOURCES / "procurement" / "procurement-act.json",
    SOURCES / "procurement" / "bid-bond-guarantee-rules.json",
]
KEYS = {
    "staff": "staff-key-lows-0000000000001",
    "staff2": "staff2-key-lows-000000000001",
    "hotline": "hotline-key-lows-00000000001",
}
ROLE = {"staff": "staff", "staff2": "staff", "hotline": "hotline"}


def H(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[who]}"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from mishu.api.app import create_app
    from mishu.app import Container
    from mishu.settings import Settings

    root = tmp_path_factory.mktemp("mishu-lows")
    src = root / "src"
    src.mkdir()
    for p in SUBSET:
        shutil.copy(p, src / p.name)
    settings = Settings(
        data_dir=root / "data", sources=[src], api_keys=",".join(f"{k}:{ROLE[w]}" for w, k in KEYS.items())
    )
    c = Container(settings)
    assert not c.indexer.ingest([src]).failed
    c.ensure_sample_records()
    with TestClient(create_app(container=c)) as client:
        yield {"client": client, "container": c, "settings": settings}


def _stream_answer(client: TestClient, body: dict[str, Any], who: str) -> tuple[str, dict[str, Any]]:
    with client.stream("POST", "/v1/ask/stream", json=body, headers=H(who)) as r:
        raw = "".join(r.iter_text())
    block = next(b for b in raw.split("\n\n") if b.startswith("event: answer"))
    return raw, json.loads(block.split("data: ", 1)[1])


# --- F-24 ---------------------------------------------------------------------------------------------------
def test_stream_honours_as_of_like_ask(env: dict[str, Any]) -> None:
    client = env["client"]
    q = {"question": "押標金的額度怎麼定？", "as_of": "2010-01-01"}
    plain = client.post("/v1/ask", json={"question": q["question"]}, headers=H("staff")).json()
    dated = client.post("/v1/ask", json=q, headers=H("staff")).json()
    _, streamed = _stream_answer(client, q, "staff")
    key = [(c["title"], c["no"], c["amended"]) for c in dated["citations"]]
    assert key != [
        (c["title"], c["no"], c["amended"]) for c in plain["citations"]
    ]  # as_of changes the answer
    assert [(c["title"], c["no"], c["amended"]) for c in streamed["citations"]] == key
    assert streamed["refused"] == dated["refused"]


# --- F-20 ---------------------------------------------------------------------------------------------------
def test_csv_export_guards_formulas_and_round_trips(tmp_path: Path) -> None:
    from knowledge.records import RecordsService, import_file, init_db

    svc = RecordsService(init_db(f"sqlite:///{tmp_path / 'r.sqlite3'}"))
    evil = '=HYPERLINK("http://127.0.0.1:9/x","點我")'
    svc.log_consultation(
        occurred_at=datetime(2026, 11, 2, 9, 30),
        caller_agency="@SUM(1+1)",
        category="招標",
        question=evil,
        answer="-2+3",
        handled_by="+甲",
        citations=[],
    )
    text = svc.export_consultations_csv()
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["question"] == "'" + evil and row["caller_agency"] == "'@SUM(1+1)"
    assert row["answer"] == "'-2+3" and row["handled_by"] == "'+甲"
    (tmp_path / "out.csv").write_text(text, encoding="utf-8")
    other = init_db(f"sqlite:///{tmp_path / 'o.sqlite3'}")
    assert import_file(other, "consultations", tmp_path / "out.csv").ok
    back = RecordsService(other).list_consultations()[0]
    assert (back.question, back.caller_agency, back.answer, back.handled_by) == (
        evil,
        "@SUM(1+1)",
        "-2+3",
        "+甲",
    )


# --- F-21 ---------------------------------------------------------------------------------------------------
def test_control_characters_in_draft_fields_are_a_422_not_a_500(env: dict[str, Any]) -> None:
    r = env["client"].post(
        "/v1/draft", json={"kind": "letter", "fields": {"主旨": "測試\u0001請查照"}}, headers=H("staff")
    )
    assert r.status_code == 422, r.text
    assert "控制字元" in r.json()["error"]["message"]


def test_chat_drafts_show_no_server_path_and_can_be_downloaded_by_their_owner(env: dict[str, Any]) -> None:
    client = env["client"]
    data_dir = str(env["settings"].data_dir)
    q = {"question": "幫我擬一份函，主旨：請派員協助消防演練"}
    r = client.post("/v1/ask?full=true", json=q, headers=H("staff"))
    raw_stream, streamed = _stream_answer(client, q, "staff")
    for raw, draft in ((r.text, r.json()["draft"]), (raw_stream, streamed["draft"])):
        assert data_dir not in raw and "docx_path" not in draft
        url = draft["docx_url"]
        assert client.get(url, headers=H("staff")).status_code == 200
        assert client.get(url, headers=H("staff2")).status_code == 404  # another key


# --- F-28, F-25 ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url,needle",
    [
        ("http://127.0.0.1:11434/v1", None),
        ("http://localhost:8000/v1", None),
        ("https://llm.example.com/v1", "不是本機"),
        ("http://8.8.8.8/v1", "不是本機"),
        ("http://10.1.2.3:8000/v1", "未使用 TLS"),
        ("https://10.1.2.3:8000/v1", None),
    ],
)
def test_llm_endpoint_off_the_machine_is_warned_about(url: str, needle: str | None) -> None:
    from mishu.settings import Settings

    warning = Settings(llm_base_url=url).llm_endpoint_warning()
    assert (warning is None) if needle is None else (warning is not None and needle in warning)


def test_dot_env_with_keys_is_ignored_by_git() -> None:
    root = Path(__file__).resolve().parent.parent
    assert ".env" in (root / ".gitignore").read_text(encoding="utf-8").split()


# --- F-30 ---------------------------------------------------------------------------------------------------
def test_concurrent_turns_of_one_conversation_get_distinct_numbers(env: dict[str, Any]) -> None:
    import threading

    from assistant.conversations import Facts

    store = env["container"].conversations
    cid = store.new(caller="staff:test")
    errors: list[BaseException] = []

    def add(n: int) -> None:
        try:
            for i in range(12):
                store.add_turn(cid, f"q{n}-{i}", f"q{n}-{i}", Facts(), {"answer": "a"})
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(t["turn"] for t in store.turns(cid)) == list(range(1, 37))


def test_a_blank_question_opens_no_conversation(env: dict[str, Any]) -> None:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from assistant.conversations import ConversationRow

    store = env["container"].conversations

    def count() -> int:
        with Session(store.engine) as s:
            return int(s.scalar(select(func.count()).select_from(ConversationRow)) or 0)

    before = count()
    for path in ("/v1/ask", "/v1/ask/stream"):
        r = env["client"].post(path, json={"question": "   "}, headers=H("staff"))
        assert r.status_code == 422
    assert count() == before


# --- F-12 ---------------------------------------------------------------------------------------------------
def test_files_in_the_data_dir_are_private(tmp_path: Path) -> None:
    import os
    import stat
    import subprocess
    import sys

    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISHU_")}
    subprocess.run(
        [sys.executable, "-m", "mishu.cli", "--data-dir", str(data), "records", "import", "--sample"],
        check=True,
        env=env,
        capture_output=True,
        preexec_fn=lambda: os.umask(0o022),
        timeout=300,
    )
    made = [data, *data.rglob("*")]
    assert len(made) > 1
    loose = [
        (str(p), oct(stat.S_IMODE(p.stat().st_mode))) for p in made if stat.S_IMODE(p.stat().st_mode) & 0o077
    ]
    assert not loose, loose
